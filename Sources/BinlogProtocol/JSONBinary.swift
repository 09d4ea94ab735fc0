import TributaryCore

/// MySQL's binary JSON (the binlog form of `JSON` columns, MySQL 5.7+) as JSON text, written exactly as Debezium
/// writes it (mysql-binlog-connector-java's `JsonStringFormatter`): no spaces; doubles as Java's
/// `Double.toString`, or the double's exact decimal expansion where that would use an exponent; opaque DECIMAL,
/// DATE, TIME and DATETIME values as their text, other opaque values as base64 strings; only control characters,
/// `"` and `\` escaped.
public enum JSONBinary {
    /// The document's text; empty bytes (MySQL's empty value) are an error for the caller to handle.
    public static func text(_ bytes: ArraySlice<UInt8>) throws(BinlogError) -> String {
        var r = ByteReader(bytes)
        let type = try r.uint8()
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        // A real document has at most one value per byte; a malformed one whose offsets point at shared or
        // enclosing containers could otherwise make the walk exponential.
        var budget = bytes.count + 16
        try value(type: type, at: r.position, in: bytes, into: &out, depth: 0, budget: &budget)
        return String(decoding: out, as: UTF8.self)
    }

    private static let maximumDepth = 100

    /// The value of `type` whose data starts at `start`.
    private static func value(
        type: UInt8, at start: Int, in bytes: ArraySlice<UInt8>, into out: inout [UInt8], depth: Int,
        budget: inout Int
    ) throws(BinlogError) {
        guard depth < maximumDepth else { throw BinlogError(.malformed, "JSON nested deeper than \(maximumDepth)") }
        budget -= 1
        guard budget >= 0 else { throw BinlogError(.malformed, "JSON with more values than bytes") }
        guard start >= bytes.startIndex, start <= bytes.endIndex else {
            throw BinlogError(.malformed, "JSON value offset outside the document")
        }
        var r = ByteReader(bytes[start...])
        switch type {
        case 0x00, 0x01: try container(object: true, small: type == 0x00, &r, bytes, &out, depth, &budget)
        case 0x02, 0x03: try container(object: false, small: type == 0x02, &r, bytes, &out, depth, &budget)
        case 0x04: literal(try r.uint8(), &out)
        case 0x05: number(Int64(Int16(bitPattern: try r.uint16())), &out)
        case 0x06: number(Int64(try r.uint16()), &out)
        case 0x07: number(Int64(Int32(bitPattern: try r.uint32())), &out)
        case 0x08: number(Int64(try r.uint32()), &out)
        case 0x09: number(Int64(bitPattern: try r.uint64()), &out)
        case 0x0A: DecimalDigits.append(try r.uint64(), to: &out)
        case 0x0B: out += Array(javaDouble(Double(bitPattern: try r.uint64())).utf8)
        case 0x0C:
            let length = try variableLength(&r)
            string(try r.take(length), &out)
        case 0x0F: try opaque(&r, &out)
        default: throw BinlogError(.malformed, "JSON value type \(type)")
        }
    }

    private static func container(
        object: Bool, small: Bool, _ r: inout ByteReader, _ bytes: ArraySlice<UInt8>, _ out: inout [UInt8],
        _ depth: Int, _ budget: inout Int
    ) throws(BinlogError) {
        let base = r.position
        let count = Int(small ? UInt64(try r.uint16()) : UInt64(try r.uint32()))
        let size = Int(small ? UInt64(try r.uint16()) : UInt64(try r.uint32()))
        let entrySize = small ? 2 : 4
        guard count >= 0, count <= size, size <= bytes.endIndex - base else {
            throw BinlogError(.malformed, "JSON container of \(count) entries in \(size) bytes")
        }
        var keys: [ArraySlice<UInt8>] = []
        if object {
            keys.reserveCapacity(count)
            for _ in 0..<count {
                let offset = Int(small ? UInt64(try r.uint16()) : UInt64(try r.uint32()))
                let length = Int(try r.uint16())
                guard offset + length <= size else { throw BinlogError(.malformed, "JSON key outside its object") }
                keys.append(bytes[(base + offset)..<(base + offset + length)])
            }
        }
        out.append(object ? UInt8(ascii: "{") : UInt8(ascii: "["))
        for i in 0..<count {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            if object {
                string(keys[i], &out)
                out.append(UInt8(ascii: ":"))
            }
            let type = try r.uint8()
            // Literals and small integers are inlined in the entry (32-bit ones only in large containers).
            switch type {
            case 0x04:
                literal(try r.uint8(), &out)
                try r.skip(entrySize - 1)
            case 0x05:
                number(Int64(Int16(bitPattern: try r.uint16())), &out)
                try r.skip(entrySize - 2)
            case 0x06:
                number(Int64(try r.uint16()), &out)
                try r.skip(entrySize - 2)
            case 0x07 where !small: number(Int64(Int32(bitPattern: try r.uint32())), &out)
            case 0x08 where !small: number(Int64(try r.uint32()), &out)
            default:
                let offset = Int(small ? UInt64(try r.uint16()) : UInt64(try r.uint32()))
                guard offset < size else { throw BinlogError(.malformed, "JSON value outside its container") }
                try value(type: type, at: base + offset, in: bytes, into: &out, depth: depth + 1, budget: &budget)
            }
        }
        out.append(object ? UInt8(ascii: "}") : UInt8(ascii: "]"))
    }

    private static func literal(_ code: UInt8, _ out: inout [UInt8]) {
        switch code {
        case 1: out += Array("true".utf8)
        case 2: out += Array("false".utf8)
        default: out += Array("null".utf8)
        }
    }

    private static func number(_ v: Int64, _ out: inout [UInt8]) {
        if v < 0 { out.append(UInt8(ascii: "-")) }
        DecimalDigits.append(v.magnitude, to: &out)
    }

    /// MySQL's variable-length integer: 7 bits per byte, low first, the high bit set while more follow.
    private static func variableLength(_ r: inout ByteReader) throws(BinlogError) -> Int {
        var value = 0
        for i in 0..<5 {
            let b = try r.uint8()
            value |= Int(b & 0x7F) << (7 * i)
            if b & 0x80 == 0 { return value }
        }
        throw BinlogError(.malformed, "JSON length of more than 5 bytes")
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// A JSON string: `"` and `\` escaped, the named control characters as `\b \t \n \f \r`, the others as
    /// `\u00XX`; everything else as it is.
    private static func string(_ bytes: ArraySlice<UInt8>, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), b]
            case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0..<0x20:
                out += Array("\\u00".utf8)
                out += [hexDigits[Int(b >> 4)], hexDigits[Int(b & 0xF)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A value of another MySQL type inside the document: its column type, its length, its data.
    private static func opaque(_ r: inout ByteReader, _ out: inout [UInt8]) throws(BinlogError) {
        let fieldType = try r.uint8()
        let length = try variableLength(&r)
        let data = try r.take(length)
        var d = ByteReader(data)
        switch fieldType {
        case 0, 246:  // DECIMAL, NEWDECIMAL: precision, scale, the packed decimal
            let precision = Int(try d.uint8())
            let scale = Int(try d.uint8())
            out += Array(try BinlogValue.decimal(&d, precision: precision, scale: scale).utf8)
        case 10:  // DATE
            let (y, mo, day, _, _, _, _) = packedDateTime(Int64(bitPattern: try d.uint64()))
            out.append(UInt8(ascii: "\""))
            appendDate(y, mo, day, &out)
            out.append(UInt8(ascii: "\""))
        case 11, 19:  // TIME, TIME2
            let raw = Int64(bitPattern: try d.uint64())
            let value = raw >> 24
            var hour = Int32(truncatingIfNeeded: value >> 12) % (1 << 10)
            let minute = Int32(truncatingIfNeeded: value >> 6) % (1 << 6)
            let second = Int32(truncatingIfNeeded: value) % (1 << 6)
            if value < 0 { hour = -hour }
            out.append(UInt8(ascii: "\""))
            if hour < 0 { out.append(UInt8(ascii: "-")) }
            appendTime(Int(hour.magnitude), Int(minute), Int(second), Int(raw % (1 << 24)), &out)
            out.append(UInt8(ascii: "\""))
        case 7, 12, 17, 18:  // TIMESTAMP, DATETIME, TIMESTAMP2, DATETIME2
            let (y, mo, day, h, mi, s, f) = packedDateTime(Int64(bitPattern: try d.uint64()))
            out.append(UInt8(ascii: "\""))
            appendDate(y, mo, day, &out)
            out.append(UInt8(ascii: " "))
            appendTime(h, mi, s, f, &out)
            out.append(UInt8(ascii: "\""))
        default:
            out.append(UInt8(ascii: "\""))
            Base64.encode(Array(data), into: &out)
            out.append(UInt8(ascii: "\""))
        }
    }

    /// MySQL's packed DATETIME (`TIME_to_longlong_packed`): fraction in the low 24 bits, then seconds, minutes,
    /// hours, day and year × 13 + month.
    private static func packedDateTime(_ raw: Int64) -> (Int, Int, Int, Int, Int, Int, Int) {
        let value = raw >> 24
        let yearMonth = Int(Int32(truncatingIfNeeded: value >> 22) % (1 << 17))
        return (
            yearMonth / 13, yearMonth % 13, Int(Int32(truncatingIfNeeded: value >> 17) % (1 << 5)),
            Int(Int32(truncatingIfNeeded: value >> 12) % (1 << 5)),
            Int(Int32(truncatingIfNeeded: value >> 6) % (1 << 6)),
            Int(value % (1 << 6)), Int(raw % (1 << 24))
        )
    }

    private static func appendDate(_ year: Int, _ month: Int, _ day: Int, _ out: inout [UInt8]) {
        if year < 0 { out.append(UInt8(ascii: "-")) }
        DecimalDigits.append(UInt64(year.magnitude), minimumWidth: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        DecimalDigits.append(UInt64(month.magnitude), minimumWidth: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        DecimalDigits.append(UInt64(day.magnitude), minimumWidth: 2, to: &out)
    }

    /// `HH:MM:SS`, then `.` and the microseconds with trailing zeros dropped, when there are any.
    private static func appendTime(_ h: Int, _ m: Int, _ s: Int, _ micros: Int, _ out: inout [UInt8]) {
        DecimalDigits.append(UInt64(h.magnitude), minimumWidth: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        DecimalDigits.append(UInt64(m.magnitude), minimumWidth: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        DecimalDigits.append(UInt64(s.magnitude), minimumWidth: 2, to: &out)
        guard micros > 0 else { return }
        out.append(UInt8(ascii: "."))
        var digits = 6
        var v = micros
        while v % 10 == 0 {
            v /= 10
            digits -= 1
        }
        DecimalDigits.append(UInt64(v), minimumWidth: digits, to: &out)
    }

    /// Java's `Double.toString` where it writes plain decimals (magnitudes from 10⁻³ to 10⁷, and zero); elsewhere,
    /// where Java would write an exponent, the double's exact value in plain decimals (`BigDecimal(double)
    /// .toPlainString()`), as Debezium's formatter writes it.
    static func javaDouble(_ d: Double) -> String {
        let magnitude = d.magnitude
        if d == 0 || (magnitude >= 1e-3 && magnitude < 1e7) {
            // Swift's shortest round-trip digits, which Java 19+ also writes; both add `.0` to integers.
            return d.description
        }
        return exactDecimal(d)
    }

    /// The exact decimal value of a finite double, without exponent and with no trailing zeros after the point
    /// (the smallest scale that holds it).
    static func exactDecimal(_ d: Double) -> String {
        guard d.isFinite else { return d.description }
        var significand = d.significandBitPattern | (d.exponentBitPattern == 0 ? 0 : 1 << 52)
        var exponent = (d.exponentBitPattern == 0 ? -1022 : Int(d.exponentBitPattern) - 1023) - 52
        guard significand != 0 else { return d.sign == .minus ? "-0" : "0" }
        let zeros = significand.trailingZeroBitCount
        significand >>= UInt64(zeros)
        exponent += zeros
        // Base 10⁹ limbs, least significant first.
        var limbs: [UInt64] = [
            significand % 1_000_000_000, significand / 1_000_000_000 % 1_000_000_000,
            significand / 1_000_000_000_000_000_000,
        ]
        func multiply(by factor: UInt64) {
            var carry: UInt64 = 0
            for i in limbs.indices {
                let product = limbs[i] * factor + carry
                limbs[i] = product % 1_000_000_000
                carry = product / 1_000_000_000
            }
            while carry > 0 {
                limbs.append(carry % 1_000_000_000)
                carry /= 1_000_000_000
            }
        }
        // m × 2^e for e ≥ 0; m × 5^k / 10^k for e = -k.
        let factor: UInt64 = exponent >= 0 ? 2 : 5
        var steps = exponent.magnitude
        while steps >= 13 {
            multiply(by: exponent >= 0 ? 8192 : 1_220_703_125)
            steps -= 13
        }
        for _ in 0..<steps { multiply(by: factor) }
        var digits: [UInt8] = []
        for limb in limbs.reversed() { DecimalDigits.append(limb, minimumWidth: 9, to: &digits) }
        while digits.count > 1 && digits.first == UInt8(ascii: "0") { digits.removeFirst() }
        var out = d.sign == .minus ? "-" : ""
        if exponent >= 0 {
            out += String(decoding: digits, as: UTF8.self)
        } else {
            let scale = Int(exponent.magnitude)
            if digits.count <= scale {
                digits.insert(contentsOf: [UInt8](repeating: 48, count: scale - digits.count + 1), at: 0)
            }
            let point = digits.count - scale
            out +=
                String(decoding: digits[..<point], as: UTF8.self) + "."
                + String(decoding: digits[point...], as: UTF8.self)
        }
        return out
    }
}
