/// Where in a task's pipeline an error happened: what `errors.tolerance` and a dead letter queue act on (Kafka
/// Connect's `Stage`), plus the task's own life-cycle steps.
public enum TaskStage: String, Sendable, CaseIterable {
    /// Connecting and positioning the source.
    case start
    /// Reading changes from the source (`poll`).
    case read
    /// Key, value or header converters.
    case convert
    /// Single message transforms and predicates.
    case transform
    /// Handing records to Kafka and Kafka's acknowledgements.
    case produce
    /// Storing offsets and confirming them to the source (sinks: committing consumer offsets).
    case commitOffsets = "commit_offsets"
    /// A sink writing records into its target (`put`, `flush`).
    case put
}

/// Which record an error concerns, where there is one.
public struct RecordContext: Sendable, CustomStringConvertible {
    public var topic: String
    public var kafkaPartition: Int32?
    public var sourceOffset: OffsetMap

    public init(topic: String, kafkaPartition: Int32? = nil, sourceOffset: OffsetMap) {
        self.topic = topic
        self.kafkaPartition = kafkaPartition
        self.sourceOffset = sourceOffset
    }

    public init(_ record: borrowing SourceRecord) {
        self.init(topic: record.topic, kafkaPartition: record.kafkaPartition, sourceOffset: record.sourceOffset)
    }

    public var description: String {
        let offset = sourceOffset.keys.sorted().map { "\($0)=\(sourceOffset[$0]!)" }.joined(separator: ",")
        return "topic \(topic)\(kafkaPartition.map { " partition \($0)" } ?? "") source offset {\(offset)}"
    }
}

/// A task failure: the connector, the stage, the record concerned (if any) and the underlying error, whose
/// own type (Postgres, Kafka, config) carries the code and decides whether a restart may cure it.
public struct TaskError: RetriableError, CustomStringConvertible {
    public var connector: String
    public var stage: TaskStage
    public var record: RecordContext?
    public var underlying: any Error

    public init(connector: String, stage: TaskStage, record: RecordContext? = nil, underlying: any Error) {
        self.connector = connector
        self.stage = stage
        self.record = record
        self.underlying = underlying
    }

    public var isRetriable: Bool { underlying.isRetriable }
    public var isRetriableAtStart: Bool { underlying.isRetriableAtStart }

    public var description: String {
        "\(connector): \(stage.rawValue) failed\(record.map { " (\($0))" } ?? ""): \(underlying)"
    }

    /// Runs `body`, wrapping what it throws in a `TaskError` of `stage` (an error already wrapped stays as it is).
    public static func wrapping<R>(
        connector: String, _ stage: TaskStage, record: @autoclosure () -> RecordContext? = nil,
        _ body: () throws -> R
    ) throws(TaskError) -> R {
        do {
            return try body()
        } catch let error as TaskError {
            throw error
        } catch {
            throw TaskError(connector: connector, stage: stage, record: record(), underlying: error)
        }
    }
}

extension OffsetValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .int(let n): "\(n)"
        case .string(let s): s
        }
    }
}
