/// A TABLE_MAP event: the table a following rows event's `tableID` names, and its columns' types and metadata.
public struct TableMap: Equatable, Sendable {
    public var tableID: UInt64
    public var database: String
    public var table: String
    public var columns: [ColumnType]
    public var nullable: [Bool]

    /// A column's type as the binlog gives it, with the metadata its values need.
    public enum ColumnType: Equatable, Sendable {
        case tiny, short, int24, long, longLong
        case float, double
        /// NEWDECIMAL.
        case decimal(precision: Int, scale: Int)
        case year, date, time, datetime, timestamp
        /// The fractional-second types, with their precision (0–6).
        case time2(fsp: Int)
        case datetime2(fsp: Int)
        case timestamp2(fsp: Int)
        /// VARCHAR, VAR_STRING and CHAR/BINARY (`STRING`): the maximum length in bytes.
        case string(maxLength: Int)
        /// BLOB and TEXT of every size, GEOMETRY and JSON: how many bytes give a value's length.
        case blob(lengthBytes: Int)
        case geometry(lengthBytes: Int)
        case json(lengthBytes: Int)
        /// ENUM (an index) and SET (a bitmap), stored in `size` bytes.
        case enumeration(size: Int)
        case set(size: Int)
        /// BIT(n).
        case bit(bits: Int)
        case null

        /// The type of `code` with the metadata read from the table map.
        init(code: UInt8, metadata r: inout ByteReader) throws(BinlogError) {
            switch code {
            case 1: self = .tiny
            case 2: self = .short
            case 3: self = .long
            case 4:
                _ = try r.uint8()
                self = .float
            case 5:
                _ = try r.uint8()
                self = .double
            case 6: self = .null
            case 7: self = .timestamp
            case 8: self = .longLong
            case 9: self = .int24
            case 10, 14: self = .date
            case 11: self = .time
            case 12: self = .datetime
            case 13: self = .year
            case 15, 253: self = .string(maxLength: Int(try r.uint16()))
            case 16:
                let bits = Int(try r.uint8())
                let bytes = Int(try r.uint8())
                self = .bit(bits: bytes * 8 + bits)
            case 17: self = .timestamp2(fsp: Int(try r.uint8()))
            case 18: self = .datetime2(fsp: Int(try r.uint8()))
            case 19: self = .time2(fsp: Int(try r.uint8()))
            case 245: self = .json(lengthBytes: Int(try r.uint8()))
            case 246:
                let precision = Int(try r.uint8())
                self = .decimal(precision: precision, scale: Int(try r.uint8()))
            case 247: self = .enumeration(size: Int(try r.uint16() >> 8))
            case 248: self = .set(size: Int(try r.uint16() >> 8))
            case 249, 250, 251, 252: self = .blob(lengthBytes: Int(try r.uint8()))
            case 254:
                // Big-endian here: the real type, then the low byte of the length; lengths above 255 keep their
                // two high bits in the real type's (inverted) bits 4 and 5.
                var realType = Int(try r.uint8())
                var length = Int(try r.uint8())
                if realType & 0x30 != 0x30 {
                    length += ((realType & 0x30) ^ 0x30) << 4
                    realType |= 0x30
                }
                switch realType {
                case 247: self = .enumeration(size: length)
                case 248: self = .set(size: length)
                default: self = .string(maxLength: length)
                }
            case 255: self = .geometry(lengthBytes: Int(try r.uint8()))
            default: throw BinlogError(.unsupportedType, "column type \(code) in a table map")
            }
        }
    }

    init(_ r: inout ByteReader, tableIDSize: Int) throws(BinlogError) {
        tableID = try r.littleEndian(tableIDSize)
        _ = try r.uint16()  // flags
        database = String(decoding: try r.take(Int(try r.uint8())), as: UTF8.self)
        try r.skip(1)
        table = String(decoding: try r.take(Int(try r.uint8())), as: UTF8.self)
        try r.skip(1)
        let count = Int(try r.packedInteger())
        let codes = Array(try r.take(count))
        var metadata = ByteReader(try r.take(Int(try r.packedInteger())))
        var columns: [ColumnType] = []
        columns.reserveCapacity(count)
        for code in codes { columns.append(try ColumnType(code: code, metadata: &metadata)) }
        self.columns = columns
        nullable = try r.bitmap(count)
        // MySQL 8's optional metadata (names, signedness, …) follows; read when the schema needs it.
    }
}
