import Logging
import TributaryCore

/// Debezium's `MySqlConnector` or `MariaDbConnector`: the binlog source, for the server its class names.
public struct MySQLConnector: SourceConnector {
    public let flavor: MySQLConnectorConfig.Flavor

    public init(_ flavor: MySQLConnectorConfig.Flavor) {
        self.flavor = flavor
    }

    public var configDefinition: ConfigDefinition? { MySQLConnectorConfig.definition(flavor) }

    public func validate(_ config: Config) throws {
        _ = try MySQLConnectorConfig(config, flavor: flavor)
    }

    public func makeTask(_ config: Config) throws -> SourceTask {
        let settings = try MySQLConnectorConfig(config, flavor: flavor)
        var logger = Logger(label: "tributary.\(flavor.rawValue)")
        logger[metadataKey: "connector"] = "\(settings.name)"
        return try MySQLConnectorTask(config: settings, logger: logger)
    }
}
