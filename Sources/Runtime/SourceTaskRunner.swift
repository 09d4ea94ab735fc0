import Converters
import CoreMetrics
import KafkaClient
import Logging
import Synchronization
import Transforms
import TributaryCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs one source connector until stopped, restarting its task (from the stored offsets) after errors that a
/// restart may cure, with the backoff of its `RetryPolicy`; other errors end it.
public final class SourceTaskRunner: Sendable {
    public let name: String
    private let config: Config
    private let worker: WorkerConfig
    private let offsets: any OffsetBackingStore
    private let plugins: ConnectorPlugins
    private let makeProducer: RecordProducerFactory
    private let policy: RetryPolicy
    private let logger: Logger
    private let current = Locked<WorkerSourceTask?>(nil)
    private let stopped = Atomic<Bool>(false)

    private let commitOffsets: Bool
    private let metricsFactory: (any MetricsFactory)?
    private let currentState = Locked(State.running)

    /// Where the connector is, for `/health` and the worker's metrics.
    public enum State: String, Sendable {
        case running = "RUNNING"
        case restarting = "RESTARTING"
        case failed = "FAILED"
        case stopped = "STOPPED"
    }

    public var state: State { currentState.withLock { $0 } }

    /// Checks the configuration (converters, topic creation, retries, the connector's own settings).
    /// `commitOffsets: false` neither stores offsets nor confirms them to the source.
    public init(
        connector config: Config, worker: WorkerConfig, offsets: any OffsetBackingStore, plugins: ConnectorPlugins,
        makeProducer: @escaping RecordProducerFactory = KafkaProducer.factory, commitOffsets: Bool = true,
        metricsFactory: (any MetricsFactory)? = nil
    ) throws {
        self.commitOffsets = commitOffsets
        self.metricsFactory = metricsFactory
        name = try config.required("name")
        self.config = config
        self.worker = worker
        self.offsets = offsets
        self.plugins = plugins
        self.makeProducer = makeProducer
        policy = try RetryPolicy(config)
        var logger = Logger(label: "tributary.task")
        logger[metadataKey: "connector"] = "\(name)"
        self.logger = logger
        _ = try makeTask()
    }

    /// A fresh task with its converters, as configured. Connector-level converter settings override the
    /// worker's, as in Kafka Connect.
    private func makeTask() throws -> WorkerSourceTask {
        let merged = ConverterFactory.settings(worker: worker.config, connector: config)
        try ConverterFactory.checkHeaderConverter(merged)
        var creation: (partitions: Int32, replicationFactor: Int32)?
        if try worker.config.bool("topic.creation.enable", default: true),
            config.string("topic.creation.default.partitions") != nil
        {
            creation = (
                Int32(try config.int("topic.creation.default.partitions", default: 1, range: -1...100_000)),
                Int32(try config.int("topic.creation.default.replication.factor", default: -1, range: -1...32_767))
            )
        }
        var settings = SourceTaskSettings(
            topicCreation: creation, offsetFlushInterval: .milliseconds(worker.offsetFlushIntervalMilliseconds),
            shutdownTimeout: .milliseconds(worker.shutdownTimeoutMilliseconds),
            producerProperties: worker.producerProperties,
            sendImmediatelyBelowRecords: worker.sendImmediatelyBelowRecords,
            errorHandling: try ErrorHandlingSettings(config))
        settings.commitOffsets = commitOffsets
        settings.metricsFactory = metricsFactory
        return WorkerSourceTask(
            name: name, task: try plugins.sourceConnector(for: config).makeTask(config),
            keyConverter: try ConverterFactory.make(merged, prefix: "key.converter", isKey: true),
            valueConverter: try ConverterFactory.make(merged, prefix: "value.converter", isKey: false),
            transforms: try TransformationChain(config),
            offsets: offsets, settings: settings, makeProducer: makeProducer, logger: logger)
    }

    /// Blocks until `stop()`, or until the task failed with an error that is not retriable or retries ran out.
    public func run() throws {
        do {
            try runRestarting()
            currentState.withLock { $0 = .stopped }
        } catch {
            currentState.withLock { $0 = .failed }
            throw error
        }
    }

    private func runRestarting() throws {
        var backoff = RestartBackoff(policy)
        var everStarted = false
        while !stopped.load(ordering: .acquiring) {
            let task = try makeTask()
            current.withLock { $0 = task }
            currentState.withLock { $0 = .running }
            // stop() sets the flag, then stops `current`: one of the two sees the other.
            if stopped.load(ordering: .acquiring) { task.stop() }
            let clock = ContinuousClock()
            let started = clock.now
            do {
                try task.run()
                return
            } catch  where stopped.load(ordering: .acquiring) {
                // Stopping: records not yet acknowledged keep their offsets unstored and are read again next time.
                logger.warning(
                    "stopped before Kafka acknowledged everything; the rest is read again at the next start",
                    metadata: ["error": "\(error)"])
                return
            } catch  where (everStarted || task.hasStarted) ? error.isRetriable : error.isRetriableAtStart {
                everStarted = everStarted || task.hasStarted
                guard let delay = backoff.delay(afterRunning: clock.now - started) else {
                    logger.error(
                        "giving up after \(backoff.attempt - 1) restarts (errors.max.retries)",
                        metadata: ["error": "\(error)"])
                    throw error
                }
                logger.warning(
                    "task failed; restarting",
                    metadata: ["error": "\(error)", "attempt": "\(backoff.attempt)", "in": "\(delay)"])
                currentState.withLock { $0 = .restarting }
                let until = clock.now + delay
                while clock.now < until && !stopped.load(ordering: .acquiring) { sleepBriefly(until - clock.now) }
            }
        }
    }

    /// Stops the running task gracefully (it flushes and stores offsets), or ends a wait between restarts.
    public func stop() {
        stopped.store(true, ordering: .releasing)
        current.withLock { $0?.stop() }
    }

    private func sleepBriefly(_ remaining: Duration) {
        let step = min(remaining, .milliseconds(100))
        usleep(UInt32(max(1, step.wholeMicroseconds)))
    }
}
