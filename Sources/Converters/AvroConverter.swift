import SchemaRegistry
import TributaryCore

/// Confluent's `io.confluent.connect.avro.AvroConverter`: each record is the Confluent wire format (magic byte 0,
/// the schema's registry id as 4 big-endian bytes) followed by the value in Avro's binary encoding.
///
/// The Avro schema of each Connect schema is derived once (`AvroData`) and its id asked of the registry once
/// per subject; both are cached by schema identity, so per record only the value is encoded.
public final class AvroConverter: Converter {
    public static let className = "io.confluent.connect.avro.AvroConverter"

    public typealias IdSource = SchemaIdResolver.IdSource

    public let isKey: Bool
    public let avroData: AvroData
    private let ids: SchemaIdResolver
    private var buffer: [UInt8] = []
    /// Writer schemas read, by registry id: their Connect schema and decoding plan.
    private let writerSchemas: WriterSchemas<AvroReadSchema>
    public var registry: SchemaRegistryClient { ids.registry }
    public var subjectNameStrategy: SubjectNameStrategy { ids.subjectNameStrategy }
    public var idSource: IdSource { ids.idSource }
    /// How many Connect schemas were derived to Avro rather than taken from the cache.
    public var schemaDerivations: Int { ids.derivations }

    public init(
        registry: SchemaRegistryClient, isKey: Bool, avroData: AvroData = AvroData(),
        subjectNameStrategy: SubjectNameStrategy = .topicName, idSource: IdSource = .register
    ) {
        self.isKey = isKey
        self.avroData = avroData
        writerSchemas = WriterSchemas(registry: registry, type: .avro) { try AvroReadSchema(text: $0) }
        ids = SchemaIdResolver(
            registry: registry, isKey: isKey, subjectNameStrategy: subjectNameStrategy, idSource: idSource
        ) { schema in
            let avro = try avroData.avroSchema(for: schema)
            return (RegistrySchema(text: avro.text, type: .avro), avro.fullName)
        }
    }

    /// Reads the converter's settings (prefix removed): the registry's, `auto.register.schemas`,
    /// `use.latest.version`, `key.subject.name.strategy`/`value.subject.name.strategy`, `connect.meta.data`,
    /// `scrub.invalid.names` and `ignore.default.for.nullables`.
    public convenience init(_ config: Config, isKey: Bool) throws(ConfigError) {
        let (strategy, idSource) = try SchemaIdResolver.settings(config, isKey: isKey)
        let settings = AvroData.Settings(
            connectMetaData: try config.bool("connect.meta.data", default: true),
            scrubInvalidNames: try config.bool("scrub.invalid.names", default: false),
            ignoreDefaultForNullables: try config.bool("ignore.default.for.nullables", default: false))
        self.init(
            registry: try SchemaRegistryClient(settings: try SchemaRegistrySettings(config)), isKey: isKey,
            avroData: AvroData(settings: settings), subjectNameStrategy: strategy, idSource: idSource)
    }

    public func fromConnectData(topic: String, schema: Schema?, value: Value) throws -> [UInt8]? {
        if value.isNull { return nil }
        guard let schema else {
            throw DataError("AvroConverter needs a schema; this record has none (topic \(topic))")
        }
        let id = try schemaId(topic: topic, schema: schema)
        var encoder = AvroEncoder(bytes: [], ignoreDefaultForNullables: avroData.settings.ignoreDefaultForNullables)
        swap(&encoder.bytes, &buffer)
        defer { swap(&encoder.bytes, &buffer) }
        encoder.bytes.removeAll(keepingCapacity: true)
        SchemaIdResolver.appendHeader(id: id, to: &encoder.bytes)
        try encoder.write(schema, value)
        return encoder.bytes
    }

    /// The registry id of `schema` for `topic`'s subject, asked of the registry once.
    public func schemaId(topic: String, schema: Schema) throws -> Int32 {
        try ids.id(topic: topic, schema: schema)
    }
}

extension AvroConverter: ReadingConverter {
    /// Reads Confluent's wire format: the writer's schema is fetched by its id once, then each value is decoded
    /// into the Connect schema `AvroData` would have derived it from.
    public func toConnectData(topic: String, bytes: [UInt8]?) throws -> SchemaAndValue {
        guard let bytes else { return .null }
        let schema = try writerSchemas.reader(for: bytes, topic: topic)
        return SchemaAndValue(schema: schema.connect, value: try schema.decode(bytes, from: 5))
    }
}
