import TributaryCore

/// Reading: Kafka Connect's `JsonConverter.toConnectData`, for sinks.
///
/// The JSON is read straight into Connect values, guided by the schema; no intermediate tree. Schemas are built
/// once per distinct schema text and cached (`schemas.cache.size`), so every record of a table version carries the
/// same `Schema` instance and downstream caches keep working.
///
/// Stricter than Kafka on purpose: where Jackson would turn a value of the wrong JSON type into 0, false or null
/// (a string in an int32 field) or truncate it (300 in an int8 field), this is an error naming the field, so no
/// sink silently writes changed data.
extension JsonConverter: ReadingConverter {
    public func toConnectData(topic: String, bytes: [UInt8]?) throws -> SchemaAndValue {
        guard let bytes else { return .null }
        let replaceNull = replaceNullWithDefault
        return try bytes.withUnsafeBufferPointer { buffer throws(DataError) in
            var reader = JSONReader(buffer)
            guard schemasEnabled else {
                reader.skipWhitespace()
                if reader.position == buffer.count { return .null }
                let value = try Self.readValue(nil, &reader, depth: 0, replaceNull: replaceNull)
                try reader.expectEnd()
                return SchemaAndValue(schema: nil, value: value)
            }
            return try readEnvelope(&reader, replaceNull: replaceNull)
        }
    }

    private static let envelopeError = DataError(
        "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional "
            + "fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter "
            + "configuration.")

    /// `{"schema":…,"payload":…}` in either order; the payload is read directly once the schema is known.
    private func readEnvelope(_ reader: inout JSONReader, replaceNull: Bool) throws(DataError) -> SchemaAndValue {
        guard try reader.peekKind() == .object else { throw Self.envelopeError }
        try reader.beginObject()
        var first = true
        var members = 0
        var schema: Schema?? = nil
        var value: Value?
        var payloadStart: Int?
        while let key = try reader.nextKey(first: &first) {
            members += 1
            switch key {
            case "schema":
                reader.skipWhitespace()
                let start = reader.position
                try reader.skipValue()
                schema = .some(try connectSchema(reader.bytes, start..<reader.position))
            case "payload":
                if case .some(let known) = schema {
                    value = try Self.readValue(known, &reader, depth: 0, replaceNull: replaceNull)
                } else {
                    reader.skipWhitespace()
                    payloadStart = reader.position
                    try reader.skipValue()
                }
            default:
                try reader.skipValue()
            }
        }
        try reader.expectEnd()
        guard members == 2, case .some(let found) = schema, value != nil || payloadStart != nil else {
            throw Self.envelopeError
        }
        if let payloadStart, value == nil {
            reader.position = payloadStart
            value = try Self.readValue(found, &reader, depth: 0, replaceNull: replaceNull)
        }
        return SchemaAndValue(schema: found, value: value!)
    }

    /// The Connect schema of the JSON schema in `range` (nil for `null`), from the cache when the text was seen.
    private func connectSchema(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(DataError) -> Schema? {
        let text = UnsafeBufferPointer(rebasing: bytes[range])
        if let last = lastReadSchema, last.text.elementsEqual(text) { return last.schema }
        let key = Array(text)
        let schema: Schema?
        if let cached = readSchemaCache[key] {
            schema = cached
        } else {
            var reader = JSONReader(text)
            schema = try Self.readSchema(&reader, depth: 0, replaceNull: replaceNullWithDefault).schema
            try reader.expectEnd()
            if readSchemaCache.count >= schemasCacheSize { readSchemaCache.removeAll(keepingCapacity: true) }
            readSchemaCache[key] = schema
        }
        lastReadSchema = (key, schema)
        return schema
    }

    /// Kafka Connect's `asConnectSchema`: a JSON schema object (or null) and its `field` name when it is a field.
    static func readSchema(
        _ reader: inout JSONReader, depth: Int, replaceNull: Bool
    ) throws(DataError) -> (schema: Schema?, field: String?) {
        guard depth < JSONReader.maximumDepth else {
            throw reader.error("nesting deeper than \(JSONReader.maximumDepth)")
        }
        switch try reader.peekKind() {
        case .null:
            _ = try reader.readLiteral()
            return (nil, nil)
        case .object: break
        default: throw DataError("Schema must contain 'type' field")
        }
        try reader.beginObject()
        var typeName: String?, optional = false, name: String?, version: Int?, doc: String?, field: String?
        var parameters: [(String, String)]?, defaultStart: Int?
        var fields: [Field]?, items: Schema??, keys: Schema??, values: Schema??
        var first = true
        while let key = try reader.nextKey(first: &first) {
            let kind = try reader.peekKind()
            switch (key, kind) {
            case ("type", .string): typeName = try reader.readString()
            case ("optional", .boolean): optional = try reader.readLiteral() ?? false
            case ("name", .string): name = try reader.readString()
            case ("doc", .string): doc = try reader.readString()
            case ("field", .string): field = try reader.readString()
            case ("version", .number):
                let number = try reader.readNumber()
                if number.integral, let v = reader.int64(number.range) { version = Int(truncatingIfNeeded: v) }
            case ("parameters", .object): parameters = try readParameters(&reader)
            case ("parameters", .null): _ = try reader.readLiteral()
            case ("parameters", _): throw DataError("Schema parameters must be a JSON object.")
            case ("default", _):
                defaultStart = reader.position
                try reader.skipValue()
            case ("fields", .array):
                var list: [Field] = []
                try reader.beginArray()
                var firstField = true
                while try reader.nextElement(first: &firstField) {
                    let (schema, fieldName) = try readSchema(&reader, depth: depth + 1, replaceNull: replaceNull)
                    guard let fieldName, let schema else {
                        throw DataError("Struct schema's field name not specified properly")
                    }
                    list.append(Field(name: fieldName, index: list.count, schema: schema))
                }
                fields = list
            case ("items", _): items = .some(try readSchema(&reader, depth: depth + 1, replaceNull: replaceNull).schema)
            case ("keys", _): keys = .some(try readSchema(&reader, depth: depth + 1, replaceNull: replaceNull).schema)
            case ("values", _):
                values = .some(try readSchema(&reader, depth: depth + 1, replaceNull: replaceNull).schema)
            default: try reader.skipValue()
            }
        }
        guard let typeName else { throw DataError("Schema must contain 'type' field") }
        let type: SchemaType
        var structFields: [Field] = [], keySchema: Schema?, valueSchema: Schema?
        switch typeName {
        case "boolean": type = .boolean
        case "int8": type = .int8
        case "int16": type = .int16
        case "int32": type = .int32
        case "int64": type = .int64
        case "float": type = .float32
        case "double": type = .float64
        case "bytes": type = .bytes
        case "string": type = .string
        case "array":
            guard case .some(.some(let element)) = items else {
                throw DataError("Array schema did not specify the element type")
            }
            type = .array
            valueSchema = element
        case "map":
            guard case .some(.some(let k)) = keys else { throw DataError("Map schema did not specify the key type") }
            guard case .some(.some(let v)) = values else {
                throw DataError("Map schema did not specify the value type")
            }
            type = .map
            (keySchema, valueSchema) = (k, v)
        case "struct":
            guard let fields else { throw DataError("Struct schema's \"fields\" argument is not an array.") }
            type = .struct
            structFields = fields
        default: throw DataError("Unknown schema type: \(typeName)")
        }
        var schema = Schema(
            type: type, optional: optional, name: name, version: version, doc: doc, parameters: parameters,
            fields: structFields, keySchema: keySchema, valueSchema: valueSchema)
        if let defaultStart {
            let end = reader.position
            reader.position = defaultStart
            let value = try readValue(schema, &reader, depth: depth + 1, replaceNull: replaceNull)
            reader.position = end
            if !value.isNull { schema = schema.withDefault(value) }
        }
        return (schema, field)
    }

    private static func readParameters(_ reader: inout JSONReader) throws(DataError) -> [(String, String)] {
        var parameters: [(String, String)] = []
        try reader.beginObject()
        var first = true
        while let key = try reader.nextKey(first: &first) {
            guard try reader.peekKind() == .string else {
                throw DataError("Schema parameters must have string values.")
            }
            parameters.append((key, try reader.readString()))
        }
        return parameters
    }

    /// Kafka Connect's `convertToConnect`: the value at the reader, as `schema` (or schemaless when nil) says.
    static func readValue(
        _ schema: Schema?, _ reader: inout JSONReader, depth: Int, replaceNull: Bool
    ) throws(DataError) -> Value {
        guard depth < JSONReader.maximumDepth else {
            throw reader.error("nesting deeper than \(JSONReader.maximumDepth)")
        }
        let kind = try reader.peekKind()
        if kind == .null {
            _ = try reader.readLiteral()
            return try nullValue(schema, replaceNull: replaceNull)
        }
        guard let schema else { return try readSchemaless(kind, &reader, depth: depth) }
        let typeName = schema.type.rawValue.uppercased()
        func mismatch(_ expected: String) -> DataError {
            DataError(
                "Invalid value for \(typeName) field: expected \(expected), found \(kind.rawValue)"
            )
        }
        switch schema.type {
        case .boolean:
            guard kind == .boolean, let v = try reader.readLiteral() else { throw mismatch("true or false") }
            return .boolean(v)
        case .int8, .int16, .int32, .int64:
            guard kind == .number else { throw mismatch("an integer") }
            let number = try reader.readNumber()
            guard number.integral, let v = reader.int64(number.range) else {
                throw DataError(
                    "Invalid value for \(typeName) field: \(reader.text(number.range)) is not a 64-bit integer"
                )
            }
            let fits: Value?
            switch schema.type {
            case .int8: fits = Int8(exactly: v).map(Value.int8)
            case .int16: fits = Int16(exactly: v).map(Value.int16)
            case .int32: fits = Int32(exactly: v).map(Value.int32)
            default: fits = .int64(v)
            }
            guard let fits else {
                throw DataError("Invalid value for \(typeName) field: \(v) is out of range")
            }
            return fits
        case .float32, .float64:
            let text: String
            switch kind {
            case .number: text = reader.text(try reader.readNumber().range)
            case .string:
                // NaN and infinities, as this converter (and Jackson) write them.
                text = try reader.readString()
                guard ["NaN", "Infinity", "-Infinity"].contains(text) else { throw mismatch("a number") }
            default: throw mismatch("a number")
            }
            let double = text == "Infinity" ? .infinity : text == "-Infinity" ? -.infinity : Double(text) ?? .nan
            return schema.type == .float32 ? .float32(Float(text) ?? Float(double)) : .float64(double)
        case .string:
            guard kind == .string else { throw mismatch("a string") }
            return .string(try reader.readString())
        case .bytes:
            if schema.name == ConnectLogical.decimalName { return try readDecimal(schema, kind, &reader) }
            guard kind == .string else { throw mismatch("a base64 string") }
            guard let bytes = Base64.decode(try reader.readString().utf8) else {
                throw DataError("Invalid bytes field: not base64")
            }
            return .bytes(bytes)
        case .array:
            guard kind == .array else {
                throw DataError("Arrays should be encoded as JSON arrays, but found \(kind.rawValue)")
            }
            var items: [Value] = []
            try reader.beginArray()
            var first = true
            while try reader.nextElement(first: &first) {
                items.append(try readValue(schema.valueSchema, &reader, depth: depth + 1, replaceNull: replaceNull))
            }
            return .array(items)
        case .map:
            return try readMap(schema, kind, &reader, depth: depth, replaceNull: replaceNull)
        case .struct:
            guard kind == .object else {
                throw DataError("Structs should be encoded as JSON objects, but found \(kind.rawValue)")
            }
            return .struct(try readStruct(schema, &reader, depth: depth, replaceNull: replaceNull))
        }
    }

    /// A JSON null (or a missing field) as `schema` takes it: its default, null when optional, else an error.
    private static func nullValue(_ schema: Schema?, replaceNull: Bool) throws(DataError) -> Value {
        guard let schema else { return .null }
        if replaceNull, let d = schema.defaultValue, !d.isNull { return d }
        if schema.isOptional { return .null }
        throw DataError("Invalid null value for required \(schema.type.rawValue.uppercased()) field")
    }

    /// Fields in any order; unknown members skipped; missing fields read as null.
    private static func readStruct(
        _ schema: Schema, _ reader: inout JSONReader, depth: Int, replaceNull: Bool
    ) throws(DataError) -> Struct {
        let fields = schema.fields
        var values = [Value](repeating: .null, count: fields.count)
        var seen = [Bool](repeating: false, count: fields.count)
        try reader.beginObject()
        var first = true
        var expected = 0
        while let key = try reader.nextKey(first: &first) {
            // Writers keep the schema's field order, so the next field is almost always the one expected.
            let index =
                expected < fields.count && fields[expected].name == key
                ? expected : fields.firstIndex { $0.name == key }
            guard let index else {
                try reader.skipValue()
                continue
            }
            do {
                values[index] = try readValue(fields[index].schema, &reader, depth: depth + 1, replaceNull: replaceNull)
            } catch {
                var located = error
                located.fieldPath.insert(key, at: 0)
                throw located
            }
            seen[index] = true
            expected = index + 1
        }
        for i in fields.indices where !seen[i] {
            do {
                values[i] = try nullValue(fields[i].schema, replaceNull: replaceNull)
            } catch {
                var located = error
                located.fieldPath.insert(fields[i].name, at: 0)
                throw located
            }
        }
        return Struct(schema: schema, values: values)
    }

    /// String keys as a JSON object, other keys as an array of `[key, value]` pairs (JsonConverter) or of
    /// `{"key":…,"value":…}` objects (JSON Schema's form, also for optional string keys).
    private static func readMap(
        _ schema: Schema, _ kind: JSONReader.Kind, _ reader: inout JSONReader, depth: Int, replaceNull: Bool
    ) throws(DataError) -> Value {
        var entries: [MapEntry] = []
        var first = true
        if schema.keySchema?.type == .string && kind != .array {
            guard kind == .object else {
                throw DataError("Maps with string fields should be encoded as JSON objects, but found \(kind.rawValue)")
            }
            try reader.beginObject()
            while let key = try reader.nextKey(first: &first) {
                let value = try readValue(schema.valueSchema, &reader, depth: depth + 1, replaceNull: replaceNull)
                entries.append(MapEntry(key: .string(key), value: value))
            }
            return .map(entries)
        }
        guard kind == .array else {
            throw DataError(
                "Maps with non-string fields should be encoded as JSON array of tuples, but found \(kind.rawValue)")
        }
        try reader.beginArray()
        while try reader.nextElement(first: &first) {
            let entryKind = try reader.peekKind()
            if entryKind == .object {
                entries.append(try readKeyValueObject(schema, &reader, depth: depth, replaceNull: replaceNull))
                continue
            }
            guard entryKind == .array else {
                throw DataError("Found invalid map entry instead of array tuple: \(entryKind.rawValue)")
            }
            try reader.beginArray()
            var firstInEntry = true
            var pair: [Value] = []
            while try reader.nextElement(first: &firstInEntry) {
                guard pair.count < 2 else { throw DataError("Found invalid map entry, expected length 2 but found :3") }
                let part = pair.isEmpty ? schema.keySchema : schema.valueSchema
                pair.append(try readValue(part, &reader, depth: depth + 2, replaceNull: replaceNull))
            }
            guard pair.count == 2 else {
                throw DataError("Found invalid map entry, expected length 2 but found :\(pair.count)")
            }
            entries.append(MapEntry(key: pair[0], value: pair[1]))
        }
        return .map(entries)
    }

    /// One `{"key":…,"value":…}` map entry.
    private static func readKeyValueObject(
        _ schema: Schema, _ reader: inout JSONReader, depth: Int, replaceNull: Bool
    ) throws(DataError) -> MapEntry {
        var key: Value?, value: Value?
        try reader.beginObject()
        var first = true
        while let member = try reader.nextKey(first: &first) {
            switch member {
            case "key": key = try readValue(schema.keySchema, &reader, depth: depth + 2, replaceNull: replaceNull)
            case "value": value = try readValue(schema.valueSchema, &reader, depth: depth + 2, replaceNull: replaceNull)
            default: try reader.skipValue(depth: depth + 2)
            }
        }
        guard let key else { throw DataError("Found invalid map entry: an object without \"key\"") }
        if let value { return MapEntry(key: key, value: value) }
        return MapEntry(key: key, value: try nullValue(schema.valueSchema, replaceNull: replaceNull))
    }

    /// Connect's `Decimal`: base64 of the unscaled integer with the schema's scale, or a JSON number as written.
    private static func readDecimal(
        _ schema: Schema, _ kind: JSONReader.Kind, _ reader: inout JSONReader
    ) throws(DataError) -> Value {
        switch kind {
        case .number:
            let text = reader.text(try reader.readNumber().range)
            guard let decimal = BigDecimal(text) else { throw DataError("Invalid Decimal value: \(text)") }
            return .decimal(decimal)
        case .string:
            guard let scaleText = schema.parameter(ConnectLogical.scaleParameter), let scale = Int32(scaleText) else {
                throw DataError("Invalid Decimal schema: scale parameter not found.")
            }
            guard let unscaled = Base64.decode(try reader.readString().utf8), !unscaled.isEmpty else {
                throw DataError("Invalid bytes for Decimal field: not base64 of an unscaled integer")
            }
            return .decimal(BigDecimal(unscaled: unscaled, scale: scale))
        default:
            throw DataError(
                "Invalid type for Decimal, underlying representation should be numeric or bytes but was "
                    + kind.rawValue
            )
        }
    }

    /// Without a schema: objects become maps with string keys, integers int64, other numbers float64.
    private static func readSchemaless(
        _ kind: JSONReader.Kind, _ reader: inout JSONReader, depth: Int
    ) throws(DataError) -> Value {
        var first = true
        switch kind {
        case .boolean: return .boolean(try reader.readLiteral() ?? false)
        case .null:
            _ = try reader.readLiteral()
            return .null
        case .string: return .string(try reader.readString())
        case .number:
            let number = try reader.readNumber()
            if number.integral {
                guard let v = reader.int64(number.range) else {
                    throw DataError("Integer \(reader.text(number.range)) does not fit INT64")
                }
                return .int64(v)
            }
            return .float64(Double(reader.text(number.range)) ?? .nan)
        case .array:
            var items: [Value] = []
            try reader.beginArray()
            while try reader.nextElement(first: &first) {
                items.append(try readValue(nil, &reader, depth: depth + 1, replaceNull: false))
            }
            return .array(items)
        case .object:
            var entries: [MapEntry] = []
            try reader.beginObject()
            while let key = try reader.nextKey(first: &first) {
                entries.append(
                    MapEntry(
                        key: .string(key), value: try readValue(nil, &reader, depth: depth + 1, replaceNull: false)))
            }
            return .map(entries)
        }
    }
}
