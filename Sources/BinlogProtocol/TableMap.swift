/// A TABLE_MAP event: the table a following rows event's `tableID` names, and its columns' types and metadata.
public struct TableMap: Equatable, Sendable {
    public var tableID: UInt64
    public var database: String
    public var table: String
    public var columns: [ColumnType]
    public var nullable: [Bool]
    /// What `binlog_row_metadata` (MySQL 8, MariaDB 10.5+) adds: MIN gives signedness and character sets, FULL
    /// also names, ENUM and SET members and the primary key.
    public var metadata = OptionalMetadata()

    /// The optional metadata, per column where it is per column (nil where the event has none).
    public struct OptionalMetadata: Equatable, Sendable {
        public var columnNames: [String]?
        /// For each column, whether it is UNSIGNED (always false for non-numeric columns).
        public var unsigned: [Bool]?
        /// For each column, its collation number if it is a character column.
        public var collations: [Int?]?
        /// For each column, its members if it is an ENUM / a SET.
        public var enumMembers: [[String]?]?
        public var setMembers: [[String]?]?
        /// The primary key's columns, by index, in key order.
        public var primaryKey: [Int]?
    }

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
        let count = try r.length()
        let codes = Array(try r.take(count))
        var metadata = ByteReader(try r.take(try r.length()))
        var columns: [ColumnType] = []
        columns.reserveCapacity(count)
        for code in codes { columns.append(try ColumnType(code: code, metadata: &metadata)) }
        self.columns = columns
        nullable = try r.bitmap(count)
        while r.remaining > 0 {
            let field = try r.uint8()
            var value = ByteReader(try r.take(try r.length()))
            try read(field, &value)
        }
    }

    /// Columns the optional metadata's signedness bitmap covers, and those its character sets cover.
    private var numericColumns: [Int] {
        columns { type in
            switch type {
            case .tiny, .short, .int24, .long, .longLong, .float, .double, .decimal: true
            default: false
            }
        }
    }

    private var characterColumns: [Int] {
        columns { type in
            switch type {
            case .string, .blob: true
            default: false
            }
        }
    }

    private func columns(where kind: (ColumnType) -> Bool) -> [Int] { columns.indices.filter { kind(columns[$0]) } }

    private mutating func read(_ field: UInt8, _ r: inout ByteReader) throws(BinlogError) {
        switch field {
        case 1:  // SIGNEDNESS: a bit per numeric column, most significant bit first, set for UNSIGNED
            let numeric = numericColumns
            let bytes = try r.take((numeric.count + 7) / 8)
            var unsigned = [Bool](repeating: false, count: columns.count)
            for (i, column) in numeric.enumerated() {
                unsigned[column] = bytes[bytes.startIndex + i / 8] & (0x80 >> UInt8(i % 8)) != 0
            }
            metadata.unsigned = unsigned
        case 2, 3:  // DEFAULT_CHARSET (a default, then exceptions by index), COLUMN_CHARSET (one per column)
            let character = characterColumns
            var collations = [Int?](repeating: nil, count: columns.count)
            if field == 2 {
                let fallback = try r.length()
                for column in character { collations[column] = fallback }
                while r.remaining > 0 {
                    let index = try r.length()
                    let collation = try r.length()
                    guard index < character.count else { throw BinlogError(.malformed, "charset of column \(index)") }
                    collations[character[index]] = collation
                }
            } else {
                for column in character where r.remaining > 0 { collations[column] = try r.length() }
            }
            metadata.collations = collations
        case 4:  // COLUMN_NAME
            var names: [String] = []
            while r.remaining > 0 {
                names.append(String(decoding: try r.take(try r.length()), as: UTF8.self))
            }
            metadata.columnNames = names
        case 5, 6:  // SET_STR_VALUE, ENUM_STR_VALUE: per column of the kind, a member count and the members
            let kindColumns = columns { type in
                if case .set = type { return field == 5 }
                if case .enumeration = type { return field == 6 }
                return false
            }
            var members = [[String]?](repeating: nil, count: columns.count)
            for column in kindColumns where r.remaining > 0 {
                var list: [String] = []
                for _ in 0..<(try r.packedInteger()) {
                    list.append(String(decoding: try r.take(try r.length()), as: UTF8.self))
                }
                members[column] = list
            }
            if field == 5 { metadata.setMembers = members } else { metadata.enumMembers = members }
        case 8:  // SIMPLE_PRIMARY_KEY
            var key: [Int] = []
            while r.remaining > 0 { key.append(try r.length()) }
            metadata.primaryKey = key
        case 9:  // PRIMARY_KEY_WITH_PREFIX: index and prefix length pairs
            var key: [Int] = []
            while r.remaining > 0 {
                key.append(try r.length())
                _ = try r.packedInteger()
            }
            metadata.primaryKey = key
        default:
            break  // geometry types, ENUM/SET charsets, visibility: not needed for events
        }
    }
}
