import Converters
import Dispatch
import Logging
import Synchronization
import TributaryCore

/// Runs connectors in one process from properties files, as Kafka Connect's `connect-standalone`: each source
/// task on its own thread, offsets in the worker's file.
public final class StandaloneHerder: Sendable {
    public let worker: WorkerConfig
    public let connectors: [Config]
    private let logger: Logger
    private let tasks = Mutex<[WorkerSourceTask]>([])
    private let failures = Mutex<[String: any Error]>([:])

    public init(worker: WorkerConfig, connectors: [Config], logger: Logger = Logger(label: "tributary.herder")) {
        self.worker = worker
        self.connectors = connectors
        self.logger = logger
    }

    /// Checks every connector configuration before anything starts; errors name the connector and key.
    public func validate() throws {
        var names = Set<String>()
        for config in connectors {
            let name = try config.required("name")
            guard names.insert(name).inserted else { throw ConfigError.invalid(key: "name", value: name, expected: "a name used once") }
            try ConnectorPlugins.sourceConnector(for: config).validate(config)
        }
    }

    /// Starts every connector and blocks until all tasks ended (after `stop()` or failures). Returns the
    /// failures by connector name.
    public func run() throws -> [String: Error] {
        try validate()
        let store = try FileOffsetStore(path: worker.offsetFile ?? "offsets.json")
        let group = DispatchGroup()
        for config in connectors {
            let name = try config.required("name")
            // Connector-level converter settings override the worker's, as in Kafka Connect.
            var merged = worker.config
            for (k, v) in config.values where k.hasPrefix("key.converter") || k.hasPrefix("value.converter") { merged[k] = v }
            let keyConverter = try ConverterFactory.make(merged, prefix: "key.converter", isKey: true)
            let valueConverter = try ConverterFactory.make(merged, prefix: "value.converter", isKey: false)
            var creation: (Int32, Int32)?
            if try worker.config.bool("topic.creation.enable", default: true), config.string("topic.creation.default.partitions") != nil {
                creation = (
                    Int32(try config.int("topic.creation.default.partitions", default: 1, range: -1...100_000)),
                    Int32(try config.int("topic.creation.default.replication.factor", default: -1, range: -1...32_767)))
            }
            var taskLogger = Logger(label: "tributary.task")
            taskLogger[metadataKey: "connector"] = "\(name)"
            let connector = try ConnectorPlugins.sourceConnector(for: config)
            let task = WorkerSourceTask(
                name: name, task: try connector.makeTask(config), keyConverter: keyConverter, valueConverter: valueConverter,
                producerProperties: worker.producerProperties, offsets: store,
                flushIntervalMilliseconds: worker.offsetFlushIntervalMilliseconds, topicCreation: creation, logger: taskLogger)
            tasks.withLock { $0.append(task) }
            logger.info("starting connector", metadata: ["connector": "\(name)", "config": "\(config)"])
            group.enter()
            DetachedThread.start { [self] in
                defer { group.leave() }
                do {
                    try task.run()
                } catch {
                    logger.error("connector failed", metadata: ["connector": "\(name)", "error": "\(error)"])
                    failures.withLock { $0[name] = error }
                }
            }
        }
        group.wait()
        return failures.withLock { $0 }
    }

    /// Stops every task gracefully (flush, store offsets, confirm to the source).
    public func stop() {
        tasks.withLock { for t in $0 { t.stop() } }
    }
}
