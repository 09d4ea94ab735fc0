import TributaryCore

/// Derives Avro schemas from Connect schemas as Confluent's `io.confluent.connect.avro.AvroData` does, so that
/// Avro consumers of Debezium's topics see the same record names, unions, logical types and `connect.*`
/// properties, and the registry the same schema text.
///
/// The rules, from Confluent's `AvroData.fromConnectSchema`:
/// - int8 and int16 become `int` with `connect.type`; the other primitives map one to one.
/// - An optional schema becomes a union with `null`: null first, or last when the schema has a default
///   (a field's default must match the union's first branch).
/// - A struct becomes a record named by the schema's name split at its last dot, or
///   `io.confluent.connect.avro.ConnectDefault` (then `ConnectDefault2`, …) without one.
/// - A map with string keys becomes an Avro map; any other map an array of `MapEntry` key/value records.
/// - `connect.doc`, `connect.version`, `connect.parameters`, `connect.default` and `connect.name` carry the
///   Connect metadata (unless `connect.meta.data=false`).
/// - Connect's Decimal, Date, Time and Timestamp get Avro's `decimal`, `date`, `time-millis` and
///   `timestamp-millis` logical types.
public struct AvroData: Sendable {
    public struct Settings: Sendable {
        /// `connect.meta.data`: keep Connect's metadata in `connect.*` properties.
        public var connectMetaData = true
        /// `scrub.invalid.names`: replace characters Avro does not allow in names instead of failing.
        public var scrubInvalidNames = false
        /// `ignore.default.for.nullables`: write null, not the default, for a null optional value.
        public var ignoreDefaultForNullables = false

        public init(
            connectMetaData: Bool = true, scrubInvalidNames: Bool = false, ignoreDefaultForNullables: Bool = false
        ) {
            self.connectMetaData = connectMetaData
            self.scrubInvalidNames = scrubInvalidNames
            self.ignoreDefaultForNullables = ignoreDefaultForNullables
        }
    }

    static let namespace = "io.confluent.connect.avro"
    static let defaultSchemaName = "ConnectDefault"
    static let mapEntryName = "MapEntry"
    static let fieldDocPrefix = namespace + ".field.doc."
    static let recordDocParameter = namespace + ".record.doc"
    static let fieldDefaultFlag = namespace + ".field.default"
    static let decimalPrecisionDefault = 64

    public let settings: Settings

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// The Avro schema for `schema`.
    public func avroSchema(for schema: Schema) throws(DataError) -> AvroSchema {
        var context = Context()
        return try avroSchema(schema, &context, ignoreOptional: false)
    }

    /// What one derivation remembers: schemas already derived (so a type used twice is one Avro type), records
    /// by name (for schemas that refer to themselves), named types seen in fields, and the default names given.
    struct Context {
        var derived: [(schema: Schema, avro: AvroSchema)] = []
        var records: [String: AvroRecord] = [:]
        var seenNamedTypes: Set<String> = []
        var defaultNames = 0

        func derivedSchema(equalTo schema: Schema) -> AvroSchema? {
            derived.first { $0.schema === schema || $0.schema.equalsStructurally(schema) }?.avro
        }
    }

    private func avroSchema(
        _ schema: Schema, _ context: inout Context, ignoreOptional: Bool
    ) throws(DataError)
        -> AvroSchema
    {
        if !schema.isOptional, let derived = context.derivedSchema(equalTo: schema) { return derived }
        var properties = AvroProperties()
        var connectType: String?
        let base: AvroSchema
        switch schema.type {
        case .int8, .int16:
            connectType = schema.type.rawValue
            base = .primitive(.int, properties: properties)
        case .int32: base = .primitive(.int, properties: properties)
        case .int64: base = .primitive(.long, properties: properties)
        case .float32: base = .primitive(.float, properties: properties)
        case .float64: base = .primitive(.double, properties: properties)
        case .boolean: base = .primitive(.boolean, properties: properties)
        case .string: base = .primitive(.string, properties: properties)
        case .bytes:
            if isDecimal(schema) {
                properties.add("scale", int: Int(schema.parameter(ConnectLogical.scaleParameter) ?? "") ?? 0)
                properties.add("precision", int: decimalPrecision(schema))
            }
            base = .primitive(.bytes, properties: properties)
        case .array:
            base = .array(
                items: try avroSchemaResolvingCycles(schema.valueSchema!, &context, ignoreOptional: false),
                properties: properties)
        case .map:
            let key = schema.keySchema!
            if key.type == .string && !key.isOptional {
                base = .map(
                    values: try avroSchemaResolvingCycles(schema.valueSchema!, &context, ignoreOptional: false),
                    properties: properties)
            } else {
                let record: AvroRecord
                if let name = schema.name {
                    let (namespace, short) = try names(name, &context)
                    record = AvroRecord(name: short, namespace: namespace, doc: nil)
                    record.properties.add("connect.internal.type", string: Self.mapEntryName)
                } else {
                    record = AvroRecord(name: Self.mapEntryName, namespace: Self.namespace, doc: nil)
                }
                record.fields = [
                    try field("key", key, doc: nil, &context),
                    try field("value", schema.valueSchema!, doc: nil, &context),
                ]
                base = .array(items: .record(record), properties: properties)
            }
        case .struct:
            if schema.isOptional {
                // Null first even with a default, as Confluent does; the record carries the metadata.
                let inner = try avroSchemaResolvingCycles(schema.withOptional(false), &context, ignoreOptional: false)
                return .union([.primitive(.null, properties: AvroProperties()), inner])
            }
            let (namespace, short) = try names(schema.name, &context)
            let record = AvroRecord(
                name: short, namespace: namespace, doc: schema.parameter(Self.recordDocParameter))
            if let name = schema.name { context.records[name] = record }
            var fields: [AvroField] = []
            fields.reserveCapacity(schema.fields.count)
            for f in schema.fields {
                let name = try validName(scrub(f.name), what: "field")
                fields.append(
                    try field(name, f.schema, doc: schema.parameter(Self.fieldDocPrefix + f.name), &context))
            }
            record.fields = fields
            base = .record(record)
        }
        let final = try withMetadata(base, schema, connectType: connectType, ignoreOptional: ignoreOptional)
        if !schema.isOptional { context.derived.append((schema, final)) }
        return final
    }

    /// An array's items, a map's values or an optional struct: a record already being built under the same name
    /// is referred to, not built again.
    private func avroSchemaResolvingCycles(
        _ schema: Schema, _ context: inout Context, ignoreOptional: Bool
    )
        throws(DataError) -> AvroSchema
    {
        if let name = schema.name, let record = context.records[name] {
            return ignoreOptional ? .record(record) : optional(schema, .record(record))
        }
        return try avroSchema(schema, &context, ignoreOptional: ignoreOptional)
    }

    /// Adds the `connect.*` properties and logical types to a primitive, array, map or record, then makes it
    /// optional if the Connect schema is.
    private func withMetadata(
        _ base: AvroSchema, _ schema: Schema, connectType: String?, ignoreOptional: Bool
    )
        throws(DataError) -> AvroSchema
    {
        var properties = AvroProperties()
        if settings.connectMetaData {
            if let doc = schema.doc { properties.add("connect.doc", string: doc) }
            if let version = schema.version { properties.add("connect.version", int: version) }
            if let parameters = schema.parameters {
                var w = JSONWriter(capacity: 64)
                w.byte(UInt8(ascii: "{"))
                var count = 0
                for (k, v) in parameters where k != Self.fieldDefaultFlag {
                    if count > 0 { w.byte(UInt8(ascii: ",")) }
                    w.string(k)
                    w.byte(UInt8(ascii: ":"))
                    w.string(v)
                    count += 1
                }
                w.byte(UInt8(ascii: "}"))
                if count > 0 { properties.add("connect.parameters", json: w.bytes) }
            }
            if let d = schema.defaultValue, !d.isNull, schema.parameter(Self.fieldDefaultFlag) == nil {
                properties.add("connect.default", json: try defaultJSON(schema, d, fieldDefault: false))
            }
            if let name = schema.name { properties.add("connect.name", string: name) }
            if let connectType { properties.add("connect.type", string: connectType) }
        }
        switch schema.name {
        case ConnectLogical.decimalName? where isDecimal(schema):
            let scale = Int(schema.parameter(ConnectLogical.scaleParameter) ?? "") ?? 0
            let precision = decimalPrecision(schema)
            // Avro's logical type when scale and precision allow it, else Confluent's legacy property: the same
            // text either way, since precision and scale are already there.
            properties.add("logicalType", string: "decimal")
            properties.add("precision", int: precision)
            properties.add("scale", int: scale)
        case let name? where name.lowercased() == ConnectLogical.timeName.lowercased():
            properties.add("logicalType", string: "time-millis")
        case let name? where name.lowercased() == ConnectLogical.timestampName.lowercased():
            properties.add("logicalType", string: "timestamp-millis")
        case let name? where name.lowercased() == ConnectLogical.dateName.lowercased():
            properties.add("logicalType", string: "date")
        default: break
        }
        for (k, v) in schema.parameters ?? [] where k.hasPrefix("avro") { properties.add(k, string: v) }
        let annotated = base.adding(properties)
        return ignoreOptional ? annotated : optional(schema, annotated)
    }

    /// Null first, unless the schema has a default: a field's default must match the first branch.
    private func optional(_ schema: Schema, _ base: AvroSchema) -> AvroSchema {
        guard schema.isOptional else { return base }
        let null = AvroSchema.primitive(.null, properties: AvroProperties())
        return schema.defaultValue.map { !$0.isNull } == true ? .union([base, null]) : .union([null, base])
    }

    private func field(
        _ name: String, _ schema: Schema, doc: String?, _ context: inout Context
    ) throws(DataError)
        -> AvroField
    {
        var defaultJSON: [UInt8]?
        if let d = schema.defaultValue, !d.isNull {
            defaultJSON = try self.defaultJSON(schema, d, fieldDefault: true)
        } else if schema.isOptional {
            defaultJSON = Array("null".utf8)
        }
        let fullName = schema.name.map(scrubFullName)
        let alreadySeen = fullName.map { !context.seenNamedTypes.insert($0).inserted } ?? false
        let avro = try avroSchema(schema, &context, ignoreOptional: false)
        var result = AvroField(name: name, schema: avro, doc: doc, defaultJSON: defaultJSON)
        if settings.connectMetaData, alreadySeen, let parameters = schema.parameters, !parameters.isEmpty,
            avro.isNamed
        {
            var w = JSONWriter(capacity: 64)
            w.byte(UInt8(ascii: "{"))
            for (i, (k, v)) in parameters.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.string(k)
                w.byte(UInt8(ascii: ":"))
                w.string(v)
            }
            w.byte(UInt8(ascii: "}"))
            result.properties.add("connect.parameters", json: w.bytes)
        }
        return result
    }

    /// A default value as JSON, as Confluent's `defaultValueFromConnect` renders it. A field's default passes
    /// through Avro's own object form, which widens a float to a double.
    private func defaultJSON(_ schema: Schema, _ value: Value, fieldDefault: Bool) throws(DataError) -> [UInt8] {
        var w = JSONWriter(capacity: 32)
        try writeDefault(schema, value, fieldDefault: fieldDefault, into: &w)
        return w.bytes
    }

    private func writeDefault(
        _ schema: Schema, _ value: Value, fieldDefault: Bool, into w: inout JSONWriter
    )
        throws(DataError)
    {
        switch value {
        case .null: w.null()
        case .boolean(let v): w.bool(v)
        case .int8(let v): w.int(Int64(v))
        case .int16(let v): w.int(Int64(v))
        case .int32(let v): w.int(Int64(v))
        case .int64(let v): w.int(v)
        case .float32(let v): if fieldDefault { w.double(Double(v)) } else { w.float(v) }
        case .float64(let v): w.double(v)
        case .string(let v): w.string(v)
        case .bytes(let v): w.string(String(v.map { Character(Unicode.Scalar($0)) }))
        case .decimal(let d): w.string(String(d.unscaled.map { Character(Unicode.Scalar($0)) }))
        case .array(let items):
            w.byte(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                try writeDefault(schema.valueSchema!, item, fieldDefault: fieldDefault, into: &w)
            }
            w.byte(UInt8(ascii: "]"))
        case .map(let entries):
            let stringKeys = schema.keySchema!.type == .string && !schema.keySchema!.isOptional
            w.byte(UInt8(ascii: stringKeys ? "{" : "["))
            for (i, e) in entries.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                if stringKeys, case .string(let k) = e.key {
                    w.string(k)
                    w.byte(UInt8(ascii: ":"))
                } else {
                    w.byte(UInt8(ascii: "["))
                    try writeDefault(schema.keySchema!, e.key, fieldDefault: fieldDefault, into: &w)
                    w.byte(UInt8(ascii: ","))
                }
                try writeDefault(schema.valueSchema!, e.value, fieldDefault: fieldDefault, into: &w)
                if !stringKeys { w.byte(UInt8(ascii: "]")) }
            }
            w.byte(UInt8(ascii: stringKeys ? "}" : "]"))
        case .struct(let s):
            w.byte(UInt8(ascii: "{"))
            for (i, f) in s.schema.fields.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.string(scrub(f.name))
                w.byte(UInt8(ascii: ":"))
                let fieldValue = s.values[i].isNull ? (f.schema.defaultValue ?? .null) : s.values[i]
                try writeDefault(f.schema, fieldValue, fieldDefault: fieldDefault, into: &w)
            }
            w.byte(UInt8(ascii: "}"))
        }
    }

    private func isDecimal(_ schema: Schema) -> Bool {
        schema.name?.lowercased() == ConnectLogical.decimalName.lowercased()
    }

    private func decimalPrecision(_ schema: Schema) -> Int {
        schema.parameter(ConnectLogical.precisionParameter).flatMap { Int($0) } ?? Self.decimalPrecisionDefault
    }

    /// A record's namespace and name: the schema's name split at its last dot, or the next default name.
    private func names(_ name: String?, _ context: inout Context) throws(DataError) -> (String?, String) {
        guard let name, !name.isEmpty else {
            context.defaultNames += 1
            let suffix = context.defaultNames > 1 ? String(context.defaultNames) : ""
            return (Self.namespace, Self.defaultSchemaName + suffix)
        }
        // Avro checks the name, not the namespace.
        var parts = name.split(separator: ".", omittingEmptySubsequences: false).map { scrub(String($0)) }
        let short = try validName(parts.removeLast(), what: "schema name \"\(name)\"")
        return (parts.isEmpty ? nil : parts.joined(separator: "."), short)
    }

    private func scrubFullName(_ name: String) -> String {
        guard settings.scrubInvalidNames else { return name }
        return name.split(separator: ".", omittingEmptySubsequences: false).map { scrub(String($0)) }
            .joined(separator: ".")
    }

    /// With `scrub.invalid.names`, a name made valid as Confluent's AvroData does it.
    private func scrub(_ name: String) -> String {
        settings.scrubInvalidNames ? ConfluentNames.scrub(name, underscoreFirstIsValid: true) : name
    }

    /// Avro's name rule (Java's `Schema.validateName`): a letter or `_`, then letters, digits or `_`.
    private func validName(_ name: String, what: String) throws(DataError) -> String {
        var valid = false
        if let first = name.first, first.isLetter || first == "_" {
            valid = name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
        }
        guard valid else {
            throw DataError(
                "Illegal character in \(what): \"\(name)\" is not a valid Avro name (letters, digits and _, not "
                    + "starting with a digit); set schema.name.adjustment.mode=avro on the connector, or "
                    + "scrub.invalid.names=true on the converter")
        }
        return name
    }
}

extension AvroSchema {
    /// Whether this is (or, for a union, holds) a named Avro type.
    var isNamed: Bool {
        switch self {
        case .record: true
        case .union(let members): members.contains { $0.isNamed }
        default: false
        }
    }

    /// The schema with `extra` properties after its own.
    func adding(_ extra: AvroProperties) -> AvroSchema {
        if extra.isEmpty { return self }
        func merged(_ own: AvroProperties) -> AvroProperties {
            var all = own
            for (k, v) in extra.entries { all.add(k, json: v) }
            return all
        }
        switch self {
        case .primitive(let type, let own): return .primitive(type, properties: merged(own))
        case .array(let items, let own): return .array(items: items, properties: merged(own))
        case .map(let values, let own): return .map(values: values, properties: merged(own))
        case .record(let record):
            record.properties = merged(record.properties)
            return self
        case .union: return self
        }
    }
}
