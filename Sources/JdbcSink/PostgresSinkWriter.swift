import Logging
import PostgresSource
import TributaryCore

/// Writes row changes into PostgreSQL, a batch per transaction: tables created and columns added as
/// `schema.evolution=basic` allows, each row inserted, upserted, updated or deleted by its key with every value a
/// parameter. A column holding the source's placeholder for an unchanged TOAST value is left out of that row's
/// statement, so the stored value stays.
public final class PostgresSinkWriter {
    public let config: JdbcSinkConfig
    private let dialect: PostgresSinkDialect
    private let connection: PostgresConnection
    private let logger: Logger
    /// The columns (as stored) of each table seen, by table name as records give it.
    private var tables: [String: Set<String>] = [:]

    public init(config: JdbcSinkConfig, logger: Logger = Logger(label: "tributary.jdbc-sink")) throws {
        guard config.url.dialect == .postgresql else {
            throw ConfigError.invalid(
                key: "connection.url", value: config.url.dialect.rawValue, expected: "jdbc:postgresql:// (MySQL next)")
        }
        self.config = config
        self.logger = logger
        dialect = PostgresSinkDialect(
            quoteAll: config.quoteIdentifiers, placeholder: config.unavailableValuePlaceholder)
        let sslMode = config.url.parameters["sslmode"].flatMap(SSLMode.init(rawValue:)) ?? .prefer
        connection = try PostgresConnection(
            PostgresConnectionSettings(
                host: config.url.host, port: config.url.port, user: config.user, password: config.password,
                database: config.url.database, sslMode: sslMode),
            replication: false)
    }

    public func close() { connection.close() }

    /// Writes `changes` in one transaction: all of them, or (on an error) none.
    public func write(_ changes: [RowChange]) throws {
        guard !changes.isEmpty else { return }
        try connection.query("BEGIN", purpose: "begin the sink's transaction")
        do {
            for change in changes { try write(change) }
            try connection.query("COMMIT", purpose: "commit the sink's transaction")
        } catch {
            _ = try? connection.query("ROLLBACK", purpose: "roll the sink's transaction back")
            // Tables created or altered in the transaction are gone again.
            tables.removeAll()
            throw error
        }
    }

    private func write(_ change: RowChange) throws {
        switch change.operation {
        case .truncate:
            guard try columns(of: change.table) != nil else { return }
            try run(dialect.truncate(change.table), [], change)
        case .delete:
            guard try columns(of: change.table) != nil else { return }
            try run(
                dialect.delete(change.table, key: change.key.map(\.name)), try texts(change.key, change), change)
        case .write:
            try ensureTable(change)
            let available = change.columns.filter { !dialect.isUnavailable($0.value) }
            let key = change.key.map(\.name), names = available.map(\.name)
            switch config.insertMode {
            case .insert:
                try run(
                    dialect.insert(change.table, columns: key + names), try texts(change.key + available, change),
                    change)
            case .upsert:
                try run(
                    dialect.upsert(change.table, key: key, columns: names), try texts(change.key + available, change),
                    change)
            case .update:
                guard !names.isEmpty else { return }
                try run(
                    dialect.update(change.table, key: key, columns: names), try texts(available + change.key, change),
                    change)
            }
        }
    }

    private func texts(_ columns: [RowChange.Column], _ change: RowChange) throws(SinkError) -> [String?] {
        var out: [String?] = []
        out.reserveCapacity(columns.count)
        for column in columns {
            do {
                out.append(try dialect.text(column.value, column.schema))
            } catch {
                throw SinkError(
                    .unsupportedType, position: change.position, "column \(column.name) of \(change.table): \(error)")
            }
        }
        return out
    }

    private func run(_ sql: String, _ parameters: [String?], _ change: RowChange) throws {
        do {
            try connection.query(sql, parameters, purpose: "write \(change.position) into \(change.table)")
        } catch let error as PostgresError where !error.isRetriable {
            throw SinkError(.database, position: change.position, "\(change.table): \(error.message)")
        }
    }

    /// The table's columns as stored; nil when it does not exist.
    private func columns(of table: String) throws -> Set<String>? {
        if let known = tables[table] { return known }
        let (schema, name) = PostgresSinkDialect.split(table)
        let rows = try connection.query(
            """
            SELECT column_name FROM information_schema.columns
            WHERE table_name = $1 AND table_schema = COALESCE($2, current_schema())
            """, [dialect.stored(name), schema.map(dialect.stored)], purpose: "read the columns of \(table)")
        guard !rows.isEmpty else { return nil }
        let columns = Set(rows.compactMap { $0[0] })
        tables[table] = columns
        return columns
    }

    /// Creates the table, or adds the columns it lacks, as `schema.evolution` allows.
    private func ensureTable(_ change: RowChange) throws {
        let all = change.key + change.columns
        guard let existing = try columns(of: change.table) else {
            guard config.schemaEvolution == .basic else {
                throw SinkError(
                    .database, position: change.position,
                    "table \(change.table) does not exist: create it, or set schema.evolution=basic")
            }
            do {
                try connection.query(
                    try dialect.createTable(change.table, key: change.key, columns: change.columns),
                    purpose: "create table \(change.table)")
            } catch let error as SinkTypeError {
                throw SinkError(.unsupportedType, position: change.position, "table \(change.table): \(error)")
            }
            logger.info("table created", metadata: ["table": "\(change.table)", "columns": "\(all.count)"])
            tables[change.table] = Set(all.map { dialect.stored($0.name) })
            return
        }
        let missing = all.filter { !existing.contains(dialect.stored($0.name)) }
        guard !missing.isEmpty else { return }
        guard config.schemaEvolution == .basic else {
            throw SinkError(
                .database, position: change.position,
                "table \(change.table) has no column \(missing.map(\.name).joined(separator: ", ")): add it, or set "
                    + "schema.evolution=basic")
        }
        for column in missing {
            do {
                try connection.query(
                    try dialect.addColumn(change.table, column), purpose: "add column \(column.name) to \(change.table)"
                )
            } catch let error as SinkTypeError {
                throw SinkError(.unsupportedType, position: change.position, "column \(column.name): \(error)")
            }
            logger.info("column added", metadata: ["table": "\(change.table)", "column": "\(column.name)"])
        }
        tables[change.table] = existing.union(missing.map { dialect.stored($0.name) })
    }
}
