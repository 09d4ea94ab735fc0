import TributaryCore

/// What the Protobuf reader needs of a `.proto` file: its package and messages (fields, oneofs, nested messages
/// and enums), with the parameters of each field's `(confluent.field_meta)` option.
struct ProtoFileDescriptor {
    var syntax = "proto2"
    var package: String?
    var imports: [String] = []
    var messages: [MessageDescriptor] = []
    var enums: [EnumDescriptor] = []

    /// The package's names (`shop.v1` is `shop`, `v1`), the outermost scope of its types.
    var packageParts: [String] { package?.split(separator: ".").map(String.init) ?? [] }
}

struct MessageDescriptor {
    var name: String
    var fields: [FieldDescriptor] = []
    /// Real oneofs by name, in declaration order (proto3 `optional` fields are not in one).
    var oneofs: [String] = []
    var messages: [MessageDescriptor] = []
    var enums: [EnumDescriptor] = []
}

struct FieldDescriptor {
    enum Label { case none, optional, required, repeated }

    var name: String
    var number: Int
    var label: Label
    /// The type as written: a scalar's name, or a (possibly qualified) message or enum name.
    var typeName: String
    /// Index into the message's `oneofs` for a member of a real oneof.
    var oneof: Int?
    /// `(confluent.field_meta)` parameters, in the order written.
    var parameters: [(String, String)] = []
    /// `map<K, V>` fields: the key and value types.
    var mapTypes: (key: String, value: String)?
}

struct EnumDescriptor {
    var name: String
    var values: [(name: String, number: Int)] = []
}

/// A parser for `.proto` text (proto2 and proto3, as a registry stores it): messages, enums, fields with labels,
/// `map<K, V>`, `oneof`, options (field options kept only for `(confluent.field_meta)`), reserved ranges,
/// extensions and services (skipped). Comments are skipped.
struct ProtoParser {
    private var tokens: [Token]
    private var position = 0
    /// How deep messages and option values nest; limited so that no schema can exhaust the stack.
    private var depth = 0
    private static let maximumDepth = 100

    enum Token: Equatable {
        case identifier(String)
        case number(String)
        case string(String)
        case symbol(Character)
    }

    /// A value of an option's text-format aggregate: a scalar, a message or a list.
    indirect enum OptionValue {
        case scalar(String)
        case message([(String, OptionValue)])
        case list([OptionValue])
    }

    static func parse(_ text: String) throws(DataError) -> ProtoFileDescriptor {
        var parser = ProtoParser(tokens: try tokenize(text))
        return try parser.file()
    }

    private init(tokens: [Token]) {
        self.tokens = tokens
    }

    // MARK: Grammar

    private mutating func file() throws(DataError) -> ProtoFileDescriptor {
        var file = ProtoFileDescriptor()
        while let token = peek() {
            switch token {
            case .identifier("syntax"):
                advance()
                try expect("=")
                file.syntax = try string()
                try expect(";")
            case .identifier("edition"):
                throw DataError("Protobuf editions are not supported")
            case .identifier("package"):
                advance()
                file.package = try identifier()
                try expect(";")
            case .identifier("import"):
                advance()
                if case .identifier(let kind)? = peek(), kind == "public" || kind == "weak" { advance() }
                file.imports.append(try string())
                try expect(";")
            case .identifier("option"), .identifier("extend"), .identifier("service"):
                try skipStatement()
            case .identifier("message"):
                file.messages.append(try message())
            case .identifier("enum"):
                file.enums.append(try enumeration())
            case .symbol(";"):
                advance()
            default:
                throw DataError("Unexpected \(token) in the .proto file")
            }
        }
        return file
    }

    private mutating func message() throws(DataError) -> MessageDescriptor {
        try enter()
        defer { depth -= 1 }
        advance()
        var message = MessageDescriptor(name: try identifier())
        try expect("{")
        while !(try take("}")) {
            try member(of: &message, oneof: nil)
        }
        return message
    }

    private mutating func member(of message: inout MessageDescriptor, oneof: Int?) throws(DataError) {
        guard let token = peek() else { throw DataError("The .proto file ends inside message \(message.name)") }
        switch token {
        case .identifier("message") where oneof == nil:
            message.messages.append(try self.message())
        case .identifier("enum") where oneof == nil:
            message.enums.append(try enumeration())
        case .identifier("oneof") where oneof == nil:
            advance()
            message.oneofs.append(try identifier())
            try expect("{")
            while !(try take("}")) {
                try member(of: &message, oneof: message.oneofs.count - 1)
            }
        case .identifier("option"), .identifier("reserved"), .identifier("extensions"), .identifier("extend"):
            try skipStatement()
        case .identifier("group"):
            throw DataError("Protobuf groups are not supported (message \(message.name))")
        case .symbol(";"):
            advance()
        default:
            message.fields.append(try field(oneof: oneof))
        }
    }

    private mutating func field(oneof: Int?) throws(DataError) -> FieldDescriptor {
        var label = FieldDescriptor.Label.none
        switch peek() {
        case .identifier("optional")?: label = .optional
        case .identifier("required")?: label = .required
        case .identifier("repeated")?: label = .repeated
        default: break
        }
        if label != .none { advance() }
        var mapTypes: (key: String, value: String)?
        let typeName: String
        if case .identifier("map")? = peek(), case .symbol("<")? = peek(1) {
            advance(2)
            let key = try identifier()
            try expect(",")
            let value = try identifier()
            try expect(">")
            mapTypes = (key, value)
            typeName = "map"
            label = .repeated
        } else {
            typeName = try identifier()
        }
        let name = try identifier()
        try expect("=")
        guard case .number(let text)? = peek(), let number = Int(text) else {
            throw DataError("Field \(name) has no valid number")
        }
        advance()
        var field = FieldDescriptor(
            name: name, number: number, label: label, typeName: typeName, oneof: oneof, mapTypes: mapTypes)
        if try take("[") {
            repeat {
                let (optionName, value) = try option()
                if optionName == "(confluent.field_meta)" { field.parameters = Self.parameters(value) }
            } while try take(",")
            try expect("]")
        }
        try expect(";")
        return field
    }

    private mutating func enumeration() throws(DataError) -> EnumDescriptor {
        advance()
        var descriptor = EnumDescriptor(name: try identifier())
        try expect("{")
        while !(try take("}")) {
            switch peek() {
            case .identifier("option")?, .identifier("reserved")?:
                try skipStatement()
            case .symbol(";")?:
                advance()
            default:
                let name = try identifier()
                try expect("=")
                let negative = try take("-")
                guard case .number(let text)? = peek(), let number = Int(text) else {
                    throw DataError("Enum value \(name) has no valid number")
                }
                advance()
                if try take("[") {
                    repeat { _ = try option() } while try take(",")
                    try expect("]")
                }
                try expect(";")
                descriptor.values.append((name, negative ? -number : number))
            }
        }
        return descriptor
    }

    /// `name = value` inside `[…]`: a name (parenthesized extension names kept with their parentheses) and a
    /// constant or a text-format aggregate.
    private mutating func option() throws(DataError) -> (String, OptionValue) {
        var name = ""
        if try take("(") {
            name = "(" + (try identifier()) + ")"
            try expect(")")
        } else {
            name = try identifier()
        }
        while case .identifier(let more)? = peek(), more.hasPrefix(".") {
            name += more
            advance()
        }
        try expect("=")
        return (name, try optionValue())
    }

    private mutating func optionValue() throws(DataError) -> OptionValue {
        try enter()
        defer { depth -= 1 }
        switch peek() {
        case .symbol("{")?:
            advance()
            var entries: [(String, OptionValue)] = []
            while !(try take("}")) {
                let key = try identifier()
                _ = try take(":")
                entries.append((key, try optionValue()))
                if !(try take(",")) { _ = try take(";") }
            }
            return .message(entries)
        case .symbol("[")?:
            advance()
            var items: [OptionValue] = []
            while !(try take("]")) {
                items.append(try optionValue())
                _ = try take(",")
            }
            return .list(items)
        case .symbol("-")?:
            advance()
            guard case .number(let n)? = peek() else { throw DataError("A number must follow - in an option") }
            advance()
            return .scalar("-" + n)
        case .string(let s)?:
            advance()
            var text = s
            while case .string(let more)? = peek() {
                text += more
                advance()
            }
            return .scalar(text)
        case .number(let n)?, .identifier(let n)?:
            advance()
            return .scalar(n)
        default:
            throw DataError("Unexpected \(String(describing: peek())) in an option value")
        }
    }

    /// The `params` of a `(confluent.field_meta)` value: `{key, value}` messages, listed or repeated.
    private static func parameters(_ value: OptionValue) -> [(String, String)] {
        guard case .message(let entries) = value else { return [] }
        var out: [(String, String)] = []
        func add(_ item: OptionValue) {
            guard case .message(let pair) = item,
                case .scalar(let key)? = pair.first(where: { $0.0 == "key" })?.1,
                case .scalar(let value)? = pair.first(where: { $0.0 == "value" })?.1
            else { return }
            out.append((key, value))
        }
        for (name, item) in entries where name == "params" {
            if case .list(let items) = item { items.forEach(add) } else { add(item) }
        }
        return out
    }

    /// Skips a statement up to its `;`, or a block up to its closing `}`.
    private mutating func skipStatement() throws(DataError) {
        var depth = 0
        while let token = peek() {
            advance()
            switch token {
            case .symbol("{"): depth += 1
            case .symbol("}"):
                depth -= 1
                if depth == 0 { return }
            case .symbol(";") where depth == 0: return
            default: break
            }
        }
        throw DataError("The .proto file ends inside a statement")
    }

    private mutating func enter() throws(DataError) {
        depth += 1
        guard depth <= Self.maximumDepth else {
            throw DataError("The .proto file nests deeper than \(Self.maximumDepth) levels")
        }
    }

    // MARK: Tokens

    private func peek(_ ahead: Int = 0) -> Token? {
        position + ahead < tokens.count ? tokens[position + ahead] : nil
    }

    private mutating func advance(_ count: Int = 1) { position += count }

    private mutating func take(_ symbol: Character) throws(DataError) -> Bool {
        guard case .symbol(symbol)? = peek() else { return false }
        advance()
        return true
    }

    private mutating func expect(_ symbol: Character) throws(DataError) {
        guard try take(symbol) else {
            throw DataError("Expected \(symbol) in the .proto file, found \(peek().map { "\($0)" } ?? "its end")")
        }
    }

    private mutating func identifier() throws(DataError) -> String {
        guard case .identifier(let name)? = peek() else {
            throw DataError("Expected a name in the .proto file, found \(peek().map { "\($0)" } ?? "its end")")
        }
        advance()
        return name
    }

    private mutating func string() throws(DataError) -> String {
        guard case .string(let text)? = peek() else { throw DataError("Expected a string in the .proto file") }
        advance()
        return text
    }

    private static func tokenize(_ text: String) throws(DataError) -> [Token] {
        let chars = Array(text.unicodeScalars)
        var tokens: [Token] = []
        var i = 0
        func isIdentifierStart(_ c: Unicode.Scalar) -> Bool { c == "_" || c == "." || c.properties.isAlphabetic }
        func isIdentifierPart(_ c: Unicode.Scalar) -> Bool {
            isIdentifierStart(c) || (c >= "0" && c <= "9")
        }
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\n" || c == "\t" || c == "\r" {
                i += 1
            } else if c == "/", i + 1 < chars.count, chars[i + 1] == "/" {
                while i < chars.count && chars[i] != "\n" { i += 1 }
            } else if c == "/", i + 1 < chars.count, chars[i + 1] == "*" {
                i += 2
                while i + 1 < chars.count && !(chars[i] == "*" && chars[i + 1] == "/") { i += 1 }
                i += 2
            } else if c == "\"" || c == "'" {
                var out = String.UnicodeScalarView()
                i += 1
                while i < chars.count && chars[i] != c {
                    if chars[i] == "\\", i + 1 < chars.count {
                        i += 1
                        switch chars[i] {
                        case "n": out.append("\n")
                        case "t": out.append("\t")
                        case "r": out.append("\r")
                        case "a": out.append("\u{07}")
                        case "b": out.append("\u{08}")
                        case "f": out.append("\u{0C}")
                        case "v": out.append("\u{0B}")
                        default: out.append(chars[i])
                        }
                    } else {
                        out.append(chars[i])
                    }
                    i += 1
                }
                guard i < chars.count else { throw DataError("Unterminated string in the .proto file") }
                i += 1
                tokens.append(.string(String(out)))
            } else if c >= "0" && c <= "9" {
                let start = i
                while i < chars.count && (isIdentifierPart(chars[i]) || chars[i] == "+" || chars[i] == "-")
                    && !(chars[i] == "-" && !"eE".unicodeScalars.contains(chars[i - 1]))
                {
                    i += 1
                }
                tokens.append(.number(String(String.UnicodeScalarView(chars[start..<i]))))
            } else if isIdentifierStart(c) {
                let start = i
                while i < chars.count && isIdentifierPart(chars[i]) { i += 1 }
                tokens.append(.identifier(String(String.UnicodeScalarView(chars[start..<i]))))
            } else {
                tokens.append(.symbol(Character(c)))
                i += 1
            }
        }
        return tokens
    }
}
