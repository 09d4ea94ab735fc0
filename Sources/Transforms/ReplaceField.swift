import TributaryCore

/// Kafka Connect's `ReplaceField$Key`/`$Value`: keeps only `include` fields (all when empty), drops `exclude`
/// fields, and renames fields (`renames=old:new,…`). Null values (tombstones) pass unchanged.
final class ReplaceField: Transformation {
    private let part: RecordPart
    private let include: Set<String>
    private let exclude: Set<String>
    private let renames: [String: String]
    private let replaceNullWithDefault: Bool
    private let memo = SchemaMemo()
    /// For each output schema, the input field index of each output field.
    private var sources: [ObjectIdentifier: [Int]] = [:]

    init(_ part: RecordPart, _ config: Config) throws(ConfigError) {
        self.part = part
        // `whitelist`/`blacklist` are the names before Kafka 2.7.
        include = Set(config.list("include") + config.list("whitelist"))
        exclude = Set(config.list("exclude") + config.list("blacklist"))
        var renames: [String: String] = [:]
        for pair in config.list("renames") {
            let parts = pair.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw .invalid(key: "renames", value: pair, expected: "old:new pairs, comma-separated")
            }
            renames[String(parts[0])] = String(parts[1])
        }
        self.renames = renames
        replaceNullWithDefault = try config.bool("replace.null.with.default", default: true)
    }

    private func keeps(_ name: String) -> Bool {
        !exclude.contains(name) && (include.isEmpty || include.contains(name))
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        let value = part.value(of: record)
        if value.isNull { return record }
        guard let schema = part.schema(of: record), case .struct(let s) = value else {
            throw TransformError("ReplaceField", "only Struct values with a schema are supported, found \(value)")
        }
        let updated = memo.schema(for: schema) { schema in
            let kept = schema.fields.filter { keeps($0.name) }
            let output = Schema.structCopyingBasics(
                of: schema, fields: kept.map { (renames[$0.name] ?? $0.name, $0.schema) })
            sources[ObjectIdentifier(output)] = kept.map(\.index)
            return output
        }
        let indexes = sources[ObjectIdentifier(updated)]!
        let values = indexes.map { s.value(at: $0, replacingNullWithDefault: replaceNullWithDefault) }
        return part.replacing(record, schema: updated, value: .struct(Struct(schema: updated, values: values)))
    }
}
