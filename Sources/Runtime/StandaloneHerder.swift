import Converters
import CoreMetrics
import Dispatch
import Logging
import Synchronization
import TributaryCore

/// What the herder runs for one connector: a source or a sink task runner.
public protocol ConnectorRunner: Sendable {
    var name: String { get }
    var state: SourceTaskRunner.State { get }
    func run() throws
    func stop()
}

extension SourceTaskRunner: ConnectorRunner {}
extension SinkTaskRunner: ConnectorRunner {}

/// Runs connectors in one process from properties files, as Kafka Connect's `connect-standalone`: each task on its
/// own thread, source offsets in the worker's file, sink offsets committed to each sink's consumer group.
public final class StandaloneHerder: Sendable {
    public let worker: WorkerConfig
    public let connectors: [Config]
    private let plugins: ConnectorPlugins
    private let logger: Logger
    private let runners = Locked<[any ConnectorRunner]>([])
    private let stopRequested = Atomic<Bool>(false)
    private let failures = Locked<[String: any Error]>([:])

    private let metricsFactory: (any MetricsFactory)?

    public init(
        worker: WorkerConfig, connectors: [Config], plugins: ConnectorPlugins,
        logger: Logger = Logger(label: "tributary.herder"), metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.worker = worker
        self.connectors = connectors
        self.plugins = plugins
        self.logger = logger
        self.metricsFactory = metricsFactory
    }

    /// Each connector's state (empty before `run`).
    public var connectorStates: [String: SourceTaskRunner.State] {
        runners.withLock { Dictionary($0.map { ($0.name, $0.state) }, uniquingKeysWith: { a, _ in a }) }
    }

    /// Checks every connector configuration (connector settings, converters, retries) before anything starts;
    /// errors name the key.
    public func validate() throws {
        _ = try prepare()
    }

    private func prepare() throws -> [any ConnectorRunner] {
        var names = Set<String>()
        for config in connectors {
            let name = try config.required("name")
            guard names.insert(name).inserted else {
                throw ConfigError.invalid(key: "name", value: name, expected: "a name used once")
            }
            if plugins.sinkConnector(for: config) == nil { try plugins.sourceConnector(for: config).validate(config) }
        }
        let store = try FileOffsetStore(path: worker.offsetFile ?? "offsets.json")
        return try connectors.map { config -> any ConnectorRunner in
            if let sink = plugins.sinkConnector(for: config) {
                return try SinkTaskRunner(connector: config, worker: worker, connector: sink)
            }
            return try SourceTaskRunner(
                connector: config, worker: worker, offsets: store, plugins: plugins, metricsFactory: metricsFactory)
        }
    }

    /// Starts every connector and blocks until all ended (after `stop()`, or failures that retries did not
    /// cure). Returns the failures by connector name.
    public func run() throws -> [String: Error] {
        let prepared = try prepare()
        runners.withLock { $0 = prepared }
        if stopRequested.load(ordering: .acquiring) { prepared.forEach { $0.stop() } }
        let group = DispatchGroup()
        for (runner, config) in zip(prepared, connectors) {
            logger.info("starting connector", metadata: ["connector": "\(runner.name)", "config": "\(config)"])
            group.enter()
            DetachedThread.start { [self] in
                defer { group.leave() }
                do {
                    try runner.run()
                } catch {
                    logger.error("connector failed", metadata: ["connector": "\(runner.name)", "error": "\(error)"])
                    failures.withLock { $0[runner.name] = error }
                }
            }
        }
        // Kafka Connect's worker metrics, refreshed while the connectors run.
        let factory = metricsFactory ?? NOOPMetricsHandler.instance
        let worker = "kafka_connect_connect_worker_metrics_"
        Gauge(label: worker + "connector_count", factory: factory).record(prepared.count)
        Gauge(label: worker + "task_count", factory: factory).record(prepared.count)
        let running = prepared.map {
            Gauge(
                label: worker + "connector_running_task_count", dimensions: [("connector", $0.name)], factory: factory)
        }
        let failed = prepared.map {
            Gauge(
                label: worker + "connector_failed_task_count", dimensions: [("connector", $0.name)], factory: factory)
        }
        repeat {
            for (i, runner) in prepared.enumerated() {
                running[i].record(runner.state == .running ? 1 : 0)
                failed[i].record(runner.state == .failed ? 1 : 0)
            }
        } while group.wait(timeout: .now() + 1) == .timedOut
        for (i, runner) in prepared.enumerated() {
            running[i].record(0)
            failed[i].record(runner.state == .failed ? 1 : 0)
        }
        return failures.withLock { $0 }
    }

    /// Stops every connector gracefully (flush, store offsets, confirm to the source).
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        runners.withLock { for r in $0 { r.stop() } }
    }
}
