import ArgumentParser
import Logging
import TributaryCore

@main
struct Tributary: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tributary",
        abstract: "Change data capture from PostgreSQL, MySQL and MariaDB into Kafka, in Debezium's event format.",
        version: TributaryVersion.string,
        subcommands: [Standalone.self, Validate.self, Tail.self, Binlog.self, Verify.self, ConfigReference.self])
}

/// Options every command shares.
struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func bootstrap() {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
