import CMariaDB

/// A plain client connection to MySQL/MariaDB through MariaDB Connector/C: the connector's metadata queries
/// (binlog position, `SHOW CREATE TABLE`) and snapshot reads, which stream rows (`mysql_use_result`) instead of
/// holding a table in memory.
///
/// Used from one thread at a time.
public final class MySQLConnection {
    public struct Settings: Sendable {
        public var host: String
        public var port: Int
        public var user: String
        public var password: String?
        /// The default database (`USE`), if any.
        public var database: String?
        public var connectTimeoutSeconds: UInt32 = 30

        public init(host: String, port: Int, user: String, password: String?, database: String? = nil) {
            self.host = host
            self.port = port
            self.user = user
            self.password = password
            self.database = database
        }

        /// Where the server is, for messages (never includes the password).
        public var address: String { "\(host):\(port)" }
    }

    private var mysql: UnsafeMutablePointer<MYSQL>?
    let settings: Settings

    public init(_ settings: Settings) throws {
        self.settings = settings
        guard let mysql = mysql_init(nil) else { throw MySQLError("cannot allocate a MariaDB client handle") }
        self.mysql = mysql
        var timeout = settings.connectTimeoutSeconds
        tributary_set_connect_timeout(mysql, &timeout)
        guard
            mysql_real_connect(
                mysql, settings.host, settings.user, settings.password, settings.database, UInt32(settings.port), nil, 0
            )
                != nil
        else {
            throw error("cannot connect to \(settings.address) as \(settings.user)")
        }
        // Text in UTF-8 whatever the columns' character sets, and temporal values in UTC.
        guard mysql_set_character_set(mysql, "utf8mb4") == 0 else { throw error("cannot use utf8mb4") }
        try execute("SET time_zone = '+00:00'")
    }

    deinit { close() }

    public func close() {
        if let mysql { mysql_close(mysql) }
        mysql = nil
    }

    /// Cuts the connection at once (`mariadb_cancel` shuts its socket down): reads and writes fail from then on,
    /// the server stops sending, and the connection is good for nothing but `close()`.
    func cancel() {
        if let mysql { _ = mariadb_cancel(mysql) }
    }

    /// Runs a statement that returns no rows.
    public func execute(_ sql: String) throws {
        guard let mysql else { throw MySQLError("the connection to \(settings.address) is closed") }
        try send(mysql, sql)
        if let result = mysql_store_result(mysql) { mysql_free_result(result) }
    }

    /// Runs a query and returns its rows as strings (nil for NULL): for small metadata results.
    public func query(_ sql: String) throws -> [[String?]] {
        var rows: [[String?]] = []
        try stream(sql) { row in rows.append(row.map { $0.map { String(decoding: $0, as: UTF8.self) } }) }
        return rows
    }

    /// Runs a query and hands each row to `body` as it arrives.
    public func stream(_ sql: String, _ body: ([ArraySlice<UInt8>?]) throws -> Void) throws {
        let cursor = try open(sql)
        var row: [ArraySlice<UInt8>?] = []
        while try cursor.next(into: &row) { try body(row) }
    }

    /// Runs a query whose rows are read one at a time (`mysql_use_result`): the server sends them as they are
    /// read, so a table of any size takes one row's memory. No other statement may run on the connection until
    /// the cursor is done or released.
    public func open(_ sql: String) throws -> MySQLCursor {
        guard let mysql else { throw MySQLError("the connection to \(settings.address) is closed") }
        try send(mysql, sql)
        guard let result = mysql_use_result(mysql) else {
            if mysql_field_count(mysql) == 0 { return MySQLCursor(connection: self, result: nil, sql: sql) }
            throw error("\(settings.address) sent no result for \(sql.prefix(200))")
        }
        return MySQLCursor(connection: self, result: result, sql: sql)
    }

    /// Sends `sql` with its length (`mysql_real_query`), so that a NUL byte in a string literal is sent, not the
    /// end of the statement.
    private func send(_ mysql: UnsafeMutablePointer<MYSQL>, _ sql: String) throws {
        var sql = sql
        let status = sql.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { mysql_real_query(mysql, $0.baseAddress, UInt($0.count)) }
        }
        guard status == 0 else { throw error("\(settings.address) refused \(sql.prefix(200))") }
    }

    /// The error of the last call, if the server or library reports one.
    func lastError(_ what: String) -> MySQLError? {
        guard let mysql, mysql_errno(mysql) != 0 else { return nil }
        return error(what)
    }

    /// A string literal with its quotes doubled. Only a session under `NO_BACKSLASH_ESCAPES` reads it as written
    /// (otherwise a backslash would escape): set that mode on the connection before sending such literals.
    public static func literal(_ text: String) -> String {
        "'" + text.replacing("'", with: "''") + "'"
    }

    /// Quotes a name for SQL (`a``b`).
    public static func quote(_ name: String) -> String {
        "`" + name.split(separator: "`", omittingEmptySubsequences: false).joined(separator: "``") + "`"
    }

    private func error(_ what: String) -> MySQLError {
        guard let mysql else { return MySQLError(what) }
        return MySQLError("\(what): \(String(cString: mysql_error(mysql)))", errorNumber: mysql_errno(mysql))
    }
}

/// The rows of one query, read as they arrive.
public final class MySQLCursor {
    private let connection: MySQLConnection
    private var result: UnsafeMutablePointer<MYSQL_RES>?
    private let sql: String
    /// The current row of `next(into:)`: all its columns in one buffer that the row's slices share.
    private var current = MySQLTextRows(columnCount: 0)

    init(connection: MySQLConnection, result: UnsafeMutablePointer<MYSQL_RES>?, sql: String) {
        self.connection = connection
        self.result = result
        self.sql = sql
    }

    deinit { close() }

    /// Frees the result; rows not read yet are read and dropped by the library.
    public func close() {
        if let result { mysql_free_result(result) }
        result = nil
    }

    /// Stops before the end without reading the rest: when rows are left, the connection is cut first
    /// (`MySQLConnection.cancel()`), because freeing a streaming result reads every row the server has yet to send,
    /// which for a large table takes minutes. The connection is then good only for `close()`. After the last row
    /// this is `close()`.
    public func cancel() {
        guard let result else { return }
        connection.cancel()
        mysql_free_result(result)
        self.result = nil
    }

    /// The number of columns.
    public var columnCount: Int { result.map { Int(mysql_num_fields($0)) } ?? 0 }

    /// Appends the next row to `rows`; false at the end. Where `next(into:)` copies each row into a buffer of its
    /// own, the rows appended to one `MySQLTextRows` share its buffers.
    public func next(appendingTo rows: inout MySQLTextRows) throws -> Bool {
        guard let (values, lengths, count) = try fetch() else { return false }
        precondition(count == rows.columnCount, "a row of \(count) columns for rows of \(rows.columnCount)")
        for i in 0..<count {
            rows.append(values[i].map { UnsafeRawBufferPointer(start: $0, count: Int(lengths[i])) })
        }
        rows.endRow()
        return true
    }

    /// Reads the next row into `row` (each column's bytes, nil for NULL); false at the end.
    public func next(into row: inout [ArraySlice<UInt8>?]) throws -> Bool {
        if current.columnCount != columnCount { current = MySQLTextRows(columnCount: columnCount) }
        current.removeAll()
        guard try next(appendingTo: &current) else { return false }
        current.row(0, into: &row)
        return true
    }

    /// The next row's values, their lengths and the number of columns, valid until the next fetch; nil at the end.
    private func fetch() throws -> (
        values: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, lengths: UnsafeMutablePointer<UInt>, count: Int
    )? {
        guard let result else { return nil }
        guard let values = mysql_fetch_row(result) else {
            close()
            if let error = connection.lastError("reading the rows of \(sql.prefix(200)) broke") { throw error }
            return nil
        }
        guard let lengths = mysql_fetch_lengths(result) else { throw MySQLError("no column lengths for a row") }
        return (values, lengths, Int(mysql_num_fields(result)))
    }
}
