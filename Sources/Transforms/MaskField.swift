import TributaryCore

/// Kafka Connect's `MaskField$Key`/`$Value`: replaces `fields` by their type's empty value (0, false, "", zero
/// decimal, the epoch), or by `replacement` parsed as the field's type. Null values (tombstones) pass unchanged.
final class MaskField: Transformation {
    private let part: RecordPart
    private let fields: Set<String>
    private let replacement: String?
    private let replaceNullWithDefault: Bool

    init(_ part: RecordPart, _ config: Config) throws(ConfigError) {
        self.part = part
        fields = Set(config.list("fields"))
        guard !fields.isEmpty else { throw .missing(key: "fields") }
        replacement = config.values["replacement"].flatMap { $0.isEmpty ? nil : $0 }
        replaceNullWithDefault = try config.bool("replace.null.with.default", default: true)
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        let value = part.value(of: record)
        if value.isNull { return record }
        guard case .struct(let s) = value else {
            throw TransformError("MaskField", "only Struct values are supported, found \(value)")
        }
        var masked = s
        for field in s.schema.fields {
            let current = s.value(at: field.index, replacingNullWithDefault: replaceNullWithDefault)
            masked[field.index] = fields.contains(field.name) ? try mask(current, field) : current
        }
        return part.replacing(record, schema: part.schema(of: record), value: .struct(masked))
    }

    private func mask(_ value: Value, _ field: Field) throws -> Value {
        if value.isNull { return .null }
        if let replacement { return try parse(replacement, as: value, field: field.name) }
        switch value {
        case .boolean: return .boolean(false)
        case .int8: return .int8(0)
        case .int16: return .int16(0)
        case .int32: return .int32(0)
        case .int64: return .int64(0)
        case .float32: return .float32(0)
        case .float64: return .float64(0)
        case .string: return .string("")
        case .bytes: return .bytes([])
        case .decimal(let d): return .decimal(BigDecimal(unscaled: [0], scale: d.scale))
        case .array: return .array([])
        case .map: return .map([])
        case .null, .struct:
            throw TransformError("MaskField", "cannot mask field \(field.name) of type \(field.schema.type)")
        }
    }

    private func parse(_ text: String, as value: Value, field: String) throws -> Value {
        let parsed: Value? =
            switch value {
            case .string: .string(text)
            case .int8: Int8(text).map(Value.int8)
            case .int16: Int16(text).map(Value.int16)
            case .int32: Int32(text).map(Value.int32)
            case .int64: Int64(text).map(Value.int64)
            case .float32: Float(text).map(Value.float32)
            case .float64: Double(text).map(Value.float64)
            case .decimal: BigDecimal(text).map(Value.decimal)
            default: nil
            }
        guard let parsed else {
            throw TransformError("MaskField", "replacement \"\(text)\" does not fit field \(field) (\(value))")
        }
        return parsed
    }
}
