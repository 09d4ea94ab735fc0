import TributaryCore

/// Kafka Connect's `org.apache.kafka.connect.storage.StringConverter`: the value's Java `toString()` in UTF-8
/// (`converter.encoding`; only UTF-8 here), null for null. Structs print as Connect's `Struct{a=1,b=x}` (null
/// fields left out), lists as `[a, b]`, maps as `{k=v}`, decimals as Java's `BigDecimal.toString`, Connect's
/// Date/Time/Timestamp as `java.util.Date` prints them in UTC. Bytes differ on purpose: Java prints an object id
/// (`[B@1b6d3586`), useless to anyone; they are written as base64.
public final class StringConverter: Converter {
    public static let className = "org.apache.kafka.connect.storage.StringConverter"

    public init(_ config: Config) throws(ConfigError) {
        let encoding = config.string("converter.encoding") ?? config.string("encoding") ?? "UTF-8"
        guard ["utf-8", "utf8"].contains(encoding.lowercased()) else {
            throw .invalid(key: "converter.encoding", value: encoding, expected: "UTF-8")
        }
    }

    public func fromConnectData(topic: String, schema: Schema?, value: Value) throws -> [UInt8]? {
        if value.isNull { return nil }
        var text = ""
        Self.write(value, schema: schema, into: &text)
        return Array(text.utf8)
    }

    /// Appends the Java `toString()` of `value` (as this converter writes it) to `text`.
    public static func write(_ value: Value, schema: Schema?, into text: inout String) {
        switch value {
        case .null: text += "null"
        case .boolean(let v): text += v ? "true" : "false"
        case .int8(let v): text += String(v)
        case .int16(let v): text += String(v)
        case .int32(let v):
            switch schema?.name {
            case ConnectLogical.dateName?: text += javaDate(millis: Int64(v) * 86_400_000)
            case ConnectLogical.timeName?: text += javaDate(millis: Int64(v))
            default: text += String(v)
            }
        case .int64(let v): text += schema?.name == ConnectLogical.timestampName ? javaDate(millis: v) : String(v)
        case .float32(let v): text += javaNumber(Double(v), float: true)
        case .float64(let v): text += javaNumber(v, float: false)
        case .string(let v): text += v
        case .bytes(let v):
            var out: [UInt8] = []
            Base64.encode(v, into: &out)
            text += String(decoding: out, as: UTF8.self)
        case .decimal(let d): text += javaString(d)
        case .array(let items):
            text += "["
            for (i, item) in items.enumerated() {
                if i > 0 { text += ", " }
                write(item, schema: schema?.valueSchema, into: &text)
            }
            text += "]"
        case .map(let entries):
            text += "{"
            for (i, e) in entries.enumerated() {
                if i > 0 { text += ", " }
                write(e.key, schema: schema?.keySchema, into: &text)
                text += "="
                write(e.value, schema: schema?.valueSchema, into: &text)
            }
            text += "}"
        case .struct(let s):
            text += "Struct{"
            var first = true
            for field in s.schema.fields where !s.values[field.index].isNull {
                if !first { text += "," }
                first = false
                text += field.name + "="
                write(s.values[field.index], schema: field.schema, into: &text)
            }
            text += "}"
        }
    }

    /// Java's `Double.toString`/`Float.toString` (the digits Jackson prints too), with `NaN` and `Infinity` bare.
    private static func javaNumber(_ v: Double, float: Bool) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Infinity" : "Infinity" }
        var w = JSONWriter(capacity: 24)
        if float { w.float(Float(v)) } else { w.double(v) }
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// Java's `BigDecimal.toString`: plain unless the scale is negative or the number is below 10^-6, then
    /// scientific (`1.23E-7`, `1E+3`).
    static func javaString(_ d: BigDecimal) -> String {
        let digits = d.unscaledDigits.drop { $0 == 0 }
        let unscaled = digits.isEmpty ? "0" : String(digits.map { Character(Unicode.Scalar($0 + 48)) })
        let adjusted = -Int(d.scale) + (unscaled.count - 1)
        if d.scale >= 0 && adjusted >= -6 { return d.description }
        var text = d.isNegative ? "-" : ""
        text += String(unscaled.prefix(1))
        if unscaled.count > 1 { text += "." + unscaled.dropFirst() }
        text += "E" + (adjusted >= 0 ? "+" : "") + String(adjusted)
        return text
    }

    /// `java.util.Date.toString()` in UTC: `Thu Jan 01 00:00:00 UTC 1970`.
    private static func javaDate(millis: Int64) -> String {
        let (days, ms) = CivilTime.daysAndMillis(millis)
        let (year, month, day) = CivilTime.civilFromDays(Int(days))
        let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        var time: [UInt8] = []
        CivilTime.appendTimeOfDay(seconds: Int(ms / 1000), micros: 0, fractionDigits: 0, to: &time)
        let weekday = weekdays[Int(((days % 7) + 7) % 7)]
        return "\(weekday) \(months[month - 1]) \(day < 10 ? "0" : "")\(day) \(String(decoding: time, as: UTF8.self))"
            + " UTC \(year)"
    }
}

/// Kafka Connect's `org.apache.kafka.connect.converters.ByteArrayConverter`: bytes pass through unchanged; any
/// other schema or value is an error.
extension StringConverter: ReadingConverter {
    /// The bytes as an optional string. Invalid UTF-8 is an error where Java would put U+FFFD in silently.
    public func toConnectData(topic: String, bytes: [UInt8]?) throws -> SchemaAndValue {
        guard let bytes else { return SchemaAndValue(schema: .optionalString, value: .null) }
        guard let text = UTF8Text.string(validating: bytes[...]) else {
            throw DataError("StringConverter: the bytes are not valid UTF-8")
        }
        return SchemaAndValue(schema: .optionalString, value: .string(text))
    }
}

public final class ByteArrayConverter: ReadingConverter {
    public static let className = "org.apache.kafka.connect.converters.ByteArrayConverter"

    public init() {}

    public func fromConnectData(topic: String, schema: Schema?, value: Value) throws -> [UInt8]? {
        if let schema, schema.type != .bytes {
            throw DataError("Invalid schema type for ByteArrayConverter: \(schema.type.rawValue.uppercased())")
        }
        switch value {
        case .null: return nil
        case .bytes(let bytes): return bytes
        default: throw DataError("ByteArrayConverter is not compatible with objects of type \(value)")
        }
    }

    public func toConnectData(topic: String, bytes: [UInt8]?) throws -> SchemaAndValue {
        SchemaAndValue(schema: .optionalBytes, value: bytes.map(Value.bytes) ?? .null)
    }
}
