import TributaryCore

/// An Avro schema, printed exactly as Apache Avro's Java `Schema.toString()` prints it: the text Confluent's
/// serializers register, so the registry gives a schema the same id whichever of the two registered it.
///
/// Records are a class so that a record used twice is the same object: Avro writes its definition once and
/// its name after that.
public indirect enum AvroSchema: Sendable {
    case primitive(AvroPrimitive, properties: AvroProperties)
    case record(AvroRecord)
    case array(items: AvroSchema, properties: AvroProperties)
    case map(values: AvroSchema, properties: AvroProperties)
    case union([AvroSchema])

    /// The schema's JSON text, as Avro's `Schema.toString()` writes it.
    public var text: String {
        var w = JSONWriter(capacity: 1024)
        var names = AvroNames()
        write(into: &w, names: &names)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// The full name of a record, the type name of anything else (what a record-name subject strategy uses).
    public var fullName: String {
        switch self {
        case .primitive(let type, _): type.rawValue
        case .record(let record): record.fullName
        case .array: "array"
        case .map: "map"
        case .union: "union"
        }
    }

    func write(into w: inout JSONWriter, names: inout AvroNames) {
        switch self {
        case .primitive(let type, let properties):
            if properties.isEmpty {
                w.string(type.rawValue)
            } else {
                w.raw("{\"type\":")
                w.string(type.rawValue)
                properties.write(into: &w)
                w.byte(UInt8(ascii: "}"))
            }
        case .record(let record):
            record.write(into: &w, names: &names)
        case .array(let items, let properties):
            w.raw("{\"type\":\"array\",\"items\":")
            items.write(into: &w, names: &names)
            properties.write(into: &w)
            w.byte(UInt8(ascii: "}"))
        case .map(let values, let properties):
            w.raw("{\"type\":\"map\",\"values\":")
            values.write(into: &w, names: &names)
            properties.write(into: &w)
            w.byte(UInt8(ascii: "}"))
        case .union(let members):
            w.byte(UInt8(ascii: "["))
            for (i, member) in members.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                member.write(into: &w, names: &names)
            }
            w.byte(UInt8(ascii: "]"))
        }
    }
}

/// Avro's primitive types.
public enum AvroPrimitive: String, Sendable {
    case null, boolean, int, long, float, double, bytes, string
}

/// Schema or field properties in insertion order, their values already JSON. Adding a key twice keeps the first
/// (Avro refuses to overwrite a property with another value; Confluent only ever re-adds the same one).
public struct AvroProperties: Sendable {
    private(set) var entries: [(key: String, json: [UInt8])] = []

    public init() {}

    public var isEmpty: Bool { entries.isEmpty }

    public func value(_ key: String) -> [UInt8]? { entries.first { $0.key == key }?.json }

    public mutating func add(_ key: String, json: [UInt8]) {
        if value(key) == nil { entries.append((key, json)) }
    }

    public mutating func add(_ key: String, string: String) {
        var w = JSONWriter(capacity: string.utf8.count + 2)
        w.string(string)
        add(key, json: w.bytes)
    }

    public mutating func add(_ key: String, int: Int) {
        var w = JSONWriter(capacity: 8)
        w.int(Int64(int))
        add(key, json: w.bytes)
    }

    /// Writes `,"key":value` for each property.
    func write(into w: inout JSONWriter) {
        for (key, json) in entries {
            w.byte(UInt8(ascii: ","))
            w.string(key)
            w.byte(UInt8(ascii: ":"))
            w.raw(json)
        }
    }
}

/// A named Avro record.
public final class AvroRecord: @unchecked Sendable {
    public let name: String
    public let namespace: String?
    public let doc: String?
    /// Set once, after the fields' own schemas are built (a field may refer back to its record).
    public internal(set) var fields: [AvroField] = []
    public internal(set) var properties = AvroProperties()

    init(name: String, namespace: String?, doc: String?) {
        self.name = name
        self.namespace = namespace
        self.doc = doc
    }

    public var fullName: String { namespace.map { "\($0).\(name)" } ?? name }

    fileprivate func write(into w: inout JSONWriter, names: inout AvroNames) {
        if names.written.contains(ObjectIdentifier(self)) {
            // Written before: by name, short when in the enclosing namespace.
            w.string(namespace == names.space ? name : fullName)
            return
        }
        names.written.insert(ObjectIdentifier(self))
        w.raw("{\"type\":\"record\",\"name\":")
        w.string(name)
        if let namespace {
            if namespace != names.space {
                w.raw(",\"namespace\":")
                w.string(namespace)
            }
        } else if names.space != nil {
            w.raw(",\"namespace\":\"\"")
        }
        let saved = names.space
        names.space = namespace
        if let doc {
            w.raw(",\"doc\":")
            w.string(doc)
        }
        w.raw(",\"fields\":[")
        for (i, field) in fields.enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.raw("{\"name\":")
            w.string(field.name)
            w.raw(",\"type\":")
            field.schema.write(into: &w, names: &names)
            if let doc = field.doc {
                w.raw(",\"doc\":")
                w.string(doc)
            }
            if let json = field.defaultJSON {
                w.raw(",\"default\":")
                w.raw(json)
            }
            field.properties.write(into: &w)
            w.byte(UInt8(ascii: "}"))
        }
        w.byte(UInt8(ascii: "]"))
        properties.write(into: &w)
        w.byte(UInt8(ascii: "}"))
        names.space = saved
    }
}

/// A field of an Avro record.
public struct AvroField: Sendable {
    public var name: String
    public var schema: AvroSchema
    public var doc: String?
    /// The field's default as JSON (`null` for an optional field), or nil for none.
    public var defaultJSON: [UInt8]?
    public var properties = AvroProperties()
}

/// What Avro's printer tracks: the records already written and the namespace names are relative to.
struct AvroNames {
    var written: Set<ObjectIdentifier> = []
    var space: String?
}
