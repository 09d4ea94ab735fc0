import Converters
import DebeziumEvents
import TributaryCore

/// The outbox router's `table.expand.json.payload`: a payload column holding JSON text becomes a struct whose schema
/// is inferred from the document, as Debezium's outbox `JsonSchemaData` infers it.
///
/// Objects become optional structs named by their path (`payload`, `payload.customer`), strings, booleans,
/// integers (int32 when they fit, else int64) and other numbers (float64) optional primitives, arrays of the first
/// non-null element's schema (arrays of objects merge their elements' fields). A null is left out, or is optional
/// bytes with `table.json.payload.null.behavior=optional_bytes`; so is an empty array. Equal inferred schemas are
/// shared, so converters see one schema per document shape. A document that does not fit (not an object, mixed
/// arrays, an integer beyond 64 bits) is left as text, with a warning, as Debezium leaves it.
final class OutboxPayloadExpansion {
    private let nullsAsBytes: Bool
    private let fieldNames: SchemaNameAdjustment
    private var known: [Schema] = []

    init(nullsAsBytes: Bool, fieldNames: SchemaNameAdjustment) {
        self.nullsAsBytes = nullsAsBytes
        self.fieldNames = fieldNames
    }

    struct Unfit: Error, CustomStringConvertible {
        let description: String
    }

    /// The payload as a struct and its schema, `key` naming the top level (the payload column).
    func expand(_ text: String, key: String) throws -> (Schema, Value) {
        guard text.first == "{" else { throw Unfit(description: "the payload is not a JSON object") }
        let document = try JSONNode.parse(text)
        guard let inferred = try schema(key, document) else { throw Unfit(description: "the payload is empty") }
        let schema = intern(inferred)
        return (schema, try value(document, schema))
    }

    private func intern(_ schema: Schema) -> Schema {
        if let same = known.first(where: { $0.equalsStructurally(schema) }) { return same }
        if known.count >= 64 { known.removeFirst() }
        known.append(schema)
        return schema
    }

    private func schema(_ key: String?, _ node: JSONNode) throws -> Schema? {
        switch node {
        case .string: return .optionalString
        case .bool: return .optionalBoolean
        case .number(let text):
            if Int32(text) != nil { return .optionalInt32 }
            if Int64(text) != nil { return .optionalInt64 }
            if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .optionalFloat64 }
            throw Unfit(description: "\(text) is beyond 64 bits")
        case .array(let items):
            guard let element = try elementSchema(key, items) else { return nil }
            return .array(of: element, optional: true)
        case .object(let members):
            var fields: [(String, Schema)] = []
            for (name, member) in members {
                let fieldName = fieldNames.adjustField(name)
                let path = (key.map { $0.isEmpty ? "" : $0 + "." } ?? "") + fieldName
                guard let fieldSchema = try schema(path, member), !fields.contains(where: { $0.0 == fieldName })
                else { continue }
                fields.append((fieldName, fieldSchema))
            }
            return .struct(name: key, optional: true, fields: fields)
        case .null: return nullsAsBytes ? .optionalBytes : nil
        }
    }

    /// The schema of an array's elements: the first non-null one's; objects' fields merged in order of appearance.
    private func elementSchema(_ key: String?, _ items: [JSONNode]) throws -> Schema? {
        let present = items.filter { !$0.isNull }
        guard let first = present.first else { return nil }
        let kind = Self.kind(first)
        guard present.allSatisfy({ Self.kind($0) == kind }) else {
            throw Unfit(description: "an array mixes kinds of values")
        }
        guard case .object = first else {
            let schemas = try present.map { try schema(nil, $0) }
            guard let reference = schemas.first ?? nil,
                schemas.allSatisfy({ $0?.equalsStructurally(reference) == true })
            else { throw Unfit(description: "an array mixes number types") }
            return reference
        }
        var fields: [(String, Schema)] = []
        for item in present {
            guard let element = try schema(key, item) else { continue }
            for field in element.fields {
                if let i = fields.firstIndex(where: { $0.0 == field.name }) {
                    if fields[i].1.type == .bytes && field.schema.type != .bytes { fields[i].1 = field.schema }
                } else {
                    fields.append((field.name, field.schema))
                }
            }
        }
        return .struct(name: key, optional: true, fields: fields)
    }

    private static func kind(_ node: JSONNode) -> Int {
        switch node {
        case .null: 0
        case .bool: 1
        case .number: 2
        case .string: 3
        case .array: 4
        case .object: 5
        }
    }

    private func value(_ node: JSONNode, _ schema: Schema) throws -> Value {
        switch (node, schema.type) {
        case (.null, _): return .null
        case (.string(let s), _): return .string(s)
        case (.bool(let b), _): return .boolean(b)
        case (.number(let text), .int32): return Int32(text).map(Value.int32) ?? .null
        case (.number(let text), .int64): return Int64(text).map(Value.int64) ?? .null
        case (.number(let text), _): return Double(text).map(Value.float64) ?? .null
        case (.array(let items), _):
            guard let element = schema.valueSchema else { return .null }
            return .array(try items.map { try value($0, element) })
        case (.object(let members), .struct):
            var values = [Value](repeating: .null, count: schema.fields.count)
            for (name, member) in members {
                guard let field = schema.field(named: fieldNames.adjustField(name)) else { continue }
                values[field.index] = try value(member, field.schema)
            }
            return .struct(Struct(schema: schema, values: values))
        default:
            throw Unfit(description: "a value does not fit the inferred schema")
        }
    }
}
