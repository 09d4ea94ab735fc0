import JdbcSink
import MySQLSource
import PostgresSource
import TributaryCore

/// A column of a compared table: its name and what it holds.
public struct VerifyColumn: Sendable, Equatable {
    public var name: String
    public var kind: ColumnKind
    /// The database's own type name, for messages.
    public var type: String
}

/// One side of a comparison: a table in PostgreSQL or MySQL/MariaDB, its columns and primary key, its row count,
/// and its rows in key order, read in chunks so that a table of any size takes a chunk's memory.
public protocol VerifySource: AnyObject {
    /// `host:port/database table`, for the summary.
    var description: String { get }
    func columns() throws -> [VerifyColumn]
    func primaryKey() throws -> [String]
    func count() throws -> Int
    /// Starts reading `columns` (the key columns first) ordered by `key`, each value in its normalizable text.
    func open(columns: [VerifyColumn], key: [VerifyColumn]) throws
    /// The next rows (empty at the end).
    func next() throws -> [[String?]]
    func close()
}

/// Opens `table` at `url` (`jdbc:postgresql://…`, `jdbc:mysql://…`, `jdbc:mariadb://…`).
public func openVerifySource(
    url: JdbcURL, user: String, password: String?, table: String
) throws -> any VerifySource {
    switch url.dialect {
    case .postgresql: try PostgresVerifySource(url: url, user: user, password: password, table: table)
    case .mysql, .mariadb: try MySQLVerifySource(url: url, user: user, password: password, table: table)
    }
}

/// The select list, each output named `cN`: an ORDER BY that names a column then means the table's column, not
/// an output of the same name in its text form (which would order 10 before 2).
private func outputs(_ expressions: [String]) -> String {
    expressions.enumerated().map { "\($0.element) AS c\($0.offset)" }.joined(separator: ", ")
}

/// Rows fetched per round trip.
private let chunkRows = 20_000

final class PostgresVerifySource: VerifySource {
    private let connection: PostgresConnection
    private let schema: String?
    private let table: String
    let description: String

    init(url: JdbcURL, user: String, password: String?, table name: String) throws {
        connection = try PostgresConnection(url.postgresSettings(user: user, password: password), replication: false)
        (schema, table) = splitTableName(name)
        description = "postgresql \(url.host):\(url.port)/\(url.database) \(name)"
    }

    private var qualified: String {
        (schema.map { quote($0) + "." } ?? "") + quote(table)
    }

    private func quote(_ name: String) -> String { connection.quoteIdentifier(name) }

    func columns() throws -> [VerifyColumn] {
        try connection.query(
            """
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_name = $1 AND table_schema = COALESCE($2, current_schema()) ORDER BY ordinal_position
            """, [table, schema], purpose: "read the columns of \(table)"
        ).map { VerifyColumn(name: $0[0] ?? "", kind: ColumnKind(postgres: $0[1] ?? ""), type: $0[1] ?? "") }
    }

    func primaryKey() throws -> [String] {
        try connection.query(
            """
            SELECT a.attname FROM pg_index i
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
            WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)
            """, [qualified], purpose: "read the primary key of \(table)"
        ).compactMap { $0[0] }
    }

    func count() throws -> Int {
        Int(try connection.query("SELECT count(*) FROM \(qualified)", purpose: "count \(table)").first?[0] ?? "") ?? 0
    }

    private func expression(_ column: VerifyColumn) -> String {
        let name = quote(column.name)
        switch column.type {
        case "timestamp without time zone": return Self.timestamp(name)
        case "timestamp with time zone": return Self.timestamp("(\(name) AT TIME ZONE 'UTC')")
        case "bytea": return "encode(\(name), 'hex')"
        default: return "\(name)::text"
        }
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff` as MySQL's `DATE_FORMAT` gives it, with ` BC` before year 1 (`to_char`'s
    /// `YYYY` alone drops the era).
    private static func timestamp(_ value: String) -> String {
        "to_char(\(value), 'YYYY-MM-DD HH24:MI:SS.US') || CASE WHEN \(value) < '0001-01-01' THEN ' BC' ELSE '' END"
    }

    func open(columns: [VerifyColumn], key: [VerifyColumn]) throws {
        let order = key.map { column in
            "t." + quote(column.name)
                + (["text", "character varying", "character"].contains(column.type) ? " COLLATE \"C\"" : "")
        }
        try connection.query(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", purpose: "begin reading \(table)")
        try connection.query(
            "DECLARE tributary_verify NO SCROLL CURSOR FOR SELECT " + outputs(columns.map(expression))
                + " FROM \(qualified) AS t ORDER BY " + order.joined(separator: ", "), purpose: "read \(table)")
    }

    func next() throws -> [[String?]] {
        try connection.query("FETCH FORWARD \(chunkRows) FROM tributary_verify", purpose: "read \(table)")
    }

    func close() {
        _ = try? connection.query("ROLLBACK", purpose: "end reading \(table)")
        connection.close()
    }
}

final class MySQLVerifySource: VerifySource {
    private let connection: MySQLConnection
    private let schema: String?
    private let table: String
    private var cursor: MySQLCursor?
    let description: String

    init(url: JdbcURL, user: String, password: String?, table name: String) throws {
        connection = try MySQLConnection(url.mysqlSettings(user: user, password: password))
        (schema, table) = splitTableName(name)
        description = "\(url.dialect.rawValue) \(url.host):\(url.port)/\(url.database) \(name)"
        // The names in this session's queries are `MySQLConnection.literal`s.
        try connection.execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')")
    }

    private var qualified: String {
        (schema.map { MySQLConnection.quote($0) + "." } ?? "") + MySQLConnection.quote(table)
    }

    private var where_: String {
        "table_name = " + MySQLConnection.literal(table) + " AND table_schema = "
            + (schema.map(MySQLConnection.literal) ?? "DATABASE()")
    }

    func columns() throws -> [VerifyColumn] {
        try connection.query(
            "SELECT column_name, data_type, column_type FROM information_schema.columns WHERE \(where_) "
                + "ORDER BY ordinal_position"
        ).map {
            VerifyColumn(
                name: $0[0] ?? "", kind: ColumnKind(mysql: $0[1] ?? "", columnType: $0[2] ?? ""),
                type: $0[2] ?? "")
        }
    }

    func primaryKey() throws -> [String] {
        try connection.query(
            "SELECT column_name FROM information_schema.key_column_usage WHERE \(where_) "
                + "AND constraint_name = 'PRIMARY' ORDER BY ordinal_position"
        ).compactMap { $0[0] }
    }

    func count() throws -> Int {
        Int(try connection.query("SELECT count(*) FROM \(qualified)").first?[0] ?? "") ?? 0
    }

    private func expression(_ column: VerifyColumn) -> String {
        let name = MySQLConnection.quote(column.name)
        if column.type.hasPrefix("datetime") || column.type.hasPrefix("timestamp") {
            return "DATE_FORMAT(\(name), '%Y-%m-%d %H:%i:%s.%f')"
        }
        switch column.kind {
        case .bytes: return "LOWER(HEX(\(name)))"
        case .bits: return "BIN(\(name))"
        case .geometry: return "ST_AsText(\(name))"
        default: return name
        }
    }

    func open(columns: [VerifyColumn], key: [VerifyColumn]) throws {
        // Strings by their bytes, as PostgreSQL's "C" collation orders them.
        let order = key.map { column in
            let name = "t." + MySQLConnection.quote(column.name)
            return column.kind == .text || column.kind == .uuid ? "CAST(\(name) AS BINARY)" : name
        }
        try connection.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
        cursor = try connection.open(
            "SELECT " + outputs(columns.map(expression)) + " FROM \(qualified) AS t ORDER BY "
                + order.joined(separator: ", "))
    }

    func next() throws -> [[String?]] {
        guard let cursor else { return [] }
        var rows: [[String?]] = []
        rows.reserveCapacity(chunkRows)
        var row: [ArraySlice<UInt8>?] = []
        while rows.count < chunkRows, try cursor.next(into: &row) {
            rows.append(row.map { $0.map { String(decoding: $0, as: UTF8.self) } })
        }
        return rows
    }

    func close() {
        cursor?.close()
        cursor = nil
        connection.close()
    }
}
