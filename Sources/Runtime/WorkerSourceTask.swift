import Converters
import CoreMetrics
import KafkaClient
import Logging
import Synchronization
import Transforms
import TributaryCore

/// How a worker runs one source task: topic creation, offset flushing, and how long a stop may wait for Kafka.
public struct SourceTaskSettings: Sendable {
    /// `topic.creation.default.*`: partitions and replication factor of topics the task creates, or nil to
    /// leave topic creation to the broker.
    public var topicCreation: (partitions: Int32, replicationFactor: Int32)?
    /// `offset.flush.interval.ms`.
    public var offsetFlushInterval: Duration
    /// `task.shutdown.graceful.timeout.ms`: how long a stop (or a failing task) waits for Kafka to acknowledge
    /// what is in flight before it stores what was acknowledged and returns.
    public var shutdownTimeout: Duration
    /// librdkafka properties of the task's producer.
    public var producerProperties: [String: String]
    /// `task.send.immediately.below.records`: smaller polls are sent at once rather than after `linger.ms`.
    public var sendImmediatelyBelowRecords: Int
    /// `errors.*`: retries and tolerance for records that fail a transform or a converter.
    public var errorHandling: ErrorHandlingSettings
    /// Whether delivered offsets are stored and confirmed to the source (a replication slot moves on); false
    /// for `tributary tail --connector`, which must not move a slot another connector relies on.
    public var commitOffsets = true
    /// Where the task's metrics are recorded (the worker's Prometheus registry); nil records none.
    public var metricsFactory: (any MetricsFactory)?

    public init(
        topicCreation: (partitions: Int32, replicationFactor: Int32)? = nil,
        offsetFlushInterval: Duration = .seconds(60),
        shutdownTimeout: Duration = .seconds(5), producerProperties: [String: String],
        sendImmediatelyBelowRecords: Int = 0, errorHandling: ErrorHandlingSettings = ErrorHandlingSettings()
    ) {
        self.topicCreation = topicCreation
        self.offsetFlushInterval = offsetFlushInterval
        self.shutdownTimeout = shutdownTimeout
        self.producerProperties = producerProperties
        self.sendImmediatelyBelowRecords = sendImmediatelyBelowRecords
        self.errorHandling = errorHandling
    }
}

/// Runs one source task: polls records, converts them, produces them to Kafka, and stores offsets (then tells
/// the source) only for records Kafka acknowledged — Kafka Connect's `WorkerSourceTask`.
///
/// `run()` blocks its thread until `stop()` or a failure; everything else about the task lives on that thread.
/// On every way out (a stop, a failure of the source, of a converter or of Kafka) it first stores the offsets of
/// the records Kafka acknowledged, waiting at most `shutdownTimeout` for those still in flight.
public final class WorkerSourceTask: @unchecked Sendable {
    public let name: String
    private let task: SourceTask
    private let keyConverter: Converter
    private let valueConverter: Converter
    private let transforms: TransformationChain?
    private let offsets: any OffsetBackingStore
    private let settings: SourceTaskSettings
    private let makeProducer: RecordProducerFactory
    private let logger: Logger
    private let stopRequested = AtomicFlag()
    private let startedFlag = AtomicFlag()

    private let errors: RetryWithToleranceOperator
    private let metrics: SourceTaskMetrics
    private let snapshotMetrics: SnapshotMetrics
    /// Records skipped under `errors.tolerance=all`.
    public var recordsSkipped: Int { errors.recordsSkipped }

    /// True once the source task started (connected and positioned).
    public var hasStarted: Bool { startedFlag.isSet }

    public init(
        name: String, task: SourceTask, keyConverter: Converter, valueConverter: Converter,
        transforms: TransformationChain? = nil, offsets: any OffsetBackingStore, settings: SourceTaskSettings,
        makeProducer: @escaping RecordProducerFactory = KafkaProducer.factory, logger: Logger
    ) {
        self.name = name
        self.task = task
        self.keyConverter = keyConverter
        self.valueConverter = valueConverter
        self.transforms = transforms.flatMap { $0.isEmpty ? nil : $0 }
        self.offsets = offsets
        self.settings = settings
        self.makeProducer = makeProducer
        self.logger = logger
        let stopRequested = self.stopRequested
        metrics = SourceTaskMetrics(connector: name, factory: settings.metricsFactory)
        snapshotMetrics = SnapshotMetrics(connector: name, factory: settings.metricsFactory)
        errors = RetryWithToleranceOperator(
            settings: settings.errorHandling, connector: name, logger: logger, metrics: metrics,
            stopRequested: { stopRequested.isSet })
    }

    /// Asks the task to finish: it stops reading, waits (at most `shutdownTimeout`) for Kafka's
    /// acknowledgements, stores offsets and returns.
    public func stop() { stopRequested.set() }

    public func run() throws {
        var tracker = OffsetTracker()
        var deliveryError: TaskError?
        var acked: UInt64 = 0
        let name = self.name
        let metrics = self.metrics
        let clock = ContinuousClock()
        // Produce latency is measured on a sample of records: one in 64, by token.
        var latencySamples: [UInt64: ContinuousClock.Instant] = [:]
        let producer = try TaskError.wrapping(connector: name, .start) {
            try makeProducer(settings.producerProperties, logger) { token, result in
                switch result {
                case .success:
                    tracker.ack(token)
                    acked += 1
                    if token & 63 == 0, let sent = latencySamples.removeValue(forKey: token) {
                        metrics.produceLatency.recordMicroseconds((clock.now - sent).wholeMicroseconds)
                    }
                case .failure(let error):
                    if deliveryError == nil {
                        deliveryError = TaskError(
                            connector: name, stage: .produce, record: tracker.context(of: token), underlying: error)
                    }
                }
            }
        }

        /// Fails with what Kafka reported: a failed delivery, or a fatal producer error.
        func checkProducer() throws(TaskError) {
            if let deliveryError { throw deliveryError }
            if let fatal = producer.fatalError { throw TaskError(connector: name, stage: .produce, underlying: fatal) }
        }

        /// Stores the offset of the newest record that it and all before it were acknowledged, then tells the
        /// source.
        func storeAcknowledged() throws(TaskError) {
            guard let offset = tracker.takeCommittable(), settings.commitOffsets else { return }
            try TaskError.wrapping(connector: name, .commitOffsets) {
                try offsets.store(connector: name, partition: task.sourcePartition, offset: offset)
                try task.commit(offset: offset)
            }
        }

        /// Serves delivery reports until nothing is in flight or `timeout` passed; true if nothing is left.
        func drain(within timeout: Duration) -> Bool {
            let deadline = clock.now + timeout
            while producer.outstanding > 0 && producer.fatalError == nil {
                let remaining = deadline - clock.now
                guard remaining > .zero else { break }
                producer.poll(timeoutMilliseconds: Int32(min(100, max(1, remaining.wholeMilliseconds))))
            }
            return producer.outstanding == 0
        }

        defer { task.stop() }
        try TaskError.wrapping(connector: name, .start) {
            try task.start(storedOffset: offsets.offset(connector: name, partition: task.sourcePartition))
        }
        startedFlag.set()
        var createdTopics = Set<String>()
        let started = clock.now
        var nextFlush = started + settings.offsetFlushInterval
        var lastReport = started
        var nextSnapshotReport = started
        var reportedAcked: UInt64 = 0
        var produced: UInt64 = 0
        var metricAcked: UInt64 = 0
        /// Converts and produces one record; false when a stop was requested while it waited. The record is borrowed,
        /// so that the compiler refuses any copy of it here.
        func deliver(_ record: borrowing SourceRecord) throws(TaskError) -> Bool {
            if let creation = settings.topicCreation, !createdTopics.contains(record.topic) {
                let stopRequested = self.stopRequested
                do {
                    try producer.createTopics(
                        [record.topic], partitions: creation.partitions,
                        replicationFactor: creation.replicationFactor, cancelled: { stopRequested.isSet })
                } catch  where stopRequested.isSet {
                    return false
                } catch {
                    throw TaskError(
                        connector: name, stage: .produce, record: RecordContext(record), underlying: error)
                }
                createdTopics.insert(record.topic)
            }
            guard
                let (key, value) = try errors.execute(
                    .convert, record,
                    { record in
                        (
                            try keyConverter.fromConnectData(
                                topic: record.topic, schema: record.keySchema, value: record.key),
                            try valueConverter.fromConnectData(
                                topic: record.topic, schema: record.valueSchema, value: record.value)
                        )
                    })
            else {
                tracker.addAcknowledged(record.sourceOffset)
                return true
            }
            while true {
                let outcome = try TaskError.wrapping(connector: name, .produce, record: RecordContext(record)) {
                    try producer.produce(
                        topic: record.topic, partition: record.kafkaPartition, key: key, value: value,
                        timestamp: record.timestamp, headers: record.headers, token: tracker.nextToken)
                }
                if outcome == .queued { break }
                // The local queue is full (the broker is slow or away): wait for room, but not past a stop.
                if stopRequested.isSet { return false }
                producer.poll(timeoutMilliseconds: 50)
                try checkProducer()
            }
            let token = tracker.add(record.sourceOffset, topic: record.topic)
            if token & 63 == 0 { latencySamples[token] = clock.now }
            produced += 1
            return true
        }

        var failure: TaskError?
        do throws(TaskError) {
            polling: while !stopRequested.isSet {
                let records = try TaskError.wrapping(connector: name, .read) {
                    try task.poll(timeoutMilliseconds: tracker.inFlight > 0 ? 5 : 100)
                }
                if clock.now >= nextSnapshotReport {
                    snapshotMetrics.record(task.snapshotStatus())
                    nextSnapshotReport = clock.now + .seconds(1)
                }
                if let last = records.last {
                    metrics.polled.increment(by: records.count)
                    if let sourceMillis = SourceTaskMetrics.sourceMillis(of: last) {
                        metrics.behindSource.record(max(0, WallClock.epochMicros() / 1000 - sourceMillis))
                    }
                }
                // Each record is moved out of the batch, never copied (a `for … in` iterator copies it, retaining and
                // then releasing each of its parts): the batch is reversed through its buffer, whose swaps move the
                // elements (the array's own `reverse` copies them), and taken from its end.
                let polledCount = records.count
                var batch = consume records
                batch.withUnsafeMutableBufferPointer { $0.reverse() }
                while let polled = batch.popLast() {
                    guard let transforms else {
                        guard try deliver(polled) else { break polling }
                        continue
                    }
                    // Dropped by a transform or filter, or failed and tolerated: delivered as far as the source's
                    // offsets go.
                    guard let outcome = try errors.execute(.transform, polled, { try transforms.apply($0) }),
                        let transformed = outcome
                    else {
                        tracker.addAcknowledged(polled.sourceOffset)
                        continue
                    }
                    guard try deliver(transformed) else { break polling }
                }
                if let offset = task.takeOffsetWithoutRecord() { tracker.addAcknowledged(offset) }
                if polledCount > 0 && polledCount < settings.sendImmediatelyBelowRecords {
                    // The source has caught up: nothing more would join these records' batch within linger.ms.
                    producer.sendNow()
                }
                producer.poll(timeoutMilliseconds: 0)
                try checkProducer()
                if acked > metricAcked {
                    metrics.written.increment(by: Int(acked - metricAcked))
                    metricAcked = acked
                }
                metrics.active.record(tracker.inFlight)
                let now = clock.now
                if now >= nextFlush {
                    try storeAcknowledged()
                    nextFlush = now + settings.offsetFlushInterval
                }
                if now - lastReport >= .seconds(10) {
                    logger.info(
                        "progress",
                        metadata: [
                            "acknowledged": "\(acked)", "in_flight": "\(tracker.inFlight)",
                            "rate_per_s": "\(Self.rate(acked - reportedAcked, over: now - lastReport))",
                            "average_per_s": "\(Self.rate(acked, over: now - started))",
                        ])
                    reportedAcked = acked
                    lastReport = now
                }
            }
            // A snapshot that ended with the task (`initial_only`) still shows as completed.
            snapshotMetrics.record(task.snapshotStatus())
        } catch {
            failure = error
            logger.error(
                "task failing; storing the offsets of acknowledged records first", metadata: ["error": "\(error)"])
        }
        if failure == nil {
            logger.info(
                "stopping: waiting for Kafka to acknowledge in-flight records",
                metadata: ["in_flight": "\(tracker.inFlight)"])
        }
        let drained = drain(within: settings.shutdownTimeout)
        do {
            try storeAcknowledged()
        } catch {
            logger.error("cannot store the offsets of acknowledged records", metadata: ["error": "\(error)"])
            if failure == nil { failure = error }
        }
        if let failure { throw failure }
        if !drained || deliveryError != nil {
            // Their offsets stay unstored: they are read and sent again at the next start.
            logger.warning(
                "stopped before Kafka acknowledged every record; the rest is sent again at the next start",
                metadata: [
                    "in_flight": "\(tracker.inFlight)",
                    "task.shutdown.graceful.timeout.ms": "\(settings.shutdownTimeout.wholeMilliseconds)",
                    "error": "\(deliveryError.map { "\($0)" } ?? "-")",
                ])
        }
        logger.info("stopped", metadata: ["produced": "\(produced)", "acknowledged": "\(acked)"])
    }

    private static func rate(_ count: UInt64, over duration: Duration) -> Int {
        let seconds = duration.inSeconds
        return seconds > 0 ? Int(Double(count) / seconds) : 0
    }
}

/// A flag one thread sets and others read.
final class AtomicFlag: Sendable {
    private let value = Atomic<Bool>(false)

    func set() { value.store(true, ordering: .releasing) }

    var isSet: Bool { value.load(ordering: .acquiring) }
}
