/// A decoded binlog event.
public enum BinlogEvent: Equatable, Sendable {
    case formatDescription(FormatDescription)
    /// The next events are in `file`, from `position`.
    case rotate(position: UInt64, file: String)
    case query(Query)
    /// A transaction's commit.
    case xid(UInt64)
    case tableMap(TableMap)
    case rows(RowsEvent)
    /// MySQL's GTID of the next transaction (`uuid:gno`); nil for ANONYMOUS_GTID.
    case gtid(String?)
    /// MySQL's PREVIOUS_GTIDS: the GTID set executed before this file (`uuid:1-5:7,uuid2:1-3`).
    case previousGTIDs(String)
    /// MariaDB's GTID of the next transaction (`domain-server-sequence`), and whether it is a standalone event
    /// group (DDL, no BEGIN/XID).
    case mariaDBGTID(MariaDBGTID, standalone: Bool)
    /// MariaDB's GTID_LIST: the last GTID of each replication domain before this point.
    case mariaDBGTIDList([MariaDBGTID])
    /// The statement behind the next rows events (MariaDB's ANNOTATE_ROWS, MySQL's ROWS_QUERY).
    case rowsQuery(String)
    /// MySQL 8's TRANSACTION_PAYLOAD: a transaction's events, compressed; `BinlogDecoder.decodePayload` reads
    /// them.
    case transactionPayload(TransactionPayload)
    /// Events Tributary does not act on, by type.
    case other(BinlogEventType)

    /// FORMAT_DESCRIPTION: the server, and how the events after it are laid out.
    public struct FormatDescription: Equatable, Sendable {
        public var binlogVersion: UInt16
        public var serverVersion: String
        public var headerLength: Int
        /// Each event type's post-header length, by type code - 1.
        public var postHeaderLengths: [UInt8]
        /// Whether events end with a CRC32.
        public var hasChecksum: Bool
    }

    /// A MariaDB GTID: replication domain, originating server, sequence number.
    public struct MariaDBGTID: Equatable, Hashable, Sendable, CustomStringConvertible {
        public var domain: UInt32
        public var server: UInt32
        public var sequence: UInt64

        public init(domain: UInt32, server: UInt32, sequence: UInt64) {
            self.domain = domain
            self.server = server
            self.sequence = sequence
        }

        public var description: String { "\(domain)-\(server)-\(sequence)" }
    }

    /// The fields of a TRANSACTION_PAYLOAD, and its compressed events.
    public struct TransactionPayload: Equatable, Sendable {
        public enum Compression: Equatable, Sendable {
            case zstd, none
            case other(UInt64)
        }

        public var compression: Compression
        public var uncompressedSize: UInt64
        public var payload: [UInt8]
    }

    /// QUERY: a statement (DDL, or BEGIN for row-based transactions).
    public struct Query: Equatable, Sendable {
        public var threadID: UInt32
        public var executionSeconds: UInt32
        public var errorCode: UInt16
        public var database: String
        public var sql: String
    }
}
