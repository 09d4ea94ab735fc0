import ArgumentParser
import Dispatch
import JdbcSink
import Logging
import Monitoring
import MySQLSource
import PostgresSource
import Runtime
import TributaryCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `tributary standalone worker.properties connector.properties…`, as Kafka Connect's `connect-standalone`.
struct Standalone: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run connectors in this process, with offsets in a local file (Kafka Connect standalone mode).")

    @Argument(help: "Worker properties (bootstrap.servers, converters, offset.storage.file.filename).")
    var worker: String

    @Argument(help: "One or more connector properties files.")
    var connectors: [String]

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard !connectors.isEmpty else { throw ValidationError("give at least one connector properties file") }
    }

    func run() throws {
        logging.bootstrap()
        let logger = Logger(label: "tributary")
        let workerConfig: WorkerConfig
        let connectorConfigs: [Config]
        do {
            let raw = try Self.load(worker)
            let providers = try ConfigProviders(raw)
            workerConfig = try WorkerConfig(try providers.resolve(raw), standalone: true)
            connectorConfigs = try connectors.map { try providers.resolve(try Self.load($0)) }
        } catch let error as ConfigError {
            throw Self.configurationError(error)
        }
        for warning in UnknownSettings.inWorker(workerConfig.config) {
            logger.warning("\(warning)", metadata: ["file": "\(worker)"])
        }
        for (path, config) in zip(connectors, connectorConfigs) {
            for warning in UnknownSettings.inConnector(config, worker: workerConfig.config, plugins: Self.plugins) {
                logger.warning("\(warning)", metadata: ["file": "\(path)"])
            }
        }
        // `listeners` set but empty turns the HTTP listener (and metrics) off, saving its memory (about 9 MB).
        var listener: MonitoringServer.Listener?
        if workerConfig.config.values["listeners"].map({ !$0.trimmed.isEmpty }) ?? true {
            do {
                listener = try MonitoringServer.Listener(
                    workerConfig.config.string("listeners") ?? "http://127.0.0.1:8083")
            } catch {
                throw Self.configurationError(error)
            }
        }
        let metrics = listener.map { _ in WorkerMetrics() }
        let herder = StandaloneHerder(
            worker: workerConfig, connectors: connectorConfigs, plugins: Self.plugins, metricsFactory: metrics?.factory)
        do {
            try herder.validate()
        } catch {
            throw Self.configurationError(error)
        }
        for sig in [SIGINT, SIGTERM] { signal(sig, SIG_IGN) }
        let sources = [SIGINT, SIGTERM].map { sig in
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                logger.info("signal received: stopping")
                herder.stop()
            }
            source.resume()
            return source
        }
        // Metrics and health are for operators: a listener that cannot start is reported, capture goes on.
        var server: MonitoringServer?
        if let listener, let metrics {
            let started = MonitoringServer(
                listener: listener, metrics: metrics,
                health: {
                    WorkerHealth(
                        connectors: herder.connectorStates.mapValues {
                            WorkerHealth.State(rawValue: $0.rawValue) ?? .failed
                        })
                }, logger: Logger(label: "tributary.http"))
            do {
                let port = try started.start()
                server = started
                logger.info("metrics and health", metadata: ["listener": "http://\(listener.host):\(port)"])
            } catch {
                logger.error("no metrics or health endpoint", metadata: ["error": "\(error)"])
            }
        }
        let failures = try herder.run()
        server?.stop()
        sources.forEach { $0.cancel() }
        if !failures.isEmpty {
            for (name, error) in failures.sorted(by: { $0.key < $1.key }) {
                printError("connector \(name) failed: \(error)")
            }
            throw ExitCode.failure
        }
    }

    /// The connectors this build provides.
    static var plugins: ConnectorPlugins {
        var plugins = ConnectorPlugins()
        plugins.register(
            PostgresConnector(), className: PostgresConnectorConfig.className, aliases: ["PostgresConnector"])
        plugins.register(
            MySQLConnector(.mysql), className: MySQLConnectorConfig.Flavor.mysql.className, aliases: ["MySqlConnector"])
        plugins.register(
            MySQLConnector(.mariadb), className: MySQLConnectorConfig.Flavor.mariadb.className,
            aliases: ["MariaDbConnector"])
        plugins.register(JdbcSinkConnector(), className: JdbcSinkConfig.className, aliases: ["JdbcSinkConnector"])
        return plugins
    }

    static func load(_ path: String) throws -> Config {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            printError("error: cannot read properties file \(path)")
            throw ExitCode(66)  // EX_NOINPUT
        }
        return Config(properties: text)
    }

    /// Prints a configuration problem and gives the exit code for it (EX_CONFIG).
    static func configurationError(_ error: Error) -> ExitCode {
        printError("error: \(error)")
        return ExitCode(78)
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    writeAll(Array((line + "\n").utf8), to: 2)
}

/// Writes all of `bytes` to file descriptor `fd`, resuming after partial writes and interruptions; gives up on
/// any other error (a closed pipe: nobody reads any more).
func writeAll(_ bytes: [UInt8], to fd: Int32) {
    bytes.withUnsafeBufferPointer { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}
