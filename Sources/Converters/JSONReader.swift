import TributaryCore

/// A cursor over a JSON text (RFC 8259) that converters read straight into Connect values, without an
/// intermediate tree: objects and arrays are walked member by member, scalars are decoded on demand.
///
/// Strict: invalid UTF-8, control characters in strings, trailing commas, leading zeros and nesting deeper than
/// `maximumDepth` are errors, never repaired.
struct JSONReader {
    /// Nesting limit. Jackson's default is 1000; Connect data nests far less, and a limit low enough that even a
    /// sanitizer build's large frames stay well within a thread's stack keeps a hostile document from overflowing it.
    static let maximumDepth = 100

    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The kinds of JSON value, as Jackson's `JsonNodeType` names them in Kafka's messages.
    enum Kind: String {
        case object = "OBJECT"
        case array = "ARRAY"
        case string = "STRING"
        case number = "NUMBER"
        case boolean = "BOOLEAN"
        case null = "NULL"
    }

    func error(_ message: String) -> DataError {
        DataError(
            "Converting byte[] to Kafka Connect data failed due to serialization error: \(message) at byte \(position)")
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// The kind of the next value, after whitespace.
    mutating func peekKind() throws(DataError) -> Kind {
        skipWhitespace()
        guard position < bytes.count else { throw error("unexpected end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .boolean
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw error("unexpected character '\(Self.printable(bytes[position]))'")
        }
    }

    /// Fails unless only whitespace is left.
    mutating func expectEnd() throws(DataError) {
        skipWhitespace()
        guard position == bytes.count else { throw error("unexpected data after the JSON value") }
    }

    mutating func expect(_ c: UInt8) throws(DataError) {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == c else {
            if position == bytes.count { throw error("unexpected end of input, expected '\(Self.printable(c))'") }
            throw error("expected '\(Self.printable(c))', found '\(Self.printable(bytes[position]))'")
        }
        position += 1
    }

    /// Opens an object; follow with `nextKey(first:)` until it returns nil.
    mutating func beginObject() throws(DataError) { try expect(UInt8(ascii: "{")) }

    /// The next member's key (its value follows), or nil at the closing brace.
    mutating func nextKey(first: inout Bool) throws(DataError) -> String? {
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return nil
        }
        if !first { try expect(UInt8(ascii: ",")) }
        first = false
        skipWhitespace()
        let key = try readString()
        try expect(UInt8(ascii: ":"))
        return key
    }

    /// Opens an array; follow with `nextElement(first:)` until it returns false.
    mutating func beginArray() throws(DataError) { try expect(UInt8(ascii: "[")) }

    /// Whether another element follows (positioned at it), false at the closing bracket.
    mutating func nextElement(first: inout Bool) throws(DataError) -> Bool {
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return false
        }
        if !first { try expect(UInt8(ascii: ",")) }
        first = false
        return true
    }

    /// Reads `true`, `false` or `null`; nil for null.
    mutating func readLiteral() throws(DataError) -> Bool? {
        skipWhitespace()
        if matches("true") {
            position += 4
            return true
        }
        if matches("false") {
            position += 5
            return false
        }
        if matches("null") {
            position += 4
            return nil
        }
        throw error("unrecognized token")
    }

    private func matches(_ word: StaticString) -> Bool {
        guard position + word.utf8CodeUnitCount <= bytes.count else { return false }
        for i in 0..<word.utf8CodeUnitCount where bytes[position + i] != word.utf8Start[i] { return false }
        return true
    }

    /// A number token: its byte range and whether it is integral (no fraction, no exponent).
    mutating func readNumber() throws(DataError) -> (range: Range<Int>, integral: Bool) {
        skipWhitespace()
        let start = position
        var integral = true
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        let integerStart = position
        try digits()
        if bytes[integerStart] == UInt8(ascii: "0"), position - integerStart > 1 {
            throw error("leading zeros are not allowed")
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            integral = false
            position += 1
            try digits()
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            integral = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            try digits()
        }
        return (start..<position, integral)
    }

    private mutating func digits() throws(DataError) {
        let start = position
        while position < bytes.count, bytes[position] &- UInt8(ascii: "0") < 10 { position += 1 }
        guard position > start else { throw error("malformed number") }
    }

    /// The integer in `range` (an integral number token), nil if it does not fit 64 bits.
    func int64(_ range: Range<Int>) -> Int64? {
        var i = range.lowerBound
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        var magnitude: UInt64 = 0
        while i < range.upperBound {
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(bytes[i] &- UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            magnitude = s
            i += 1
        }
        if negative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// The text of `range`.
    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// Reads a string, decoding escapes; the reader must be at its opening quote.
    mutating func readString() throws(DataError) -> String {
        try expect(UInt8(ascii: "\""))
        let start = position
        while position < bytes.count {
            let c = bytes[position]
            if c == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
                position += 1
                guard let text = UTF8Text.string(validating: slice) else { throw error("invalid UTF-8") }
                return text
            }
            if c == UInt8(ascii: "\\") { return try readEscapedString(from: start) }
            guard c >= 0x20 else { throw error("unescaped control character in a string") }
            position += 1
        }
        throw error("unterminated string")
    }

    private mutating func readEscapedString(from start: Int) throws(DataError) -> String {
        var out = Array(UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            let c = bytes[position]
            position += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let text = UTF8Text.string(validating: out[...]) else { throw error("invalid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { break }
                let e = bytes[position]
                position += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): try appendUnicodeEscape(to: &out)
                default: throw error("invalid escape '\\\(Self.printable(e))'")
                }
            default:
                guard c >= 0x20 else { throw error("unescaped control character in a string") }
                out.append(c)
            }
        }
        throw error("unterminated string")
    }

    /// Decodes `XXXX` after `\u`, joining a surrogate pair with the `\uXXXX` that must follow a high surrogate.
    private mutating func appendUnicodeEscape(to out: inout [UInt8]) throws(DataError) {
        var scalar = try hex4()
        if (0xD800..<0xDC00).contains(scalar) {
            guard matches("\\u") else { throw error("unpaired surrogate in a \\u escape") }
            position += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in a \\u escape") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(scalar) {
            throw error("unpaired surrogate in a \\u escape")
        }
        out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
    }

    private mutating func hex4() throws(DataError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape")
            }
            v = v << 4 | UInt32(digit)
            position += 1
        }
        return v
    }

    /// Skips one value of any kind, checking its syntax.
    mutating func skipValue(depth: Int = 0) throws(DataError) {
        guard depth < Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth)") }
        switch try peekKind() {
        case .object:
            try beginObject()
            var first = true
            while try nextKey(first: &first) != nil { try skipValue(depth: depth + 1) }
        case .array:
            try beginArray()
            var first = true
            while try nextElement(first: &first) { try skipValue(depth: depth + 1) }
        case .string: _ = try readString()
        case .number: _ = try readNumber()
        case .boolean, .null: _ = try readLiteral()
        }
    }

    private static func printable(_ c: UInt8) -> String {
        c >= 0x20 && c < 0x7F ? String(UnicodeScalar(c)) : "0x" + String(c, radix: 16)
    }
}
