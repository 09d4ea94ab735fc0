import TributaryCore

/// Kafka Connect's `HoistField$Key`/`$Value`: wraps the key or value in a struct with one field (`field`).
final class HoistField: Transformation {
    private let part: RecordPart
    private let field: String
    private let memo = SchemaMemo()

    init(_ part: RecordPart, _ config: Config) throws(ConfigError) {
        self.part = part
        field = try config.required("field")
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        let value = part.value(of: record)
        guard let schema = part.schema(of: record) else {
            // Schemaless: a map with the one entry, as Kafka's `Collections.singletonMap`.
            return part.replacing(record, schema: nil, value: .map([MapEntry(key: .string(field), value: value)]))
        }
        let updated = memo.schema(for: schema) { Schema.struct(name: nil, fields: [(field, $0)]) }
        return part.replacing(record, schema: updated, value: .struct(Struct(schema: updated, values: [value])))
    }
}
