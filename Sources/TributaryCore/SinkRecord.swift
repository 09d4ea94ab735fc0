/// One record read from Kafka for a sink, its key and value converted (Kafka Connect's `SinkRecord`).
public struct SinkRecord: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var keySchema: Schema?
    public var key: Value
    public var valueSchema: Schema?
    public var value: Value
    public var headers: [Header]
    /// The key and value as consumed, when the worker keeps them for its dead letter queue (`errors.tolerance=all`):
    /// what goes there if the task reports the record, however long it held it (Kafka Connect's
    /// `InternalSinkRecord.originalRecord`).
    public var original: (key: [UInt8]?, value: [UInt8]?)?

    public init(
        topic: String, partition: Int32, offset: Int64, keySchema: Schema?, key: Value, valueSchema: Schema?,
        value: Value, headers: [Header] = [], original: (key: [UInt8]?, value: [UInt8]?)? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.keySchema = keySchema
        self.key = key
        self.valueSchema = valueSchema
        self.value = value
        self.headers = headers
        self.original = original
    }

    /// Where the record is, for messages: `topic/partition@offset`.
    public var position: String { "\(topic)/\(partition)@\(offset)" }
}

/// Takes the records a sink task could not write (Kafka Connect's `ErrantRecordReporter`): the worker logs each,
/// sends it as it was consumed to the dead letter queue when there is one, and the task goes on with the others.
/// Workers give tasks one only under `errors.tolerance=all`; without one, a task throws what it could not write.
public protocol ErrantRecordReporter: AnyObject {
    func report(_ record: SinkRecord, error: Error) throws
}

/// A sink connector's task: writes records read from Kafka (Kafka Connect's `SinkTask`).
///
/// A worker drives one task from one thread: `start`, then `put` with each batch and the consumer offsets
/// `preCommit` returns committed after it, a last `flush` and `preCommit` when it stops, `stop` at the end. The
/// records before the offsets `preCommit` returns must be stored for good: they are not read again.
public protocol SinkTask: AnyObject {
    /// Connects to the target. `reporter` takes the records the task cannot write, when errors are tolerated.
    func start(reporter: ErrantRecordReporter?) throws
    /// Takes records to write; they may be written now or later.
    func put(_ records: [SinkRecord]) throws
    /// Writes everything `put` took before it returns (Kafka Connect's `flush`).
    func flush() throws
    /// The offsets to commit (the next offset to read, per partition), given the ones after everything consumed
    /// (Kafka Connect's `preCommit`). By default everything is flushed and then committed. A task that keeps
    /// records back, or writes behind, returns the offsets before the first record not yet stored, so that a
    /// restart reads them again.
    func preCommit(_ consumed: [TopicPartition: Int64]) throws -> [TopicPartition: Int64]
    /// The partitions the task wants no more records of for now (Kafka Connect's `SinkTaskContext.pause` and
    /// `resume`): the worker reads it after each `preCommit`, stops fetching from those added and fetches again
    /// from those gone, each from the record after the last one the task was given. None by default.
    var pausedPartitions: Set<TopicPartition> { get }
    /// Releases connections. Called once, also after a failure.
    func stop()
}

extension SinkTask {
    public func preCommit(_ consumed: [TopicPartition: Int64]) throws -> [TopicPartition: Int64] {
        try flush()
        return consumed
    }

    public var pausedPartitions: Set<TopicPartition> { [] }
}

/// Creates sink tasks from a connector configuration (Kafka Connect's `SinkConnector`).
public protocol SinkConnector: Sendable {
    /// Checks the configuration, throwing a `ConfigError` that names the offending key.
    func validate(_ config: Config) throws
    /// The connector's documented settings.
    var configDefinition: ConfigDefinition? { get }
    func makeTask(_ config: Config) throws -> SinkTask
}
