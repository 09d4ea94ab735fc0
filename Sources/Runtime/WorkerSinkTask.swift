import Converters
import KafkaClient
import Logging
import Synchronization
import TributaryCore

/// Runs one sink task as Kafka Connect's `WorkerSinkTask` does: a member of the consumer group
/// `connect-<connector name>` for `topics` (or `topics.regex`), it converts each batch of messages with the key and
/// value converters, hands them to the task (`put`), has it write them (`flush`), and only then commits the
/// batch's offsets to the group. A crash therefore replays at most the batch in flight, which the JDBC sink's
/// upserts make harmless. Partitions the task asks to pause (`pausedPartitions`) are not fetched until it resumes
/// them, as Kafka Connect's `SinkTaskContext.pause` has it; librdkafka keeps them paused across a rebalance of the
/// group (a new topic matching `topics.regex`), which a test holds it to.
///
/// A message that fails to convert, or that the task cannot write (a row the database refuses), stops the task, or
/// with `errors.tolerance=all` is logged with its position, skipped, and sent (as it was consumed) to the dead
/// letter queue when one is configured, with the reason in its headers; its offset is committed like the others'.
public final class WorkerSinkTask: @unchecked Sendable {
    public let name: String
    private let task: SinkTask
    private let consumer: KafkaConsumer
    private let topics: [String]
    private let keyConverter: ReadingConverter
    private let valueConverter: ReadingConverter
    private let errors: ErrorHandlingSettings
    private let deadLetters: DeadLetterQueueReporter?
    private let batchSize: Int
    private let logger: Logger
    private let stopRequested = Atomic<Bool>(false)
    private var waitingForTopics = false
    /// Under `errors.tolerance=all`: records keep their message's key and value as consumed (`original`), so that a
    /// record the task reports as errant, even one it held back for a long time, goes to the dead letter queue as
    /// it was consumed.
    private let keepsOriginals: Bool
    /// The offsets committed last, per partition.
    private var committed: [TopicPartition: Int64] = [:]
    /// The partitions paused at the task's request (`SinkTask.pausedPartitions`).
    private var paused: Set<TopicPartition> = []
    /// Messages skipped under `errors.tolerance=all`.
    public private(set) var skipped = 0

    public init(
        name: String, config: Config, worker: WorkerConfig, task: SinkTask, keyConverter: ReadingConverter,
        valueConverter: ReadingConverter, logger: Logger
    ) throws {
        self.name = name
        self.task = task
        self.keyConverter = keyConverter
        self.valueConverter = valueConverter
        self.logger = logger
        topics = try Self.topics(config)
        errors = try ErrorHandlingSettings(config)
        keepsOriginals = errors.tolerance == .all
        batchSize = try config.int("consumer.override.max.poll.records", default: 500, range: 1...1_000_000)
        // The worker's producer settings reach the brokers; `consumer.*` (worker) and `consumer.override.*`
        // (connector) are the consumer's, as in Kafka Connect.
        var properties = worker.producerProperties
        properties.merge(worker.config.withPrefix("consumer.")) { $1 }
        properties.merge(config.withPrefix("consumer.override.")) { $1 }
        properties.removeValue(forKey: "max.poll.records")
        properties["group.id"] = "connect-" + name
        properties["enable.auto.commit"] = "false"
        properties["auto.offset.reset"] = properties["auto.offset.reset"] ?? "earliest"
        // librdkafka prefetches up to 100,000 messages and 64 MB per partition by default, several hundred bytes of
        // its own per message: a sink waits on its database, not on Kafka, and two batches ahead keep it busy with a
        // fraction of the memory. Below them, the next fetch goes out within 10 ms rather than librdkafka's second.
        properties["queued.max.messages.kbytes"] = properties["queued.max.messages.kbytes"] ?? "16384"
        properties["queued.min.messages"] = properties["queued.min.messages"] ?? String(max(1000, 2 * batchSize))
        properties["fetch.queue.backoff.ms"] = properties["fetch.queue.backoff.ms"] ?? "10"
        // Topics created after the sink started (the first run of a pipeline) are found within seconds, not at
        // librdkafka's default metadata refresh of five minutes.
        properties["topic.metadata.refresh.interval.ms"] = properties["topic.metadata.refresh.interval.ms"] ?? "5000"
        consumer = try KafkaConsumer(properties: properties, origin: "consumer.override.", logger: logger)
        if let settings = try DeadLetterQueueReporter.Settings(config) {
            deadLetters = try DeadLetterQueueReporter(
                settings: settings, connector: name, producerProperties: worker.producerProperties)
        } else {
            deadLetters = nil
        }
    }

    /// `topics` (a list) or `topics.regex`, exactly one of them.
    static func topics(_ config: Config) throws(ConfigError) -> [String] {
        let listed = config.list("topics")
        let pattern = config.string("topics.regex")
        switch (listed.isEmpty, pattern) {
        case (false, nil): return listed
        case (true, let regex?): return [regex.hasPrefix("^") ? regex : "^" + regex]
        case (true, nil): throw .missing(key: "topics")
        case (false, _?): throw .other(key: "topics.regex", message: "set topics or topics.regex, not both")
        }
    }

    /// Consumes, writes and commits until `stop()`; then writes and commits what it took and stops the task.
    public func run() throws {
        let reporter = errors.tolerance == .all ? Reporter(self) : nil
        try TaskError.wrapping(connector: name, .start) { try task.start(reporter: reporter) }
        defer { task.stop() }
        try consumer.subscribe(topics)
        logger.info("sink task started", metadata: ["topics": "\(topics.joined(separator: ","))"])
        var last: [TopicPartition: Int64] = [:]
        while !stopRequested.load(ordering: .acquiring) {
            var records: [SinkRecord] = []
            var next: [TopicPartition: Int64] = [:]
            let clock = ContinuousClock()
            let deadline = clock.now + .milliseconds(500)
            while records.count < batchSize, clock.now < deadline, !stopRequested.load(ordering: .acquiring) {
                guard let message = try poll() else {
                    if !records.isEmpty || !next.isEmpty { break }
                    continue
                }
                let partition = TopicPartition(topic: message.topic, partition: message.partition)
                next[partition] = message.offset + 1
                if let record = try convert(message) { records.append(record) }
            }
            guard !next.isEmpty else {
                // Idle: what the task held back at the last commit (a batch in flight) may be written since.
                if last.contains(where: { committed[$0.key] != $0.value }) { try commit(last) }
                try applyPauses()
                continue
            }
            last = next
            if !records.isEmpty { try TaskError.wrapping(connector: name, .put) { try task.put(records) } }
            try commit(next)
            try applyPauses()
        }
        // A task may still be writing the last batch (the JDBC sink's, in flight): flushed, it finishes, and the
        // batch's offsets are committed.
        guard !last.isEmpty else { return }
        try TaskError.wrapping(connector: name, .put) { try task.flush() }
        try commit(last)
    }

    /// Commits what the task says is written (`preCommit`, which may write) of a batch consumed up to `next`,
    /// after the dead letter queue has what was reported.
    private func commit(_ next: [TopicPartition: Int64]) throws {
        let offsets = try TaskError.wrapping(connector: name, .put) { try task.preCommit(next) }
        try TaskError.wrapping(connector: name, .commitOffsets) {
            try deadLetters?.flush()
            guard offsets.contains(where: { committed[$0.key] != $0.value }) else { return }
            try consumer.commit(offsets)
            committed.merge(offsets) { $1 }
        }
    }

    /// Pauses the partitions the task now wants paused and resumes those it no longer does.
    private func applyPauses() throws {
        let wanted = task.pausedPartitions
        guard wanted != paused else { return }
        try TaskError.wrapping(connector: name, .read) {
            try consumer.resume(paused.subtracting(wanted))
            try consumer.pause(wanted.subtracting(paused))
        }
        logger.debug("paused partitions", metadata: ["partitions": "\(wanted.map(\.description).sorted())"])
        paused = wanted
    }

    public func stop() {
        stopRequested.store(true, ordering: .releasing)
    }

    /// The next message; a topic that does not exist yet is waited for (said once), not an error.
    private func poll() throws -> ConsumedMessage? {
        do {
            return try consumer.poll(timeoutMilliseconds: 100)
        } catch let error as KafkaError where error.isUnknownTopic {
            if !waitingForTopics {
                logger.info("waiting for the topics to exist", metadata: ["error": "\(error)"])
                waitingForTopics = true
            }
            return nil
        }
    }

    private func convert(_ message: ConsumedMessage) throws -> SinkRecord? {
        var stage = DeadLetterQueueReporter.Stage.keyConverter
        do {
            let key = try keyConverter.toConnectData(topic: message.topic, bytes: message.key)
            stage = .valueConverter
            let value = try valueConverter.toConnectData(topic: message.topic, bytes: message.value)
            return SinkRecord(
                topic: message.topic, partition: message.partition, offset: message.offset, keySchema: key.schema,
                key: key.value, valueSchema: value.schema, value: value.value, headers: message.headers,
                original: keepsOriginals ? (message.key, message.value) : nil)
        } catch {
            guard errors.tolerance == .all else {
                throw TaskError(
                    connector: name, stage: .convert,
                    record: RecordContext(
                        topic: message.topic, kafkaPartition: message.partition,
                        sourceOffset: ["offset": .int(message.offset)]),
                    underlying: error)
            }
            try skip(
                .init(
                    topic: message.topic, partition: message.partition, offset: message.offset, key: message.key,
                    value: message.value, headers: message.headers),
                stage: stage,
                className: String(describing: type(of: stage == .keyConverter ? keyConverter : valueConverter)),
                error: error)
            return nil
        }
    }

    /// Logs a message that is not written, counts it, and sends it to the dead letter queue when there is one.
    private func skip(
        _ message: DeadLetterQueueReporter.FailedRecord, stage: DeadLetterQueueReporter.Stage, className: String,
        error: Error
    ) throws {
        skipped += 1
        logger.warning(
            "record skipped (errors.tolerance=all)",
            metadata: [
                "record": "\(message.topic)/\(message.partition)@\(message.offset)", "stage": "\(stage.rawValue)",
                "error": "\(error)",
            ])
        try deadLetters?.report(message, stage: stage, className: className, error: error)
    }

    /// The task's records it could not write, skipped as messages that fail to convert are (`TASK_PUT`).
    private final class Reporter: ErrantRecordReporter {
        private unowned let worker: WorkerSinkTask

        init(_ worker: WorkerSinkTask) {
            self.worker = worker
        }

        func report(_ record: SinkRecord, error: Error) throws {
            guard let original = record.original else {
                preconditionFailure("the task reported \(record.position), which the worker did not give it")
            }
            let message = DeadLetterQueueReporter.FailedRecord(
                topic: record.topic, partition: record.partition, offset: record.offset, key: original.key,
                value: original.value, headers: record.headers)
            try worker.skip(
                message, stage: .taskPut, className: String(describing: type(of: worker.task)), error: error)
        }
    }
}
