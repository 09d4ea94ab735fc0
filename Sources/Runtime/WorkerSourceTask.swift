import Converters
import KafkaClient
import Logging
import Synchronization
import TributaryCore

/// Runs one source task: polls records, converts them, produces them to Kafka, and stores offsets (then tells
/// the source) only for records Kafka acknowledged — Kafka Connect's `WorkerSourceTask`.
///
/// `run()` blocks its thread until `stop()` or a failure; everything else about the task lives on that thread.
public final class WorkerSourceTask: @unchecked Sendable {
    public let name: String
    private let task: SourceTask
    private let keyConverter: Converter
    private let valueConverter: Converter
    private let producerProperties: [String: String]
    private let offsets: FileOffsetStore
    private let flushInterval: Duration
    private let topicCreation: (partitions: Int32, replicationFactor: Int32)?
    private let logger: Logger
    private let stopRequested = AtomicFlag()
    private let startedFlag = AtomicFlag()

    /// True once the source task started (connected and positioned).
    public var hasStarted: Bool { startedFlag.isSet }

    public init(
        name: String, task: SourceTask, keyConverter: Converter, valueConverter: Converter,
        producerProperties: [String: String], offsets: FileOffsetStore, flushIntervalMilliseconds: Int,
        topicCreation: (partitions: Int32, replicationFactor: Int32)?, logger: Logger
    ) {
        self.name = name
        self.task = task
        self.keyConverter = keyConverter
        self.valueConverter = valueConverter
        self.producerProperties = producerProperties
        self.offsets = offsets
        self.flushInterval = .milliseconds(flushIntervalMilliseconds)
        self.topicCreation = topicCreation
        self.logger = logger
    }

    /// Asks the task to finish: it stops reading, waits for Kafka's acknowledgements, stores offsets and returns.
    public func stop() { stopRequested.set() }

    public func run() throws {
        var tracker = OffsetTracker()
        var deliveryError: KafkaError?
        var acked: UInt64 = 0
        let producer = try KafkaProducer(properties: producerProperties) { token, result in
            switch result {
            case .success:
                tracker.ack(token)
                acked += 1
            case .failure(let error):
                if deliveryError == nil { deliveryError = error }
            }
        }
        var createdTopics = Set<String>()
        let clock = ContinuousClock()
        let started = clock.now
        var nextFlush = started + flushInterval
        var lastReport = started
        var reportedAcked: UInt64 = 0
        var produced: UInt64 = 0

        func commitOffsets() throws {
            guard let offset = tracker.takeCommittable() else { return }
            try offsets.store(connector: name, partition: task.sourcePartition, offset: offset)
            try task.commit(offset: offset)
        }

        defer { task.stop() }
        try task.start(storedOffset: offsets.offset(connector: name, partition: task.sourcePartition))
        startedFlag.set()
        do {
            while !stopRequested.isSet {
                let records = try task.poll(timeoutMilliseconds: tracker.inFlight > 0 ? 5 : 100)
                for record in records {
                    if let creation = topicCreation, !createdTopics.contains(record.topic) {
                        try producer.createTopics([record.topic], partitions: creation.partitions, replicationFactor: creation.replicationFactor)
                        createdTopics.insert(record.topic)
                    }
                    let key = try keyConverter.fromConnectData(topic: record.topic, schema: record.keySchema, value: record.key)
                    let value = try valueConverter.fromConnectData(topic: record.topic, schema: record.valueSchema, value: record.value)
                    let token = tracker.add(record.sourceOffset)
                    try producer.produce(
                        topic: record.topic, partition: record.kafkaPartition, key: key, value: value, timestamp: record.timestamp,
                        headers: record.headers, token: token)
                    produced += 1
                }
                producer.poll(timeoutMilliseconds: 0)
                if let error = deliveryError { throw error }
                let now = clock.now
                if now >= nextFlush {
                    try commitOffsets()
                    nextFlush = now + flushInterval
                }
                if now - lastReport >= .seconds(10) {
                    logger.info("progress", metadata: [
                        "acknowledged": "\(acked)", "in_flight": "\(tracker.inFlight)",
                        "rate_per_s": "\(Self.rate(acked - reportedAcked, over: now - lastReport))",
                        "average_per_s": "\(Self.rate(acked, over: now - started))",
                    ])
                    reportedAcked = acked
                    lastReport = now
                }
            }
        } catch {
            // Keep what Kafka already has: store its offsets (bounded wait) so a restart replays less, then fail.
            logger.error("task failing; storing the offsets of acknowledged records first", metadata: ["error": "\(error)"])
            try? producer.flush(timeoutMilliseconds: 10_000)
            try? commitOffsets()
            throw error
        }
        logger.info("stopping: waiting for Kafka to acknowledge in-flight records", metadata: ["in_flight": "\(tracker.inFlight)"])
        try producer.flush(timeoutMilliseconds: 30_000)
        if let error = deliveryError { throw error }
        try commitOffsets()
        logger.info("stopped", metadata: ["produced": "\(produced)", "acknowledged": "\(acked)"])
    }

    private static func rate(_ count: UInt64, over duration: Duration) -> Int {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds > 0 ? Int(Double(count) / seconds) : 0
    }
}

/// A flag one thread sets and others read.
final class AtomicFlag: Sendable {
    private let value = Atomic<Bool>(false)

    func set() { value.store(true, ordering: .releasing) }

    var isSet: Bool { value.load(ordering: .acquiring) }
}
