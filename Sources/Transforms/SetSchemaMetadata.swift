import TributaryCore

/// Kafka Connect's `SetSchemaMetadata$Key`/`$Value`: sets the schema's `schema.name` and/or `schema.version`,
/// keeping everything else; a struct value is re-pointed at the new schema.
final class SetSchemaMetadata: Transformation {
    private let part: RecordPart
    private let name: String?
    private let version: Int?
    private let memo = SchemaMemo()

    init(_ part: RecordPart, _ config: Config) throws(ConfigError) {
        self.part = part
        name = config.string("schema.name")
        version = config.string("schema.version") == nil ? nil : try config.int("schema.version", default: 0)
        if name == nil && version == nil {
            throw .other(key: "schema.name", message: "set schema.name or schema.version (or both)")
        }
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        guard let schema = part.schema(of: record) else {
            throw TransformError("SetSchemaMetadata", "Schemaless records are not supported")
        }
        let updated = memo.schema(for: schema) { s in
            Schema(
                type: s.type, optional: s.isOptional, defaultValue: s.defaultValue, name: name ?? s.name,
                version: version ?? s.version, doc: s.doc, parameters: s.parameters, fields: s.fields,
                keySchema: s.keySchema, valueSchema: s.valueSchema)
        }
        var value = part.value(of: record)
        if case .struct(let s) = value { value = .struct(Struct(schema: updated, values: s.values)) }
        return part.replacing(record, schema: updated, value: value)
    }
}
