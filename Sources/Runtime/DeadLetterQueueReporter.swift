import KafkaClient
import TributaryCore

/// Kafka Connect's dead letter queue for sink connectors: a record that fails (to convert, transform or write) and
/// is tolerated (`errors.tolerance=all`) goes, as its original bytes, to `errors.deadletterqueue.topic.name`, with
/// Kafka Connect's `__connect.errors.*` headers saying where it came from and why when
/// `errors.deadletterqueue.context.headers.enable` is set.
///
/// Records are produced as they fail; `flush` waits for the broker's acknowledgement of every one, so that a sink
/// commits its consumer offsets only after its dead letters are safe.
public final class DeadLetterQueueReporter {
    /// Kafka Connect's `Stage` names, as the `__connect.errors.stage` header holds them.
    public enum Stage: String, Sendable {
        case keyConverter = "KEY_CONVERTER"
        case valueConverter = "VALUE_CONVERTER"
        case headerConverter = "HEADER_CONVERTER"
        case transformation = "TRANSFORMATION"
        case taskPut = "TASK_PUT"
        case taskPoll = "TASK_POLL"
        case kafkaProduce = "KAFKA_PRODUCE"
        case kafkaConsume = "KAFKA_CONSUME"
    }

    /// `errors.deadletterqueue.*`.
    public struct Settings: Sendable, Equatable {
        public var topic: String
        public var replicationFactor: Int32
        public var contextHeaders: Bool

        public init(topic: String, replicationFactor: Int32 = 3, contextHeaders: Bool = false) {
            self.topic = topic
            self.replicationFactor = replicationFactor
            self.contextHeaders = contextHeaders
        }

        /// The connector's dead letter queue, or nil when `errors.deadletterqueue.topic.name` is empty.
        public init?(_ config: Config) throws(ConfigError) {
            guard let topic = config.string("errors.deadletterqueue.topic.name") else { return nil }
            self.init(
                topic: topic,
                replicationFactor: Int32(
                    try config.int("errors.deadletterqueue.topic.replication.factor", default: 3, range: -1...32_767)),
                contextHeaders: try config.bool("errors.deadletterqueue.context.headers.enable", default: false))
        }
    }

    /// The record that failed, as it was consumed.
    public struct FailedRecord: Sendable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64
        public var key: [UInt8]?
        public var value: [UInt8]?
        public var headers: [Header]

        public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8]?, headers: [Header]) {
            self.topic = topic
            self.partition = partition
            self.offset = offset
            self.key = key
            self.value = value
            self.headers = headers
        }
    }

    public let settings: Settings
    private let connector: String
    private let taskID: Int
    private let producer: KafkaProducer
    private let failures: Locked<[KafkaError]>
    private var nextToken: UInt64 = 1
    private var topicReady = false

    /// `producerProperties`: the worker's (bootstrap servers, security).
    public init(settings: Settings, connector: String, taskID: Int = 0, producerProperties: [String: String]) throws {
        self.settings = settings
        self.connector = connector
        self.taskID = taskID
        let failures = Locked<[KafkaError]>([])
        self.failures = failures
        producer = try KafkaProducer(properties: producerProperties) { _, result in
            if case .failure(let error) = result { failures.withLock { $0.append(error) } }
        }
    }

    /// Sends `record` to the dead letter queue: its key, value and headers, plus the context headers.
    /// `className` names what failed (the converter's or transform's class), `error` why.
    public func report(_ record: FailedRecord, stage: Stage, className: String, error: Error) throws {
        if !topicReady {
            try producer.createTopics([settings.topic], partitions: 1, replicationFactor: settings.replicationFactor)
            topicReady = true
        }
        var headers = record.headers
        if settings.contextHeaders {
            let prefix = "__connect.errors."
            func add(_ key: String, _ value: String?) {
                headers.append(Header(key: prefix + key, value: value.map { Array($0.utf8) }))
            }
            add("topic", record.topic)
            add("partition", String(record.partition))
            add("offset", String(record.offset))
            add("connector.name", connector)
            add("task.id", String(taskID))
            add("stage", stage.rawValue)
            add("class.name", className)
            add("exception.class.name", String(reflecting: type(of: error)))
            add("exception.message", "\(error)")
        }
        let token = nextToken
        nextToken += 1
        while try producer.produce(
            topic: settings.topic, key: record.key, value: record.value, headers: headers, token: token) == .queueFull
        {
            _ = producer.poll(timeoutMilliseconds: 100)
        }
        _ = producer.poll(timeoutMilliseconds: 0)
    }

    /// Waits until the broker acknowledged every record reported; throws the first delivery failure.
    public func flush(timeoutMilliseconds: Int32 = 30_000) throws {
        try producer.flush(timeoutMilliseconds: timeoutMilliseconds)
        if let failure = failures.withLock({ $0.first }) { throw failure }
    }
}
