import TributaryCore

/// A writer's `.proto` file read back as Confluent's `ProtobufData.toConnectSchema` and `toConnectData` read it:
/// each message becomes a struct named by its simple name (full name with `enhanced.protobuf.schema.support`),
/// fields in order after the oneofs, each with its `io.confluent.connect.protobuf.Tag`; every field optional
/// (unless `optional.for.nullables` or `wrapper.for.nullables` say otherwise); int8/int16 back from
/// `connect.type`; unsigned and fixed types as int64 with their `io.confluent.connect.protobuf.Type`; enums as
/// strings (ints with `int.for.enums`); `…Entry` key/value messages as maps; Confluent's Decimal and Google's
/// Date, TimeOfDay and Timestamp as Connect's logical types.
///
/// Values absent from the bytes read as proto3 reads them: a scalar or repeated field without presence as its
/// default (0, "", false, empty), a message, wrapper or `optional` field as null.
final class ProtobufReadSchema {
    struct Settings: Sendable, Equatable {
        var enhancedSchemaSupport = false
        var intForEnums = false
        var optionalForNullables = false
        var wrapperForNullables = false
    }

    private let file: ProtoFileDescriptor
    private let settings: Settings
    /// Read plans by message indexes (usually only [0]).
    private var plans: [[Int]: ReadMessage] = [:]

    init(text: String, settings: Settings) throws(DataError) {
        file = try ProtoParser.parse(text)
        self.settings = settings
    }

    /// The record's Connect schema and value: the message indexes after the header pick the message.
    func read(_ bytes: [UInt8], from offset: Int) throws(DataError) -> SchemaAndValue {
        var reader = ProtoReader(bytes: bytes, position: offset)
        let indexes = try reader.messageIndexes()
        let plan = try plan(for: indexes)
        let value = try reader.message(plan, end: bytes.count)
        return SchemaAndValue(schema: plan.schema, value: value)
    }

    private func plan(for indexes: [Int]) throws(DataError) -> ReadMessage {
        if let known = plans[indexes] { return known }
        var scope = file.packageParts
        var messages = file.messages
        var message: MessageDescriptor?
        for index in indexes {
            guard index >= 0, index < messages.count else {
                throw DataError("Message index \(index) is beyond the schema's messages")
            }
            if let outer = message { scope.append(outer.name) }
            message = messages[index]
            messages = messages[index].messages
        }
        guard let message else { throw DataError("The schema has no message") }
        var builder = PlanBuilder(file: file, settings: settings)
        let plan = try builder.message(message, scope: scope)
        plans[indexes] = plan
        return plan
    }
}

/// How one message is read: its Connect struct schema, its fields by number and the values of absent fields.
final class ReadMessage {
    /// The struct schema its values are made with: the schema of the field holding it (Connect's structs must
    /// have their field's schema), set once that is known.
    var schema: Schema
    let fields: [Int: ReadField]
    let defaults: [Value]

    init(schema: Schema, fields: [Int: ReadField], defaults: [Value]) {
        self.schema = schema
        self.fields = fields
        self.defaults = defaults
    }
}

/// How one field is read, and where its value goes in the struct (or in a oneof's union struct).
struct ReadField {
    indirect enum Kind {
        case scalar(ProtoScalar, SchemaType)
        case enumeration(EnumDescriptor, asInt: Bool)
        case message(ReadMessage)
        case wrapper(ProtoScalar, SchemaType)
        case map(key: ReadField, value: ReadField, keySchema: Schema, valueSchema: Schema)
        case decimal, date, time, timestamp
    }

    let kind: Kind
    let slot: Int
    let repeated: Bool
    /// For a oneof member: its union struct's schema and its place in it.
    let union: (schema: Schema, member: Int)?
}

/// Builds read plans, resolving type names as protoc does (innermost scope first).
private struct PlanBuilder {
    let file: ProtoFileDescriptor
    let settings: ProtobufReadSchema.Settings
    /// Messages being built, by full name: a message that contains itself cannot be a Connect schema.
    var building: Set<String> = []

    static let namespace = "io.confluent.connect.protobuf"

    init(file: ProtoFileDescriptor, settings: ProtobufReadSchema.Settings) {
        self.file = file
        self.settings = settings
    }

    enum Resolved {
        case message(MessageDescriptor, scope: [String])
        case enumeration(EnumDescriptor)
        case wellKnown(String)
    }

    mutating func message(_ message: MessageDescriptor, scope: [String]) throws(DataError) -> ReadMessage {
        let fullName = (scope + [message.name]).joined(separator: ".")
        guard building.insert(fullName).inserted else {
            throw DataError("Message \(fullName) contains itself: Connect schemas cannot be recursive")
        }
        defer { building.remove(fullName) }
        let inner = scope + [message.name]
        var connectFields: [(String, Schema)] = []
        var fields: [Int: ReadField] = [:]
        var defaults: [Value] = []
        // Confluent puts the oneofs first, then the other fields.
        for (index, oneof) in message.oneofs.enumerated() {
            var members: [(String, Schema)] = []
            var memberFields: [(Int, ReadField.Kind, Bool)] = []
            for field in message.fields where field.oneof == index {
                let (schema, kind) = try self.field(field, scope: inner, oneofMember: true)
                memberFields.append((field.number, kind, false))
                members.append((field.name, schema))
            }
            let union = Schema.struct(name: Self.namespace + ".Union." + oneof, optional: true, fields: members)
            for (member, (number, kind, repeated)) in memberFields.enumerated() {
                fields[number] = ReadField(
                    kind: kind, slot: connectFields.count, repeated: repeated, union: (union, member))
            }
            connectFields.append((oneof, union))
            defaults.append(.null)
        }
        for field in message.fields where field.oneof == nil {
            let (schema, kind) = try self.field(field, scope: inner, oneofMember: false)
            fields[field.number] = ReadField(
                kind: kind, slot: connectFields.count, repeated: field.label == .repeated, union: nil)
            connectFields.append((field.name, schema))
            defaults.append(defaultValue(field, schema, kind))
        }
        let name = settings.enhancedSchemaSupport ? fullName : message.name
        return ReadMessage(
            schema: Schema.struct(name: name, fields: connectFields), fields: fields, defaults: defaults)
    }

    /// proto3's value of an absent field: scalars and repeated fields without presence read as their default.
    private func defaultValue(_ field: FieldDescriptor, _ schema: Schema, _ kind: ReadField.Kind) -> Value {
        if field.label == .repeated { return schema.type == .map ? .map([]) : .array([]) }
        if field.label == .optional && file.syntax == "proto3" { return .null }
        switch kind {
        case .scalar(_, let type): return ProtoReader.zero(type)
        case .enumeration(let e, let asInt):
            let first = e.values.first
            return asInt ? .int32(Int32(first?.number ?? 0)) : first.map { .string($0.name) } ?? .null
        default: return .null
        }
    }

    private mutating func field(
        _ field: FieldDescriptor, scope: [String], oneofMember: Bool
    ) throws(DataError) -> (Schema, ReadField.Kind) {
        var parameters: [(String, String)] = []
        let (element, kind) = try type(of: field, field.typeName, scope: scope, parameters: &parameters)
        var base = element
        var optional = true
        if oneofMember {
            optional = true
        } else if settings.optionalForNullables {
            optional = field.label == .optional
        } else if settings.wrapperForNullables {
            optional = base.isOptional
        }
        if field.label == .repeated && base.type != .map {
            base = Schema.array(of: base.withOptional(true), optional: true)
            optional = true
        }
        parameters.append((Self.namespace + ".Tag", String(field.number)))
        let schema = Schema(
            type: base.type, optional: optional, name: base.name, version: base.version,
            parameters: (base.parameters ?? []) + parameters, fields: base.fields, keySchema: base.keySchema,
            valueSchema: base.valueSchema)
        if case .message(let plan) = kind { plan.schema = base.type == .array ? base.valueSchema! : schema }
        return (schema, kind)
    }

    private mutating func type(
        of field: FieldDescriptor, _ typeName: String, scope: [String], parameters: inout [(String, String)]
    ) throws(DataError) -> (Schema, ReadField.Kind) {
        if let (keyType, valueType) = field.mapTypes {
            let key = FieldDescriptor(name: "key", number: 1, label: .none, typeName: keyType)
            let value = FieldDescriptor(name: "value", number: 2, label: .none, typeName: valueType)
            let (keySchema, keyKind) = try self.field(key, scope: scope, oneofMember: false)
            let (valueSchema, valueKind) = try self.field(value, scope: scope, oneofMember: false)
            let name = Self.mapField(Self.mapEntryName(field.name))
            return (
                Schema.map(key: keySchema, value: valueSchema, optional: true, name: name),
                .map(
                    key: ReadField(kind: keyKind, slot: 0, repeated: false, union: nil),
                    value: ReadField(kind: valueKind, slot: 1, repeated: false, union: nil), keySchema: keySchema,
                    valueSchema: valueSchema)
            )
        }
        if let scalar = ProtoScalar(rawValue: typeName) {
            let type: SchemaType
            switch scalar {
            case .int32, .sint32, .sfixed32:
                switch field.parameters.first(where: { $0.0 == ProtobufData.connectType })?.1 {
                case "int8"?: type = .int8
                case "int16"?: type = .int16
                default: type = .int32
                }
                if type == .int32 && scalar != .int32 { parameters.append((Self.namespace + ".Type", scalar.rawValue)) }
            case .uint32, .fixed32, .int64, .uint64, .sint64, .fixed64, .sfixed64:
                type = .int64
                if scalar != .int64 { parameters.append((Self.namespace + ".Type", scalar.rawValue)) }
            case .float: type = .float32
            case .double: type = .float64
            case .bool: type = .boolean
            case .string: type = .string
            case .bytes: type = .bytes
            }
            return (Schema(type: type, optional: !settings.wrapperForNullables), .scalar(scalar, type))
        }
        switch try resolve(typeName, scope: scope) {
        case .enumeration(let e):
            var enumParameters = [(Self.namespace + ".Enum", e.name)]
            for value in e.values {
                enumParameters.append((Self.namespace + ".Enum." + value.name, String(value.number)))
            }
            return (
                Schema(
                    type: settings.intForEnums ? .int32 : .string, optional: true, name: e.name,
                    parameters: enumParameters),
                .enumeration(e, asInt: settings.intForEnums)
            )
        case .wellKnown(let name):
            return try wellKnown(name, field)
        case .message(let message, let messageScope):
            if field.label == .repeated, let map = Self.mapSchema(message) {
                let (keySchema, keyKind) = try self.field(
                    map.key, scope: messageScope + [message.name], oneofMember: false)
                let (valueSchema, valueKind) = try self.field(
                    map.value, scope: messageScope + [message.name], oneofMember: false)
                let name = Self.mapField(
                    settings.enhancedSchemaSupport
                        ? (messageScope + [message.name]).joined(separator: ".") : message.name)
                return (
                    Schema.map(key: keySchema, value: valueSchema, optional: true, name: name),
                    .map(
                        key: ReadField(kind: keyKind, slot: 0, repeated: false, union: nil),
                        value: ReadField(kind: valueKind, slot: 1, repeated: false, union: nil),
                        keySchema: keySchema, valueSchema: valueSchema)
                )
            }
            let plan = try self.message(message, scope: messageScope)
            return (plan.schema.withOptional(true), .message(plan))
        }
    }

    private func wellKnown(_ name: String, _ field: FieldDescriptor) throws(DataError) -> (Schema, ReadField.Kind) {
        switch name {
        case ProtobufData.decimalType:
            let scale = field.parameters.first(where: { $0.0 == "scale" }).flatMap { Int($0.1) } ?? 0
            let precision = field.parameters.first(where: { $0.0 == "precision" }).flatMap { Int($0.1) }
            return (ConnectLogical.decimal(scale: scale, precision: precision, optional: true), .decimal)
        case ProtobufData.dateType: return (ConnectLogical.date(optional: true), .date)
        case ProtobufData.timeType: return (ConnectLogical.time(optional: true), .time)
        case ProtobufData.timestampType: return (ConnectLogical.timestamp(optional: true), .timestamp)
        default:
            let wrapped = String(name.dropFirst("google.protobuf.".count))
            guard let (scalar, type) = Self.wrappers[wrapped] else {
                throw DataError("\(name) is not a type this converter reads")
            }
            if settings.wrapperForNullables {
                return (Schema(type: type, optional: true), .wrapper(scalar, type))
            }
            let value = Schema(type: type, optional: true, parameters: [(Self.namespace + ".Tag", "1")])
            let plan = ReadMessage(
                schema: Schema.struct(name: wrapped, optional: true, fields: [("value", value)]),
                fields: [1: ReadField(kind: .scalar(scalar, type), slot: 0, repeated: false, union: nil)],
                defaults: [ProtoReader.zero(type)])
            return (plan.schema, .message(plan))
        }
    }

    static let wrappers: [String: (ProtoScalar, SchemaType)] = [
        "DoubleValue": (.double, .float64), "FloatValue": (.float, .float32), "Int64Value": (.int64, .int64),
        "UInt64Value": (.uint64, .int64), "Int32Value": (.int32, .int32), "UInt32Value": (.uint32, .int64),
        "BoolValue": (.bool, .boolean), "StringValue": (.string, .string), "BytesValue": (.bytes, .bytes),
    ]

    /// A type name resolved as protoc resolves it: from the innermost enclosing scope outwards.
    private func resolve(_ name: String, scope: [String]) throws(DataError) -> Resolved {
        let qualified = name.hasPrefix(".") ? String(name.dropFirst()) : name
        let known = [
            ProtobufData.decimalType, ProtobufData.dateType, ProtobufData.timeType, ProtobufData.timestampType,
        ]
        if known.contains(qualified)
            || (qualified.hasPrefix("google.protobuf.")
                && Self.wrappers[
                    String(qualified.dropFirst("google.protobuf.".count))] != nil)
        {
            return .wellKnown(qualified)
        }
        let candidates: [[String]]
        if name.hasPrefix(".") {
            candidates = [qualified.split(separator: ".").map(String.init)]
        } else {
            let parts = qualified.split(separator: ".").map(String.init)
            candidates = (0...scope.count).reversed().map { Array(scope.prefix($0)) + parts }
        }
        for path in candidates {
            if let found = find(path) { return found }
        }
        throw DataError("Type \(name) is not defined in the schema (schema references are not supported)")
    }

    private func find(_ path: [String]) -> Resolved? {
        var rest = path[...]
        guard rest.starts(with: file.packageParts) else { return nil }
        rest = rest.dropFirst(file.packageParts.count)
        var scope = file.packageParts
        var messages = file.messages
        var enums = file.enums
        while let head = rest.first {
            rest = rest.dropFirst()
            if rest.isEmpty, let e = enums.first(where: { $0.name == head }) { return .enumeration(e) }
            guard let message = messages.first(where: { $0.name == head }) else { return nil }
            if rest.isEmpty { return .message(message, scope: scope) }
            scope.append(message.name)
            messages = message.messages
            enums = message.enums
        }
        return nil
    }

    /// Confluent's `isMapDescriptor`: a `…Entry` message of exactly `key` and `value`, neither repeated.
    private static func mapSchema(_ message: MessageDescriptor) -> (key: FieldDescriptor, value: FieldDescriptor)? {
        guard message.name.hasSuffix("Entry"), message.fields.count == 2, message.fields[0].name == "key",
            message.fields[1].name == "value", message.fields[0].label != .repeated,
            message.fields[1].label != .repeated
        else { return nil }
        return (message.fields[0], message.fields[1])
    }

    /// protoc's entry name for a `map<K, V> field_name`: `FieldNameEntry`.
    static func mapEntryName(_ field: String) -> String {
        var out = ""
        var upper = true
        for c in field {
            if c == "_" {
                upper = true
            } else {
                out += upper ? c.uppercased() : String(c)
                upper = false
            }
        }
        return out + "Entry"
    }

    /// Confluent's `ProtobufSchema.toMapField`: `KeyCountsEntry` back to `key_counts`.
    static func mapField(_ name: String) -> String {
        var parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard var last = parts.last, last.hasSuffix("Entry") else { return name }
        last = String(last.dropLast(5))
        var snake = ""
        for (i, c) in last.enumerated() {
            if c.isUppercase && i > 0 { snake += "_" }
            snake += c.lowercased()
        }
        parts[parts.count - 1] = snake
        return parts.joined(separator: ".")
    }
}
