import TributaryCore

/// One column value of a rows event, as the binlog stores it. Signedness, character sets and enum labels are
/// not in the event: the schema gives them later.
public enum BinlogValue: Equatable, Sendable {
    case null
    /// An integer sign-extended from its `width` in bytes; `unsigned` reads it as the column's unsigned value.
    case integer(Int64, width: Int)
    case float(Float)
    case double(Double)
    /// A DECIMAL as exact text (`-1234.50`).
    case decimal(String)
    /// Strings, binary strings, BLOB/TEXT, GEOMETRY (WKB with a SRID prefix) and MySQL's binary JSON: a slice of
    /// the event's bytes (no copy per value).
    case bytes(ArraySlice<UInt8>)
    case date(year: Int, month: Int, day: Int)
    case time(negative: Bool, hours: Int, minutes: Int, seconds: Int, microseconds: Int)
    case datetime(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, microsecond: Int)
    /// Seconds since the epoch (UTC), with the fraction.
    case timestamp(seconds: Int64, microseconds: Int)
    case year(Int)
    /// An ENUM's 1-based index (0 for the empty error value).
    case enumIndex(Int)
    /// A SET's members as bits.
    case setBits(UInt64)
    /// BIT(n), big-endian bytes.
    case bits([UInt8])

    /// The integer read as unsigned (for `UNSIGNED` columns).
    public var unsigned: UInt64? {
        guard case .integer(let v, let width) = self else { return nil }
        return width >= 8 ? UInt64(bitPattern: v) : UInt64(bitPattern: v) & ((1 << (UInt64(width) * 8)) - 1)
    }

    /// Reads one value of `type`.
    static func read(_ type: TableMap.ColumnType, from r: inout ByteReader) throws(BinlogError) -> BinlogValue {
        switch type {
        case .tiny: return .integer(Int64(Int8(bitPattern: try r.uint8())), width: 1)
        case .short: return .integer(Int64(Int16(bitPattern: try r.uint16())), width: 2)
        case .int24: return .integer(signExtended(try r.littleEndian(3), bits: 24), width: 3)
        case .long: return .integer(Int64(Int32(bitPattern: try r.uint32())), width: 4)
        case .longLong: return .integer(Int64(bitPattern: try r.uint64()), width: 8)
        case .float: return .float(Float(bitPattern: try r.uint32()))
        case .double: return .double(Double(bitPattern: try r.uint64()))
        case .decimal(let precision, let scale): return .decimal(try decimal(&r, precision: precision, scale: scale))
        case .year:
            let v = Int(try r.uint8())
            return .year(v == 0 ? 0 : 1900 + v)
        case .date:
            let v = Int(try r.littleEndian(3))
            return .date(year: v >> 9, month: (v >> 5) & 15, day: v & 31)
        case .time:
            let v = Int(try r.littleEndian(3))
            return .time(negative: false, hours: v / 10000, minutes: v / 100 % 100, seconds: v % 100, microseconds: 0)
        case .datetime:
            let v = Int(truncatingIfNeeded: try r.uint64())
            let d = v / 1_000_000, t = v % 1_000_000
            return .datetime(
                year: d / 10000, month: d / 100 % 100, day: d % 100, hour: t / 10000, minute: t / 100 % 100,
                second: t % 100, microsecond: 0)
        case .timestamp: return .timestamp(seconds: Int64(try r.uint32()), microseconds: 0)
        case .timestamp2(let fsp):
            let seconds = Int64(try r.bigEndian(4))
            return .timestamp(seconds: seconds, microseconds: try fraction(&r, fsp: fsp))
        case .datetime2(let fsp):
            let packed = Int64(try r.bigEndian(5)) - 0x80_0000_0000
            let ymd = packed >> 17, ym = ymd >> 5, hms = packed % (1 << 17)
            return .datetime(
                year: Int(ym / 13), month: Int(ym % 13), day: Int(ymd % 32), hour: Int(hms >> 12),
                minute: Int((hms >> 6) % 64), second: Int(hms % 64), microsecond: try fraction(&r, fsp: fsp))
        case .time2(let fsp): return try time2(&r, fsp: fsp)
        case .string(let maxLength):
            return .bytes(try r.take(ByteReader.length(try r.littleEndian(maxLength < 256 ? 1 : 2))))
        case .blob(let lengthBytes), .geometry(let lengthBytes), .json(let lengthBytes):
            return .bytes(try r.take(ByteReader.length(try r.littleEndian(lengthBytes))))
        case .enumeration(let size): return .enumIndex(Int(truncatingIfNeeded: try r.littleEndian(size)))
        case .set(let size): return .setBits(try r.littleEndian(size))
        case .bit(let bits): return .bits(Array(try r.take((bits + 7) / 8)))
        case .null: return .null
        }
    }

    private static func signExtended(_ v: UInt64, bits: Int) -> Int64 {
        let shift = 64 - bits
        return Int64(bitPattern: v << UInt64(shift)) >> Int64(shift)
    }

    /// The fractional seconds after a TIME2, DATETIME2 or TIMESTAMP2: (fsp + 1) / 2 big-endian bytes.
    private static func fraction(_ r: inout ByteReader, fsp: Int) throws(BinlogError) -> Int {
        switch fsp {
        case 1, 2: return Int(try r.bigEndian(1)) * 10_000
        case 3, 4: return Int(try r.bigEndian(2)) * 100
        case 5, 6: return Int(try r.bigEndian(3))
        default: return 0
        }
    }

    /// TIME2: 24 bits (sign, 10 bits of hours, 6 of minutes, 6 of seconds) offset by 2^23, then the fraction,
    /// which for a negative time counts down from the next second (MySQL's `my_time_packed_from_binary`).
    private static func time2(_ r: inout ByteReader, fsp: Int) throws(BinlogError) -> BinlogValue {
        var packed: Int64
        switch fsp {
        case 1, 2, 3, 4:
            var intPart = Int64(try r.bigEndian(3)) - 0x80_0000
            let width = fsp <= 2 ? 1 : 2
            var frac = Int64(try r.bigEndian(width))
            if intPart < 0 && frac != 0 {
                intPart += 1
                frac -= Int64(1) << (8 * Int64(width))
            }
            packed = intPart << 24 + frac * (fsp <= 2 ? 10_000 : 100)
        case 5, 6:
            packed = Int64(try r.bigEndian(6)) - 0x8000_0000_0000
        default:
            packed = (Int64(try r.bigEndian(3)) - 0x80_0000) << 24
        }
        let negative = packed < 0
        let magnitude = packed.magnitude
        let hms = magnitude >> 24
        return .time(
            negative: negative, hours: Int((hms >> 12) % 1024), minutes: Int((hms >> 6) % 64), seconds: Int(hms % 64),
            microseconds: Int(magnitude % (1 << 24)))
    }

    /// DECIMAL's binary form: groups of nine digits in four bytes (fewer for the leftover digits at either end),
    /// big-endian, the sign in the first bit (set for positive), negative values with every bit inverted.
    static func decimal(_ r: inout ByteReader, precision: Int, scale: Int) throws(BinlogError) -> String {
        guard precision >= scale, scale >= 0, precision <= 65 else {
            throw BinlogError(.malformed, "DECIMAL(\(precision),\(scale))")
        }
        let integral = precision - scale
        let (wholeGroups, leadingDigits) = (integral / 9, integral % 9)
        let (fractionGroups, trailingDigits) = (scale / 9, scale % 9)
        let size =
            wholeGroups * 4 + decimalGroupBytes[leadingDigits] + fractionGroups * 4
            + decimalGroupBytes[trailingDigits]
        let raw = try r.take(size)
        guard !raw.isEmpty else { return "0" }
        let negative = raw[raw.startIndex] & 0x80 == 0
        // Undoes the encoding while reading: the sign bit flipped back, every bit inverted if negative.
        let inversion: UInt8 = negative ? 0xFF : 0
        var next = raw.startIndex
        func group(digits: Int) -> UInt64 {
            var value: UInt64 = 0
            for i in next..<next + decimalGroupBytes[digits] {
                let b = raw[i] ^ inversion ^ (i == raw.startIndex ? 0x80 : 0)
                value = value << 8 | UInt64(b)
            }
            next += decimalGroupBytes[digits]
            return value
        }
        // The text is built in one buffer: a value of up to 15 bytes then becomes a String without a heap block.
        var text: [UInt8] = []
        text.reserveCapacity(precision + 3)
        if negative { text.append(UInt8(ascii: "-")) }
        let wholeStart = text.count
        if leadingDigits > 0 {
            DecimalDigits.append(group(digits: leadingDigits), minimumWidth: leadingDigits, to: &text)
        }
        for _ in 0..<wholeGroups { DecimalDigits.append(group(digits: 9), minimumWidth: 9, to: &text) }
        let firstDigit = text[wholeStart...].firstIndex { $0 != UInt8(ascii: "0") } ?? text.count
        text.removeSubrange(wholeStart..<firstDigit)
        if text.count == wholeStart { text.append(UInt8(ascii: "0")) }
        if scale > 0 {
            text.append(UInt8(ascii: "."))
            for _ in 0..<fractionGroups { DecimalDigits.append(group(digits: 9), minimumWidth: 9, to: &text) }
            if trailingDigits > 0 {
                DecimalDigits.append(group(digits: trailingDigits), minimumWidth: trailingDigits, to: &text)
            }
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Bytes that hold a DECIMAL group of 0…9 digits.
    private static let decimalGroupBytes = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4]
}
