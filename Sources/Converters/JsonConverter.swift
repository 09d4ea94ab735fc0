import TributaryCore

/// Kafka Connect's `org.apache.kafka.connect.json.JsonConverter`, byte for byte.
///
/// With `schemas.enable=true` (the default) each message is `{"schema":…,"payload":…}`; otherwise just the
/// payload. Decimals are base64 of their unscaled bytes unless `decimal.format=NUMERIC`. The JSON of each schema
/// is rendered once and reused, so per record only the payload is written.
public final class JsonConverter: Converter {
    public static let className = "org.apache.kafka.connect.json.JsonConverter"

    public enum DecimalFormat: String, Sendable {
        case base64 = "BASE64"
        case numeric = "NUMERIC"
    }

    public let schemasEnabled: Bool
    public let decimalFormat: DecimalFormat
    public let replaceNullWithDefault: Bool
    private var schemaCache: [ObjectIdentifier: (schema: Schema, json: [UInt8])] = [:]
    /// How often a schema was rendered to JSON rather than taken from the cache (for tests and metrics).
    public private(set) var schemaRenderings = 0
    /// Schemas whose JSON is cached now.
    public var cachedSchemaCount: Int { schemaCache.count }
    private var writer = JSONWriter(capacity: 4096)
    /// How many schemas each direction keeps (`schemas.cache.size`).
    public let schemasCacheSize: Int
    /// Schemas read, by their JSON text.
    var readSchemaCache: [[UInt8]: Schema] = [:]
    /// The schema text read last and its schema: consecutive records usually share it.
    var lastReadSchema: (text: [UInt8], schema: Schema?)?

    public init(
        schemasEnabled: Bool = true, decimalFormat: DecimalFormat = .base64, replaceNullWithDefault: Bool = true,
        schemasCacheSize: Int = 1000
    ) {
        self.schemasEnabled = schemasEnabled
        self.decimalFormat = decimalFormat
        self.replaceNullWithDefault = replaceNullWithDefault
        self.schemasCacheSize = max(1, schemasCacheSize)
    }

    /// Reads `schemas.enable`, `decimal.format`, `replace.null.with.default` and `schemas.cache.size`.
    public convenience init(_ config: Config, isKey: Bool) throws {
        let format = try config.choice("decimal.format", default: "BASE64", allowed: ["BASE64", "NUMERIC"])
        let cacheSize = try config.int("schemas.cache.size", default: 1000, range: 0...Int(Int32.max))
        self.init(
            schemasEnabled: try config.bool("schemas.enable", default: true),
            decimalFormat: DecimalFormat(rawValue: format)!,
            replaceNullWithDefault: try config.bool("replace.null.with.default", default: true),
            schemasCacheSize: cacheSize)
    }

    public func fromConnectData(topic: String, schema: Schema?, value: Value) throws -> [UInt8]? {
        if schema == nil && value.isNull { return nil }
        // Work on a local writer (no class-property access in the recursion), keeping the buffer's capacity.
        var w = JSONWriter(capacity: 0)
        swap(&w, &writer)
        defer { swap(&w, &writer) }
        w.bytes.removeAll(keepingCapacity: true)
        if schemasEnabled {
            w.raw("{\"schema\":")
            if let schema { w.raw(schemaJSON(schema)) } else { w.null() }
            w.raw(",\"payload\":")
            try Self.writeValue(schema, value, into: &w, options: options)
            w.byte(UInt8(ascii: "}"))
        } else {
            try Self.writeValue(schema, value, into: &w, options: options)
        }
        return w.bytes
    }

    /// The JSON form of `schema` (`{"type":…,"optional":…,…}`), cached by schema identity.
    public func schemaJSON(_ schema: Schema) -> [UInt8] {
        let id = ObjectIdentifier(schema)
        if let cached = schemaCache[id] { return cached.json }
        schemaRenderings += 1
        // Bounded by `schemas.cache.size`: schemas normally change rarely.
        if schemaCache.count >= schemasCacheSize { schemaCache.removeAll(keepingCapacity: true) }
        var w = JSONWriter(capacity: 1024)
        writeSchema(schema, field: nil, into: &w)
        schemaCache[id] = (schema, w.bytes)
        return w.bytes
    }

    private func writeSchema(_ schema: Schema, field: String?, into w: inout JSONWriter) {
        w.raw("{\"type\":\"")
        w.raw(typeName(schema.type))
        w.byte(UInt8(ascii: "\""))
        switch schema.type {
        case .array:
            w.raw(",\"items\":")
            writeSchema(schema.valueSchema!, field: nil, into: &w)
        case .map:
            w.raw(",\"keys\":")
            writeSchema(schema.keySchema!, field: nil, into: &w)
            w.raw(",\"values\":")
            writeSchema(schema.valueSchema!, field: nil, into: &w)
        case .struct:
            w.raw(",\"fields\":[")
            for (i, f) in schema.fields.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                writeSchema(f.schema, field: f.name, into: &w)
            }
            w.byte(UInt8(ascii: "]"))
        default: break
        }
        w.raw(",\"optional\":")
        w.bool(schema.isOptional)
        if let name = schema.name {
            w.raw(",\"name\":")
            w.string(name)
        }
        if let version = schema.version {
            w.raw(",\"version\":")
            w.int(Int64(version))
        }
        if let doc = schema.doc {
            w.raw(",\"doc\":")
            w.string(doc)
        }
        if let parameters = schema.parameters {
            w.raw(",\"parameters\":{")
            for (i, (k, v)) in parameters.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.string(k)
                w.byte(UInt8(ascii: ":"))
                w.string(v)
            }
            w.byte(UInt8(ascii: "}"))
        }
        if let d = schema.defaultValue, !d.isNull {
            w.raw(",\"default\":")
            var value = JSONWriter(capacity: 64)
            // Defaults are validated when schemas are built; a mismatch renders as null rather than failing.
            if (try? Self.writeValue(schema, d, into: &value, options: options)) != nil {
                w.raw(value.bytes)
            } else {
                w.null()
            }
        }
        if let field {
            w.raw(",\"field\":")
            w.string(field)
        }
        w.byte(UInt8(ascii: "}"))
    }

    private func typeName(_ type: SchemaType) -> StaticString {
        switch type {
        case .int8: "int8"
        case .int16: "int16"
        case .int32: "int32"
        case .int64: "int64"
        case .float32: "float"
        case .float64: "double"
        case .boolean: "boolean"
        case .string: "string"
        case .bytes: "bytes"
        case .array: "array"
        case .map: "map"
        case .struct: "struct"
        }
    }

    /// The settings that shape payloads.
    struct Options {
        var decimalFormat: DecimalFormat
        var replaceNullWithDefault: Bool
        /// JSON Schema's form of maps: object mode only for required string keys, other maps as arrays of
        /// `{"key":…,"value":…}` objects (JsonConverter: `[key, value]` pairs).
        var mapEntriesAsObjects = false
    }

    private var options: Options {
        Options(decimalFormat: decimalFormat, replaceNullWithDefault: replaceNullWithDefault)
    }

    static func writeValue(
        _ schema: Schema?, _ value: Value, into writer: inout JSONWriter, options: Options
    ) throws {
        if value.isNull {
            guard let schema else { return writer.null() }
            if options.replaceNullWithDefault, let d = schema.defaultValue, !d.isNull {
                return try writeValue(schema, d, into: &writer, options: options)
            }
            guard schema.isOptional else {
                throw DataError("Conversion error: null value for field that is required and has no default value")
            }
            return writer.null()
        }
        switch value {
        case .null: writer.null()
        case .boolean(let v): writer.bool(v)
        case .int8(let v): writer.int(Int64(v))
        case .int16(let v): writer.int(Int64(v))
        case .int32(let v): writer.int(Int64(v))
        case .int64(let v): writer.int(v)
        case .float32(let v): writer.float(v)
        case .float64(let v): writer.double(v)
        case .string(let v): writer.string(v)
        case .bytes(let v): writer.base64(v)
        case .decimal(let d):
            switch options.decimalFormat {
            case .base64: writer.base64(d.unscaled)
            case .numeric: writer.raw(Array(d.description.utf8))
            }
        case .array(let items):
            writer.byte(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { writer.byte(UInt8(ascii: ",")) }
                try writeValue(schema?.valueSchema, item, into: &writer, options: options)
            }
            writer.byte(UInt8(ascii: "]"))
        case .map(let entries):
            let objectMode =
                schema == nil
                ? entries.allSatisfy { if case .string = $0.key { true } else { false } }
                : schema!.keySchema!.type == .string && !(options.mapEntriesAsObjects && schema!.keySchema!.isOptional)
            writer.byte(UInt8(ascii: objectMode ? "{" : "["))
            for (i, e) in entries.enumerated() {
                if i > 0 { writer.byte(UInt8(ascii: ",")) }
                if objectMode {
                    guard case .string(let k) = e.key else { throw DataError("map key is not a string") }
                    writer.string(k)
                    writer.byte(UInt8(ascii: ":"))
                    try writeValue(schema?.valueSchema, e.value, into: &writer, options: options)
                } else {
                    writer.raw(options.mapEntriesAsObjects ? "{\"key\":" : "[")
                    try writeValue(schema?.keySchema, e.key, into: &writer, options: options)
                    writer.raw(options.mapEntriesAsObjects ? ",\"value\":" : ",")
                    try writeValue(schema?.valueSchema, e.value, into: &writer, options: options)
                    writer.byte(UInt8(ascii: options.mapEntriesAsObjects ? "}" : "]"))
                }
            }
            writer.byte(UInt8(ascii: objectMode ? "}" : "]"))
        case .struct(let s):
            writer.byte(UInt8(ascii: "{"))
            try writeFields(of: s, into: &writer, options: options)
            writer.byte(UInt8(ascii: "}"))
        }
    }

    /// A struct's fields, `"name":value` separated by commas. Keys come from the schema's one buffer of them.
    private static func writeFields(of s: Struct, into writer: inout JSONWriter, options: Options) throws {
        try s.schema.jsonKeys.withUnsafeBufferPointer { keys in
            try s.schema.jsonKeyEnds.withUnsafeBufferPointer { ends in
                try s.schema.fields.withUnsafeBufferPointer { fields in
                    try s.values.withUnsafeBufferPointer { values in
                        var start = 0
                        for i in 0..<fields.count {
                            if i > 0 { writer.byte(UInt8(ascii: ",")) }
                            let end = ends[i]
                            if end > start {
                                writer.raw(UnsafeBufferPointer(rebasing: keys[start..<end]))
                            } else {
                                writer.string(fields[i].name)
                                writer.byte(UInt8(ascii: ":"))
                            }
                            start = end
                            // Values whose text does not depend on their schema are written here, without passing
                            // (and retaining) the field's schema and the value down.
                            switch values[i] {
                            case .boolean(let v): writer.bool(v)
                            case .int8(let v): writer.int(Int64(v))
                            case .int16(let v): writer.int(Int64(v))
                            case .int32(let v): writer.int(Int64(v))
                            case .int64(let v): writer.int(v)
                            case .string(let v): writer.string(v)
                            default: try writeValue(fields[i].schema, values[i], into: &writer, options: options)
                            }
                        }
                    }
                }
            }
        }
    }
}
