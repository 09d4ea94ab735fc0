import TributaryCore

/// The connector classes a worker can run, by Kafka Connect `connector.class` name (full or simple).
///
/// The executable registers the connectors it is built with; the runtime itself knows none of them.
public struct ConnectorPlugins: Sendable {
    private var sources: [String: any SourceConnector] = [:]
    private var sinks: [String: any SinkConnector] = [:]
    private var classNames: [String] = []

    public init() {}

    /// Registers a source connector under its full class name and any aliases (such as the simple class name).
    public mutating func register(_ connector: any SourceConnector, className: String, aliases: [String] = []) {
        classNames.append(className)
        for name in [className] + aliases { sources[name] = connector }
    }

    /// Registers a sink connector under its full class name and any aliases.
    public mutating func register(_ connector: any SinkConnector, className: String, aliases: [String] = []) {
        classNames.append(className)
        for name in [className] + aliases { sinks[name] = connector }
    }

    /// The sink connector named by the configuration's `connector.class`; nil when it names a source (or nothing
    /// registered: `sourceConnector(for:)` says what is).
    public func sinkConnector(for config: Config) -> (any SinkConnector)? {
        config.string("connector.class").flatMap { sinks[$0] }
    }

    /// The source connector named by the configuration's `connector.class`.
    public func sourceConnector(for config: Config) throws -> any SourceConnector {
        let className = try config.required("connector.class")
        guard let connector = sources[className] else {
            throw ConfigError.invalid(
                key: "connector.class", value: className,
                expected: classNames.isEmpty
                    ? "a registered connector class" : "one of " + classNames.joined(separator: ", "))
        }
        return connector
    }
}
