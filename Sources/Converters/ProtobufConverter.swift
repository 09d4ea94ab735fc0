import SchemaRegistry
import TributaryCore

/// Confluent's `io.confluent.connect.protobuf.ProtobufConverter`: each record is the Confluent wire format (magic
/// byte 0, the schema's registry id as 4 big-endian bytes), the message indexes of the record's message (a single
/// 0: the file's first message), then the value in Protobuf's binary encoding.
///
/// The proto3 file of each Connect schema is derived once (`ProtobufData`) and its id asked of the registry once
/// per subject. As with Confluent's `skip.known.types` default, the imported well-known files
/// (`google/protobuf/*`, `google/type/*`, `confluent/type/decimal.proto`) are not registered as references.
public final class ProtobufConverter: Converter {
    public static let className = "io.confluent.connect.protobuf.ProtobufConverter"

    public let isKey: Bool
    public let data: ProtobufData
    private let ids: SchemaIdResolver
    private var buffer: [UInt8] = []
    /// The file derived for each Connect schema: what the registry receives and what values are encoded with.
    private let files: DerivedFiles
    /// Writer schemas read, by registry id: the parsed file and its read plans.
    private let writerSchemas: WriterSchemas<ProtobufReadSchema>
    /// How many Connect schemas were derived to Protobuf rather than taken from the cache.
    public var schemaDerivations: Int { ids.derivations }

    public init(
        registry: SchemaRegistryClient, isKey: Bool, data: ProtobufData = ProtobufData(),
        subjectNameStrategy: SubjectNameStrategy = .topicName, idSource: SchemaIdResolver.IdSource = .register,
        enhancedSchemaSupport: Bool = false, intForEnums: Bool = false
    ) {
        self.isKey = isKey
        self.data = data
        let files = DerivedFiles(data)
        self.files = files
        let reading = ProtobufReadSchema.Settings(
            enhancedSchemaSupport: enhancedSchemaSupport, intForEnums: intForEnums,
            optionalForNullables: data.settings.optionalForNullables,
            wrapperForNullables: data.settings.wrapperForNullables)
        writerSchemas = WriterSchemas(registry: registry, type: .protobuf) {
            try ProtobufReadSchema(text: $0, settings: reading)
        }
        ids = SchemaIdResolver(
            registry: registry, isKey: isKey, subjectNameStrategy: subjectNameStrategy, idSource: idSource
        ) { schema in
            let file = try files.file(for: schema)
            return (RegistrySchema(text: file.text, type: .protobuf), file.recordName)
        }
    }

    /// The registry's settings, the subject and registration settings Confluent's converters share,
    /// `scrub.invalid.names`, `optional.for.nullables`, `wrapper.for.nullables`, `ignore.default.for.nullables`
    /// and, for reading, `enhanced.protobuf.schema.support` and `int.for.enums`.
    public convenience init(_ config: Config, isKey: Bool) throws(ConfigError) {
        let (strategy, idSource) = try SchemaIdResolver.settings(config, isKey: isKey)
        let settings = ProtobufData.Settings(
            scrubInvalidNames: try config.bool("scrub.invalid.names", default: false),
            optionalForNullables: try config.bool("optional.for.nullables", default: false),
            wrapperForNullables: try config.bool("wrapper.for.nullables", default: false),
            ignoreDefaultForNullables: try config.bool("ignore.default.for.nullables", default: false))
        self.init(
            registry: try SchemaRegistryClient(settings: try SchemaRegistrySettings(config)), isKey: isKey,
            data: ProtobufData(settings: settings), subjectNameStrategy: strategy, idSource: idSource,
            enhancedSchemaSupport: try config.bool("enhanced.protobuf.schema.support", default: false),
            intForEnums: try config.bool("int.for.enums", default: false))
    }

    public func fromConnectData(topic: String, schema: Schema?, value: Value) throws -> [UInt8]? {
        if value.isNull { return nil }
        guard let schema else {
            throw DataError("ProtobufConverter needs a schema; this record has none (topic \(topic))")
        }
        guard case .struct(let record) = value else {
            throw DataError("ProtobufConverter writes struct records only (topic \(topic))")
        }
        let file = try files.file(for: schema)
        let id = try ids.id(topic: topic, schema: schema)
        var encoder = ProtobufEncoder(bytes: [], ignoreDefaultForNullables: data.settings.ignoreDefaultForNullables)
        swap(&encoder.bytes, &buffer)
        defer { swap(&encoder.bytes, &buffer) }
        encoder.bytes.removeAll(keepingCapacity: true)
        SchemaIdResolver.appendHeader(id: id, to: &encoder.bytes)
        // The message indexes [0], written as Confluent writes that common case: one zero byte.
        encoder.bytes.append(0)
        try encoder.write(file.root, record)
        return encoder.bytes
    }

}

/// The Protobuf file of each Connect schema, derived once (by identity; the schema is kept so that its identity
/// stays valid) for both the registry id and the encoding.
private final class DerivedFiles {
    private let data: ProtobufData
    private var files: [ObjectIdentifier: (schema: Schema, file: ProtobufFile)] = [:]

    init(_ data: ProtobufData) {
        self.data = data
    }

    func file(for schema: Schema) throws(DataError) -> ProtobufFile {
        if let known = files[ObjectIdentifier(schema)] { return known.file }
        let file = try data.file(for: schema)
        // Bounded as Confluent's `schemas.cache.size` (1000): schemas normally change rarely.
        if files.count >= 1000 { files.removeAll(keepingCapacity: true) }
        files[ObjectIdentifier(schema)] = (schema, file)
        return file
    }
}

extension ProtobufConverter: ReadingConverter {
    /// Reads Confluent's wire format: the writer's `.proto` text is fetched by its id and parsed once; the message
    /// indexes pick the record's message, read into the Connect schema Confluent's `ProtobufData` gives it.
    public func toConnectData(topic: String, bytes: [UInt8]?) throws -> SchemaAndValue {
        guard let bytes else { return .null }
        return try writerSchemas.reader(for: bytes, topic: topic).read(bytes, from: 5)
    }
}
