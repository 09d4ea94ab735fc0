import Logging
import TributaryCore

/// Debezium's `io.debezium.connector.jdbc.JdbcSinkConnector`: change events (or plain rows) from Kafka written
/// into a database table per topic. PostgreSQL targets so far.
public struct JdbcSinkConnector: SinkConnector {
    public init() {}

    public func validate(_ config: Config) throws {
        let sink = try JdbcSinkConfig(config)
        guard sink.url.dialect == .postgresql else {
            throw ConfigError.invalid(
                key: "connection.url", value: sink.url.dialect.rawValue,
                expected: "jdbc:postgresql://… (MySQL and MariaDB targets are not written yet)")
        }
    }

    public var configDefinition: ConfigDefinition? { JdbcSinkConfig.definition }

    public func makeTask(_ config: Config) throws -> SinkTask {
        JdbcSinkTask(config: try JdbcSinkConfig(config), name: config.string("name") ?? "jdbc-sink")
    }
}

/// The JDBC sink's task: records read into row changes as they come (`put`), written in one transaction per
/// batch (`flush`), before the worker commits the batch's offsets.
public final class JdbcSinkTask: SinkTask {
    private let config: JdbcSinkConfig
    private let reader: RowChangeReader
    private let logger: Logger
    private var writer: PostgresSinkWriter?
    private var pending: [RowChange] = []

    public init(config: JdbcSinkConfig, name: String) {
        self.config = config
        reader = RowChangeReader(config: config)
        var logger = Logger(label: "tributary.jdbc-sink")
        logger[metadataKey: "connector"] = "\(name)"
        self.logger = logger
    }

    public func start() throws {
        writer = try PostgresSinkWriter(config: config, logger: logger)
    }

    public func put(_ records: [SinkRecord]) throws {
        for record in records {
            if let change = try reader.change(record) { pending.append(change) }
        }
    }

    public func flush() throws {
        guard let writer, !pending.isEmpty else { return }
        try writer.write(pending)
        pending.removeAll(keepingCapacity: true)
    }

    public func stop() {
        writer?.close()
        writer = nil
    }
}
