import Converters
import TributaryCore

/// Kafka Connect's `Cast$Key`/`$Value`: casts fields (`spec=field:type,…`) or the whole key or value
/// (`spec=type`) to int8, int16, int32, int64, float32, float64, boolean or string, as Kafka's `Cast` does:
/// numbers narrow as Java's `Number.intValue()` and friends do, booleans become 1/0, strings are parsed, and
/// anything becomes its Java `toString()` (bytes as base64, Connect's dates in ISO form). The cast fields'
/// schemas are plain types (optional and default kept); the struct keeps its name, version and doc.
final class Cast: Transformation {
    private static let types: [String: SchemaType] = [
        "int8": .int8, "int16": .int16, "int32": .int32, "int64": .int64, "float32": .float32,
        "float64": .float64, "boolean": .boolean, "string": .string,
    ]

    private let part: RecordPart
    private let whole: SchemaType?
    private let casts: [String: SchemaType]
    private let replaceNullWithDefault: Bool
    private let memo = SchemaMemo()

    init(_ part: RecordPart, _ config: Config) throws(ConfigError) {
        self.part = part
        let spec = config.list("spec")
        guard !spec.isEmpty else { throw .missing(key: "spec") }
        var whole: SchemaType?
        var casts: [String: SchemaType] = [:]
        for entry in spec {
            let pieces = entry.split(separator: ":", omittingEmptySubsequences: false).map { String($0).trimmed }
            let expected = "field:type pairs or one type; types: " + Self.types.keys.sorted().joined(separator: ", ")
            if pieces.count == 1, spec.count == 1, let type = Self.types[pieces[0]] {
                whole = type
            } else if pieces.count == 2, !pieces[0].isEmpty, let type = Self.types[pieces[1]] {
                casts[pieces[0]] = type
            } else {
                throw .invalid(key: "spec", value: entry, expected: expected)
            }
        }
        self.whole = whole
        self.casts = casts
        replaceNullWithDefault = try config.bool("replace.null.with.default", default: true)
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        let value = part.value(of: record)
        guard let schema = part.schema(of: record) else {
            if value.isNull { return record }
            throw TransformError("Cast", "only values with a schema are supported")
        }
        if let whole {
            let target = try memo.schema(for: schema) { try Self.castSchema($0, to: whole) }
            return part.replacing(record, schema: target, value: try Self.cast(value, from: schema, to: whole))
        }
        if value.isNull { return record }
        guard case .struct(let s) = value else {
            throw TransformError("Cast", "only Struct values can have field casts, found \(value)")
        }
        let updated = try memo.schema(for: schema) { schema in
            var fields: [(String, Schema)] = []
            for field in schema.fields {
                if let type = casts[field.name] {
                    guard Self.isCastable(field.schema) else {
                        throw TransformError("Cast", "field \(field.name) of type \(field.schema.type) cannot be cast")
                    }
                    fields.append((field.name, try Self.castSchema(field.schema, to: type)))
                } else {
                    fields.append((field.name, field.schema))
                }
            }
            return .structCopyingBasics(of: schema, fields: fields)
        }
        var values: [Value] = []
        values.reserveCapacity(s.values.count)
        for field in s.schema.fields {
            let v = s.value(at: field.index, replacingNullWithDefault: replaceNullWithDefault)
            values.append(try casts[field.name].map { try Self.cast(v, from: field.schema, to: $0) } ?? v)
        }
        return part.replacing(record, schema: updated, value: .struct(Struct(schema: updated, values: values)))
    }

    private static func isCastable(_ schema: Schema) -> Bool {
        schema.type != .array && schema.type != .map && schema.type != .struct
    }

    /// A plain schema of `type`, with the original's optionality and its default cast.
    private static func castSchema(_ schema: Schema, to type: SchemaType) throws -> Schema {
        var target = Schema(type: type, optional: schema.isOptional)
        if let d = schema.defaultValue, !d.isNull { target = target.withDefault(try cast(d, from: schema, to: type)) }
        return target
    }

    static func cast(_ value: Value, from schema: Schema, to type: SchemaType) throws -> Value {
        if value.isNull { return .null }
        if type == .string {
            switch (value, schema.name) {
            case (.int32(let days), ConnectLogical.dateName?): return .string(isoDate(millis: Int64(days) * 86_400_000))
            case (.int32(let ms), ConnectLogical.timeName?): return .string(isoTime(millis: Int64(ms)))
            case (.int64(let ms), ConnectLogical.timestampName?):
                return .string(isoDate(millis: ms) + "T" + isoTime(millis: ms) + "Z")
            case (.bytes(let b), _):
                var out: [UInt8] = []
                Base64.encode(b, into: &out)
                return .string(String(decoding: out, as: UTF8.self))
            default:
                var text = ""
                StringConverter.write(value, schema: nil, into: &text)
                return .string(text)
            }
        }
        // A number as Java's Number would give it in each width.
        let integer: Int64?
        let real: Double?
        switch value {
        case .int8(let v): (integer, real) = (Int64(v), Double(v))
        case .int16(let v): (integer, real) = (Int64(v), Double(v))
        case .int32(let v): (integer, real) = (Int64(v), Double(v))
        case .int64(let v): (integer, real) = (v, Double(v))
        case .float32(let v): (integer, real) = (javaLong(Double(v)), Double(v))
        case .float64(let v): (integer, real) = (javaLong(v), v)
        case .decimal(let d): (integer, real) = (javaLong(d.doubleValue), d.doubleValue)
        case .boolean(let b): (integer, real) = (b ? 1 : 0, b ? 1 : 0)
        case .string(let s):
            switch type {
            case .boolean: return .boolean(s.lowercased() == "true")
            case .float32, .float64: real = Double(s.trimmed); integer = nil
            default: integer = Int64(s.trimmed); real = nil
            }
            guard integer != nil || real != nil else {
                throw TransformError("Cast", "value \"\(s)\" is not a \(type.rawValue)")
            }
        default: throw TransformError("Cast", "cannot cast \(value) to \(type.rawValue)")
        }
        switch type {
        case .int8: return .int8(Int8(truncatingIfNeeded: integer ?? javaLong(real!)))
        case .int16: return .int16(Int16(truncatingIfNeeded: integer ?? javaLong(real!)))
        case .int32: return .int32(Int32(truncatingIfNeeded: integer ?? javaLong(real!)))
        case .int64: return .int64(integer ?? javaLong(real!))
        case .float32: return .float32(Float(real ?? Double(integer!)))
        case .float64: return .float64(real ?? Double(integer!))
        case .boolean: return .boolean((integer ?? 0) != 0 || (real.map { $0 != 0 } ?? false))
        default: throw TransformError("Cast", "unsupported target type \(type.rawValue)")
        }
    }

    /// Java's `(long) double`: toward zero, NaN as 0, saturating at the ends.
    private static func javaLong(_ v: Double) -> Int64 {
        if v.isNaN { return 0 }
        if v >= 9.223372036854775807e18 { return .max }
        if v <= -9.223372036854775808e18 { return .min }
        return Int64(v.rounded(.towardZero))
    }

    private static func isoDate(millis: Int64) -> String {
        let (y, m, d) = CivilTime.civilFromDays(Int(CivilTime.daysAndMillis(millis).days))
        func pad(_ n: Int, _ width: Int) -> String {
            String(repeating: "0", count: max(0, width - String(n).count)) + String(n)
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    private static func isoTime(millis: Int64) -> String {
        let ms = Int(CivilTime.daysAndMillis(millis).millisOfDay)
        var out: [UInt8] = []
        CivilTime.appendTimeOfDay(seconds: ms / 1000, micros: ms % 1000 * 1000, fractionDigits: 3, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
