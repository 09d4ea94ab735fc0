import CLibPQ
import TributaryCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libpq's `sslmode` values (Debezium's `database.sslmode`).
public enum SSLMode: String, Sendable, CaseIterable {
    case disable, allow, prefer, require
    case verifyCA = "verify-ca"
    case verifyFull = "verify-full"
}

/// Settings to reach a PostgreSQL server, from Debezium's `database.*` keys.
public struct PostgresConnectionSettings: Sendable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    public var connectTimeoutSeconds: Int
    /// `application_name`: how the session shows in `pg_stat_activity`.
    public var applicationName: String

    public init(
        host: String, port: Int, user: String, password: String?, database: String, sslMode: SSLMode = .prefer,
        connectTimeoutSeconds: Int = 30, applicationName: String = "tributary"
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.sslMode = sslMode
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.applicationName = applicationName
    }

    /// Where the server is, for messages (never includes the password).
    public var address: String { "\(host):\(port)/\(database)" }

    /// A libpq connection string; `replication` adds `replication=database` for a logical walsender. Session
    /// settings fix the text forms of values so that the decoder can read them (ISO dates in UTC, hex bytea,
    /// money as the C locale writes it).
    func connectionString(replication: Bool) -> String {
        var parts = [
            "host=" + quote(host), "port=\(port)", "user=" + quote(user), "dbname=" + quote(database),
            "sslmode=" + quote(sslMode.rawValue), "connect_timeout=\(connectTimeoutSeconds)",
            "application_name=" + quote(applicationName),
            "options="
                + quote(
                    "-c DateStyle=ISO -c TimeZone=UTC -c extra_float_digits=3 -c bytea_output=hex -c IntervalStyle=iso_8601"
                        // money in the C locale's form ($1,234.56), whatever the server's lc_monetary
                        + " -c lc_monetary=C"
                ),
        ]
        if let password { parts.append("password=" + quote(password)) }
        if replication { parts.append("replication=database") }
        return parts.joined(separator: " ")
    }

    private func quote(_ s: String) -> String {
        "'" + s.replacing("\\", with: "\\\\").replacing("'", with: "\\'") + "'"
    }
}

/// One libpq connection: plain SQL, or a logical replication stream (CopyBoth).
///
/// Used from one thread at a time.
public final class PostgresConnection {
    private var conn: OpaquePointer?
    let settings: PostgresConnectionSettings
    let replication: Bool

    public init(_ settings: PostgresConnectionSettings, replication: Bool) throws {
        self.settings = settings
        self.replication = replication
        let connectionString = settings.connectionString(replication: replication)
        // Whether another try may help is the server's state, not the words of the message: a server that does not
        // answer, or answers that it is starting or stopping, may be back; one that accepts connections refused this
        // one for its credentials, database or permissions, which a retry won't fix. A server that was starting up
        // may have become ready before the ping asked, so a refusal from a server that now accepts is tried once
        // more before it counts as final.
        for attempt in 1...2 {
            conn = PQconnectdb(connectionString)
            if PQstatus(conn) == CONNECTION_OK { return }
            let reason = lastError
            PQfinish(conn)
            conn = nil
            let ping = PQping(connectionString)
            if ping == PQPING_OK && attempt == 1 { continue }
            let user = settings.user
            throw PostgresError(
                "cannot connect to PostgreSQL at \(settings.address) as \(user)\(replication ? " for replication" : ""): \(reason)",
                retriable: ping == PQPING_NO_RESPONSE || ping == PQPING_REJECT)
        }
        preconditionFailure("the second attempt returns or throws")
    }

    deinit { close() }

    public func close() {
        if let conn { PQfinish(conn) }
        conn = nil
    }

    var lastError: String { String(cString: PQerrorMessage(conn)).trimmed }

    /// The server's version as a number (`150004` for 15.4).
    var serverVersion: Int { Int(PQserverVersion(conn)) }

    /// Sends `sql`, with its `$n` parameters as text (their types inferred by the server), and waits for the
    /// result; the caller clears it.
    private func execute(_ sql: String, _ parameters: [String?]) -> OpaquePointer? {
        guard !parameters.isEmpty else { return PQexec(conn, sql) }
        var cStrings = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { for p in cStrings { free(p) } }
        return cStrings.withUnsafeMutableBufferPointer { buf in
            buf.withMemoryRebound(to: UnsafePointer<CChar>?.self) {
                PQexecParams(conn, sql, Int32(parameters.count), nil, $0.baseAddress, nil, nil, 0)
            }
        }
    }

    /// Runs SQL that returns rows (or none); values are the server's text forms, nil for NULL.
    /// `ifDenied`: the fix to name when the server refuses for lack of a privilege (SQLSTATE 42501).
    @discardableResult
    public func query(
        _ sql: String, _ parameters: [String?] = [], purpose: String, ifDenied: String? = nil
    ) throws -> [[String?]] {
        let result = execute(sql, parameters)
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
            throw resultError(result, purpose: purpose, ifDenied: ifDenied)
        }
        let rows = Int(PQntuples(result))
        let cols = Int(PQnfields(result))
        var out: [[String?]] = []
        out.reserveCapacity(rows)
        for r in 0..<rows {
            var row: [String?] = []
            row.reserveCapacity(cols)
            for c in 0..<cols {
                row.append(
                    PQgetisnull(result, Int32(r), Int32(c)) == 1
                        ? nil : String(cString: PQgetvalue(result, Int32(r), Int32(c))))
            }
            out.append(row)
        }
        return out
    }

    /// Runs `COPY … FROM STDIN` (`sql`) with `data` as its whole input, in the format the statement names.
    /// A failure (a row the server refuses) is thrown after the server has ended the COPY, so the connection stays
    /// usable (its transaction aborted).
    public func copyIn(_ sql: String, data: [UInt8], purpose: String) throws {
        let start = PQexec(conn, sql)
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            defer { PQclear(start) }
            throw resultError(start, purpose: purpose)
        }
        PQclear(start)
        // libpq takes at most Int32.max bytes per message; rows go in pieces well under that.
        let piece = 1 << 20
        let sent = data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = min(piece, buffer.count - offset)
                let base = buffer.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self)
                guard PQputCopyData(conn, base, Int32(count)) == 1 else { return false }
                offset += count
            }
            return true
        }
        // The connection failed while the rows went out: retriable, on a new connection.
        let lost = {
            PostgresError(
                "PostgreSQL at \(self.settings.address) failed to \(purpose): \(self.lastError)", retriable: true)
        }
        // On a failed send the COPY is ended with an error so that the server rolls it back.
        let ended = sent ? PQputCopyEnd(conn, nil) : PQputCopyEnd(conn, "the client could not send the rows")
        guard ended == 1 else { throw lost() }
        var failure: PostgresError?
        while let result = PQgetResult(conn) {
            if failure == nil, PQresultStatus(result) != PGRES_COMMAND_OK {
                failure = resultError(result, purpose: purpose)
            }
            PQclear(result)
        }
        if let failure { throw failure }
        if !sent { throw lost() }
    }

    /// Runs SQL that returns rows and hands them over as `TupleData` (each row's text values copied once into one
    /// buffer), for snapshots: no `String` per value.
    func tuples(_ sql: String, _ parameters: [String?] = [], purpose: String) throws -> [TupleData] {
        try tuples(sql, parameters, purpose: purpose, ctidLast: false).rows
    }

    /// As `tuples`, for a query whose last column is `ctid`: the rows without it, and the heap page each row
    /// lies on (where a snapshot resumes).
    func tuplesWithPages(_ sql: String, purpose: String) throws -> (rows: [TupleData], pages: [UInt32]) {
        try tuples(sql, [], purpose: purpose, ctidLast: true)
    }

    private func tuples(
        _ sql: String, _ parameters: [String?], purpose: String, ctidLast: Bool
    ) throws -> (rows: [TupleData], pages: [UInt32]) {
        let result = execute(sql, parameters)
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_TUPLES_OK else { throw resultError(result, purpose: purpose) }
        let rows = Int(PQntuples(result))
        let cols = Int(PQnfields(result)) - (ctidLast ? 1 : 0)
        precondition(cols >= 0, "a query for rows with pages must select ctid last")
        var out: [TupleData] = []
        out.reserveCapacity(rows)
        var pages: [UInt32] = []
        if ctidLast { pages.reserveCapacity(rows) }
        for r in 0..<rows {
            var size = 0
            for c in 0..<cols { size += Int(PQgetlength(result, Int32(r), Int32(c))) }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(size)
            var kinds: [TupleData.Kind] = []
            kinds.reserveCapacity(cols)
            var ranges: [(start: Int, count: Int)] = []
            ranges.reserveCapacity(cols)
            for c in 0..<cols {
                if PQgetisnull(result, Int32(r), Int32(c)) == 1 {
                    kinds.append(.null)
                    ranges.append((0, 0))
                    continue
                }
                let length = Int(PQgetlength(result, Int32(r), Int32(c)))
                let value = UnsafeRawBufferPointer(start: PQgetvalue(result, Int32(r), Int32(c)), count: length)
                kinds.append(.text)
                ranges.append((bytes.count, length))
                bytes.append(contentsOf: value)
            }
            precondition(bytes.count == size, "snapshot row larger than the lengths libpq reported")
            out.append(TupleData(bytes: bytes, kinds: kinds, ranges: ranges))
            if ctidLast {
                let length = Int(PQgetlength(result, Int32(r), Int32(cols)))
                let text = UnsafeRawBufferPointer(start: PQgetvalue(result, Int32(r), Int32(cols)), count: length)
                pages.append(Self.page(ofCTID: text))
            }
        }
        return (out, pages)
    }

    /// The block number of a `ctid`'s text form, `(block,offset)`.
    static func page(ofCTID text: UnsafeRawBufferPointer) -> UInt32 {
        var page: UInt32 = 0
        for byte in text.dropFirst() {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
            page = page &* 10 &+ UInt32(byte - UInt8(ascii: "0"))
        }
        return page
    }

    private func resultError(_ result: OpaquePointer?, purpose: String, ifDenied: String? = nil) -> PostgresError {
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        let message = result.map { String(cString: PQresultErrorMessage($0)).trimmed } ?? lastError
        let fix = state == "42501" ? ifDenied.map { ". Fix: \($0)" } ?? "" : ""
        return PostgresError(
            "PostgreSQL at \(settings.address) failed to \(purpose): \(message.isEmpty ? lastError : message)\(fix)",
            sqlState: state,
            retriable: PQstatus(conn) != CONNECTION_OK)
    }

    /// Quotes an identifier for SQL.
    public func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacing("\"", with: "\"\"") + "\""
    }

    /// Quotes `schema.table` (split at its first dot) as a qualified name.
    func quoteQualifiedName(_ name: String) -> String {
        name.split(separator: ".", maxSplits: 1).map { quoteIdentifier(String($0)) }.joined(separator: ".")
    }

    /// Quotes a literal for SQL (standard_conforming_strings on).
    func quoteLiteral(_ text: String) -> String {
        "'" + text.replacing("'", with: "''") + "'"
    }

    // MARK: Replication stream

    /// Sends `START_REPLICATION` and enters CopyBoth mode.
    func startReplication(_ command: String) throws {
        let result = PQexec(conn, command)
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COPY_BOTH else {
            throw resultError(result, purpose: "start replication (\(command))")
        }
        PQsetnonblocking(conn, 1)
    }

    /// The socket, for waiting on input.
    var socket: Int32 { PQsocket(conn) }

    /// Outcome of one read attempt on the replication stream.
    enum CopyData {
        case message(UnsafeMutablePointer<CChar>, Int)
        case wouldBlock
        case finished
    }

    /// Reads one CopyData message without blocking. The caller frees a message with `freeMessage`.
    func readCopyData() throws -> CopyData {
        var buffer: UnsafeMutablePointer<CChar>?
        var n = PQgetCopyData(conn, &buffer, 1)
        if n == 0 {
            guard PQconsumeInput(conn) == 1 else {
                throw PostgresError("replication stream from \(settings.address) broke: \(lastError)", retriable: true)
            }
            n = PQgetCopyData(conn, &buffer, 1)
        }
        if n > 0, let buffer { return .message(buffer, Int(n)) }
        if n == 0 { return .wouldBlock }
        if n == -1 {
            let result = PQgetResult(conn)
            defer { PQclear(result) }
            if let result, PQresultStatus(result) != PGRES_COMMAND_OK && PQresultStatus(result) != PGRES_COPY_OUT {
                throw resultError(result, purpose: "stream changes")
            }
            return .finished
        }
        throw PostgresError("replication stream from \(settings.address) broke: \(lastError)", retriable: true)
    }

    func freeMessage(_ p: UnsafeMutablePointer<CChar>) { PQfreemem(p) }

    /// Waits until the socket is readable or `timeoutMilliseconds` passed.
    func waitReadable(timeoutMilliseconds: Int) {
        var fd = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        _ = poll(&fd, 1, Int32(timeoutMilliseconds))
    }

    /// Sends one CopyData message (a standby status update) and flushes it.
    func sendCopyData(_ bytes: [UInt8]) throws {
        let ok = bytes.withUnsafeBytes { buf in
            PQputCopyData(conn, buf.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(buf.count))
        }
        guard ok == 1 else {
            throw PostgresError("cannot send status to \(settings.address): \(lastError)", retriable: true)
        }
        while true {
            let f = PQflush(conn)
            if f == 0 { return }
            if f < 0 { throw PostgresError("cannot send status to \(settings.address): \(lastError)", retriable: true) }
            var fd = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
            _ = poll(&fd, 1, 1000)
        }
    }
}
