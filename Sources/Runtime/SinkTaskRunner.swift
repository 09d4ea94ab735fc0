import Converters
import Logging
import Synchronization
import TributaryCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs one sink connector until stopped, restarting its task after errors a restart may cure (a database or
/// broker that went away) with the backoff of its `RetryPolicy`: the new task resumes from the offsets the group
/// committed, so what the failed batch held is written again.
public final class SinkTaskRunner: Sendable {
    public let name: String
    private let config: Config
    private let worker: WorkerConfig
    private let connector: any SinkConnector
    private let policy: RetryPolicy
    private let logger: Logger
    private let current = Locked<WorkerSinkTask?>(nil)
    private let stopped = Atomic<Bool>(false)
    private let currentState = Locked(SourceTaskRunner.State.running)

    public var state: SourceTaskRunner.State { currentState.withLock { $0 } }

    /// Checks the configuration: the connector's settings, the converters (which must read) and the topics.
    public init(connector config: Config, worker: WorkerConfig, connector: any SinkConnector) throws {
        name = try config.required("name")
        self.config = config
        self.worker = worker
        self.connector = connector
        policy = try RetryPolicy(config)
        var logger = Logger(label: "tributary.sink")
        logger[metadataKey: "connector"] = "\(name)"
        self.logger = logger
        try connector.validate(config)
        _ = try WorkerSinkTask.topics(config)
        _ = try converters()
    }

    private func converters() throws -> (key: ReadingConverter, value: ReadingConverter) {
        let merged = ConverterFactory.settings(worker: worker.config, connector: config)
        let key = try ConverterFactory.make(merged, prefix: "key.converter", isKey: true)
        let value = try ConverterFactory.make(merged, prefix: "value.converter", isKey: false)
        guard let keyReader = key as? ReadingConverter, let valueReader = value as? ReadingConverter else {
            throw ConfigError.other(key: "value.converter", message: "this converter cannot read records for a sink")
        }
        return (keyReader, valueReader)
    }

    /// Blocks until `stop()`, or until the task failed with an error that is not retriable or retries ran out.
    public func run() throws {
        var backoff = RestartBackoff(policy)
        let clock = ContinuousClock()
        while !stopped.load(ordering: .acquiring) {
            let (key, value) = try converters()
            let task = try WorkerSinkTask(
                name: name, config: config, worker: worker, task: try connector.makeTask(config), keyConverter: key,
                valueConverter: value, logger: logger)
            current.withLock { $0 = task }
            currentState.withLock { $0 = .running }
            if stopped.load(ordering: .acquiring) { task.stop() }
            let started = clock.now
            do {
                try task.run()
                currentState.withLock { $0 = .stopped }
                return
            } catch  where error.isRetriable && !stopped.load(ordering: .acquiring) {
                guard let delay = backoff.delay(afterRunning: clock.now - started) else {
                    logger.error(
                        "giving up after \(backoff.attempt - 1) restarts (errors.max.retries)",
                        metadata: ["error": "\(error)"])
                    currentState.withLock { $0 = .failed }
                    throw error
                }
                logger.warning(
                    "sink task failed; restarting",
                    metadata: ["error": "\(error)", "attempt": "\(backoff.attempt)", "in": "\(delay)"])
                currentState.withLock { $0 = .restarting }
                let until = clock.now + delay
                while clock.now < until && !stopped.load(ordering: .acquiring) { usleep(100_000) }
            } catch {
                currentState.withLock { $0 = stopped.load(ordering: .acquiring) ? .stopped : .failed }
                throw error
            }
        }
        currentState.withLock { $0 = .stopped }
    }

    /// The settings every sink connector has (Kafka Connect's `SinkConnectorConfig`) besides the common ones
    /// (`errors.*` and the dead letter queue's among them).
    public static let definition = ConfigDefinition(
        "Sink connectors",
        keys: [
            .list("topics", .high, "The topics to consume (or `topics.regex`)."),
            .string("topics.regex", .high, "A regular expression of the topics to consume."),
            .int(
                "consumer.override.max.poll.records", default: 500, .medium, range: 1...1_000_000,
                "Records per batch: written in one transaction, then committed."),
        ],
        openPrefixes: ["consumer.override."])

    /// Ends the task after its current batch (written and committed), or a wait between restarts.
    public func stop() {
        stopped.store(true, ordering: .releasing)
        current.withLock { $0?.stop() }
    }
}
