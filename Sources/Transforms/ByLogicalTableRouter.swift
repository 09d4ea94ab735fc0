import DebeziumEvents
import TributaryCore

/// Debezium's `ByLogicalTableRouter` (and its later name `ToLogicalTopicRouter`): sends the change events of several
/// physical tables (shards) to one logical topic. A topic matching `topic.regex` as a whole becomes
/// `topic.replacement` (`$1`… for groups); other records pass unchanged.
///
/// Keys are renamed `<new topic>.Key` and, with `key.enforce.uniqueness` (the default), gain a required string field
/// (`key.field.name`) naming the physical table: the old topic, or what `key.field.regex`/`key.field.replacement`
/// make of it. Change events (`….Envelope` values) are renamed `<new topic>.Envelope`, their `before`/`after`
/// `<new topic>.Value`; tombstones and other values keep their value. Names go through
/// `schema.name.adjustment.mode`. Derived schemas are kept per input schema.
final class ByLogicalTableRouter: Transformation {
    private let topics: RegexReplacement
    private let enforceUniqueness: Bool
    private let keyFieldName: String
    /// `key.field.regex` with `key.field.replacement`: the physical table's identifier from the old topic.
    private let identifiers: RegexReplacement?
    private let adjustment: SchemaNameAdjustment
    private let keySchemas = SchemaMemo()
    private let envelopeSchemas = SchemaMemo()

    /// `defaultKeyField` differs between the two class names, as in Debezium.
    init(_ config: Config, defaultKeyField: String) throws(ConfigError) {
        let topicRegex = try JavaRegex(try config.required("topic.regex"), key: "topic.regex")
        guard let replacement = config.values["topic.replacement"] else { throw .missing(key: "topic.replacement") }
        topics = RegexReplacement(topicRegex, replacement: replacement)
        enforceUniqueness = try config.bool("key.enforce.uniqueness", default: true)
        keyFieldName = config.string("key.field.name") ?? defaultKeyField
        let keyRegex = (config.string("key.field.regex") ?? "").trimmed
        if keyRegex.isEmpty {
            identifiers = nil
        } else {
            let keyFieldReplacement = (config.string("key.field.replacement") ?? "").trimmed
            identifiers = RegexReplacement(
                try JavaRegex(keyRegex, key: "key.field.regex"), replacement: keyFieldReplacement)
            guard !keyFieldReplacement.isEmpty else {
                throw .invalid(
                    key: "key.field.replacement", value: "", expected: "a non-empty value, since key.field.regex is set"
                )
            }
        }
        adjustment = try SchemaNameAdjustment(config)
        _ = try config.int("logical.table.cache.size", default: 16, range: 1...Int(Int32.max))
        _ = try config.int("logical.destination.cache.size", default: 16, range: 1...Int(Int32.max))
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        let oldTopic = record.topic
        guard let newTopic = topics.apply(oldTopic) else { return record }
        // An empty result routes nowhere: Debezium warns and passes the record on unchanged.
        guard !newTopic.isEmpty else { return record }
        var copy = record
        copy.topic = newTopic
        if !record.key.isNull {
            guard let oldKey = record.key.structValue else {
                throw TransformError(
                    "ByLogicalTableRouter", "Only Struct objects supported for [Updating schema], found: \(record.key)")
            }
            let schema = keySchemas.schema(for: oldKey.schema) { old in
                var fields = old.fields.map { ($0.name, $0.schema) }
                if enforceUniqueness { fields.append((keyFieldName, .string)) }
                return Self.renamed(old, adjustment.adjust(newTopic + ".Key"), fields: fields)
            }
            var values = oldKey.values
            if enforceUniqueness { values.append(.string(identifier(of: oldTopic))) }
            copy.keySchema = schema
            copy.key = .struct(Struct(schema: schema, values: values))
        }
        guard let envelope = record.value.structValue, let name = record.valueSchema?.name, name.hasSuffix(".Envelope")
        else { return copy }
        let schema = envelopeSchemas.schema(for: envelope.schema) { old in
            let rowField = old.field(named: "before") ?? old.field(named: "after")
            let row = rowField.map { Self.renamed($0.schema, adjustment.adjust(newTopic + ".Value"), fields: nil) }
            let fields = old.fields.map { f in
                (f.name, (f.name == "before" || f.name == "after") ? row ?? f.schema : f.schema)
            }
            return Self.renamed(old, adjustment.adjust(newTopic + ".Envelope"), fields: fields)
        }
        var values: [Value] = []
        values.reserveCapacity(envelope.values.count)
        for f in envelope.schema.fields {
            let v = envelope.value(at: f.index, replacingNullWithDefault: true)
            if f.name == "before" || f.name == "after", let row = v.structValue,
                let rowSchema = schema.field(named: f.name)?.schema, rowSchema.type == .struct
            {
                values.append(.struct(Struct(schema: rowSchema, values: row.values)))
            } else {
                values.append(v)
            }
        }
        copy.valueSchema = schema
        copy.value = .struct(Struct(schema: schema, values: values))
        return copy
    }

    /// The physical table's identifier: the old topic, or `key.field.replacement` when `key.field.regex` matches it.
    private func identifier(of topic: String) -> String {
        identifiers?.apply(topic) ?? topic
    }

    /// Debezium's `copySchemaExcludingName` with a new name: version, doc, parameters and optionality kept, the
    /// default dropped; `fields` replaces the fields (nil keeps them).
    private static func renamed(_ source: Schema, _ name: String, fields: [(String, Schema)]?) -> Schema {
        Schema(
            type: .struct, optional: source.isOptional, name: name, version: source.version, doc: source.doc,
            parameters: source.parameters,
            fields: fields.map {
                $0.enumerated().map { Field(name: $0.element.0, index: $0.offset, schema: $0.element.1) }
            }
                ?? source.fields)
    }
}
