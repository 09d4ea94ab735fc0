import BinlogProtocol
import CMariaDB

#if canImport(Glibc)
import Glibc
#endif

/// A replica's binlog stream from a MySQL or MariaDB server, through MariaDB Connector/C's replication API
/// (`mariadb_rpl_*`): it registers with `server.id`, asks for the binlog from a file and position (or after a GTID
/// position: MariaDB's `@slave_connect_state`, MySQL's COM_BINLOG_DUMP_GTID) and hands out each event's bytes
/// as the server sent them, for `BinlogDecoder`. The library's own parsing of events is not used.
///
/// Used from one thread at a time.
public final class BinlogConnection {
    /// Where the stream starts.
    public enum Start: Equatable, Sendable {
        case file(String, position: UInt64)
        /// MariaDB: after the GTIDs of `@slave_connect_state` (`0-1-42,1-1-7`).
        case mariaDBGTID(String)
        /// MySQL: every transaction not in the set (COM_BINLOG_DUMP_GTID), wherever the server has it.
        case mysqlGTID(MySQLGTIDSet)
    }

    public struct Settings: Sendable {
        public var host: String
        public var port: Int
        public var user: String
        public var password: String?
        /// `database.server.id`: the replica id the server sees; unique among its replicas.
        public var serverID: UInt32
        /// How often the server sends a heartbeat when it has nothing else to send.
        public var heartbeatSeconds: Double = 10
        /// Stop at the end of the binlog instead of waiting for more (for tools and tests).
        public var stopAtEnd = false

        public init(host: String, port: Int, user: String, password: String?, serverID: UInt32) {
            self.host = host
            self.port = port
            self.user = user
            self.password = password
            self.serverID = serverID
        }

        /// Where the server is, for messages (never includes the password).
        public var address: String { "\(host):\(port)" }
    }

    private var mysql: UnsafeMutablePointer<MYSQL>?
    private var rpl: UnsafeMutablePointer<MARIADB_RPL>?
    private let settings: Settings
    /// Whether the server appends a CRC32 to each event (`binlog_checksum`).
    public private(set) var checksums = false

    public init(_ settings: Settings, from start: Start) throws {
        // Every stored property has its value from here on, so a throw below still runs deinit, which closes what
        // was opened.
        self.settings = settings
        guard let mysql = mysql_init(nil) else { throw MySQLError("cannot allocate a MariaDB client handle") }
        self.mysql = mysql
        var timeout: UInt32 = UInt32(max(1, settings.heartbeatSeconds * 3).rounded(.up))
        tributary_set_read_timeout(mysql, &timeout)
        guard
            mysql_real_connect(
                mysql, settings.host, settings.user, settings.password, nil, UInt32(settings.port), nil, 0)
                != nil
        else {
            throw Self.error(mysql, "cannot connect to \(settings.address) as \(settings.user)")
        }
        let checksum = try Self.query(mysql, "SELECT @@global.binlog_checksum", settings).first ?? "NONE"
        checksums = checksum.uppercased() != "NONE"
        var session = [
            // The replica takes the events with their checksums, as the server writes them.
            "SET @master_binlog_checksum = @@global.binlog_checksum",
            // MariaDB sends its own GTID events only to replicas that say they understand them.
            "SET @mariadb_slave_capability = 4",
            "SET @master_heartbeat_period = \(UInt64(settings.heartbeatSeconds * 1_000_000_000))",
        ]
        if case .mariaDBGTID(let state) = start {
            session += [
                "SET @slave_connect_state = '\(state.filter { $0.isNumber || $0 == "-" || $0 == "," })'",
                "SET @slave_gtid_strict_mode = 1", "SET @slave_gtid_ignore_duplicates = 0",
            ]
        }
        for statement in session { _ = try Self.query(mysql, statement, settings) }
        guard let rpl = mariadb_rpl_init_ex(mysql, UInt32(MARIADB_RPL_VERSION)) else {
            throw MySQLError("cannot start replication from \(settings.address): out of memory")
        }
        self.rpl = rpl
        let (file, position): (String, UInt64) =
            switch start {
            case .file(let name, let position): (name, position)
            case .mariaDBGTID, .mysqlGTID: ("", 4)
            }
        _ = file.withCString { tributary_rpl_set_file(rpl, $0, file.utf8.count) }
        _ = tributary_rpl_set_start(rpl, UInt(position))
        _ = tributary_rpl_set_server_id(rpl, settings.serverID)
        // BINLOG_DUMP_NON_BLOCK: end at the end of the binlog instead of waiting.
        _ = tributary_rpl_set_flags(rpl, settings.stopAtEnd ? 1 : 0)
        switch start {
        case .mysqlGTID(let gtids):
            let request = Self.dumpGTIDRequest(gtids, serverID: settings.serverID, nonBlocking: settings.stopAtEnd)
            guard tributary_binlog_dump_gtid(mysql, request, request.count) == 0 else {
                throw Self.error(mysql, "cannot read the binlog of \(settings.address) after the GTID set \(gtids)")
            }
        case .file, .mariaDBGTID:
            guard mariadb_rpl_open(rpl) == 0 else {
                throw MySQLError(
                    "cannot read the binlog of \(settings.address) from \(start): "
                        + String(cString: mariadb_rpl_error(rpl)),
                    errorNumber: mariadb_rpl_errno(rpl))
            }
        }
    }

    deinit { close() }

    public func close() {
        if let rpl { mariadb_rpl_close(rpl) }
        rpl = nil
        if let mysql { mysql_close(mysql) }
        mysql = nil
    }

    /// Whether bytes from the server wait to be read, waiting up to `timeoutMilliseconds`: a reader with events in
    /// hand hands them on instead of blocking for more. (Bytes the library already buffered do not count, so this
    /// may say no when an event is ready; the caller then returns early, which is harmless.)
    public func readable(timeoutMilliseconds: Int) -> Bool {
        guard let mysql else { return false }
        var fd = pollfd(fd: Int32(mysql_get_socket(mysql)), events: Int16(POLLIN), revents: 0)
        return Glibc.poll(&fd, 1, Int32(timeoutMilliseconds)) > 0
    }

    /// The next event's bytes (header, body and checksum), blocking until the server sends one (heartbeats
    /// included); nil when the server ended the stream (with `stopAtEnd`, at the end of the binlog).
    public func next() throws -> [UInt8]? {
        guard let rpl, let mysql else { throw MySQLError("the binlog stream from \(settings.address) is closed") }
        guard let event = mariadb_rpl_fetch(rpl, nil) else {
            let number = mariadb_rpl_errno(rpl) != 0 ? mariadb_rpl_errno(rpl) : mysql_errno(mysql)
            if number == 0 { return nil }
            let message =
                mariadb_rpl_errno(rpl) != 0
                ? String(cString: mariadb_rpl_error(rpl)) : String(cString: mysql_error(mysql))
            throw MySQLError("the binlog stream from \(settings.address) broke: \(message)", errorNumber: number)
        }
        defer { mariadb_free_rpl_event(event) }
        // The packet's first byte is the protocol's OK marker; the event follows.
        let size = event.pointee.raw_data_size
        guard let raw = event.pointee.raw_data, size > 1 else {
            throw MySQLError("the binlog stream from \(settings.address) sent an empty event", retriable: true)
        }
        return Array(UnsafeBufferPointer(start: raw + 1, count: size - 1))
    }

    /// COM_BINLOG_DUMP_GTID's arguments: flags (2 bytes; BINLOG_THROUGH_GTID, and BINLOG_DUMP_NON_BLOCK to end at
    /// the end of the binlog), the replica's server id (4), no file name (its length, 4, is 0), position 4 (8), then
    /// the GTID set's size (4) and binary form. Little endian.
    static func dumpGTIDRequest(_ gtids: MySQLGTIDSet, serverID: UInt32, nonBlocking: Bool) -> [UInt8] {
        let set = gtids.encoded
        var out: [UInt8] = []
        out.reserveCapacity(2 + 4 + 4 + 8 + 4 + set.count)
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
        }
        append(UInt16(0x04 | (nonBlocking ? 0x01 : 0)))
        append(serverID)
        append(UInt32(0))
        append(UInt64(4))
        append(UInt32(set.count))
        out += set
        return out
    }

    private static func error(_ mysql: UnsafeMutablePointer<MYSQL>, _ what: String) -> MySQLError {
        MySQLError("\(what): \(String(cString: mysql_error(mysql)))", errorNumber: mysql_errno(mysql))
    }

    /// Runs a statement; the first column of its first row, if it returns rows.
    private static func query(
        _ mysql: UnsafeMutablePointer<MYSQL>, _ sql: String, _ settings: Settings
    ) throws -> [String] {
        guard mysql_query(mysql, sql) == 0 else { throw error(mysql, "\(settings.address) refused \(sql)") }
        guard let result = mysql_store_result(mysql) else { return [] }
        defer { mysql_free_result(result) }
        var values: [String] = []
        while let row = mysql_fetch_row(result) {
            values.append(row[0].map { String(cString: $0) } ?? "")
        }
        return values
    }
}
