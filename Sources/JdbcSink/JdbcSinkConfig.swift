import DebeziumEvents
import TributaryCore

/// The settings of the JDBC sink, under the names of Debezium's `io.debezium.connector.jdbc.JdbcSinkConnector`.
public struct JdbcSinkConfig: Sendable {
    public static let className = "io.debezium.connector.jdbc.JdbcSinkConnector"

    /// `insert.mode`.
    public enum InsertMode: String, Sendable, CaseIterable {
        case insert, upsert, update
    }

    /// `primary.key.mode`: where a row's key columns come from.
    public enum PrimaryKeyMode: String, Sendable, CaseIterable {
        /// No key: rows are only inserted.
        case none
        /// `__connect_topic`, `__connect_partition`, `__connect_offset`.
        case kafka
        /// The record's key (its struct's fields, or `primary.key.fields` of them).
        case recordKey = "record_key"
        /// The value's fields named by `primary.key.fields`.
        case recordValue = "record_value"
    }

    /// `transaction.boundary.mode`: what one transaction of the target holds.
    public enum TransactionBoundaryMode: String, Sendable, CaseIterable {
        /// A batch of records as consumed (`batch.size`, `consumer.override.max.poll.records`).
        case none
        /// Whole source transactions, by the source's transaction metadata: readers of the target never see half
        /// of one.
        case source
    }

    /// `schema.evolution`.
    public enum SchemaEvolution: String, Sendable, CaseIterable {
        /// Tables must exist with the columns the records have.
        case none
        /// Missing tables are created, missing columns added (nullable).
        case basic
    }

    public var url: JdbcURL
    public var user: String
    public var password: String?
    public var insertMode: InsertMode
    public var deleteEnabled: Bool
    public var truncateEnabled: Bool
    public var primaryKeyMode: PrimaryKeyMode
    public var primaryKeyFields: [String]
    public var schemaEvolution: SchemaEvolution
    /// `collection.name.format` (Debezium 2.x: `table.name.format`): `${topic}` (dots made underscores),
    /// `${source.schema}`, `${source.table}`, … A dot in the result separates the schema from the table.
    public var collectionNameFormat: String
    public var quoteIdentifiers: Bool
    public var batchSize: Int
    /// `unavailable.value.placeholder`: a column with this value (an unchanged TOASTed value) keeps the stored one.
    public var unavailableValuePlaceholder: String
    /// `field.include.list` / `field.exclude.list`: which `<topic>:<field>` names become columns. Key columns are
    /// always written.
    public var fieldFilter: NameFilter?
    /// `flush.max.retries`: how often a batch is written again, on a new connection, after an error that may pass
    /// (a lost connection, a deadlock, a server restarting), before the task fails.
    public var flushMaxRetries: Int
    /// `flush.retry.delay.ms`: the wait before each of those retries.
    public var flushRetryDelay: Duration
    public var transactionBoundaryMode: TransactionBoundaryMode
    /// `transaction.boundary.max.buffered.records`: under `transaction.boundary.mode=source`, how many change events
    /// may wait in memory for their transactions; beyond them, the next transaction to commit is written as it comes
    /// into a target transaction kept open until the rest of it has come.
    public var transactionBufferLimit: Int
    /// `topics`, and `topics.regex` (the worker's settings): which source tables a transaction's END counts.
    public var topics: [String]
    public var topicsPattern: String?
    /// `use.time.zone`: the session's zone, and the wall-clock zone of values with an offset written to a column
    /// that holds none.
    public var timeZone: SinkTimeZone

    public init(_ config: Config) throws(ConfigError) {
        url = try JdbcURL(try config.required("connection.url"), key: "connection.url")
        user = config.string("connection.username") ?? url.user ?? ""
        password = config.string("connection.password") ?? url.password
        insertMode = try config.enumeration("insert.mode", default: InsertMode.insert)
        deleteEnabled = try config.bool("delete.enabled", default: false)
        truncateEnabled = try config.bool("truncate.enabled", default: false)
        primaryKeyMode = try config.enumeration("primary.key.mode", default: PrimaryKeyMode.none)
        primaryKeyFields = config.list("primary.key.fields")
        schemaEvolution = try config.enumeration("schema.evolution", default: SchemaEvolution.none)
        collectionNameFormat =
            config.string("collection.name.format") ?? config.string("table.name.format") ?? "${topic}"
        quoteIdentifiers = try config.bool("quote.identifiers", default: false)
        batchSize = try config.int("batch.size", default: 500, range: 1...1_000_000)
        unavailableValuePlaceholder =
            config.string("unavailable.value.placeholder") ?? "__debezium_unavailable_value"
        do {
            let filter = try NameFilter(include: "field.include.list", exclude: "field.exclude.list", config)
            fieldFilter = filter.isEmpty ? nil : filter
        } catch let error as ConfigError {
            throw error
        } catch {
            throw .other(key: "field.include.list", message: "\(error)")
        }
        flushMaxRetries = try config.int("flush.max.retries", default: 5, range: 0...Int(Int32.max))
        flushRetryDelay = .milliseconds(try config.int("flush.retry.delay.ms", default: 1000, range: 0...86_400_000))
        transactionBoundaryMode = try config.enumeration(
            "transaction.boundary.mode", default: TransactionBoundaryMode.none)
        transactionBufferLimit = try config.int(
            "transaction.boundary.max.buffered.records", default: 4000, range: 1...Int(Int32.max))
        topics = config.list("topics")
        topicsPattern = config.string("topics.regex")
        let zoneName = config.string("use.time.zone") ?? "UTC"
        guard let timeZone = SinkTimeZone(zoneName) else {
            throw .other(
                key: "use.time.zone",
                message: "unknown time zone \(zoneName): give a region such as Europe/Berlin, UTC, or an offset "
                    + "such as +02:00")
        }
        self.timeZone = timeZone
        if insertMode == .upsert && primaryKeyMode == .none {
            throw .other(
                key: "primary.key.mode", message: "insert.mode=upsert needs a primary.key.mode other than none")
        }
        if deleteEnabled && primaryKeyMode != .recordKey && primaryKeyMode != .recordValue {
            throw .other(
                key: "primary.key.mode",
                message: "delete.enabled=true needs primary.key.mode=record_key or record_value")
        }
        if primaryKeyMode == .recordValue && primaryKeyFields.isEmpty {
            throw .missing(key: "primary.key.fields")
        }
    }

    /// Every setting, for `tributary validate` and the configuration reference.
    public static let definition = ConfigDefinition(
        "JDBC sink (`\(className)`)",
        keys: [
            .string(
                "connection.url", required: true, .high,
                "`jdbc:postgresql://host:port/database` (also `jdbc:mysql://…`, `jdbc:mariadb://…`)."),
            .string("connection.username", .high, "The database user."),
            .password("connection.password", "The user's password."),
            .string(
                "insert.mode", default: "insert", .medium, allowed: InsertMode.allCases.map(\.rawValue),
                "`insert`, `upsert` (insert or update by key) or `update`."),
            .boolean("delete.enabled", default: false, .medium, "Deletes and tombstones delete the row by its key."),
            .boolean("truncate.enabled", default: false, .low, "Truncate events truncate the table."),
            .string(
                "primary.key.mode", default: "none", .high, allowed: PrimaryKeyMode.allCases.map(\.rawValue),
                "Where the key columns come from: none, kafka (topic, partition, offset), record_key, record_value."),
            .list("primary.key.fields", .medium, "The key columns (record_value), or which of the key's (record_key)."),
            .string(
                "schema.evolution", default: "none", .medium, allowed: SchemaEvolution.allCases.map(\.rawValue),
                "`basic`: create missing tables and add missing columns."),
            .string(
                "collection.name.format", default: "${topic}", .medium,
                "The table: `${topic}` (dots as underscores), `${source.schema}`, `${source.table}`, `${source.db}`."),
            .string("table.name.format", .low, "Debezium 2.x's name of `collection.name.format`."),
            .boolean("quote.identifiers", default: false, .low, "Quote every table and column name."),
            .int("batch.size", default: 500, .medium, range: 1...1_000_000, "Records written per transaction."),
            .string(
                "unavailable.value.placeholder", default: "__debezium_unavailable_value", .low,
                "A column holding this value (unchanged TOAST) keeps its stored value."),
            .list(
                "field.include.list", .medium,
                "Regular expressions of `<topic>:<field>` names to write; the others are left out (keys never)."),
            .list("field.exclude.list", .medium, "Regular expressions of `<topic>:<field>` names to leave out."),
            .int(
                "flush.max.retries", default: 5, .low, range: 0...Int64(Int32.max),
                "Retries of a batch, on a new connection, after a lost connection, deadlock or restarting server."),
            .int(
                "flush.retry.delay.ms", default: 1000, .low, range: 0...86_400_000,
                "The wait before each retry of a batch."),
            .string(
                "use.time.zone", default: "UTC", .low,
                "The session's time zone, and the wall-clock zone in which values with an offset are written to "
                    + "columns without one (a region such as Europe/Berlin, or +02:00)."),
            .string(
                "transaction.boundary.mode", default: "none", .medium,
                allowed: TransactionBoundaryMode.allCases.map(\.rawValue),
                "`source`: each source transaction commits whole in the target (needs the source's "
                    + "`provide.transaction.metadata` and its transaction topic among `topics`)."),
            .int(
                "transaction.boundary.max.buffered.records", default: 4000, .low, range: 1...Int64(Int32.max),
                "With `transaction.boundary.mode=source`: the change events held in memory for their transactions; "
                    + "beyond them, the next transaction to commit is written as it comes, in a target transaction "
                    + "committed once it is whole."),
        ])
}

/// A `connection.url` in JDBC's form.
public struct JdbcURL: Sendable, Equatable {
    public enum Dialect: String, Sendable {
        case postgresql, mysql, mariadb
    }

    public var dialect: Dialect
    public var host: String
    public var port: Int
    public var database: String
    public var user: String?
    public var password: String?
    /// The query parameters (`sslmode`, …).
    public var parameters: [String: String]

    /// Parses `jdbc:<dialect>://host[:port][/database][?k=v&…]`; errors name `key`.
    public init(_ text: String, key: String) throws(ConfigError) {
        let expected = "jdbc:postgresql://host:port/database, jdbc:mysql://… or jdbc:mariadb://…"
        guard text.hasPrefix("jdbc:"), let schemeEnd = text.firstRange(of: "://") else {
            throw .invalid(key: key, value: text, expected: expected)
        }
        let scheme = String(text[text.index(text.startIndex, offsetBy: 5)..<schemeEnd.lowerBound])
        guard let dialect = Dialect(rawValue: scheme) else { throw .invalid(key: key, value: text, expected: expected) }
        self.dialect = dialect
        var rest = String(text[schemeEnd.upperBound...])
        parameters = [:]
        if let q = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: q)...].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                parameters[kv[0]] = kv.count > 1 ? kv[1] : ""
            }
            rest = String(rest[..<q])
        }
        let slash = rest.firstIndex(of: "/")
        let authority = slash.map { String(rest[..<$0]) } ?? rest
        database = slash.map { String(rest[rest.index(after: $0)...]) } ?? ""
        let hostPort = authority.split(separator: ",").first.map(String.init) ?? ""
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
            host = String(hostPort[..<colon])
            guard let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else {
                throw .invalid(key: key, value: text, expected: "a port from 1 to 65535")
            }
            port = p
        } else {
            host = hostPort
            port = dialect == .postgresql ? 5432 : 3306
        }
        guard !host.isEmpty else { throw .invalid(key: key, value: text, expected: expected) }
        user = parameters["user"]
        password = parameters["password"]
    }
}
