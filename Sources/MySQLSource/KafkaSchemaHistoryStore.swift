import KafkaClient
import Logging
import TributaryCore

/// A schema history in a Kafka topic of one partition (Debezium's `KafkaSchemaHistory`,
/// `schema.history.internal.kafka.*`): the history survives the loss of the machine the connector ran on.
///
/// The topic is created with one partition and unlimited retention when it does not exist; a topic of several
/// partitions is refused, since its records would lose their order. Appends go out with `acks=all` and return
/// once Kafka acknowledged them. Recovery reads the partition from its beginning to its end.
final class KafkaSchemaHistoryStore: SchemaHistoryStore {
    struct Settings: Sendable, Equatable {
        /// `schema.history.internal.kafka.topic`.
        var topic: String
        /// `schema.history.internal.kafka.bootstrap.servers`.
        var bootstrapServers: String
        /// How long recovery waits for the next record before it gives up: `…kafka.recovery.poll.interval.ms`
        /// times `…kafka.recovery.attempts`, as in Debezium.
        var recoveryIdleMilliseconds: Int
        /// `schema.history.internal.kafka.create.timeout.ms`.
        var createTimeoutMilliseconds: Int
        /// `schema.history.internal.producer.*` and `schema.history.internal.consumer.*`: librdkafka properties
        /// (security settings, for example) on top of the defaults.
        var producerProperties: [String: String] = [:]
        var consumerProperties: [String: String] = [:]

        static let producerPrefix = "schema.history.internal.producer."
        static let consumerPrefix = "schema.history.internal.consumer."

        init(_ config: Config) throws(ConfigError) {
            topic = try config.required("schema.history.internal.kafka.topic")
            bootstrapServers = try config.required("schema.history.internal.kafka.bootstrap.servers")
            let interval = try config.int(
                "schema.history.internal.kafka.recovery.poll.interval.ms", default: 100, range: 1...3_600_000)
            let attempts = try config.int(
                "schema.history.internal.kafka.recovery.attempts", default: 100, range: 1...1_000_000)
            recoveryIdleMilliseconds = interval * attempts
            createTimeoutMilliseconds = try config.int(
                "schema.history.internal.kafka.create.timeout.ms", default: 30_000, range: 1...3_600_000)
            producerProperties = config.withPrefix(Self.producerPrefix)
            consumerProperties = config.withPrefix(Self.consumerPrefix)
        }
    }

    /// Delivery results of one append, reported on the appending thread (from within `flush`).
    private final class Deliveries {
        var failure: KafkaError?
        var acknowledged = 0
    }

    let settings: Settings
    private let clientID: String
    private let logger: Logger
    private var producer: KafkaProducer?
    private let deliveries = Deliveries()
    private var topicChecked = false

    init(_ settings: Settings, clientID: String, logger: Logger) {
        self.settings = settings
        self.clientID = clientID
        self.logger = logger
    }

    var description: String { "topic \(settings.topic) on \(settings.bootstrapServers)" }
    var lastRecordMayBeTorn: Bool { false }

    func load() throws -> [[UInt8]] {
        let consumer = try makeConsumer()
        if try ensureTopic(consumer) { return [] }
        var records: [[UInt8]] = []
        do {
            try consumer.readToEnd(
                topic: settings.topic, partition: 0, idleMilliseconds: settings.recoveryIdleMilliseconds
            ) { message in
                records.append(message.value ?? [])
            }
        } catch let error as KafkaError {
            throw MySQLError("cannot read the schema history from \(description): \(error)", retriable: true)
        }
        return records
    }

    func append(_ records: [[UInt8]]) throws {
        if !topicChecked { try ensureTopic(try makeConsumer()) }
        let producer = try historyProducer()
        deliveries.failure = nil
        deliveries.acknowledged = 0
        do {
            for (n, record) in records.enumerated() {
                while try producer.produce(
                    topic: settings.topic, partition: 0, key: nil, value: record, token: UInt64(n + 1)) == .queueFull
                {
                    producer.poll(timeoutMilliseconds: 100)
                }
            }
            try producer.flush(timeoutMilliseconds: 150_000)
        } catch let error as KafkaError {
            throw MySQLError("cannot write the schema history to \(description): \(error)", retriable: true)
        }
        if let failure = deliveries.failure {
            throw MySQLError("cannot write the schema history to \(description): \(failure)", retriable: true)
        }
        assert(deliveries.acknowledged == records.count, "every record of an append is acknowledged")
    }

    /// A consumer of the topic's one partition, which reports where it ends.
    private func makeConsumer() throws -> KafkaConsumer {
        var properties = [
            "bootstrap.servers": settings.bootstrapServers, "client.id": clientID, "group.id": clientID,
            "enable.partition.eof": "true",
        ]
        properties.merge(settings.consumerProperties) { $1 }
        return try KafkaConsumer(properties: properties, origin: Settings.consumerPrefix, logger: logger)
    }

    /// The producer of the appends (and of the topic's creation), made at its first use.
    private func historyProducer() throws -> KafkaProducer {
        if let producer { return producer }
        var properties = ["bootstrap.servers": settings.bootstrapServers, "client.id": clientID, "linger.ms": "0"]
        properties.merge(settings.producerProperties) { $1 }
        let deliveries = self.deliveries
        let made = try KafkaProducer(properties: properties, origin: Settings.producerPrefix, logger: logger) {
            _, result in
            switch result {
            case .success: deliveries.acknowledged += 1
            case .failure(let error): deliveries.failure = deliveries.failure ?? error
            }
        }
        producer = made
        return made
    }

    /// Creates the topic when it does not exist (and says so), and refuses one that has more than one partition.
    @discardableResult
    private func ensureTopic(_ consumer: KafkaConsumer) throws -> Bool {
        guard !topicChecked else { return false }
        let partitions: Int32?
        do {
            partitions = try consumer.partitionCount(topic: settings.topic)
        } catch let error as KafkaError {
            throw MySQLError("cannot reach the schema history \(description): \(error)", retriable: true)
        }
        if let partitions, partitions != 1 {
            throw ConfigError.other(
                key: "schema.history.internal.kafka.topic",
                message: "the topic \(settings.topic) has \(partitions) partitions; a schema history topic must have "
                    + "exactly one, so that its records keep their order")
        }
        if partitions == nil {
            let producer = try historyProducer()
            do {
                try producer.createTopics(
                    [settings.topic], partitions: 1, replicationFactor: -1,
                    configs: ["cleanup.policy": "delete", "retention.ms": String(Int64.max), "retention.bytes": "-1"],
                    timeoutMilliseconds: Int32(clamping: settings.createTimeoutMilliseconds))
            } catch let error as KafkaError {
                throw MySQLError("cannot create the schema history \(description): \(error)", retriable: true)
            }
            logger.info("created the schema history topic", metadata: ["topic": "\(settings.topic)"])
        }
        topicChecked = true
        return partitions == nil
    }
}
