import TributaryCore

/// Kafka Connect's `InsertField$Key`/`$Value`: adds the record's topic, partition or timestamp, or a static
/// string, as fields (`topic.field`, `partition.field`, `timestamp.field`, `static.field` + `static.value`; a
/// name ending in `!` makes the field required, `?` or nothing optional). Null values (tombstones) pass unchanged.
final class InsertField: Transformation {
    private struct Spec {
        let name: String
        let optional: Bool

        init?(_ text: String?) {
            guard let text, !text.isEmpty else { return nil }
            if text.hasSuffix("!") {
                name = String(text.dropLast())
                optional = false
            } else {
                name = text.hasSuffix("?") ? String(text.dropLast()) : text
                optional = true
            }
        }
    }

    private let part: RecordPart
    private let topic, partition, timestamp, staticField: Spec?
    private let staticValue: String?
    private let replaceNullWithDefault: Bool
    private let memo = SchemaMemo()

    init(_ part: RecordPart, _ config: Config) throws(ConfigError) {
        self.part = part
        topic = Spec(config.string("topic.field"))
        partition = Spec(config.string("partition.field"))
        timestamp = Spec(config.string("timestamp.field"))
        staticField = Spec(config.string("static.field"))
        staticValue = config.string("static.value")
        replaceNullWithDefault = try config.bool("replace.null.with.default", default: true)
        if config.string("offset.field") != nil {
            throw .other(key: "offset.field", message: "Kafka offsets exist only for sink records")
        }
        if staticField != nil && staticValue == nil { throw .missing(key: "static.value") }
    }

    /// Debezium's `__deleted` marker: an optional string field with a fixed value.
    convenience init(staticField: String, value: String, replaceNullWithDefault: Bool) {
        try! self.init(
            .value,
            Config([
                "static.field": staticField, "static.value": value,
                "replace.null.with.default": String(replaceNullWithDefault),
            ]))
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        let value = part.value(of: record)
        if value.isNull { return record }
        guard let schema = part.schema(of: record), case .struct(let s) = value else {
            throw TransformError("InsertField", "only Struct values with a schema are supported, found \(value)")
        }
        let updated = memo.schema(for: schema) { schema in
            var fields = schema.fields.map { ($0.name, $0.schema) }
            if let topic { fields.append((topic.name, topic.optional ? .optionalString : .string)) }
            if let partition { fields.append((partition.name, partition.optional ? .optionalInt32 : .int32)) }
            if let timestamp { fields.append((timestamp.name, ConnectLogical.timestamp(optional: timestamp.optional))) }
            if let staticField { fields.append((staticField.name, staticField.optional ? .optionalString : .string)) }
            return .structCopyingBasics(of: schema, fields: fields)
        }
        var values = (0..<s.values.count).map { s.value(at: $0, replacingNullWithDefault: replaceNullWithDefault) }
        if topic != nil { values.append(.string(record.topic)) }
        if partition != nil { values.append(record.kafkaPartition.map { .int32($0) } ?? .null) }
        if timestamp != nil { values.append(record.timestamp.map { .int64($0) } ?? .null) }
        if staticField != nil { values.append(.string(staticValue!)) }
        for (i, field) in updated.fields.enumerated() where values[i].isNull && !field.schema.isOptional {
            throw TransformError("InsertField", "field \(field.name) is required but has no value")
        }
        return part.replacing(record, schema: updated, value: .struct(Struct(schema: updated, values: values)))
    }
}
