import TributaryCore

/// Header values as Kafka Connect's default header converter (`SimpleHeaderConverter`) writes them: a string as its
/// UTF-8 bytes, anything else in the text form of Connect's `Values.convertToString` (`{"id":5,"s":"a\"b"}`:
/// JSON-like, Java's number forms, bytes as quoted base64, only `\` and `"` escaped in strings).
public enum SimpleHeaderFormat {
    /// The header bytes for `value`, nil for null.
    public static func bytes(_ value: Value) -> [UInt8]? {
        switch value {
        case .null: return nil
        case .string(let s): return Array(s.utf8)
        default:
            var w = JSONWriter(capacity: 64)
            append(value, embedded: false, into: &w)
            return w.bytes
        }
    }

    private static func append(_ value: Value, embedded: Bool, into w: inout JSONWriter) {
        switch value {
        case .null: w.null()
        case .boolean(let b): w.bool(b)
        case .int8(let v): w.int(Int64(v))
        case .int16(let v): w.int(Int64(v))
        case .int32(let v): w.int(Int64(v))
        case .int64(let v): w.int(v)
        case .float32(let v): w.float(v)
        case .float64(let v): w.double(v)
        case .decimal(let d): w.raw(Array(javaDecimalText(d).utf8))
        case .string(let s):
            guard embedded else { return w.raw(Array(s.utf8)) }
            w.byte(UInt8(ascii: "\""))
            for c in s.utf8 {
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { w.byte(UInt8(ascii: "\\")) }
                w.byte(c)
            }
            w.byte(UInt8(ascii: "\""))
        case .bytes(let b):
            w.byte(UInt8(ascii: "\""))
            w.raw(Array(Base64.encodeString(b, urlSafe: false).utf8))
            w.byte(UInt8(ascii: "\""))
        case .array(let elements):
            w.byte(UInt8(ascii: "["))
            for (i, e) in elements.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                append(e, embedded: true, into: &w)
            }
            w.byte(UInt8(ascii: "]"))
        case .map(let entries):
            w.byte(UInt8(ascii: "{"))
            for (i, e) in entries.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                append(e.key, embedded: true, into: &w)
                w.byte(UInt8(ascii: ":"))
                append(e.value, embedded: true, into: &w)
            }
            w.byte(UInt8(ascii: "}"))
        case .struct(let s):
            w.byte(UInt8(ascii: "{"))
            for (i, field) in s.schema.fields.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                append(.string(field.name), embedded: true, into: &w)
                w.byte(UInt8(ascii: ":"))
                append(i < s.values.count ? s.values[i] : .null, embedded: true, into: &w)
            }
            w.byte(UInt8(ascii: "}"))
        }
    }

    /// Java's `BigDecimal.toString`: plain when the scale is not negative and the adjusted exponent is at least
    /// -6, else scientific (`1E-7`, `1.5E+3`).
    static func javaDecimalText(_ d: BigDecimal) -> String {
        let digits = d.unscaledDigits.map { Character(Unicode.Scalar($0 + 48)) }
        let adjusted = -Int(d.scale) + digits.count - 1
        if d.scale >= 0 && adjusted >= -6 { return d.description }
        var text = d.isNegative ? "-" : ""
        text.append(digits[0])
        if digits.count > 1 {
            text.append(".")
            text.append(contentsOf: digits.dropFirst())
        }
        text.append("E")
        text.append(adjusted >= 0 ? "+\(adjusted)" : "\(adjusted)")
        return text
    }
}
