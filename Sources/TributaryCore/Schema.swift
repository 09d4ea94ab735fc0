/// The type of a Connect schema, as Kafka Connect's `Schema.Type` names them.
public enum SchemaType: String, Sendable {
    case int8, int16, int32, int64, float32, float64, boolean, string, bytes, array, map, `struct`
}

/// A Kafka Connect schema: a type plus optionality, default, name, version, doc and parameters.
///
/// Schemas are immutable and shared between records of the same table version, so they are a class:
/// converters cache their serialized form by identity.
public final class Schema: Sendable {
    public let type: SchemaType
    public let isOptional: Bool
    public let defaultValue: Value?
    public let name: String?
    public let version: Int?
    public let doc: String?
    /// Ordered key/value pairs: Connect keeps parameters in insertion order.
    public let parameters: [(String, String)]?
    /// Fields of a struct schema, in order.
    public let fields: [Field]
    /// Key schema of a map.
    public let keySchema: Schema?
    /// Value schema of a map, element schema of an array.
    public let valueSchema: Schema?
    /// The fields' names as JSON object keys, each quoted and followed by its colon (`"name":`), one after the
    /// other; `jsonKeyEnds[i]` is where field `i`'s ends. Made once here, so that the JSON converter copies them into
    /// each record from one buffer, rather than escaping each name again (or retaining an array per field). A name
    /// with a character JSON escapes (a quote, a backslash, a control character, one outside the BMP) has an empty
    /// range: the converter escapes it.
    public let jsonKeys: [UInt8]
    public let jsonKeyEnds: [Int]

    public init(
        type: SchemaType, optional: Bool = false, defaultValue: Value? = nil, name: String? = nil,
        version: Int? = nil, doc: String? = nil, parameters: [(String, String)]? = nil,
        fields: [Field] = [], keySchema: Schema? = nil, valueSchema: Schema? = nil
    ) {
        self.type = type
        self.isOptional = optional
        self.defaultValue = defaultValue
        self.name = name
        self.version = version
        self.doc = doc
        self.parameters = parameters
        self.fields = fields
        self.keySchema = keySchema
        self.valueSchema = valueSchema
        var keys: [UInt8] = []
        var ends: [Int] = []
        ends.reserveCapacity(fields.count)
        for field in fields {
            if field.name.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C && $0 < 0xF0 }) {
                keys.append(0x22)
                keys.append(contentsOf: field.name.utf8)
                keys.append(contentsOf: [0x22, 0x3A])
            }
            ends.append(keys.count)
        }
        jsonKeys = keys
        jsonKeyEnds = ends
    }

    /// A struct schema whose fields are given as (name, schema) pairs.
    public static func `struct`(
        name: String?, optional: Bool = false, version: Int? = nil, doc: String? = nil,
        fields: [(String, Schema)]
    ) -> Schema {
        Schema(
            type: .struct, optional: optional, name: name, version: version, doc: doc,
            fields: fields.enumerated().map { Field(name: $0.element.0, index: $0.offset, schema: $0.element.1) })
    }

    public static func array(of element: Schema, optional: Bool = false, name: String? = nil) -> Schema {
        Schema(type: .array, optional: optional, name: name, valueSchema: element)
    }

    public static func map(key: Schema, value: Schema, optional: Bool = false, name: String? = nil) -> Schema {
        Schema(type: .map, optional: optional, name: name, keySchema: key, valueSchema: value)
    }

    /// The field called `name`, if this is a struct schema that has one.
    public func field(named name: String) -> Field? { fields.first { $0.name == name } }

    /// The same schema made optional (or required); everything else kept.
    public func withOptional(_ optional: Bool) -> Schema {
        if optional == isOptional { return self }
        return Schema(
            type: type, optional: optional, defaultValue: defaultValue, name: name, version: version, doc: doc,
            parameters: parameters, fields: fields, keySchema: keySchema, valueSchema: valueSchema)
    }

    /// The same schema with a default value.
    public func withDefault(_ value: Value?) -> Schema {
        Schema(
            type: type, optional: isOptional, defaultValue: value, name: name, version: version, doc: doc,
            parameters: parameters, fields: fields, keySchema: keySchema, valueSchema: valueSchema)
    }

    /// The value of parameter `key`, if set.
    public func parameter(_ key: String) -> String? { parameters?.first { $0.0 == key }?.1 }

    /// Whether the two schemas are equal as Kafka Connect's `ConnectSchema.equals` compares them: type,
    /// optionality, default, name, version, doc, parameters, and fields, key and value schemas in depth.
    public func equalsStructurally(_ other: Schema) -> Bool {
        if self === other { return true }
        guard type == other.type, isOptional == other.isOptional, name == other.name, version == other.version,
            doc == other.doc, defaultValue == other.defaultValue, fields.count == other.fields.count
        else { return false }
        let ownParameters = parameters ?? [], otherParameters = other.parameters ?? []
        guard ownParameters.count == otherParameters.count,
            zip(ownParameters, otherParameters).allSatisfy({ $0.0 == $1.0 && $0.1 == $1.1 })
        else { return false }
        for (a, b) in zip(fields, other.fields) where a.name != b.name || !a.schema.equalsStructurally(b.schema) {
            return false
        }
        func same(_ a: Schema?, _ b: Schema?) -> Bool {
            switch (a, b) {
            case (nil, nil): true
            case (let a?, let b?): a.equalsStructurally(b)
            default: false
            }
        }
        return same(keySchema, other.keySchema) && same(valueSchema, other.valueSchema)
    }

    /// The same schema with `extra` parameters after its own.
    public func appendingParameters(_ extra: [(String, String)]) -> Schema {
        Schema(
            type: type, optional: isOptional, defaultValue: defaultValue, name: name, version: version, doc: doc,
            parameters: (parameters ?? []) + extra, fields: fields, keySchema: keySchema, valueSchema: valueSchema)
    }
}

/// A named, positioned member of a struct schema.
public struct Field: Sendable {
    public let name: String
    public let index: Int
    public let schema: Schema

    public init(name: String, index: Int, schema: Schema) {
        self.name = name
        self.index = index
        self.schema = schema
    }
}

extension Schema {
    // Primitive schemas, shared.
    public static let int8 = Schema(type: .int8)
    public static let int16 = Schema(type: .int16)
    public static let int32 = Schema(type: .int32)
    public static let int64 = Schema(type: .int64)
    public static let float32 = Schema(type: .float32)
    public static let float64 = Schema(type: .float64)
    public static let boolean = Schema(type: .boolean)
    public static let string = Schema(type: .string)
    public static let bytes = Schema(type: .bytes)
    public static let optionalInt8 = Schema(type: .int8, optional: true)
    public static let optionalInt16 = Schema(type: .int16, optional: true)
    public static let optionalInt32 = Schema(type: .int32, optional: true)
    public static let optionalInt64 = Schema(type: .int64, optional: true)
    public static let optionalFloat32 = Schema(type: .float32, optional: true)
    public static let optionalFloat64 = Schema(type: .float64, optional: true)
    public static let optionalBoolean = Schema(type: .boolean, optional: true)
    public static let optionalString = Schema(type: .string, optional: true)
    public static let optionalBytes = Schema(type: .bytes, optional: true)
}
