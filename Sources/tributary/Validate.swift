import ArgumentParser
import Converters
import KafkaClient
import Runtime
import Transforms
import TributaryCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `tributary validate connector.properties`: checks the configuration, then what the connector needs from the
/// database (settings, privileges, slot, publication, tables) and, with a worker file, that the broker answers.
/// Prints each finding with its fix and exits 1 when something must be fixed (warnings alone exit 0).
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: """
            Check a connector's configuration, then the database and the broker it needs, without changing \
            anything. Prints what is wrong and how to fix it; exits 1 when something must be fixed.
            """)

    @Argument(help: "Connector properties.")
    var connector: String

    @Option(name: .long, help: "Worker properties: converters, config providers and bootstrap.servers (checked too).")
    var worker: String?

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        logging.bootstrap()
        var checks: [EnvironmentCheck] = []
        var workerValues = try worker.map { try Standalone.load($0) } ?? Config()
        let connectorFile = try Standalone.load(connector)
        do {
            let providers = try ConfigProviders(workerValues)
            workerValues = try providers.resolve(workerValues)
            let config = try providers.resolve(connectorFile)
            let plugin = try Standalone.plugins.sourceConnector(for: config)
            try plugin.validate(config)
            let merged = ConverterFactory.settings(worker: workerValues, connector: config)
            try ConverterFactory.checkHeaderConverter(merged)
            let key = try ConverterFactory.make(merged, prefix: "key.converter", isKey: true)
            let value = try ConverterFactory.make(merged, prefix: "value.converter", isKey: false)
            _ = try TransformationChain(config)
            _ = try ErrorHandlingSettings(config)
            _ = try RetryPolicy(config)
            let transforms = config.list("transforms").count
            checks.append(
                EnvironmentCheck(
                    .passed, "configuration",
                    "\(config.string("connector.class") ?? "?"); converters \(type(of: key)), \(type(of: value)); "
                        + "\(transforms) transform\(transforms == 1 ? "" : "s")"))
            checks += UnknownSettings.inConnector(config, worker: workerValues, plugins: Standalone.plugins).map {
                EnvironmentCheck(.warning, "configuration", $0, fix: "remove it, or correct its name")
            }
            if worker != nil {
                checks += UnknownSettings.inWorker(workerValues).map {
                    EnvironmentCheck(.warning, "worker configuration", $0, fix: "remove it, or correct its name")
                }
            }
            checks += plugin.checkEnvironment(config)
        } catch {
            checks.append(EnvironmentCheck(.failed, "configuration", "\(error)"))
        }
        if worker != nil { checks.append(brokerCheck(workerValues)) }
        print(report(checks), terminator: "")
        if checks.contains(where: { $0.outcome == .failed }) { throw ExitCode(1) }
    }

    private func brokerCheck(_ values: Config) -> EnvironmentCheck {
        do {
            let workerConfig = try WorkerConfig(values, standalone: true)
            let consumer = try KafkaConsumer(properties: workerConfig.producerProperties)
            let brokers = try consumer.brokerCount(timeoutMilliseconds: 10_000)
            return EnvironmentCheck(
                .passed, "broker", "\(brokers) broker\(brokers == 1 ? "" : "s") at \(workerConfig.bootstrapServers)")
        } catch {
            return EnvironmentCheck(
                .failed, "broker", "\(error)",
                fix: "check bootstrap.servers (and security.protocol, sasl.*, ssl.*) in the worker properties")
        }
    }

    /// One line per finding (`ok`, `WARNING`, `FAILED`), fixes indented below, and a summary.
    func report(_ checks: [EnvironmentCheck]) -> String {
        var text = ""
        for check in checks {
            let label =
                switch check.outcome {
                case .passed: "ok      "
                case .warning: "WARNING "
                case .failed: "FAILED  "
                }
            text += "\(label)\(check.subject): \(check.detail)\n"
            if let fix = check.fix, check.outcome != .passed { text += "        fix: \(fix)\n" }
        }
        let failed = checks.filter { $0.outcome == .failed }.count
        let warnings = checks.filter { $0.outcome == .warning }.count
        if failed == 0 && warnings == 0 {
            text += "\nEverything this connector needs is in place.\n"
        } else {
            text +=
                "\n\(failed) problem\(failed == 1 ? "" : "s") to fix, \(warnings) warning\(warnings == 1 ? "" : "s").\n"
        }
        return text
    }
}
