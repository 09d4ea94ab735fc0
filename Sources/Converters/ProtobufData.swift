import TributaryCore

/// Derives proto3 schemas from Connect schemas as Confluent's `io.confluent.connect.protobuf.ProtobufData` does,
/// so that Protobuf consumers of Debezium's topics see the same messages and the registry the same text.
///
/// The rules, from Confluent's `ProtobufData.fromConnectSchema`:
/// - The record's struct becomes a message named by the schema's name after its last dot, in the package before
///   it (`ConnectDefault1`, `ConnectDefault2`, … without a name). Fields are numbered 1, 2, … in Connect's order.
/// - A struct field becomes a message nested in its parent, named by the struct's name after its last dot
///   (`…Message` when that equals the field's name); the same name twice is one message.
/// - int8 and int16 become `int32` with a `connect.type` parameter; int32, int64, float32, float64, boolean,
///   string and bytes become `int32`, `int64`, `float`, `double`, `bool`, `string` and `bytes`.
/// - An array becomes a `repeated` field; a map a `repeated` nested `…Entry` message of `key` = 1, `value` = 2.
/// - Connect's Decimal, Date, Time and Timestamp become `confluent.type.Decimal` (with `precision` and `scale`
///   parameters), `google.type.Date`, `google.type.TimeOfDay` and `google.protobuf.Timestamp`, imported.
/// - Parameters are kept in `(confluent.field_meta)` options. Defaults and docs are not kept (proto3).
/// - `optional.for.nullables` marks optional fields `optional`; `wrapper.for.nullables` makes optional primitives
///   `google.protobuf.*Value` wrapper messages.
///
/// Not derived: unions and enums (only Protobuf-born Connect schemas carry them; Tributary's sources never do)
/// and records whose schema is not a struct.
public struct ProtobufData: Sendable {
    public struct Settings: Sendable, Equatable {
        /// `scrub.invalid.names`: replace characters Protobuf names cannot hold.
        public var scrubInvalidNames = false
        /// `optional.for.nullables`: optional Connect fields become proto3 `optional` fields (with presence).
        public var optionalForNullables = false
        /// `wrapper.for.nullables`: optional primitives become `google.protobuf.*Value` wrappers (with presence).
        public var wrapperForNullables = false
        /// `ignore.default.for.nullables`: write nothing, not the default, for a null optional value.
        public var ignoreDefaultForNullables = false

        public init(
            scrubInvalidNames: Bool = false, optionalForNullables: Bool = false, wrapperForNullables: Bool = false,
            ignoreDefaultForNullables: Bool = false
        ) {
            self.scrubInvalidNames = scrubInvalidNames
            self.optionalForNullables = optionalForNullables
            self.wrapperForNullables = wrapperForNullables
            self.ignoreDefaultForNullables = ignoreDefaultForNullables
        }
    }

    static let defaultSchemaName = "ConnectDefault"
    static let fieldMeta = "confluent.field_meta"
    static let connectType = "connect.type"
    static let decimalType = "confluent.type.Decimal"
    static let dateType = "google.type.Date"
    static let timeType = "google.type.TimeOfDay"
    static let timestampType = "google.protobuf.Timestamp"

    public let settings: Settings

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// The proto3 file for records of `schema`: its text as Confluent's converter registers it, and the plan the
    /// encoder writes values with.
    public func file(for schema: Schema) throws(DataError) -> ProtobufFile {
        guard schema.type == .struct else {
            throw DataError(
                "ProtobufConverter writes struct records only; this record's schema is \(schema.type.rawValue)"
                    + "\(schema.name.map { " (\($0))" } ?? "")")
        }
        var context = Context()
        let fullName = defaultName(schema.name, &context)
        var parts = fullName.split(separator: ".", omittingEmptySubsequences: false).map { scrub(String($0)) }
        let root = ProtoMessage(name: parts.removeLast(), source: schema)
        try fill(root, from: schema, &context)
        return ProtobufFile(
            package: parts.isEmpty ? nil : parts.joined(separator: "."), imports: context.imports, root: root)
    }

    /// What one derivation remembers: the files imported, in order, and how many default names were given.
    struct Context {
        var imports: [String] = []
        var defaultNames = 0
    }

    private func fill(_ message: ProtoMessage, from schema: Schema, _ context: inout Context) throws(DataError) {
        for field in schema.fields {
            message.fields.append(
                try self.field(scrub(field.name), field.index + 1, field.schema, in: message, &context))
        }
    }

    private func field(
        _ name: String, _ tag: Int, _ schema: Schema, in parent: ProtoMessage, _ context: inout Context
    ) throws(DataError) -> ProtoField {
        var label: ProtoField.Label = .none
        var element = schema
        if schema.type == .array {
            label = .repeated
            element = try unwrapArray(schema)
        } else if schema.type == .map {
            label = .repeated
        } else if settings.optionalForNullables && schema.isOptional {
            label = .optional
        }
        var parameters: [(String, String)] = []
        let kind: ProtoField.Kind
        let typeName: String
        switch logical(element) {
        case .decimal?:
            let own = element.parameters ?? []
            if let precision = own.first(where: { $0.0 == ConnectLogical.precisionParameter }) {
                parameters.append(("precision", precision.1))
            }
            if let scale = own.first(where: { $0.0 == ConnectLogical.scaleParameter }) {
                parameters.append(("scale", scale.1))
            }
            // Confluent collects them in a java.util.HashMap.
            parameters = JavaHashMapOrder.sorted(parameters) { $0.0 }
            (kind, typeName) = (.decimal, Self.decimalType)
            addImport("confluent/type/decimal.proto", &context)
        case .date?:
            (kind, typeName) = (.date, Self.dateType)
            addImport("google/type/date.proto", &context)
        case .time?:
            (kind, typeName) = (.time, Self.timeType)
            addImport("google/type/timeofday.proto", &context)
        case .timestamp?:
            (kind, typeName) = (.timestamp, Self.timestampType)
            addImport("google/protobuf/timestamp.proto", &context)
        case nil:
            switch element.type {
            case .struct:
                var nested = unqualified(element.name, &context)
                if nested == name { nested += "Message" }
                // Confluent takes a struct named as its parent for the parent, and one named as a sibling for that
                // sibling: only the same struct can share a message.
                if let known = nested == parent.name ? parent : parent.nested.first(where: { $0.name == nested }) {
                    try Self.check(known, sharedWith: element, in: parent)
                    kind = .message(known)
                } else {
                    let derived = ProtoMessage(name: nested, source: element)
                    parent.nested.append(derived)
                    kind = .message(derived)
                    try fill(derived, from: element, &context)
                }
                typeName = nested
            case .map:
                let entryName = Self.mapEntryName(unqualified(element.name, &context))
                let entry: ProtoMessage
                if let known = parent.nested.first(where: { $0.name == entryName }) {
                    try Self.check(known, sharedWith: element, in: parent)
                    entry = known
                } else {
                    entry = ProtoMessage(name: entryName, source: element)
                    parent.nested.append(entry)
                    entry.fields = [
                        try field("key", 1, element.keySchema!, in: entry, &context),
                        try field("value", 2, element.valueSchema!, in: entry, &context),
                    ]
                }
                (kind, typeName) = (.mapEntry(entry), entryName)
            case .array:
                throw DataError("Array cannot be nested (field \(name)): Protobuf has no repeated repeated fields")
            default:
                let scalar = ProtoScalar(element.type)
                if element.type == .int8 || element.type == .int16 {
                    parameters.append((Self.connectType, element.type.rawValue))
                }
                if settings.wrapperForNullables && element.isOptional {
                    (kind, typeName) = (.wrapper(scalar), "google.protobuf." + scalar.wrapperName)
                    addImport("google/protobuf/wrappers.proto", &context)
                } else {
                    (kind, typeName) = (.scalar(scalar), scalar.rawValue)
                }
            }
        }
        return ProtoField(
            name: name, tag: tag, label: label, typeName: typeName, kind: kind, parameters: parameters)
    }

    /// A message already derived can stand for `schema` only if it was derived from the same schema.
    private static func check(
        _ message: ProtoMessage, sharedWith schema: Schema, in parent: ProtoMessage
    ) throws(DataError) {
        guard message.source === schema || sameShape(message.source, schema) else {
            throw DataError(
                "Two different schemas would share the Protobuf message \(message.name) in \(parent.name): rename one "
                    + "(SetSchemaMetadata) or its struct")
        }
    }

    /// Whether values of the two schemas are written the same: the same types and field names all the way down
    /// (names, docs and parameters aside, such as the `io.confluent.connect.protobuf.Tag` of each struct read back).
    private static func sameShape(_ a: Schema, _ b: Schema) -> Bool {
        guard a.type == b.type, a.fields.count == b.fields.count, (a.keySchema == nil) == (b.keySchema == nil),
            (a.valueSchema == nil) == (b.valueSchema == nil),
            // Logical types and (for wrappers) optionality change how a value is written.
            a.type == .struct || (a.isOptional == b.isOptional && (a.name == b.name || !(isLogical(a) || isLogical(b))))
        else { return false }
        if let ak = a.keySchema, let bk = b.keySchema, !sameShape(ak, bk) { return false }
        if let av = a.valueSchema, let bv = b.valueSchema, !sameShape(av, bv) { return false }
        return zip(a.fields, b.fields).allSatisfy { $0.name == $1.name && sameShape($0.schema, $1.schema) }
    }

    private static func isLogical(_ schema: Schema) -> Bool {
        [ConnectLogical.decimalName, ConnectLogical.dateName, ConnectLogical.timeName, ConnectLogical.timestampName]
            .contains(schema.name ?? "")
    }

    private func unwrapArray(_ schema: Schema) throws(DataError) -> Schema {
        guard let element = schema.valueSchema, element.type != .array else {
            throw DataError("Array cannot be nested: Protobuf has no repeated repeated fields")
        }
        return element
    }

    private func logical(_ schema: Schema) -> ProtoField.Logical? {
        switch schema.name {
        case ConnectLogical.decimalName?: .decimal
        case ConnectLogical.dateName?: .date
        case ConnectLogical.timeName?: .time
        case ConnectLogical.timestampName?: .timestamp
        default: nil
        }
    }

    private func addImport(_ file: String, _ context: inout Context) {
        if !context.imports.contains(file) { context.imports.append(file) }
    }

    private func defaultName(_ name: String?, _ context: inout Context) -> String {
        if let name, !name.isEmpty { return name }
        context.defaultNames += 1
        return Self.defaultSchemaName + String(context.defaultNames)
    }

    /// A name without its namespace.
    private func unqualified(_ name: String?, _ context: inout Context) -> String {
        let full = defaultName(name, &context)
        return scrub(full.split(separator: ".", omittingEmptySubsequences: false).last.map(String.init) ?? full)
    }

    private func scrub(_ name: String) -> String {
        settings.scrubInvalidNames ? ConfluentNames.scrub(name, underscoreFirstIsValid: false) : name
    }

    /// Confluent's `ProtobufSchema.toMapEntry`: `snake_case` names in UpperCamelCase, then `Entry`.
    static func mapEntryName(_ name: String) -> String {
        guard name.contains("_") else { return name + "Entry" }
        let words = name.split(separator: "_", omittingEmptySubsequences: false)
        return words.map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined() + "Entry"
    }
}

/// A message of a derived file: its fields in Connect's order and the messages nested in it.
public final class ProtoMessage: @unchecked Sendable {
    public let name: String
    /// The Connect schema (struct, or map for an entry) it was derived from.
    let source: Schema
    var fields: [ProtoField] = []
    var nested: [ProtoMessage] = []

    init(name: String, source: Schema) {
        self.name = name
        self.source = source
    }
}

/// One field of a derived message, with what its values are written as.
struct ProtoField: @unchecked Sendable {
    enum Label: String {
        case none = ""
        case optional, repeated
    }

    enum Logical { case decimal, date, time, timestamp }

    enum Kind {
        case scalar(ProtoScalar)
        case wrapper(ProtoScalar)
        case message(ProtoMessage)
        case mapEntry(ProtoMessage)
        case decimal, date, time, timestamp
    }

    let name: String
    let tag: Int
    let label: Label
    let typeName: String
    let kind: Kind
    /// The `(confluent.field_meta)` parameters, in the order Confluent lists them.
    let parameters: [(String, String)]
}

/// A derived proto3 file: a package, the files it imports and one top-level message, the record's.
public struct ProtobufFile: @unchecked Sendable {
    public let package: String?
    public let imports: [String]
    public let root: ProtoMessage

    /// The fully qualified name of the record's message (what record name subject strategies use).
    public var recordName: String { package.map { $0 + "." + root.name } ?? root.name }

    /// The file's text as Confluent's `ProtobufSchema.canonicalString()` prints it (not normalized).
    public var text: String {
        var out = "syntax = \"proto3\";\n"
        if let package { out += "package \(package);\n" }
        if !imports.isEmpty {
            out += "\n"
            for file in imports { out += "import \"\(file)\";\n" }
        }
        out += "\n"
        out += Self.text(of: root)
        return out
    }

    private static func text(of message: ProtoMessage) -> String {
        var out = "message \(message.name) {"
        if !message.fields.isEmpty {
            out += "\n"
            for field in message.fields { appendIndented(text(of: field), to: &out) }
        }
        if !message.nested.isEmpty {
            out += "\n"
            for nested in message.nested { appendIndented(text(of: nested), to: &out) }
        }
        out += "}\n"
        return out
    }

    private static func text(of field: ProtoField) -> String {
        var out = field.label == .none ? "" : field.label.rawValue + " "
        out += "\(field.typeName) \(field.name) = \(field.tag)"
        if !field.parameters.isEmpty {
            // Confluent's `ProtobufSchema.toOption`: precision and scale print their value first.
            let entries = field.parameters.map { key, value in
                let pair = ["key: \"\(escape(key))\"", "value: \"\(escape(value))\""]
                let ordered = key == "precision" || key == "scale" ? pair.reversed() : pair
                return "{\n" + ordered.joined(separator: ",\n").indented + "}"
            }
            let list = "[\n" + entries.joined(separator: ",\n").indented + "]"
            out += " [(\(ProtobufData.fieldMeta)) = {\n" + "params: \(list)".indented + "}]"
        }
        return out + ";\n"
    }

    /// Confluent's `appendIndented`: every line (blank ones too) two spaces in, each ending in a newline.
    private static func appendIndented(_ text: String, to out: inout String) {
        out += text.indented
    }

    /// Confluent's `escapeChars` for quoted option values.
    private static func escape(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0B}": out += "\\v"
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\"": out += "\\\""
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}

extension String {
    /// Each line two spaces in and ending in a newline, trailing empty lines dropped (Java's `split("\n")`).
    fileprivate var indented: String {
        var lines = split(separator: "\n", omittingEmptySubsequences: false)
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.map { "  " + $0 + "\n" }.joined()
    }
}
