import TributaryCore

/// Kafka Connect's `Flatten$Key`/`$Value`: nested structs become top-level fields named by their path joined with
/// `delimiter` (default `.`). A field under an optional struct becomes optional; a struct's default passes to its
/// fields. Arrays and maps stay as they are; a null nested struct makes its fields null; a null value stays null.
final class Flatten: Transformation {
    private let part: RecordPart
    private let delimiter: String
    private let memo = SchemaMemo()

    init(_ part: RecordPart, _ config: Config) throws(ConfigError) {
        self.part = part
        delimiter = config.values["delimiter"] ?? "."
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        let value = part.value(of: record)
        guard let schema = part.schema(of: record) else {
            if value.isNull { return record }
            throw TransformError("Flatten", "only values with a schema are supported")
        }
        guard schema.type == .struct else {
            throw TransformError("Flatten", "only Struct values are supported, found \(schema.type.rawValue)")
        }
        let flat = memo.schema(for: schema) { schema in
            var fields: [(String, Schema)] = []
            flatten(schema, prefix: "", optional: schema.isOptional, parentDefault: schema.defaultValue, into: &fields)
            return .structCopyingBasics(of: schema, fields: fields)
        }
        guard case .struct(let s) = value else {
            return part.replacing(record, schema: flat, value: value.isNull ? .null : value)
        }
        var values: [Value] = []
        values.reserveCapacity(flat.fields.count)
        flattenValues(s, schema: schema, into: &values)
        return part.replacing(record, schema: flat, value: .struct(Struct(schema: flat, values: values)))
    }

    private func name(_ prefix: String, _ field: String) -> String {
        prefix.isEmpty ? field : prefix + delimiter + field
    }

    private func flatten(
        _ schema: Schema, prefix: String, optional: Bool, parentDefault: Value?, into fields: inout [(String, Schema)]
    ) {
        for field in schema.fields {
            let fieldOptional = optional || field.schema.isOptional
            var fieldDefault = field.schema.defaultValue
            if fieldDefault == nil, case .struct(let d)? = parentDefault { fieldDefault = d[field.index] }
            if field.schema.type == .struct {
                flatten(
                    field.schema, prefix: name(prefix, field.name), optional: fieldOptional,
                    parentDefault: fieldDefault,
                    into: &fields)
            } else {
                var converted = field.schema.copyingBasics(optional: fieldOptional)
                if let fieldDefault, !fieldDefault.isNull { converted = converted.withDefault(fieldDefault) }
                fields.append((name(prefix, field.name), converted))
            }
        }
    }

    private func flattenValues(_ s: Struct?, schema: Schema, into values: inout [Value]) {
        for field in schema.fields {
            let v = s?.value(at: field.index, replacingNullWithDefault: true) ?? .null
            if field.schema.type == .struct {
                flattenValues(v.structValue, schema: field.schema, into: &values)
            } else {
                values.append(v)
            }
        }
    }
}
