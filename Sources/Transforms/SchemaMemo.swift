import TributaryCore

/// Output schemas by input schema identity, so that a transform derives each schema once and hands out the same
/// object for every record of that schema (converters cache by identity). Bounded: cleared when full.
final class SchemaMemo {
    private var entries: [ObjectIdentifier: (input: Schema, output: Schema)] = [:]
    private let capacity: Int

    init(capacity: Int = 256) {
        self.capacity = capacity
    }

    func schema(for input: Schema, _ derive: (Schema) throws -> Schema) rethrows -> Schema {
        if let hit = entries[ObjectIdentifier(input)] { return hit.output }
        let output = try derive(input)
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[ObjectIdentifier(input)] = (input, output)
        return output
    }
}

extension Schema {
    /// Kafka's `SchemaUtil.copySchemaBasics` onto a struct: name, version, doc and parameters, with `fields`.
    /// Optionality and default are not copied: the result is a required struct.
    static func structCopyingBasics(of source: Schema, fields: [(String, Schema)]) -> Schema {
        Schema(
            type: .struct, name: source.name, version: source.version, doc: source.doc,
            parameters: source.parameters,
            fields: fields.enumerated().map { Field(name: $0.element.0, index: $0.offset, schema: $0.element.1) })
    }

    /// Kafka's `SchemaUtil.copySchemaBasics(schema)`: the same type, name, version, doc and parameters, nothing
    /// else (no optionality, default or fields).
    func copyingBasics(optional: Bool) -> Schema {
        Schema(
            type: type, optional: optional, name: name, version: version, doc: doc, parameters: parameters,
            keySchema: keySchema, valueSchema: valueSchema)
    }
}

extension Value {
    var structValue: Struct? { if case .struct(let s) = self { s } else { nil } }
}
