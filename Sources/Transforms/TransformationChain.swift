import TributaryCore

/// The transforms a connector configures, in order (`transforms=a,b`, `transforms.a.type=…`), each optionally
/// guarded by a predicate (`transforms.a.predicate=p`, `transforms.a.negate`, `predicates=p`,
/// `predicates.p.type=…`), as Kafka Connect applies them between a source's records and the converters.
public final class TransformationChain {
    struct Step {
        let alias: String
        let transformation: Transformation
        let predicate: RecordPredicate?
        let negate: Bool
    }

    private let steps: [Step]

    public var isEmpty: Bool { steps.isEmpty }

    /// Builds the chain from a connector's settings; every error names the key to fix.
    public init(_ config: Config) throws(ConfigError) {
        var predicates: [String: RecordPredicate] = [:]
        for alias in config.list("predicates") {
            let prefix = "predicates.\(alias)."
            let type = try config.required(prefix + "type")
            do throws(ConfigError) {
                predicates[alias] = try Self.predicate(type, Config(config.withPrefix(prefix)))
            } catch {
                throw error.prefixed(prefix)
            }
        }
        var steps: [Step] = []
        for alias in config.list("transforms") {
            let prefix = "transforms.\(alias)."
            let type = try config.required(prefix + "type")
            let settings = Config(config.withPrefix(prefix))
            let transformation: Transformation
            do throws(ConfigError) {
                transformation = try Self.transformation(type, settings)
            } catch {
                throw error.prefixed(prefix)
            }
            var predicate: RecordPredicate?
            if let name = config.string(prefix + "predicate") {
                guard let p = predicates[name] else {
                    throw .invalid(
                        key: prefix + "predicate", value: name, expected: "one of the aliases listed in `predicates`")
                }
                predicate = p
            }
            let negate = try config.bool(prefix + "negate", default: false)
            steps.append(Step(alias: alias, transformation: transformation, predicate: predicate, negate: negate))
        }
        self.steps = steps
    }

    /// The record after every transform whose predicate holds, or nil if one dropped it.
    public func apply(_ record: SourceRecord) throws -> SourceRecord? {
        var current = record
        for step in steps {
            if let predicate = step.predicate, predicate.test(current) == step.negate { continue }
            do {
                guard let next = try step.transformation.apply(current) else { return nil }
                current = next
            } catch let error as TransformError {
                throw TransformError("transform \"\(step.alias)\" (\(error.transform))", error.message)
            }
        }
        return current
    }

    static let kafka = "org.apache.kafka.connect.transforms."

    /// A transform class name without its `$Key`/`$Value` suffix, and the part that suffix names.
    static func split(_ type: String) -> (base: String, part: RecordPart?) {
        guard let part = RecordPart(suffix: type) else { return (type, nil) }
        return (String(type[..<type.lastIndex(of: "$")!]), part)
    }

    /// The transform a `type` names: Kafka Connect's and Debezium's class names, with `$Key`/`$Value` variants.
    static func transformation(_ type: String, _ config: Config) throws(ConfigError) -> Transformation {
        switch split(type) {
        case ("io.debezium.transforms.ExtractNewRecordState", nil): return try ExtractNewRecordState(config)
        case ("io.debezium.transforms.ByLogicalTableRouter", nil):
            return try ByLogicalTableRouter(config, defaultKeyField: "__dbz__physicalTableIdentifier")
        case ("io.debezium.transforms.outbox.EventRouter", nil): return try OutboxEventRouter(config)
        case ("io.debezium.transforms.ToLogicalTopicRouter", nil):
            return try ByLogicalTableRouter(config, defaultKeyField: "__dbz__sourceIdentifier")
        case (kafka + "InsertField", let part?): return try InsertField(part, config)
        case (kafka + "ReplaceField", let part?): return try ReplaceField(part, config)
        case (kafka + "ExtractField", let part?): return try ExtractField(part, config)
        case (kafka + "HoistField", let part?): return try HoistField(part, config)
        case (kafka + "Flatten", let part?): return try Flatten(part, config)
        case (kafka + "Cast", let part?): return try Cast(part, config)
        case (kafka + "TimestampConverter", let part?): return try TimestampConverter(part, config)
        case (kafka + "HeaderFrom", let part?): return try HeaderFrom(part, config)
        case (kafka + "MaskField", let part?): return try MaskField(part, config)
        case (kafka + "SetSchemaMetadata", let part?): return try SetSchemaMetadata(part, config)
        case (kafka + "ValueToKey", nil): return try ValueToKey(config)
        case (kafka + "RegexRouter", nil): return try RegexRouter(config)
        case (kafka + "TimestampRouter", nil): return try TimestampRouter(config)
        case (kafka + "Filter", nil): return Filter()
        case (kafka + "DropHeaders", nil): return try DropHeaders(config)
        case (kafka + "InsertHeader", nil): return try InsertHeader(config)
        default:
            throw .invalid(
                key: "type", value: type, expected: "one of: " + supportedTransformations.joined(separator: ", "))
        }
    }

    /// The transforms this version implements, as configured.
    static let supportedTransformations =
        [
            "io.debezium.transforms.ExtractNewRecordState", "io.debezium.transforms.ByLogicalTableRouter",
            "io.debezium.transforms.ToLogicalTopicRouter", "io.debezium.transforms.outbox.EventRouter",
        ]
        + [
            "InsertField", "ReplaceField", "ExtractField", "HoistField", "MaskField", "SetSchemaMetadata", "Flatten",
            "Cast", "TimestampConverter", "HeaderFrom",
        ]
        .flatMap {
            [kafka + $0 + "$Key", kafka + $0 + "$Value"]
        }
        + ["ValueToKey", "RegexRouter", "TimestampRouter", "Filter", "DropHeaders", "InsertHeader"].map { kafka + $0 }

    static let predicates = "org.apache.kafka.connect.transforms.predicates."

    static func predicate(_ type: String, _ config: Config) throws(ConfigError) -> RecordPredicate {
        switch type {
        case predicates + "TopicNameMatches": return try TopicNameMatches(config)
        case predicates + "HasHeaderKey": return HasHeaderKey(name: try config.required("name"))
        case predicates + "RecordIsTombstone": return RecordIsTombstone()
        default:
            throw .invalid(
                key: "type", value: type,
                expected: "one of: "
                    + ["TopicNameMatches", "HasHeaderKey", "RecordIsTombstone"].map { predicates + $0 }
                    .joined(separator: ", "))
        }
    }
}
