import TributaryCore

/// The text PostgreSQL would have sent for a value pgoutput sent in binary (`tributary.pgoutput.binary`): the
/// server's output function, with the session settings Tributary connects with (ISO dates, UTC, hex `bytea`,
/// ISO 8601 intervals, money in the C locale). Rendering here moves the formatting off the walsender, the one
/// process that serves a slot; the converters then read the text as in text mode, so the events are the same.
///
/// Types it cannot render (`renders` is false: `tsquery`, arrays of geometric types, composite, user-defined
/// range and other unknown types) keep a connector in text mode.
enum BinaryValueText {
    typealias OID = PostgresValueConverter.OID

    /// Built-in types rendered here, besides arrays of them.
    static let builtinTypes: Set<UInt32> = [
        OID.bool, OID.int2, OID.int4, OID.int8, OID.oid, OID.float4, OID.float8, OID.text, OID.varchar, OID.bpchar,
        OID.char, OID.name, OID.json, OID.jsonb, OID.xml, OID.uuid, OID.bytea, OID.numeric, OID.money, OID.bit,
        OID.varbit, OID.date, OID.time, OID.timetz, OID.timestamp, OID.timestamptz, OID.interval, OID.point,
        OID.macaddr, OID.macaddr8, OID.inet, OID.cidr, OID.tsvector, box, lseg, path, polygon, circle, line,
    ]
    static let box: UInt32 = 603, lseg: UInt32 = 601, path: UInt32 = 602, polygon: UInt32 = 604, circle: UInt32 = 718
    static let line: UInt32 = 628

    /// The built-in range types and the types of their bounds.
    static let rangeBounds: [UInt32: UInt32] = [
        3904: OID.int4, 3926: OID.int8, 3906: OID.numeric, 3908: OID.timestamp, 3910: OID.timestamptz, 3912: OID.date,
    ]

    /// Arrays of range types and their elements.
    static let rangeArrays: [UInt32: UInt32] = [3905: 3904, 3927: 3926, 3907: 3906, 3909: 3908, 3911: 3910, 3913: 3912]

    /// Extension types rendered here, by `pg_type.typname`.
    static let namedTypes: Set<String> = ["hstore", "ltree", "citext"]

    /// Whether values of `type` can be rendered.
    static func renders(_ type: PostgresType) -> Bool {
        switch type {
        case .builtin(let oid):
            if builtinTypes.contains(oid) || rangeBounds[oid] != nil { return true }
            let element = OID.arrayElements[oid] ?? rangeArrays[oid]
            return element.map { builtinTypes.contains($0) || rangeBounds[$0] != nil } ?? false
        case .enumeration: return true
        case .domain(let base, _): return renders(base)
        case .named(let name): return namedTypes.contains(name)
        case .array(let element): return renders(element)
        case .unknown: return false
        }
    }

    /// A malformed binary value (shorter than its type's form, or a form this version does not know).
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    /// The text form of `value`, a binary value of `type`; throws `Malformed` for bytes that are not one.
    static func text(_ value: ArraySlice<UInt8>, type: PostgresType) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(value.count * 2)
        try append(value, type: type, to: &out)
        return out
    }

    /// Appends the text form of `value` to `out` (on a throw, `out` may hold part of it).
    static func append(_ value: ArraySlice<UInt8>, type: PostgresType, to out: inout [UInt8]) throws {
        var reader = ByteReader(value)
        try append(&reader, type: type, to: &out)
    }

    private static func append(_ r: inout ByteReader, type: PostgresType, to out: inout [UInt8]) throws {
        switch type {
        case .builtin(let oid):
            if let bound = rangeBounds[oid] {
                try appendRange(&r, bound: bound, to: &out)
            } else if let element = OID.arrayElements[oid] ?? rangeArrays[oid], !builtinTypes.contains(oid) {
                try appendArray(&r, element: .builtin(element), to: &out)
            } else {
                try appendBuiltin(&r, oid: oid, to: &out)
            }
        case .enumeration: out.append(contentsOf: r.rest())
        case .domain(let base, _): try append(&r, type: base, to: &out)
        case .array(let element): try appendArray(&r, element: element, to: &out)
        case .named("hstore"): try appendHStore(&r, to: &out)
        case .named("ltree"):
            _ = try r.u8()  // the format's version
            out.append(contentsOf: r.rest())
        case .named("citext"): out.append(contentsOf: r.rest())
        case .named(let name), .unknown(let name): throw Malformed(description: "type \(name) has no binary form here")
        }
    }

    private static func appendBuiltin(_ r: inout ByteReader, oid: UInt32, to out: inout [UInt8]) throws {
        switch oid {
        case OID.bool: out.append(try r.u8() != 0 ? UInt8(ascii: "t") : UInt8(ascii: "f"))
        case OID.int2: appendDecimal(Int64(Int16(bitPattern: try r.u16())), to: &out)
        case OID.int4: appendDecimal(Int64(try r.i32()), to: &out)
        case OID.int8: appendDecimal(try r.i64(), to: &out)
        case OID.oid: appendDecimal(Int64(try r.u32()), to: &out)
        case OID.float4: appendFloating(Float(bitPattern: try r.u32()), to: &out)
        case OID.float8: appendFloat8(Double(bitPattern: try r.u64()), to: &out)
        case OID.text, OID.varchar, OID.bpchar, OID.char, OID.name, OID.json, OID.xml:
            out.append(contentsOf: r.rest())
        case OID.jsonb:
            _ = try r.u8()  // the format's version
            out.append(contentsOf: r.rest())
        case OID.uuid:
            let bytes = try r.take(16)
            for (i, b) in bytes.enumerated() {
                if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
                Hex.append(CollectionOfOne(b), to: &out)
            }
        case OID.bytea:
            out.append(contentsOf: "\\x".utf8)
            Hex.append(r.rest(), to: &out)
        case OID.numeric: try appendNumeric(&r, to: &out)
        case OID.money: appendMoney(try r.i64(), to: &out)
        case OID.bit, OID.varbit:
            let length = Int(try r.i32())
            let bytes = try r.take((length + 7) / 8)
            for i in 0..<length {
                out.append(bytes[bytes.startIndex + i / 8] & (0x80 >> UInt8(i % 8)) != 0 ? 0x31 : 0x30)
            }
        case OID.date: appendDate(try r.i32(), to: &out)
        case OID.time: appendTime(try r.i64(), to: &out)
        case OID.timetz:
            appendTime(try r.i64(), to: &out)
            appendOffset(-Int(try r.i32()), to: &out)
        case OID.timestamp, OID.timestamptz:
            appendTimestamp(try r.i64(), withOffset: oid == OID.timestamptz, to: &out)
        case OID.interval:
            let micros = try r.i64()
            let days = try r.i32()
            let months = try r.i32()
            appendInterval(micros: micros, days: days, months: months, to: &out)
        case OID.point: try appendPoint(&r, to: &out)
        case lseg, box:
            if oid == lseg { out.append(UInt8(ascii: "[")) }
            try appendPoint(&r, to: &out)
            out.append(UInt8(ascii: ","))
            try appendPoint(&r, to: &out)
            if oid == lseg { out.append(UInt8(ascii: "]")) }
        case path, polygon:
            let closed = try oid == polygon || r.u8() != 0
            let count = Int(try r.i32())
            out.append(closed ? UInt8(ascii: "(") : UInt8(ascii: "["))
            for i in 0..<max(0, count) {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                try appendPoint(&r, to: &out)
            }
            out.append(closed ? UInt8(ascii: ")") : UInt8(ascii: "]"))
        case circle:
            out.append(UInt8(ascii: "<"))
            try appendPoint(&r, to: &out)
            out.append(UInt8(ascii: ","))
            appendFloat8(Double(bitPattern: try r.u64()), to: &out)
            out.append(UInt8(ascii: ">"))
        case line:
            out.append(UInt8(ascii: "{"))
            for i in 0..<3 {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendFloat8(Double(bitPattern: try r.u64()), to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case OID.inet, OID.cidr: try appendNetwork(&r, isCIDR: oid == OID.cidr, to: &out)
        case OID.tsvector: try appendTSVector(&r, to: &out)
        case OID.macaddr, OID.macaddr8:
            for (i, b) in try r.take(oid == OID.macaddr ? 6 : 8).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ":")) }
                Hex.append(CollectionOfOne(b), to: &out)
            }
        default:
            throw Malformed(description: "type oid \(oid) has no binary form here")
        }
    }

    // MARK: Numbers

    private static func appendPoint(_ r: inout ByteReader, to out: inout [UInt8]) throws {
        out.append(UInt8(ascii: "("))
        appendFloat8(Double(bitPattern: try r.u64()), to: &out)
        out.append(UInt8(ascii: ","))
        appendFloat8(Double(bitPattern: try r.u64()), to: &out)
        out.append(UInt8(ascii: ")"))
    }

    /// A double as `float8out` writes it (shortest digits that read back; fixed notation for exponents from -4
    /// to 14, else `1.5e+300`).
    static func appendFloat8(_ v: Double, to out: inout [UInt8]) {
        guard v.isFinite else { return appendFloating(v, to: &out) }
        if v == 0 { return out.append(contentsOf: (v.sign == .minus ? "-0" : "0").utf8) }
        // Swift's description has the same shortest digits; only where the point goes differs.
        let text = Array(v.magnitude.description.utf8)
        let e = text.firstIndex(of: UInt8(ascii: "e"))
        let mantissa = text[..<(e ?? text.endIndex)]
        var exponent = e.map { Int(String(decoding: text[($0 + 1)...], as: UTF8.self)) ?? 0 } ?? 0
        let point = mantissa.firstIndex(of: UInt8(ascii: ".")) ?? mantissa.endIndex
        exponent += point - mantissa.startIndex - 1
        var digits = Array(mantissa.filter { $0 != UInt8(ascii: ".") })
        while digits.first == UInt8(ascii: "0") && digits.count > 1 {
            digits.removeFirst()
            exponent -= 1
        }
        while digits.last == UInt8(ascii: "0") && digits.count > 1 { digits.removeLast() }
        if v < 0 { out.append(UInt8(ascii: "-")) }
        if exponent >= -4 && exponent < 15 {
            if exponent < 0 {
                out.append(contentsOf: "0.".utf8)
                out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -exponent - 1))
                out.append(contentsOf: digits)
            } else {
                let whole = exponent + 1
                out.append(contentsOf: digits.prefix(whole))
                if digits.count < whole {
                    out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: whole - digits.count))
                } else if digits.count > whole {
                    out.append(UInt8(ascii: "."))
                    out.append(contentsOf: digits[whole...])
                }
            }
            return
        }
        out.append(digits[0])
        if digits.count > 1 {
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: digits[1...])
        }
        out.append(UInt8(ascii: "e"))
        out.append(exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        DecimalDigits.append(UInt64(exponent.magnitude), minimumWidth: 2, to: &out)
    }

    private static func appendDecimal(_ v: Int64, to out: inout [UInt8]) {
        if v < 0 { out.append(UInt8(ascii: "-")) }
        DecimalDigits.append(v.magnitude, to: &out)
    }

    /// Floating-point values as text that reads back to the same value (`NaN` and `±Infinity` as PostgreSQL
    /// writes them).
    private static func appendFloating<F: BinaryFloatingPoint & LosslessStringConvertible>(
        _ v: F, to out: inout [UInt8]
    ) {
        if v.isNaN {
            out.append(contentsOf: "NaN".utf8)
        } else if v.isInfinite {
            out.append(contentsOf: (v < 0 ? "-Infinity" : "Infinity").utf8)
        } else {
            out.append(contentsOf: v.description.utf8)
        }
    }

    /// `numeric_send`'s form: digit count, weight (of the first base-10000 digit), sign, display scale, digits.
    private static func appendNumeric(_ r: inout ByteReader, to out: inout [UInt8]) throws {
        let count = Int(try r.i16())
        let weight = Int(try r.i16())
        let sign = try r.u16()
        let scale = Int(try r.i16())
        switch sign {
        case 0xC000: return out.append(contentsOf: "NaN".utf8)
        case 0xD000: return out.append(contentsOf: "Infinity".utf8)
        case 0xF000: return out.append(contentsOf: "-Infinity".utf8)
        case 0x0000, 0x4000: break
        default: throw Malformed(description: "numeric sign \(sign)")
        }
        guard count >= 0 else { throw Malformed(description: "numeric digit count \(count)") }
        var digits: [UInt16] = []
        digits.reserveCapacity(count)
        for _ in 0..<count { digits.append(try r.u16()) }
        func digit(_ i: Int) -> UInt64 { i >= 0 && i < digits.count ? UInt64(digits[i]) : 0 }
        if sign == 0x4000 { out.append(UInt8(ascii: "-")) }
        if weight < 0 {
            out.append(UInt8(ascii: "0"))
        } else {
            for i in 0...weight { DecimalDigits.append(digit(i), minimumWidth: i == 0 ? 1 : 4, to: &out) }
        }
        guard scale > 0 else { return }
        out.append(UInt8(ascii: "."))
        var written = 0
        var i = weight + 1
        while written < scale {
            DecimalDigits.append(digit(i), minimumWidth: 4, to: &out)
            let take = min(4, scale - written)
            out.removeLast(4 - take)
            written += take
            i += 1
        }
    }

    /// `cash_out` in the C locale: `-$1,234.56`.
    private static func appendMoney(_ cents: Int64, to out: inout [UInt8]) {
        if cents < 0 { out.append(UInt8(ascii: "-")) }
        out.append(UInt8(ascii: "$"))
        let magnitude = cents.magnitude
        var whole: [UInt8] = []
        DecimalDigits.append(magnitude / 100, to: &whole)
        for (i, d) in whole.enumerated() {
            if i > 0 && (whole.count - i) % 3 == 0 { out.append(UInt8(ascii: ",")) }
            out.append(d)
        }
        out.append(UInt8(ascii: "."))
        DecimalDigits.append(magnitude % 100, minimumWidth: 2, to: &out)
    }

    // MARK: Dates and times (microseconds and days since 2000-01-01)

    private static let daysFrom1970To2000 = 10_957
    private static let microsPerDay: Int64 = 86_400_000_000

    private static func appendDate(_ days: Int32, to out: inout [UInt8]) {
        if days == Int32.max { return out.append(contentsOf: "infinity".utf8) }
        if days == Int32.min { return out.append(contentsOf: "-infinity".utf8) }
        let civilDays = Int(days) + daysFrom1970To2000
        appendCivilDate(civilDays, to: &out)
        if CivilTime.civilFromDays(civilDays).year <= 0 { out.append(contentsOf: " BC".utf8) }
    }

    /// `YYYY-MM-DD` of a day since 1970 (years before 1 as `1 - year`, for the era written after).
    private static func appendCivilDate(_ days: Int, to out: inout [UInt8]) {
        let (year, month, day) = CivilTime.civilFromDays(days)
        DecimalDigits.append(UInt64(year > 0 ? year : 1 - year), minimumWidth: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        DecimalDigits.append(UInt64(month), minimumWidth: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        DecimalDigits.append(UInt64(day), minimumWidth: 2, to: &out)
    }

    /// `HH:MM:SS[.ffffff]`, trailing zeros of the fraction left out.
    private static func appendTime(_ micros: Int64, to out: inout [UInt8]) {
        let seconds = micros / 1_000_000
        DecimalDigits.append(UInt64(seconds / 3600), minimumWidth: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        DecimalDigits.append(UInt64(seconds / 60 % 60), minimumWidth: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendSeconds(UInt64(seconds % 60), fraction: UInt64(micros % 1_000_000), to: &out)
    }

    private static func appendSeconds(_ seconds: UInt64, fraction: UInt64, to out: inout [UInt8]) {
        DecimalDigits.append(seconds, minimumWidth: 2, to: &out)
        guard fraction > 0 else { return }
        var digits: [UInt8] = []
        DecimalDigits.append(fraction, minimumWidth: 6, to: &digits)
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        out.append(UInt8(ascii: "."))
        out.append(contentsOf: digits)
    }

    /// A UTC offset in seconds east, as `+HH[:MM[:SS]]`.
    private static func appendOffset(_ seconds: Int, to out: inout [UInt8]) {
        out.append(seconds < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        let magnitude = UInt64(seconds.magnitude)
        DecimalDigits.append(magnitude / 3600, minimumWidth: 2, to: &out)
        guard magnitude % 3600 != 0 else { return }
        out.append(UInt8(ascii: ":"))
        DecimalDigits.append(magnitude / 60 % 60, minimumWidth: 2, to: &out)
        guard magnitude % 60 != 0 else { return }
        out.append(UInt8(ascii: ":"))
        DecimalDigits.append(magnitude % 60, minimumWidth: 2, to: &out)
    }

    private static func appendTimestamp(_ micros: Int64, withOffset: Bool, to out: inout [UInt8]) {
        if micros == Int64.max { return out.append(contentsOf: "infinity".utf8) }
        if micros == Int64.min { return out.append(contentsOf: "-infinity".utf8) }
        var days = micros / microsPerDay
        var time = micros % microsPerDay
        if time < 0 {
            days -= 1
            time += microsPerDay
        }
        let civilDays = Int(days) + daysFrom1970To2000
        appendCivilDate(civilDays, to: &out)
        out.append(UInt8(ascii: " "))
        appendTime(time, to: &out)
        if withOffset { out.append(contentsOf: "+00".utf8) }
        if CivilTime.civilFromDays(civilDays).year <= 0 { out.append(contentsOf: " BC".utf8) }
    }

    /// `IntervalStyle=iso_8601`: `P1Y2M3DT4H5M6.5S`, each part with its own sign, `PT0S` for zero.
    private static func appendInterval(micros: Int64, days: Int32, months: Int32, to out: inout [UInt8]) {
        if micros == 0 && days == 0 && months == 0 { return out.append(contentsOf: "PT0S".utf8) }
        out.append(UInt8(ascii: "P"))
        func part(_ v: Int64, _ unit: Unicode.Scalar) {
            guard v != 0 else { return }
            appendDecimal(v, to: &out)
            out.append(UInt8(ascii: unit))
        }
        part(Int64(months / 12), "Y")
        part(Int64(months % 12), "M")
        part(Int64(days), "D")
        guard micros != 0 else { return }
        out.append(UInt8(ascii: "T"))
        part(micros / 3_600_000_000, "H")
        part(micros / 60_000_000 % 60, "M")
        let seconds = micros % 60_000_000
        guard seconds != 0 else { return }
        if seconds < 0 { out.append(UInt8(ascii: "-")) }
        var text: [UInt8] = []
        appendSeconds(seconds.magnitude / 1_000_000, fraction: seconds.magnitude % 1_000_000, to: &text)
        // Seconds are written without a leading zero here (`6.5S`, `0.5S`).
        if text.count > 1 && text[0] == UInt8(ascii: "0") && text[1] != UInt8(ascii: ".") { text.removeFirst() }
        out.append(contentsOf: text)
        out.append(UInt8(ascii: "S"))
    }

    // MARK: Containers

    /// `array_send`'s form: dimensions, a null flag, the element type, each dimension's length and lower bound,
    /// then the elements (length, -1 for null, and bytes).
    private static func appendArray(_ r: inout ByteReader, element: PostgresType, to out: inout [UInt8]) throws {
        let dimensions = Int(try r.i32())
        _ = try r.u32()  // whether there are nulls
        _ = try r.u32()  // the element type
        guard dimensions > 0 else { return out.append(contentsOf: "{}".utf8) }
        guard dimensions <= 6 else { throw Malformed(description: "array of \(dimensions) dimensions") }
        var lengths: [Int] = []
        var lowerBounds: [Int] = []
        for _ in 0..<dimensions {
            lengths.append(Int(try r.i32()))
            lowerBounds.append(Int(try r.i32()))
        }
        if lowerBounds.contains(where: { $0 != 1 }) {
            for (length, lower) in zip(lengths, lowerBounds) {
                out.append(UInt8(ascii: "["))
                appendDecimal(Int64(lower), to: &out)
                out.append(UInt8(ascii: ":"))
                appendDecimal(Int64(lower + length - 1), to: &out)
                out.append(UInt8(ascii: "]"))
            }
            out.append(UInt8(ascii: "="))
        }
        try appendArrayLevel(&r, lengths: lengths[...], element: element, to: &out)
    }

    private static func appendArrayLevel(
        _ r: inout ByteReader, lengths: ArraySlice<Int>, element: PostgresType, to out: inout [UInt8]
    ) throws {
        out.append(UInt8(ascii: "{"))
        for i in 0..<lengths[lengths.startIndex] {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            if lengths.count > 1 {
                try appendArrayLevel(&r, lengths: lengths.dropFirst(), element: element, to: &out)
                continue
            }
            let length = Int(try r.i32())
            guard length >= 0 else {
                out.append(contentsOf: "NULL".utf8)
                continue
            }
            var item = ByteReader(try r.take(length))
            var text: [UInt8] = []
            try append(&item, type: element, to: &text)
            appendQuotedIfNeeded(text, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// An array element as `array_out` writes it: in double quotes (with `"` and `\` escaped) when it is empty,
    /// reads as NULL, or holds braces, commas, quotes, backslashes or white space.
    private static func appendQuotedIfNeeded(_ text: [UInt8], to out: inout [UInt8]) {
        let quote =
            text.isEmpty || text.contains(where: arraySpecial.contains)
            || (text.count == 4 && String(decoding: text, as: UTF8.self).lowercased() == "null")
        guard quote else { return out.append(contentsOf: text) }
        appendQuoted(text, escape: .backslash, to: &out)
    }

    /// Bytes that make `array_out` quote an element: braces, comma, quote, backslash, white space.
    private static let arraySpecial: Set<UInt8> = [0x7B, 0x7D, 0x2C, 0x22, 0x5C, 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D]
    /// Bytes that make `range_out` quote a bound: quote, backslash, parentheses, brackets, comma, white space.
    private static let rangeSpecial: Set<UInt8> = [
        0x22, 0x5C, 0x28, 0x29, 0x5B, 0x5D, 0x2C, 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D,
    ]

    /// How quoted text escapes `"` and `\`: with a backslash (`array_out`, `hstore_out`), or by doubling them
    /// (`range_out`).
    private enum QuoteEscape { case backslash, doubling }

    /// `text` in double quotes, its `"` and `\` escaped.
    private static func appendQuoted(_ text: some Sequence<UInt8>, escape: QuoteEscape, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in text {
            if b == 0x22 || b == 0x5C { out.append(escape == .backslash ? 0x5C : b) }
            out.append(b)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `hstore_send`'s form: pair count, then each key and value (length, -1 for a null value, and bytes), written
    /// as `hstore_out` does: `"k"=>"v", "n"=>NULL`.
    private static func appendHStore(_ r: inout ByteReader, to out: inout [UInt8]) throws {
        let count = Int(try r.i32())
        for i in 0..<max(0, count) {
            if i > 0 { out.append(contentsOf: ", ".utf8) }
            appendQuoted(try r.take(Int(try r.i32())), escape: .backslash, to: &out)
            out.append(contentsOf: "=>".utf8)
            let length = Int(try r.i32())
            if length < 0 {
                out.append(contentsOf: "NULL".utf8)
            } else {
                appendQuoted(try r.take(length), escape: .backslash, to: &out)
            }
        }
    }

    /// `range_send`'s form: flags, then each finite bound (length and bytes), written as `range_out` does:
    /// `[1,5)`, `(,6)`, `empty`, bounds in double quotes when they need them.
    private static func appendRange(_ r: inout ByteReader, bound: UInt32, to out: inout [UInt8]) throws {
        let flags = try r.u8()
        if flags & 0x01 != 0 { return out.append(contentsOf: "empty".utf8) }
        out.append(flags & 0x02 != 0 ? UInt8(ascii: "[") : UInt8(ascii: "("))
        for (infinite, separator) in [(flags & 0x08 != 0, UInt8(ascii: ",")), (flags & 0x10 != 0, 0)] {
            if !infinite {
                var value = ByteReader(try r.take(Int(try r.i32())))
                var text: [UInt8] = []
                try appendBuiltin(&value, oid: bound, to: &text)
                if text.isEmpty || text.contains(where: rangeSpecial.contains) {
                    appendQuoted(text, escape: .doubling, to: &out)
                } else {
                    out.append(contentsOf: text)
                }
            }
            if separator != 0 { out.append(separator) }
        }
        out.append(flags & 0x04 != 0 ? UInt8(ascii: "]") : UInt8(ascii: ")"))
    }

    /// `inet_send`'s form: family (2 for IPv4, 3 for IPv6), prefix bits, whether it is a `cidr`, address length
    /// and bytes. The prefix is written for `cidr` always, for `inet` when it is not the whole address.
    private static func appendNetwork(_ r: inout ByteReader, isCIDR: Bool, to out: inout [UInt8]) throws {
        let family = try r.u8()
        let bits = Int(try r.u8())
        _ = try r.u8()
        let address = Array(try r.take(Int(try r.u8())))
        switch (family, address.count) {
        case (2, 4):
            for (i, b) in address.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ".")) }
                DecimalDigits.append(UInt64(b), to: &out)
            }
            if isCIDR || bits != 32 { appendPrefix(bits, to: &out) }
        case (3, 16):
            appendIPv6(address, to: &out)
            if isCIDR || bits != 128 { appendPrefix(bits, to: &out) }
        default:
            throw Malformed(description: "network address of family \(family) and \(address.count) bytes")
        }
    }

    private static func appendPrefix(_ bits: Int, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "/"))
        DecimalDigits.append(UInt64(bits), to: &out)
    }

    /// An IPv6 address as PostgreSQL writes it: the longest run of two or more zero groups as `::`, and the last
    /// four bytes in dotted form for IPv4-compatible and IPv4-mapped addresses.
    private static func appendIPv6(_ bytes: [UInt8], to out: inout [UInt8]) {
        let words = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var best: (base: Int, length: Int)? = nil
        var current: (base: Int, length: Int)? = nil
        for (i, word) in words.enumerated() {
            if word == 0 {
                current = current.map { ($0.base, $0.length + 1) } ?? (i, 1)
            } else if let run = current {
                if best == nil || run.length > best!.length { best = run }
                current = nil
            }
        }
        if let run = current, best == nil || run.length > best!.length { best = run }
        if let run = best, run.length < 2 { best = nil }
        let hex = Array("0123456789abcdef".utf8)
        for i in 0..<8 {
            if let run = best, i >= run.base && i < run.base + run.length {
                if i == run.base { out.append(UInt8(ascii: ":")) }
                continue
            }
            if i != 0 { out.append(UInt8(ascii: ":")) }
            if i == 6, let run = best, run.base == 0,
                run.length == 6 || (run.length == 7 && words[7] != 1) || (run.length == 5 && words[5] == 0xFFFF)
            {
                for (j, b) in bytes[12...].enumerated() {
                    if j > 0 { out.append(UInt8(ascii: ".")) }
                    DecimalDigits.append(UInt64(b), to: &out)
                }
                break
            }
            var started = false
            for shift in stride(from: 12, through: 0, by: -4) {
                let nibble = Int(words[i] >> UInt16(shift) & 0xF)
                if nibble != 0 || started || shift == 0 {
                    out.append(hex[nibble])
                    started = true
                }
            }
        }
        if let run = best, run.base + run.length == 8 { out.append(UInt8(ascii: ":")) }
    }

    /// `tsvectorsend`'s form: lexeme count, then each lexeme (NUL-terminated), its position count and positions
    /// (weight in the top two bits), written as `tsvectorout` does: `'fat':2A,4 'cat':3`.
    private static func appendTSVector(_ r: inout ByteReader, to out: inout [UInt8]) throws {
        let count = Int(try r.i32())
        for i in 0..<max(0, count) {
            if i > 0 { out.append(UInt8(ascii: " ")) }
            out.append(UInt8(ascii: "'"))
            while true {
                let b = try r.u8()
                if b == 0 { break }
                if b == UInt8(ascii: "'") || b == UInt8(ascii: "\\") { out.append(b) }
                out.append(b)
            }
            out.append(UInt8(ascii: "'"))
            let positions = Int(try r.u16())
            for j in 0..<positions {
                out.append(j == 0 ? UInt8(ascii: ":") : UInt8(ascii: ","))
                let position = try r.u16()
                DecimalDigits.append(UInt64(position & 0x3FFF), to: &out)
                switch position >> 14 {
                case 3: out.append(UInt8(ascii: "A"))
                case 2: out.append(UInt8(ascii: "B"))
                case 1: out.append(UInt8(ascii: "C"))
                default: break
                }
            }
        }
    }
}
