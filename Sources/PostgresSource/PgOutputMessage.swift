/// One message of PostgreSQL's `pgoutput` logical decoding plugin (protocol versions 1 and 2: version 2 adds the
/// stream messages of large transactions sent while they are in progress).
public enum PgOutputMessage: Sendable, Equatable {
    case begin(finalLSN: LSN, commitTime: Int64, xid: UInt32)
    case commit(flags: UInt8, commitLSN: LSN, endLSN: LSN, commitTime: Int64)
    case origin(commitLSN: LSN, name: String)
    case relation(Relation)
    case type(oid: UInt32, namespace: String, name: String)
    case insert(relationID: UInt32, new: TupleData)
    /// `old` is the key (`K`) or full (`O`) old row when the replica identity sends one.
    case update(relationID: UInt32, old: TupleData?, oldIsKeyOnly: Bool, new: TupleData)
    case delete(relationID: UInt32, old: TupleData, oldIsKeyOnly: Bool)
    case truncate(relationIDs: [UInt32], options: UInt8)
    case message(transactional: Bool, lsn: LSN, prefix: String, content: [UInt8])
    /// A block of a large transaction's changes begins (`S`); the changes until `streamStop` carry its (or a
    /// subtransaction's) xid.
    case streamStart(xid: UInt32, firstSegment: Bool)
    case streamStop
    /// The streamed transaction committed (`c`): its changes take effect now.
    case streamCommit(xid: UInt32, commitLSN: LSN, endLSN: LSN, commitTime: Int64)
    /// The streamed transaction (`subxid` == `xid`) or one of its subtransactions rolled back (`A`).
    case streamAbort(xid: UInt32, subxid: UInt32)

    /// Commit and begin timestamps are microseconds since 2000-01-01; this converts them to the Unix epoch.
    public static let postgresEpochOffsetMicros: Int64 = 946_684_800_000_000
}

/// The description of a table that precedes its first change in a stream (`R`).
public struct Relation: Sendable, Equatable {
    public struct Column: Sendable, Equatable {
        /// Part of the replica identity (usually the primary key).
        public var isKey: Bool
        public var name: String
        public var typeOID: UInt32
        public var typeModifier: Int32
    }

    public var id: UInt32
    public var namespace: String
    public var name: String
    /// `d` default, `n` nothing, `f` full, `i` index.
    public var replicaIdentity: UInt8
    public var columns: [Column]
}

/// The column values of one row as sent by pgoutput, kept as slices of the message bytes.
public struct TupleData: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case null = 0x6E  // n
        case unchangedToast = 0x75  // u
        case text = 0x74  // t
        case binary = 0x62  // b
    }

    /// Backing bytes (a copy of the message).
    public let bytes: [UInt8]
    public let kinds: [Kind]
    /// Start and length of each value in `bytes` (0, 0 for null or unchanged values).
    public let ranges: [(start: Int, count: Int)]

    public var count: Int { kinds.count }

    /// The raw bytes of column `i` (empty for null and unchanged).
    public func value(_ i: Int) -> ArraySlice<UInt8> {
        let r = ranges[i]
        return bytes[r.start..<(r.start + r.count)]
    }

    public static func == (a: TupleData, b: TupleData) -> Bool {
        a.kinds == b.kinds && a.count == b.count && (0..<a.count).allSatisfy { a.value($0) == b.value($0) }
    }
}
