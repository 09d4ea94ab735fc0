/// A bounds-checked cursor over a binlog event's bytes: little-endian integers (the binlog's order), big-endian
/// ones (the packed temporal and decimal formats), MySQL's length-encoded integers.
struct ByteReader {
    let bytes: ArraySlice<UInt8>
    private(set) var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    var remaining: Int { bytes.endIndex - position }

    mutating func take(_ count: Int) throws(BinlogError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw BinlogError(
                .truncated, "\(count) bytes wanted at offset \(position - bytes.startIndex), \(remaining) left")
        }
        defer { position += count }
        return bytes[position..<position + count]
    }

    mutating func skip(_ count: Int) throws(BinlogError) { _ = try take(count) }

    mutating func rest() -> ArraySlice<UInt8> {
        defer { position = bytes.endIndex }
        return bytes[position...]
    }

    /// An unsigned little-endian integer of `count` bytes (at most 8).
    mutating func littleEndian(_ count: Int) throws(BinlogError) -> UInt64 {
        let bytes = try take(count)
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for i in bytes.indices {
            value |= UInt64(bytes[i]) << shift
            shift += 8
        }
        return value
    }

    /// An unsigned big-endian integer of `count` bytes (at most 8).
    mutating func bigEndian(_ count: Int) throws(BinlogError) -> UInt64 {
        let bytes = try take(count)
        var value: UInt64 = 0
        for i in bytes.indices { value = value << 8 | UInt64(bytes[i]) }
        return value
    }

    mutating func uint8() throws(BinlogError) -> UInt8 { try take(1).first! }
    mutating func uint16() throws(BinlogError) -> UInt16 { UInt16(try littleEndian(2)) }
    mutating func uint32() throws(BinlogError) -> UInt32 { UInt32(try littleEndian(4)) }
    mutating func uint64() throws(BinlogError) -> UInt64 { try littleEndian(8) }

    /// MySQL's length-encoded integer: one byte below 251, else a marker and 2, 3 or 8 bytes.
    mutating func packedInteger() throws(BinlogError) -> UInt64 {
        let first = try uint8()
        switch first {
        case 0..<251: return UInt64(first)
        case 252: return try littleEndian(2)
        case 253: return try littleEndian(3)
        case 254: return try littleEndian(8)
        default: throw BinlogError(.malformed, "length-encoded integer starting with \(first)")
        }
    }

    /// A length-encoded integer used as a length or count: refused when it cannot be one here.
    mutating func length() throws(BinlogError) -> Int { try Self.length(packedInteger()) }

    /// A length read from the bytes, checked: no more than an `Int` holds.
    static func length(_ value: UInt64) throws(BinlogError) -> Int {
        guard value <= UInt64(Int.max) else { throw BinlogError(.malformed, "a length of \(value)") }
        return Int(value)
    }

    /// A bitmap of `count` bits, least significant bit first.
    mutating func bitmap(_ count: Int) throws(BinlogError) -> [Bool] {
        let bytes = try take((count + 7) / 8)
        return (0..<count).map { bytes[bytes.startIndex + $0 / 8] & (1 << UInt8($0 % 8)) != 0 }
    }
}
