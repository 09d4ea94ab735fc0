import Logging
import TributaryCore

/// `io.debezium.connector.postgresql.PostgresConnector`: one streaming task per connector.
public struct PostgresConnector: SourceConnector {
    public init() {}

    public var configDefinition: ConfigDefinition? { PostgresConnectorConfig.definition }

    public func validate(_ config: Config) throws {
        _ = try PostgresConnectorConfig(config)
    }

    public func makeTask(_ config: Config) throws -> SourceTask {
        let settings = try PostgresConnectorConfig(config)
        var logger = Logger(label: "tributary.postgres")
        logger[metadataKey: "connector"] = "\(settings.name)"
        return PostgresConnectorTask(config: settings, logger: logger)
    }
}
