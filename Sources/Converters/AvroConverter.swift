import SchemaRegistry
import TributaryCore

/// Confluent's `io.confluent.connect.avro.AvroConverter`: each record is the Confluent wire format (magic byte 0,
/// the schema's registry id as 4 big-endian bytes) followed by the value in Avro's binary encoding.
///
/// The Avro schema of each Connect schema is derived once (`AvroData`) and its id asked of the registry once
/// per subject; both are cached by schema identity, so per record only the value is encoded.
public final class AvroConverter: Converter {
    public static let className = "io.confluent.connect.avro.AvroConverter"

    /// Where the schema id comes from.
    public enum IdSource: Sendable, Equatable {
        /// `auto.register.schemas=true` (the default): register the schema, or find it registered.
        case register
        /// `auto.register.schemas=false`: the schema must already be registered under the subject.
        case lookup
        /// `use.latest.version=true`: the subject's latest version, which must be this schema.
        case latestVersion
    }

    public let isKey: Bool
    public let avroData: AvroData
    public let subjectNameStrategy: SubjectNameStrategy
    public let idSource: IdSource
    public let registry: SchemaRegistryClient
    private var cache: [ObjectIdentifier: CachedSchema] = [:]
    private var buffer: [UInt8] = []
    /// How many Connect schemas were derived to Avro rather than taken from the cache.
    public private(set) var schemaDerivations = 0

    /// What is kept per Connect schema: the schema itself (so its identity stays valid), its Avro text, and its
    /// id per topic (the subject may depend on the topic).
    private final class CachedSchema {
        let schema: Schema
        let avro: RegistrySchema
        let recordName: String
        var ids: [(topic: String, id: Int32)] = []

        init(schema: Schema, avro: RegistrySchema, recordName: String) {
            self.schema = schema
            self.avro = avro
            self.recordName = recordName
        }
    }

    public init(
        registry: SchemaRegistryClient, isKey: Bool, avroData: AvroData = AvroData(),
        subjectNameStrategy: SubjectNameStrategy = .topicName, idSource: IdSource = .register
    ) {
        self.registry = registry
        self.isKey = isKey
        self.avroData = avroData
        self.subjectNameStrategy = subjectNameStrategy
        self.idSource = idSource
    }

    /// Reads the converter's settings (prefix removed): the registry's, `auto.register.schemas`,
    /// `use.latest.version`, `key.subject.name.strategy`/`value.subject.name.strategy`, `connect.meta.data`,
    /// `scrub.invalid.names` and `ignore.default.for.nullables`.
    public convenience init(_ config: Config, isKey: Bool) throws(ConfigError) {
        let strategyKey = isKey ? "key.subject.name.strategy" : "value.subject.name.strategy"
        var strategy = SubjectNameStrategy.topicName
        if let name = config.string(strategyKey) {
            guard let named = SubjectNameStrategy(className: name) else {
                throw .invalid(
                    key: strategyKey, value: name,
                    expected: "one of " + SubjectNameStrategy.allCases.map(\.rawValue).joined(separator: ", "))
            }
            strategy = named
        }
        let autoRegister = try config.bool("auto.register.schemas", default: true)
        let useLatest = try config.bool("use.latest.version", default: false)
        if autoRegister && useLatest {
            throw .other(key: "use.latest.version", message: "needs auto.register.schemas=false")
        }
        let settings = AvroData.Settings(
            connectMetaData: try config.bool("connect.meta.data", default: true),
            scrubInvalidNames: try config.bool("scrub.invalid.names", default: false),
            ignoreDefaultForNullables: try config.bool("ignore.default.for.nullables", default: false))
        self.init(
            registry: try SchemaRegistryClient(settings: try SchemaRegistrySettings(config)), isKey: isKey,
            avroData: AvroData(settings: settings), subjectNameStrategy: strategy,
            idSource: useLatest ? .latestVersion : autoRegister ? .register : .lookup)
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
        encoder.bytes.append(0)
        withUnsafeBytes(of: id.bigEndian) { encoder.bytes.append(contentsOf: $0) }
        try encoder.write(schema, value)
        return encoder.bytes
    }

    /// The registry id of `schema` for `topic`'s subject, asked of the registry once.
    public func schemaId(topic: String, schema: Schema) throws -> Int32 {
        let cached: CachedSchema
        if let hit = cache[ObjectIdentifier(schema)] {
            if let entry = hit.ids.first(where: { $0.topic == topic }) { return entry.id }
            cached = hit
        } else {
            schemaDerivations += 1
            let avro = try avroData.avroSchema(for: schema)
            cached = CachedSchema(
                schema: schema, avro: RegistrySchema(text: avro.text, type: .avro), recordName: avro.fullName)
            // Bounded as Confluent's `schemas.cache.size` (1000): schemas normally change rarely.
            if cache.count >= 1000 { cache.removeAll(keepingCapacity: true) }
            cache[ObjectIdentifier(schema)] = cached
        }
        let subject = subjectNameStrategy.subject(topic: topic, isKey: isKey, recordName: cached.recordName)
        let id: Int32
        switch idSource {
        case .register: id = try registry.register(subject: subject, schema: cached.avro)
        case .lookup: id = try registry.lookup(subject: subject, schema: cached.avro)
        case .latestVersion:
            let latest = try registry.latest(subject: subject)
            guard latest.schema == cached.avro else {
                throw SchemaRegistryError(
                    code: .latestVersionDiffers, operation: "latest version", subject: subject,
                    registry: registry.registryDescription,
                    message: "the latest registered schema differs from the records' schema \(cached.avro.text)")
            }
            id = latest.id
        }
        cached.ids.append((topic, id))
        return id
    }
}
