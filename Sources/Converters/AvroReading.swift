import SchemaRegistry
import TributaryCore

/// Reading Avro records back into Connect data, as Confluent's `AvroData.toConnectSchema`/`toConnectData` do: the
/// writer's schema comes from the registry by the record's id, becomes a Connect schema once (the `connect.*`
/// properties give back names, versions, docs, parameters, defaults and int8/int16; unions with null become
/// optional schemas; arrays of `MapEntry` records become maps), and each value is decoded by a plan made with it.
final class AvroReadSchema {
    let connect: Schema
    let plan: AvroReadPlan
    /// Plans of the named types, for references to them.
    let namedPlans: [String: AvroReadPlan]

    init(text: String) throws(DataError) {
        let node = try JSONNode.parse(text)
        var builder = AvroReadSchemaBuilder()
        (connect, plan) = try builder.build(node, namespace: nil)
        namedPlans = builder.named.mapValues(\.1)
    }

    /// The value of the Avro binary `bytes` from `offset` on.
    func decode(_ bytes: [UInt8], from offset: Int) throws(DataError) -> Value {
        let plans = namedPlans
        var decoder = AvroDecoder(bytes: bytes, position: offset) { plans[$0] }
        let value = try decoder.read(plan, connect)
        guard decoder.position == bytes.count else {
            throw DataError("\(bytes.count - decoder.position) bytes follow the Avro value")
        }
        return value
    }
}

/// How one Avro value is decoded.
indirect enum AvroReadPlan {
    case null, boolean
    case int(SchemaType)
    case long, float, double, string
    case bytes(decimalScale: Int32?)
    case fixed(size: Int, decimalScale: Int32?)
    case enumeration([String])
    case array(Schema?, AvroReadPlan)
    case map(AvroReadPlan)
    case mapEntries(key: AvroReadPlan, value: AvroReadPlan)
    case record(Schema, [AvroReadPlan])
    /// A union: the plan of each branch (null branches read as null).
    case union([AvroReadPlan])
    /// A named type defined elsewhere (a record that refers to itself through this name).
    case named(String)
}

/// A parsed JSON document (a registered schema text, an outbox payload): for documents read once, off the hot path.
public indirect enum JSONNode: Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONNode])
    case object([(String, JSONNode)])

    public static func parse(_ text: String) throws(DataError) -> JSONNode {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer throws(DataError) in
            var reader = JSONReader(buffer)
            let node = try read(&reader, depth: 0)
            try reader.expectEnd()
            return node
        }
    }

    private static func read(_ r: inout JSONReader, depth: Int) throws(DataError) -> JSONNode {
        guard depth < JSONReader.maximumDepth else { throw r.error("nesting too deep") }
        switch try r.peekKind() {
        case .null:
            _ = try r.readLiteral()
            return .null
        case .boolean: return .bool(try r.readLiteral() ?? false)
        case .number: return .number(r.text(try r.readNumber().range))
        case .string: return .string(try r.readString())
        case .array:
            var items: [JSONNode] = []
            try r.beginArray()
            var first = true
            while try r.nextElement(first: &first) { items.append(try read(&r, depth: depth + 1)) }
            return .array(items)
        case .object:
            var members: [(String, JSONNode)] = []
            try r.beginObject()
            var first = true
            while let key = try r.nextKey(first: &first) { members.append((key, try read(&r, depth: depth + 1))) }
            return .object(members)
        }
    }

    public subscript(_ key: String) -> JSONNode? {
        if case .object(let members) = self { return members.first { $0.0 == key }?.1 }
        return nil
    }

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var int: Int? { if case .number(let n) = self { Int(n) } else { nil } }
}

/// Turns Avro schema JSON into a Connect schema and a decoding plan, remembering named types.
struct AvroReadSchemaBuilder {
    private(set) var named: [String: (Schema, AvroReadPlan)] = [:]

    mutating func build(_ node: JSONNode, namespace: String?) throws(DataError) -> (Schema, AvroReadPlan) {
        switch node {
        case .string(let name): return try primitive(name, properties: .object([]), namespace: namespace)
        case .array(let branches):
            let built = try branches.map { (node) throws(DataError) in try build(node, namespace: namespace) }
            let nonNull = built.filter { if case .null = $0.1 { false } else { true } }
            guard nonNull.count == 1, built.count == 2 else {
                throw DataError("Avro unions other than [null, type] have no Connect form here")
            }
            return (nonNull[0].0.withOptional(true), .union(built.map(\.1)))
        case .object:
            guard let type = node["type"] else { throw DataError("Avro schema without a type") }
            switch type {
            case .string(let name) where ["record", "enum", "fixed", "array", "map"].contains(name):
                return try complex(name, node, namespace: namespace)
            case .string(let name): return try primitive(name, properties: node, namespace: namespace)
            default: return try build(type, namespace: namespace)
            }
        default: throw DataError("Avro schema of an unknown form")
        }
    }

    private func fullName(_ name: String, _ namespace: String?) -> String {
        name.contains(".") || namespace == nil || namespace!.isEmpty ? name : namespace! + "." + name
    }

    private mutating func primitive(
        _ name: String, properties: JSONNode, namespace: String?
    ) throws(DataError) -> (Schema, AvroReadPlan) {
        let plan: AvroReadPlan
        var type: SchemaType
        switch name {
        case "null": return (Schema(type: .string, optional: true), .null)
        case "boolean": (type, plan) = (.boolean, .boolean)
        case "int":
            type =
                properties["connect.type"]?.string == "int8"
                ? .int8 : properties["connect.type"]?.string == "int16" ? .int16 : .int32
            plan = .int(type)
        case "long": (type, plan) = (.int64, .long)
        case "float": (type, plan) = (.float32, .float)
        case "double": (type, plan) = (.float64, .double)
        case "string": (type, plan) = (.string, .string)
        case "bytes":
            type = .bytes
            plan = .bytes(
                decimalScale: properties["logicalType"]?.string == "decimal"
                    ? Int32(properties["scale"]?.int ?? 0) : nil)
        default:
            guard let known = named[fullName(name, namespace)] ?? named[name] else {
                throw DataError("Avro schema names an unknown type \(name)")
            }
            return (known.0, .named(fullName(name, namespace)))
        }
        return (try connectSchema(type, properties, avroName: nil), plan)
    }

    private mutating func complex(
        _ kind: String, _ node: JSONNode, namespace: String?
    ) throws(DataError) -> (Schema, AvroReadPlan) {
        switch kind {
        case "array":
            guard let items = node["items"] else { throw DataError("Avro array without items") }
            if case .object = items, items["type"]?.string == "record",
                items["connect.internal.type"]?.string == AvroData.mapEntryName
                    || items["name"]?.string == AvroData.mapEntryName
            {
                let (entry, entryPlan) = try build(items, namespace: namespace)
                guard case .record(_, let plans) = entryPlan, plans.count == 2, entry.fields.count == 2 else {
                    throw DataError("Avro MapEntry record without key and value")
                }
                let schema = Schema(
                    type: .map, keySchema: entry.fields[0].schema, valueSchema: entry.fields[1].schema)
                return (try connectSchema(schema, node), .mapEntries(key: plans[0], value: plans[1]))
            }
            let (element, plan) = try build(items, namespace: namespace)
            return (try connectSchema(Schema.array(of: element), node), .array(element, plan))
        case "map":
            guard let values = node["values"] else { throw DataError("Avro map without values") }
            let (value, plan) = try build(values, namespace: namespace)
            return (try connectSchema(Schema.map(key: .string, value: value), node), .map(plan))
        case "enum":
            guard case .array(let symbols)? = node["symbols"] else { throw DataError("Avro enum without symbols") }
            let names = symbols.compactMap(\.string)
            let name = fullName(node["name"]?.string ?? "", node["namespace"]?.string ?? namespace)
            var parameters: [(String, String)] = [(AvroData.namespace + ".Enum", name)]
            for symbol in names { parameters.append((AvroData.namespace + ".Enum." + symbol, symbol)) }
            let schema = try connectSchema(Schema(type: .string, name: name, parameters: parameters), node)
            named[name] = (schema, .enumeration(names))
            return (schema, .enumeration(names))
        case "fixed":
            let size = node["size"]?.int ?? 0
            let scale = node["logicalType"]?.string == "decimal" ? Int32(node["scale"]?.int ?? 0) : nil
            let schema = try connectSchema(SchemaType.bytes, node, avroName: nil)
            return (schema, .fixed(size: size, decimalScale: scale))
        default:
            let name = fullName(node["name"]?.string ?? "", node["namespace"]?.string ?? namespace)
            let inner = name.contains(".") ? String(name[..<name.lastIndex(of: ".")!]) : nil
            guard case .array(let fieldNodes)? = node["fields"] else { throw DataError("Avro record without fields") }
            var fields: [(String, Schema)] = []
            var plans: [AvroReadPlan] = []
            for fieldNode in fieldNodes {
                guard let fieldName = fieldNode["name"]?.string, let type = fieldNode["type"] else {
                    throw DataError("Avro record \(name) has a field without name or type")
                }
                var (schema, plan) = try build(type, namespace: inner)
                if schema.defaultValue == nil, let d = fieldNode["default"], !(d.isNull) {
                    schema = schema.withDefault(try defaultValue(d, schema))
                        .appendingParameters([(AvroData.fieldDefaultFlag, "true")])
                }
                fields.append((fieldName, schema))
                plans.append(plan)
            }
            let connectName =
                node["connect.name"]?.string
                ?? (name.hasPrefix(AvroData.namespace + "." + AvroData.defaultSchemaName) ? nil : name)
            var schema = Schema.struct(name: connectName, fields: fields)
            schema = try connectSchema(schema, node, avroName: connectName)
            named[name] = (schema, .record(schema, plans))
            return (schema, .record(schema, plans))
        }
    }

    private func connectSchema(_ type: SchemaType, _ node: JSONNode, avroName: String?) throws(DataError) -> Schema {
        try connectSchema(Schema(type: type), node, avroName: avroName)
    }

    /// `base` with the `connect.*` properties and logical types of `node`.
    private func connectSchema(_ base: Schema, _ node: JSONNode, avroName: String? = nil) throws(DataError) -> Schema {
        var name = node["connect.name"]?.string ?? avroName ?? base.name
        var version = node["connect.version"]?.int
        var parameters = base.parameters ?? []
        func set(_ key: String, _ value: String) {
            if let i = parameters.firstIndex(where: { $0.0 == key }) {
                parameters[i].1 = value
            } else {
                parameters.append((key, value))
            }
        }
        switch node["logicalType"]?.string {
        case "decimal":
            name = ConnectLogical.decimalName
            version = version ?? 1
            set(ConnectLogical.scaleParameter, String(node["scale"]?.int ?? 0))
            if let precision = node["precision"]?.int, precision != AvroData.decimalPrecisionDefault {
                set(ConnectLogical.precisionParameter, String(precision))
            }
        case "date" where base.type == .int32:
            name = ConnectLogical.dateName
            version = version ?? 1
        case "time-millis" where base.type == .int32:
            name = ConnectLogical.timeName
            version = version ?? 1
        case "timestamp-millis" where base.type == .int64:
            name = ConnectLogical.timestampName
            version = version ?? 1
        default: break
        }
        if case .object(let members)? = node["connect.parameters"] {
            for (k, v) in members { if let s = v.string { set(k, s) } }
        }
        var schema = Schema(
            type: base.type, optional: base.isOptional, name: name, version: version,
            doc: node["connect.doc"]?.string ?? base.doc, parameters: parameters.isEmpty ? nil : parameters,
            fields: base.fields, keySchema: base.keySchema, valueSchema: base.valueSchema)
        if let d = node["connect.default"] { schema = schema.withDefault(try defaultValue(d, schema)) }
        return schema
    }

    /// A default as Avro's JSON holds it (bytes as ISO-8859-1 text) in `schema`'s Connect form.
    private func defaultValue(_ node: JSONNode, _ schema: Schema) throws(DataError) -> Value {
        node.primitiveValue(as: schema) { text in
            let raw = text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
            guard schema.name == ConnectLogical.decimalName else { return .bytes(raw) }
            let scale = Int32(schema.parameter(ConnectLogical.scaleParameter) ?? "") ?? 0
            return .decimal(BigDecimal(unscaled: raw, scale: scale))
        }
    }
}

/// Decodes Avro binary by a plan.
struct AvroDecoder {
    let bytes: [UInt8]
    var position: Int
    let named: (String) -> AvroReadPlan?

    mutating func long() throws(DataError) -> Int64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count, shift < 64 else { throw DataError("Avro value ends inside a number") }
            let b = bytes[position]
            position += 1
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { break }
            shift += 7
        }
        return Int64(bitPattern: (result >> 1) ^ (0 &- (result & 1)))
    }

    /// A length prefix (of bytes or a string), refused when negative or beyond what is left.
    mutating func length() throws(DataError) -> Int {
        let n = try long()
        guard n >= 0, n <= Int64(bytes.count - position) else { throw DataError("Avro length \(n) is impossible") }
        return Int(n)
    }

    mutating func take(_ n: Int) throws(DataError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - position else { throw DataError("Avro value ends early") }
        defer { position += n }
        return bytes[position..<position + n]
    }

    mutating func read(_ plan: AvroReadPlan, _ schema: Schema?) throws(DataError) -> Value {
        switch plan {
        case .null: return .null
        case .boolean: return .boolean(try take(1).first! != 0)
        case .int(let type):
            let v = try long()
            switch type {
            case .int8: return .int8(Int8(truncatingIfNeeded: v))
            case .int16: return .int16(Int16(truncatingIfNeeded: v))
            default: return .int32(Int32(truncatingIfNeeded: v))
            }
        case .long: return .int64(try long())
        case .float:
            let raw = try take(4)
            return .float32(Float(bitPattern: raw.reversed().reduce(0) { $0 << 8 | UInt32($1) }))
        case .double:
            let raw = try take(8)
            return .float64(Double(bitPattern: raw.reversed().reduce(0) { $0 << 8 | UInt64($1) }))
        case .string:
            let raw = try take(try length())
            guard let s = UTF8Text.string(validating: raw) else { throw DataError("Avro string is not UTF-8") }
            return .string(s)
        case .bytes(let scale):
            let raw = Array(try take(try length()))
            return scale.map { .decimal(BigDecimal(unscaled: raw.isEmpty ? [0] : raw, scale: $0)) } ?? .bytes(raw)
        case .fixed(let size, let scale):
            let raw = Array(try take(size))
            return scale.map { .decimal(BigDecimal(unscaled: raw, scale: $0)) } ?? .bytes(raw)
        case .enumeration(let symbols):
            let i = try long()
            guard i >= 0, i < symbols.count else { throw DataError("Avro enum index \(i) out of range") }
            return .string(symbols[Int(i)])
        case .array(let element, let itemPlan):
            var items: [Value] = []
            try blocks { (d: inout AvroDecoder) throws(DataError) in items.append(try d.read(itemPlan, element)) }
            return .array(items)
        case .map(let valuePlan):
            var entries: [MapEntry] = []
            try blocks { (d: inout AvroDecoder) throws(DataError) in
                let key = try d.read(.string, nil)
                entries.append(MapEntry(key: key, value: try d.read(valuePlan, schema?.valueSchema)))
            }
            return .map(entries)
        case .mapEntries(let keyPlan, let valuePlan):
            var entries: [MapEntry] = []
            try blocks { (d: inout AvroDecoder) throws(DataError) in
                let key = try d.read(keyPlan, schema?.keySchema)
                entries.append(MapEntry(key: key, value: try d.read(valuePlan, schema?.valueSchema)))
            }
            return .map(entries)
        case .record(let recordSchema, let plans):
            var values: [Value] = []
            values.reserveCapacity(plans.count)
            for (plan, field) in zip(plans, recordSchema.fields) { values.append(try read(plan, field.schema)) }
            return .struct(Struct(schema: recordSchema, values: values))
        case .union(let branches):
            let i = try long()
            guard i >= 0, i < branches.count else { throw DataError("Avro union branch \(i) out of range") }
            return try read(branches[Int(i)], schema)
        case .named(let name):
            guard let resolved = named(name) else { throw DataError("Avro type \(name) is not defined") }
            return try read(resolved, schema)
        }
    }

    /// Array and map blocks: a count (negative: followed by the block's size), items, until a zero count.
    private mutating func blocks(_ item: (inout AvroDecoder) throws(DataError) -> Void) throws(DataError) {
        while true {
            var count = try long()
            if count == 0 { return }
            if count < 0 {
                guard count != .min else { throw DataError("Avro block count \(count) is impossible") }
                count = -count
                _ = try long()
            }
            guard count <= bytes.count else { throw DataError("Avro block count \(count) is impossible") }
            for _ in 0..<count { try item(&self) }
        }
    }
}

extension JSONNode {
    public var isNull: Bool { if case .null = self { true } else { false } }

    /// A default's JSON as a value of `schema`'s primitive type; `bytes` reads a string in a bytes schema (formats
    /// spell bytes differently). Null, and defaults of arrays, maps and structs, which no reader needs, give null.
    func primitiveValue(as schema: Schema, bytes: (String) -> Value?) -> Value {
        switch (schema.type, self) {
        case (.boolean, .bool(let b)): .boolean(b)
        case (.int8, .number(let n)): Int8(n).map(Value.int8) ?? .null
        case (.int16, .number(let n)): Int16(n).map(Value.int16) ?? .null
        case (.int32, .number(let n)): Int32(n).map(Value.int32) ?? .null
        case (.int64, .number(let n)): Int64(n).map(Value.int64) ?? .null
        case (.float32, .number(let n)): Float(n).map(Value.float32) ?? .null
        case (.float64, .number(let n)): Double(n).map(Value.float64) ?? .null
        case (.string, .string(let s)): .string(s)
        case (.bytes, .string(let s)): bytes(s) ?? .null
        default: .null
        }
    }
}
