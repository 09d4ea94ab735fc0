import PostgresSource
import TributaryCore

/// The connector classes this build provides, by Kafka Connect `connector.class` name (full or simple).
public enum ConnectorPlugins {
    public static func sourceConnector(for config: Config) throws -> SourceConnector {
        let className = try config.required("connector.class")
        switch className {
        case PostgresConnectorConfig.className, "PostgresConnector":
            return PostgresConnector()
        default:
            throw ConfigError.invalid(key: "connector.class", value: className, expected: PostgresConnectorConfig.className)
        }
    }
}
