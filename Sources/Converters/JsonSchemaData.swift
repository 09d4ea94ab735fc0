import TributaryCore

/// Connect schemas as JSON Schema, the way Confluent's `JsonSchemaData.fromConnectSchema` derives them and the
/// registry receives them (everit's `Schema.toString()`), so that the registry and consumers see the same text as
/// with Confluent's `JsonSchemaConverter`.
///
/// Integers are `integer` and floats `number` with `connect.type`; bytes (and BASE64 decimals) are strings with
/// `connect.type: bytes`; structs are objects with their fields as `properties` (each with `connect.index`); maps
/// with required string keys are objects with `additionalProperties`, other maps arrays of `{key, value}` objects;
/// an optional schema is `{"oneOf":[{"type":"null"},…]}`. Names are `title`, docs `description`, versions and
/// parameters `connect.version` and `connect.parameters`. Keys of properties and of the `connect.*` group come in
/// the order Java's `HashMap` iterates them.
public struct JsonSchemaData: Sendable {
    public enum DecimalFormat: String, Sendable, CaseIterable {
        case base64 = "BASE64"
        case numeric = "NUMERIC"
    }

    public var decimalFormat: DecimalFormat
    /// `object.additional.properties`: with false, struct objects say `"additionalProperties":false`.
    public var allowAdditionalProperties: Bool
    /// `use.optional.for.nonrequired` (reading): properties an object does not list as `required` are optional.
    public var optionalForNonRequired: Bool

    public init(
        decimalFormat: DecimalFormat = .base64, allowAdditionalProperties: Bool = true,
        optionalForNonRequired: Bool = false
    ) {
        self.decimalFormat = decimalFormat
        self.allowAdditionalProperties = allowAdditionalProperties
        self.optionalForNonRequired = optionalForNonRequired
    }

    /// The JSON Schema text of `schema`.
    public func schemaText(_ schema: Schema) throws -> String {
        var w = JSONWriter(capacity: 1024)
        try write(schema, index: nil, into: &w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    private func write(_ schema: Schema, index: Int?, into w: inout JSONWriter) throws {
        if schema.isOptional {
            // `{"connect.index":n,"oneOf":[{"type":"null"},<the schema, required>]}`.
            w.byte(UInt8(ascii: "{"))
            if let index {
                w.raw("\"connect.index\":")
                w.int(Int64(index))
                w.byte(UInt8(ascii: ","))
            }
            w.raw("\"oneOf\":[{\"type\":\"null\"},")
            try write(schema.withOptional(false), index: nil, into: &w)
            w.raw("]}")
            return
        }
        w.raw("{\"type\":\"")
        var connectType: String?
        switch schema.type {
        case .int8, .int16, .int32, .int64:
            w.raw("integer")
            connectType = schema.type.rawValue
        case .float32, .float64:
            w.raw("number")
            connectType = schema.type.rawValue
        case .boolean: w.raw("boolean")
        case .string: w.raw("string")
        case .bytes:
            w.raw(schema.name == ConnectLogical.decimalName && decimalFormat == .numeric ? "number" : "string")
            connectType = "bytes"
        case .array: w.raw("array")
        case .map:
            w.raw(stringKeyed(schema) ? "object" : "array")
            connectType = "map"
        case .struct: w.raw("object")
        }
        w.byte(UInt8(ascii: "\""))
        // everit prints it right after the type.
        if schema.type == .struct && !allowAdditionalProperties { w.raw(",\"additionalProperties\":false") }
        if let name = schema.name {
            w.raw(",\"title\":")
            w.string(name)
        }
        if let doc = schema.doc {
            w.raw(",\"description\":")
            w.string(doc)
        }
        if let d = schema.defaultValue, !d.isNull {
            w.raw(",\"default\":")
            try JsonConverter.writeValue(schema, d, into: &w, options: payloadOptions)
        }
        // The `connect.*` keywords, in HashMap order.
        var unprocessed: [(String, (inout JSONWriter) -> Void)] = []
        if let index { unprocessed.append(("connect.index", { $0.int(Int64(index)) })) }
        if let connectType { unprocessed.append(("connect.type", { $0.string(connectType) })) }
        if let version = schema.version { unprocessed.append(("connect.version", { $0.int(Int64(version)) })) }
        let parameters = (schema.parameters ?? []).filter { !$0.0.hasPrefix("io.confluent.connect.json") }
        if !parameters.isEmpty {
            unprocessed.append(
                (
                    "connect.parameters",
                    { w in
                        w.byte(UInt8(ascii: "{"))
                        for (i, (k, v)) in JavaHashMapOrder.sorted(parameters, key: \.0).enumerated() {
                            if i > 0 { w.byte(UInt8(ascii: ",")) }
                            w.string(k)
                            w.byte(UInt8(ascii: ":"))
                            w.string(v)
                        }
                        w.byte(UInt8(ascii: "}"))
                    }
                ))
        }
        for (key, value) in JavaHashMapOrder.sorted(unprocessed, key: \.0) {
            w.byte(UInt8(ascii: ","))
            w.string(key)
            w.byte(UInt8(ascii: ":"))
            value(&w)
        }
        switch schema.type {
        case .array:
            w.raw(",\"items\":")
            try write(schema.valueSchema!, index: nil, into: &w)
        case .map where stringKeyed(schema):
            w.raw(",\"additionalProperties\":")
            try write(schema.valueSchema!, index: nil, into: &w)
        case .map:
            w.raw(",\"items\":{\"type\":\"object\",\"properties\":{")
            let entries = JavaHashMapOrder.sorted(
                [("key", schema.keySchema!, 0), ("value", schema.valueSchema!, 1)], key: \.0)
            for (i, entry) in entries.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.string(entry.0)
                w.byte(UInt8(ascii: ":"))
                try write(entry.1, index: entry.2, into: &w)
            }
            w.raw("}}")
        case .struct:
            w.raw(",\"properties\":{")
            for (i, field) in JavaHashMapOrder.sorted(schema.fields, key: \.name).enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.string(field.name)
                w.byte(UInt8(ascii: ":"))
                try write(field.schema, index: field.index, into: &w)
            }
            w.byte(UInt8(ascii: "}"))
        default: break
        }
        w.byte(UInt8(ascii: "}"))
    }

    /// Maps with required string keys are JSON objects; the rest arrays of key/value objects.
    func stringKeyed(_ schema: Schema) -> Bool {
        schema.keySchema?.type == .string && schema.keySchema?.isOptional == false
    }

    /// How payloads are written: defaults for nulls, decimals as configured, maps as `stringKeyed` says.
    var payloadOptions: JsonConverter.Options {
        JsonConverter.Options(
            decimalFormat: decimalFormat == .numeric ? .numeric : .base64, replaceNullWithDefault: true,
            mapEntriesAsObjects: true)
    }
}

extension JsonSchemaData {
    /// The Connect schema a JSON Schema (as `schemaText` writes it, or Confluent's converter registers it) was
    /// derived from: `oneOf` with null gives optional schemas, `connect.type` the Connect type, `connect.index` the
    /// field order, `title`, `description`, `connect.version` and `connect.parameters` the rest.
    public func connectSchema(_ node: JSONNode) throws(DataError) -> Schema {
        if case .array(let branches)? = node["oneOf"] ?? node["anyOf"] {
            let nonNull = branches.filter { $0["type"]?.string != "null" }
            guard nonNull.count == 1, branches.count == 2 else {
                throw DataError("JSON Schema unions other than a type or null have no Connect form here")
            }
            return try connectSchema(nonNull[0]).withOptional(true)
        }
        let connectType = node["connect.type"]?.string
        var keySchema: Schema?, valueSchema: Schema?, fields: [Field] = []
        let type: SchemaType
        switch node["type"]?.string {
        case "integer":
            type = [SchemaType.int8, .int16, .int32].first { $0.rawValue == connectType } ?? .int64
        case "number": type = connectType == "float32" ? .float32 : connectType == "bytes" ? .bytes : .float64
        case "boolean": type = .boolean
        case "string": type = connectType == "bytes" ? .bytes : .string
        case "array" where connectType == "map":
            guard let entry = node["items"], let key = entry["properties"]?["key"],
                let value = entry["properties"]?["value"]
            else { throw DataError("a JSON Schema map of entries without key and value") }
            (type, keySchema, valueSchema) = (.map, try connectSchema(key), try connectSchema(value))
        case "array":
            guard let items = node["items"] else { throw DataError("a JSON Schema array without items") }
            (type, valueSchema) = (.array, try connectSchema(items))
        case "object" where connectType == "map":
            guard let values = node["additionalProperties"] else {
                throw DataError("a JSON Schema map without additionalProperties")
            }
            (type, keySchema, valueSchema) = (.map, .string, try connectSchema(values))
        case "object":
            type = .struct
            guard case .object(let properties)? = node["properties"] else {
                throw DataError("a JSON Schema object without properties")
            }
            var required: Set<String> = []
            if case .array(let names)? = node["required"] { required = Set(names.compactMap(\.string)) }
            var indexed: [(index: Int, name: String, schema: Schema)] = []
            for (position, (name, property)) in properties.enumerated() {
                var schema = try connectSchema(property)
                if optionalForNonRequired && !required.contains(name) { schema = schema.withOptional(true) }
                indexed.append((property["connect.index"]?.int ?? properties.count + position, name, schema))
            }
            fields = indexed.sorted { $0.index < $1.index }.enumerated().map {
                Field(name: $0.element.name, index: $0.offset, schema: $0.element.schema)
            }
        default: throw DataError("JSON Schema type \(node["type"]?.string ?? "none") has no Connect form here")
        }
        var parameters: [(String, String)] = []
        if case .object(let members)? = node["connect.parameters"] {
            for (k, v) in members { if let s = v.string { parameters.append((k, s)) } }
        }
        var schema = Schema(
            type: type, name: node["title"]?.string, version: node["connect.version"]?.int,
            doc: node["description"]?.string, parameters: parameters.isEmpty ? nil : parameters, fields: fields,
            keySchema: keySchema, valueSchema: valueSchema)
        if let d = node["default"], !d.isNull {
            schema = schema.withDefault(d.primitiveValue(as: schema) { Base64.decode(Array($0.utf8)).map(Value.bytes) })
        }
        return schema
    }
}
