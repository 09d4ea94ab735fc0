/// The binlog event types Tributary decodes (MySQL's and MariaDB's codes); others are `.other(code)`.
public enum BinlogEventType: Equatable, Hashable, Sendable {
    case query, stop, rotate, formatDescription, xid, tableMap
    case writeRowsV1, updateRowsV1, deleteRowsV1, writeRowsV2, updateRowsV2, deleteRowsV2
    case heartbeat, rowsQuery, gtid, anonymousGTID, previousGTIDs, transactionPayload, partialUpdateRows
    case mariaDBAnnotateRows, mariaDBBinlogCheckpoint, mariaDBGTID, mariaDBGTIDList
    case other(UInt8)

    public init(code: UInt8) {
        switch code {
        case 2: self = .query
        case 3: self = .stop
        case 4: self = .rotate
        case 15: self = .formatDescription
        case 16: self = .xid
        case 19: self = .tableMap
        case 23: self = .writeRowsV1
        case 24: self = .updateRowsV1
        case 25: self = .deleteRowsV1
        case 27: self = .heartbeat
        case 29: self = .rowsQuery
        case 30: self = .writeRowsV2
        case 31: self = .updateRowsV2
        case 32: self = .deleteRowsV2
        case 33: self = .gtid
        case 34: self = .anonymousGTID
        case 35: self = .previousGTIDs
        case 39: self = .partialUpdateRows
        case 40: self = .transactionPayload
        case 160: self = .mariaDBAnnotateRows
        case 161: self = .mariaDBBinlogCheckpoint
        case 162: self = .mariaDBGTID
        case 163: self = .mariaDBGTIDList
        default: self = .other(code)
        }
    }

    /// Row events, and which image(s) they carry.
    var rowsKind: RowsEvent.Kind? {
        switch self {
        case .writeRowsV1, .writeRowsV2: .write
        case .updateRowsV1, .updateRowsV2: .update
        case .deleteRowsV1, .deleteRowsV2: .delete
        default: nil
        }
    }
}

/// The 19-byte header of every event (binlog version 4).
public struct BinlogEventHeader: Equatable, Sendable {
    public static let size = 19

    public var timestamp: UInt32
    public var typeCode: UInt8
    public var serverID: UInt32
    /// The whole event's size, header and checksum included.
    public var eventSize: UInt32
    /// Where the next event starts in the file (0 for events not written to a file, such as fake rotates).
    public var nextPosition: UInt32
    public var flags: UInt16

    public var type: BinlogEventType { BinlogEventType(code: typeCode) }

    /// The `event_size` field of the event starting at `start` in `bytes` (whose header must be there whole):
    /// where the next event begins, for splitting a buffer into events before decoding them.
    static func eventSize(in bytes: some RandomAccessCollection<UInt8>, at start: Int) -> Int {
        let at = bytes.index(bytes.startIndex, offsetBy: start + 9)
        return bytes[at...].prefix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
    }

    init(_ r: inout ByteReader) throws(BinlogError) {
        timestamp = try r.uint32()
        typeCode = try r.uint8()
        serverID = try r.uint32()
        eventSize = try r.uint32()
        nextPosition = try r.uint32()
        flags = try r.uint16()
    }
}
