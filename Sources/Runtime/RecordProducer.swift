import KafkaClient
import Logging
import TributaryCore

/// What a `WorkerSourceTask` needs of a Kafka producer. `KafkaProducer` is the real one; tests give fakes to
/// reach the stop, failure and backoff paths that a real broker does not produce on demand.
///
/// One thread drives a producer; delivery reports come back through the handler given at creation, from
/// within `poll` and `flush`.
public protocol RecordProducer: AnyObject {
    /// Queues one message, or reports that the local queue is full.
    func produce(
        topic: String, partition: Int32?, key: [UInt8]?, value: [UInt8]?, timestamp: Int64?, headers: [Header],
        token: UInt64
    ) throws -> ProduceOutcome
    /// Serves delivery reports for up to `timeoutMilliseconds`.
    @discardableResult func poll(timeoutMilliseconds: Int32) -> Int32
    /// Messages queued or in flight, not yet reported.
    var outstanding: Int32 { get }
    /// A fatal error that ended the producer: it must be replaced.
    var fatalError: KafkaError? { get }
    /// Creates topics that do not exist yet; gives up (throwing) when `cancelled` returns true.
    func createTopics(_ names: [String], partitions: Int32, replicationFactor: Int32, cancelled: () -> Bool) throws
    /// Sends what is queued without waiting out `linger.ms`.
    func sendNow()
}

/// Makes a producer from librdkafka properties, a logger, and the handler for delivery reports.
public typealias RecordProducerFactory =
    @Sendable (
        _ properties: [String: String], _ logger: Logger, _ onDelivery: @escaping KafkaProducer.DeliveryHandler
    ) throws -> any RecordProducer

extension KafkaProducer: RecordProducer {
    public func createTopics(
        _ names: [String], partitions: Int32, replicationFactor: Int32, cancelled: () -> Bool
    ) throws {
        try createTopics(
            names, partitions: partitions, replicationFactor: replicationFactor, timeoutMilliseconds: 30_000,
            cancelled: cancelled)
    }

    /// librdkafka producers.
    public static let factory: RecordProducerFactory = { properties, logger, onDelivery in
        try KafkaProducer(properties: properties, logger: logger, onDelivery: onDelivery)
    }
}
