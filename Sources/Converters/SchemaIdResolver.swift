import SchemaRegistry
import TributaryCore

/// The registry ids of Connect schemas, shared by Confluent's converters: each schema is derived once (to Avro or
/// JSON Schema text) and its id asked of the registry once per subject; both are cached by schema identity.
public final class SchemaIdResolver {
    /// Where the schema id comes from.
    public enum IdSource: Sendable, Equatable {
        /// `auto.register.schemas=true` (the default): register the schema, or find it registered.
        case register
        /// `auto.register.schemas=false`: the schema must already be registered under the subject.
        case lookup
        /// `use.latest.version=true`: the subject's latest version, which must be this schema.
        case latestVersion
    }

    /// What a converter derives from a Connect schema: the registered text and the record name subject name
    /// strategies use.
    public typealias Derivation = (schema: RegistrySchema, recordName: String)

    public let registry: SchemaRegistryClient
    public let isKey: Bool
    public let subjectNameStrategy: SubjectNameStrategy
    public let idSource: IdSource
    private let derive: (Schema) throws -> Derivation
    private var cache: [ObjectIdentifier: Entry] = [:]
    /// How many Connect schemas were derived rather than taken from the cache.
    public private(set) var derivations = 0

    /// Kept per Connect schema: the schema (so its identity stays valid), what was derived, and the id per topic
    /// (the subject may depend on the topic).
    private final class Entry {
        let schema: Schema
        let derived: Derivation
        var ids: [(topic: String, id: Int32)] = []

        init(schema: Schema, derived: Derivation) {
            self.schema = schema
            self.derived = derived
        }
    }

    public init(
        registry: SchemaRegistryClient, isKey: Bool, subjectNameStrategy: SubjectNameStrategy, idSource: IdSource,
        derive: @escaping (Schema) throws -> Derivation
    ) {
        self.registry = registry
        self.isKey = isKey
        self.subjectNameStrategy = subjectNameStrategy
        self.idSource = idSource
        self.derive = derive
    }

    /// `key.subject.name.strategy`/`value.subject.name.strategy`, `auto.register.schemas` and `use.latest.version`.
    public static func settings(
        _ config: Config, isKey: Bool
    ) throws(ConfigError) -> (strategy: SubjectNameStrategy, idSource: IdSource) {
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
        return (strategy, useLatest ? .latestVersion : autoRegister ? .register : .lookup)
    }

    /// The registry id of `schema` for `topic`'s subject, asked of the registry once.
    public func id(topic: String, schema: Schema) throws -> Int32 {
        let entry: Entry
        if let hit = cache[ObjectIdentifier(schema)] {
            if let known = hit.ids.first(where: { $0.topic == topic }) { return known.id }
            entry = hit
        } else {
            derivations += 1
            entry = Entry(schema: schema, derived: try derive(schema))
            // Bounded as Confluent's `schemas.cache.size` (1000): schemas normally change rarely.
            if cache.count >= 1000 { cache.removeAll(keepingCapacity: true) }
            cache[ObjectIdentifier(schema)] = entry
        }
        let registered = entry.derived.schema
        let subject = subjectNameStrategy.subject(topic: topic, isKey: isKey, recordName: entry.derived.recordName)
        let id: Int32
        switch idSource {
        case .register: id = try registry.register(subject: subject, schema: registered)
        case .lookup: id = try registry.lookup(subject: subject, schema: registered)
        case .latestVersion:
            let latest = try registry.latest(subject: subject)
            guard latest.schema == registered else {
                throw SchemaRegistryError(
                    code: .latestVersionDiffers, operation: "latest version", subject: subject,
                    registry: registry.registryDescription,
                    message: "the latest registered schema differs from the records' schema \(registered.text)")
            }
            id = latest.id
        }
        entry.ids.append((topic, id))
        return id
    }

    /// Appends Confluent's wire format header: magic byte 0 and the id, big-endian.
    static func appendHeader(id: Int32, to bytes: inout [UInt8]) {
        bytes.append(0)
        withUnsafeBytes(of: id.bigEndian) { bytes.append(contentsOf: $0) }
    }
}

/// What a Confluent converter reads records with, per writer schema id: the registered schema fetched once and
/// turned into the reader's form (at most 1,000 kept). Also reads the wire format's header.
final class WriterSchemas<Reader> {
    private let registry: SchemaRegistryClient
    private let type: RegistrySchemaType
    private let build: (String) throws -> Reader
    private var readers: [Int32: Reader] = [:]

    init(registry: SchemaRegistryClient, type: RegistrySchemaType, build: @escaping (String) throws -> Reader) {
        self.registry = registry
        self.type = type
        self.build = build
    }

    /// The reader for a record in Confluent's wire format (magic byte 0, the id, then the payload from byte 5).
    func reader(for bytes: [UInt8], topic: String) throws -> Reader {
        guard bytes.count >= 5, bytes[0] == 0 else {
            throw DataError("Unknown magic byte: not Confluent's \(type.rawValue) wire format (topic \(topic))")
        }
        let id = bytes[1..<5].reduce(Int32(0)) { $0 << 8 | Int32($1) }
        if let known = readers[id] { return known }
        let registered = try registry.schema(id: id)
        guard registered.type == type else {
            throw DataError("schema \(id) is \(registered.type.rawValue), not \(type.rawValue) (topic \(topic))")
        }
        let reader = try build(registered.text)
        if readers.count >= 1000 { readers.removeAll(keepingCapacity: true) }
        readers[id] = reader
        return reader
    }
}
