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

    /// QUERY: a statement (DDL, or BEGIN for row-based transactions).
    public struct Query: Equatable, Sendable {
        public var threadID: UInt32
        public var executionSeconds: UInt32
        public var errorCode: UInt16
        public var database: String
        public var sql: String
    }
}
