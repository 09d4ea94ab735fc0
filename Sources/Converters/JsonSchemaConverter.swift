import SchemaRegistry
import TributaryCore

/// Confluent's `io.confluent.connect.json.JsonSchemaConverter`: each record is the Confluent wire format (magic
/// byte 0, the schema's registry id as 4 big-endian bytes) followed by the value as JSON; the schema registered is
/// the JSON Schema `JsonSchemaData` derives, once per Connect schema, its id asked once per subject.
public final class JsonSchemaConverter: Converter {
    public static let className = "io.confluent.connect.json.JsonSchemaConverter"

    public let isKey: Bool
    public let data: JsonSchemaData
    private let ids: SchemaIdResolver
    private var writer = JSONWriter(capacity: 4096)
    /// Writer schemas read, by registry id, as Connect schemas.
    private let writerSchemas: WriterSchemas<Schema>
    /// How many Connect schemas were derived to JSON Schema rather than taken from the cache.
    public var schemaDerivations: Int { ids.derivations }

    public init(
        registry: SchemaRegistryClient, isKey: Bool, data: JsonSchemaData = JsonSchemaData(),
        subjectNameStrategy: SubjectNameStrategy = .topicName, idSource: SchemaIdResolver.IdSource = .register
    ) {
        self.isKey = isKey
        self.data = data
        writerSchemas = WriterSchemas(registry: registry, type: .json) {
            try data.connectSchema(try JSONNode.parse($0))
        }
        ids = SchemaIdResolver(
            registry: registry, isKey: isKey, subjectNameStrategy: subjectNameStrategy, idSource: idSource
        ) { schema in
            (RegistrySchema(text: try data.schemaText(schema), type: .json), schema.name ?? "")
        }
    }

    /// The registry's settings, the subject and registration settings Confluent's converters share,
    /// `decimal.format`, `object.additional.properties` and `use.optional.for.nonrequired`.
    public convenience init(_ config: Config, isKey: Bool) throws(ConfigError) {
        let (strategy, idSource) = try SchemaIdResolver.settings(config, isKey: isKey)
        let data = JsonSchemaData(
            decimalFormat: try config.enumeration("decimal.format", default: JsonSchemaData.DecimalFormat.base64),
            allowAdditionalProperties: try config.bool("object.additional.properties", default: true),
            optionalForNonRequired: try config.bool("use.optional.for.nonrequired", default: false))
        self.init(
            registry: try SchemaRegistryClient(settings: try SchemaRegistrySettings(config)), isKey: isKey,
            data: data, subjectNameStrategy: strategy, idSource: idSource)
    }

    public func fromConnectData(topic: String, schema: Schema?, value: Value) throws -> [UInt8]? {
        if value.isNull { return nil }
        guard let schema else {
            throw DataError("JsonSchemaConverter needs a schema; this record has none (topic \(topic))")
        }
        let id = try ids.id(topic: topic, schema: schema)
        var w = JSONWriter(capacity: 0)
        swap(&w, &writer)
        defer { swap(&w, &writer) }
        w.bytes.removeAll(keepingCapacity: true)
        SchemaIdResolver.appendHeader(id: id, to: &w.bytes)
        try JsonConverter.writeValue(schema, value, into: &w, options: data.payloadOptions)
        return w.bytes
    }
}

extension JsonSchemaConverter: ReadingConverter {
    /// Reads Confluent's wire format: the writer's JSON Schema is fetched by its id once and turned back into its
    /// Connect schema (`JsonSchemaData.connectSchema`); the JSON value is read into it as JsonConverter reads.
    public func toConnectData(topic: String, bytes: [UInt8]?) throws -> SchemaAndValue {
        guard let bytes else { return .null }
        let schema = try writerSchemas.reader(for: bytes, topic: topic)
        let value = try bytes.withUnsafeBufferPointer { buffer throws(DataError) in
            var reader = JSONReader(UnsafeBufferPointer(rebasing: buffer[5...]))
            let value = try JsonConverter.readValue(schema, &reader, depth: 0, replaceNull: true)
            try reader.expectEnd()
            return value
        }
        return SchemaAndValue(schema: schema, value: value)
    }
}
