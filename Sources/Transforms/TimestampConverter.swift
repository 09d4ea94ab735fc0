import TributaryCore

/// Kafka Connect's `TimestampConverter$Key`/`$Value`: converts a timestamp field (`field`), or the whole key or
/// value, between text (`format`, a `SimpleDateFormat` pattern, in UTC), Unix time (`unix.precision`) and Connect's
/// `Date`, `Time` and `Timestamp` (`target.type`).
///
/// The input's kind comes from its schema: Connect's logical names, else a string is text and an int64 Unix time
/// (so Debezium's `MicroTimestamp` is read with `unix.precision=microseconds`). Without a schema, strings are text
/// and int64s Unix time. As in Kafka, everything passes through milliseconds, so finer digits are cut.
final class TimestampConverter: Transformation {
    enum Kind: String, CaseIterable {
        case string, unix
        case date = "Date"
        case time = "Time"
        case timestamp = "Timestamp"
    }

    enum UnixPrecision: String, CaseIterable {
        case seconds, milliseconds, microseconds, nanoseconds
    }

    private let part: RecordPart
    private let field: String
    private let target: Kind
    private let format: JavaDateFormat?
    private let precision: UnixPrecision
    private let replaceNullWithDefault: Bool
    private let memo = SchemaMemo()

    init(_ part: RecordPart, _ config: Config) throws(ConfigError) {
        self.part = part
        field = config.string("field") ?? ""
        let targetText = try config.required("target.type")
        guard let target = Kind(rawValue: targetText) else {
            throw .invalid(
                key: "target.type", value: targetText,
                expected: "one of " + Kind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self.target = target
        let pattern = (config.string("format") ?? "").trimmed
        if target == .string && pattern.isEmpty {
            throw .missing(key: "format")
        }
        format = pattern.isEmpty ? nil : try JavaDateFormat(pattern, key: "format")
        let precisionText = config.string("unix.precision") ?? UnixPrecision.milliseconds.rawValue
        guard let precision = UnixPrecision(rawValue: precisionText) else {
            throw .invalid(
                key: "unix.precision", value: precisionText,
                expected: "one of " + UnixPrecision.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self.precision = precision
        replaceNullWithDefault = try config.bool("replace.null.with.default", default: true)
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        let value = part.value(of: record)
        guard let schema = part.schema(of: record) else { return try applySchemaless(record, value) }
        if field.isEmpty {
            let converted = try convert(value, from: try Self.kind(of: schema))
            return part.replacing(record, schema: targetSchema(optional: schema.isOptional), value: converted)
        }
        guard value.isNull || value.structValue != nil else {
            throw TransformError(
                "TimestampConverter",
                "Only Struct objects supported for [converting timestamp formats], found: \(value)")
        }
        let updated = try memo.schema(for: schema) { schema in
            guard schema.type == .struct else {
                throw TransformError(
                    "TimestampConverter", "Only Struct objects supported for [converting timestamp formats]")
            }
            let fields = schema.fields.map { f in
                (f.name, f.name == field ? targetSchema(optional: f.schema.isOptional) : f.schema)
            }
            var result = Schema.structCopyingBasics(of: schema, fields: fields).withOptional(schema.isOptional)
            if let d = schema.defaultValue?.structValue {
                result = result.withDefault(.struct(try convertFields(d, into: result)))
            }
            return result
        }
        guard let s = value.structValue else { return part.replacing(record, schema: updated, value: .null) }
        return part.replacing(record, schema: updated, value: .struct(try convertFields(s, into: updated)))
    }

    private func convertFields(_ s: Struct, into schema: Schema) throws -> Struct {
        var values: [Value] = []
        values.reserveCapacity(s.values.count)
        for f in s.schema.fields {
            let v = s.value(at: f.index, replacingNullWithDefault: replaceNullWithDefault)
            values.append(f.name == field ? try convert(v, from: try Self.kind(of: f.schema)) : v)
        }
        return Struct(schema: schema, values: values)
    }

    private func applySchemaless(_ record: SourceRecord, _ value: Value) throws -> SourceRecord {
        if value.isNull || field.isEmpty {
            return part.replacing(record, schema: nil, value: try convert(value, from: nil))
        }
        guard case .map(var entries) = value else {
            throw TransformError(
                "TimestampConverter",
                "Only Map objects supported in absence of schema for [converting timestamp formats], found: \(value)")
        }
        if let i = entries.firstIndex(where: { $0.key == .string(field) }) {
            entries[i].value = try convert(entries[i].value, from: nil)
        } else {
            entries.append(MapEntry(key: .string(field), value: .null))
        }
        return part.replacing(record, schema: nil, value: .map(entries))
    }

    /// What a schema says its timestamps are, as Kafka's `timestampTypeFromSchema` decides.
    private static func kind(of schema: Schema) throws -> Kind {
        switch schema.name {
        case ConnectLogical.timestampName?: return .timestamp
        case ConnectLogical.dateName?: return .date
        case ConnectLogical.timeName?: return .time
        default:
            if schema.type == .string { return .string }
            if schema.type == .int64 { return .unix }
            throw TransformError(
                "TimestampConverter",
                "Schema \(schema.name ?? schema.type.rawValue.uppercased()) does not correspond to a known timestamp "
                    + "type format")
        }
    }

    private func targetSchema(optional: Bool) -> Schema {
        switch target {
        case .string: optional ? .optionalString : .string
        case .unix: optional ? .optionalInt64 : .int64
        case .date: ConnectLogical.date(optional: optional)
        case .time: ConnectLogical.time(optional: optional)
        case .timestamp: ConnectLogical.timestamp(optional: optional)
        }
    }

    /// `value` (of kind `from`, inferred when nil) in the target kind; null stays null.
    private func convert(_ value: Value, from kind: Kind?) throws -> Value {
        if value.isNull { return .null }
        let millis = try toMillis(value, kind ?? inferredKind(value))
        switch target {
        case .string: return .string(format!.format(millis))
        case .unix:
            switch precision {
            case .seconds: return .int64(millis / 1000)
            case .milliseconds: return .int64(millis)
            case .microseconds: return .int64(Self.saturatingMultiply(millis, 1000))
            case .nanoseconds: return .int64(Self.saturatingMultiply(millis, 1_000_000))
            }
        case .date:
            let days = CivilTime.daysAndMillis(millis).days
            guard let days32 = Int32(exactly: days) else {
                throw TransformError("TimestampConverter", "\(millis) ms is out of the range of a Connect Date")
            }
            return .int32(days32)
        case .time: return .int32(Int32(CivilTime.daysAndMillis(millis).millisOfDay))
        case .timestamp: return .int64(millis)
        }
    }

    private func inferredKind(_ value: Value) throws -> Kind {
        switch value {
        case .int64: return .unix
        case .string: return .string
        default:
            throw TransformError("TimestampConverter", "TimestampConverter does not support \(value) as a timestamp")
        }
    }

    private func toMillis(_ value: Value, _ kind: Kind) throws -> Int64 {
        switch (kind, value) {
        case (.string, .string(let text)):
            guard let format else {
                throw TransformError("TimestampConverter", "a string timestamp needs the format option to be read")
            }
            guard let millis = format.parse(text) else {
                throw TransformError(
                    "TimestampConverter",
                    "Could not parse timestamp: value (\(text)) does not match pattern (\(format.pattern))")
            }
            return millis
        case (.unix, .int64(let v)):
            switch precision {
            case .seconds: return Self.saturatingMultiply(v, 1000)
            case .milliseconds: return v
            case .microseconds: return v / 1000
            case .nanoseconds: return v / 1_000_000
            }
        case (.date, .int32(let days)): return Int64(days) * 86_400_000
        case (.time, .int32(let ms)): return Int64(ms)
        case (.timestamp, .int64(let ms)): return ms
        default:
            throw TransformError("TimestampConverter", "Expected \(kind.rawValue) timestamp, found \(value)")
        }
    }

    /// Java's `TimeUnit` conversions saturate instead of overflowing.
    private static func saturatingMultiply(_ a: Int64, _ b: Int64) -> Int64 {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? (a < 0 ? .min : .max) : product
    }
}
