import TributaryCore

/// Kafka Connect's `ValueToKey`: the key becomes an unnamed struct of the value's `fields`.
final class ValueToKey: Transformation {
    private let fields: [String]
    private let replaceNullWithDefault: Bool
    private let memo = SchemaMemo()

    init(_ config: Config) throws(ConfigError) {
        fields = config.list("fields")
        guard !fields.isEmpty else { throw .missing(key: "fields") }
        replaceNullWithDefault = try config.bool("replace.null.with.default", default: true)
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        guard let schema = record.valueSchema, case .struct(let s) = record.value else {
            throw TransformError(
                "ValueToKey",
                "only Struct values with a schema are supported for copying fields from value to key, "
                    + "found \(record.value.isNull ? "null" : "\(record.value)")")
        }
        var indexes: [Int] = []
        for name in fields {
            guard let f = schema.field(named: name) else {
                throw TransformError("ValueToKey", "the value has no field \(name)")
            }
            indexes.append(f.index)
        }
        let keySchema = memo.schema(for: schema) { schema in
            Schema.struct(name: nil, fields: indexes.map { (schema.fields[$0].name, schema.fields[$0].schema) })
        }
        var copy = record
        copy.keySchema = keySchema
        copy.key = .struct(
            Struct(
                schema: keySchema,
                values: indexes.map { s.value(at: $0, replacingNullWithDefault: replaceNullWithDefault) }))
        return copy
    }
}
