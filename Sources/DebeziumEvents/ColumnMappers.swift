import CCrypto
import TributaryCore

/// Debezium's column mappers: `column.truncate.to.N.chars`, `column.mask.with.N.chars`,
/// `column.mask.hash.<algorithm>.with.salt.<salt>` (and `column.mask.hash.v2.…`), `column.propagate.source.type`
/// and `datatype.propagate.source.type`. Each setting lists regular expressions on fully qualified column names
/// (`schema.table.column`; for the datatype setting `schema.table.TYPENAME`). As in Debezium, a column gets the
/// first matching rule, rules taken in this order: truncations, masks, source type propagation (by column, then by
/// type), hashes, v2 hashes. They shape event values only, never keys.
public struct ColumnMappers: @unchecked Sendable {
    /// What a rule does to a column.
    public enum Mapper: Sendable, Equatable {
        /// Strings longer than N UTF-16 units (bytes longer than N bytes) are cut to N.
        case truncate(Int)
        /// Character columns become this text, whatever their value (nulls included).
        case mask(String)
        /// Character columns become the hex digest of the salt and the value (Java-serialized in v1, its UTF-8
        /// bytes in v2), cut to the column's length.
        case hash(HashAlgorithm, salt: [UInt8], v2: Bool)
        /// The column's source type, length and scale become schema parameters.
        case propagateSourceType
    }

    /// A digest named as Java's `MessageDigest` names it (`MD5`, `SHA-1`, `SHA-256`, `SHA-512/256`, `SHA3-256`, …),
    /// computed by OpenSSL.
    public struct HashAlgorithm: Sendable, Equatable {
        /// The Java name.
        public let name: String
        /// OpenSSL's name for it.
        private let openSSLName: String

        /// Nil for a name OpenSSL does not know.
        public init?(javaName: String) {
            let upper = javaName.uppercased()
            // Java's SHA-1/SHA-2 names carry a hyphen OpenSSL's lack; SHA-512/256 is OpenSSL's SHA512-256.
            var openSSL = upper
            if upper.hasPrefix("SHA-") {
                openSSL = "SHA" + String(upper.dropFirst(4)).replacing("/", with: "-")
            }
            guard EVP_get_digestbyname(openSSL) != nil else { return nil }
            name = javaName
            openSSLName = openSSL
        }

        public static func == (a: HashAlgorithm, b: HashAlgorithm) -> Bool { a.openSSLName == b.openSSLName }

        /// The digest of `bytes`.
        public func digest(_ bytes: [UInt8]) -> [UInt8] {
            guard let md = EVP_get_digestbyname(openSSLName) else { return [] }
            var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var size: UInt32 = 0
            let ok = bytes.withUnsafeBytes { input in
                EVP_Digest(input.baseAddress, input.count, &out, &size, md, nil)
            }
            precondition(ok == 1 && Int(size) <= out.count, "EVP_Digest failed for \(name)")
            return Array(out.prefix(Int(size)))
        }
    }

    private struct Rule {
        let patterns: [Regex<AnyRegexOutput>]
        let byDatatype: Bool
        let mapper: Mapper
    }

    private let rules: [Rule]

    public init(_ config: Config) throws {
        func patterns(_ key: String) throws -> [Regex<AnyRegexOutput>] { try TableFilter.patterns(key, config) }
        func matching(_ prefix: String, _ suffix: String) -> [(key: String, middle: String)] {
            config.values.keys.sorted().compactMap { key in
                guard key.hasPrefix(prefix), key.hasSuffix(suffix), key.count > prefix.count + suffix.count else {
                    return nil
                }
                return (key, String(key.dropFirst(prefix.count).dropLast(suffix.count)))
            }
        }
        func count(_ key: String, _ text: String) throws -> Int {
            guard let n = Int(text), n >= 0 else {
                throw ConfigError.invalid(key: key, value: text, expected: "a number of characters in the key")
            }
            return n
        }
        var rules: [Rule] = []
        for (key, middle) in matching("column.truncate.to.", ".chars") {
            rules.append(
                Rule(patterns: try patterns(key), byDatatype: false, mapper: .truncate(try count(key, middle))))
        }
        for (key, middle) in matching("column.mask.with.", ".chars") {
            let mask = String(repeating: "*", count: try count(key, middle))
            rules.append(Rule(patterns: try patterns(key), byDatatype: false, mapper: .mask(mask)))
        }
        if config.values["column.propagate.source.type"] != nil {
            rules.append(
                Rule(
                    patterns: try patterns("column.propagate.source.type"), byDatatype: false,
                    mapper: .propagateSourceType))
        }
        if config.values["datatype.propagate.source.type"] != nil {
            rules.append(
                Rule(
                    patterns: try patterns("datatype.propagate.source.type"), byDatatype: true,
                    mapper: .propagateSourceType))
        }
        for v2 in [false, true] {
            for (key, middle) in matching(v2 ? "column.mask.hash.v2." : "column.mask.hash.", "") {
                // `column.mask.hash.v2.…` also starts with `column.mask.hash.`: left to the v2 pass.
                if !v2 && middle.hasPrefix("v2.") { continue }
                guard let separator = middle.firstRange(of: ".with.salt.") else {
                    throw ConfigError.invalid(
                        key: key, value: middle, expected: "column.mask.hash.<algorithm>.with.salt.<salt>")
                }
                let name = String(middle[..<separator.lowerBound])
                guard let algorithm = HashAlgorithm(javaName: name) else {
                    throw ConfigError.invalid(
                        key: key, value: name, expected: "a hash algorithm such as MD5, SHA-1, SHA-256 or SHA-512")
                }
                let salt = Array(middle[separator.upperBound...].utf8)
                rules.append(
                    Rule(patterns: try patterns(key), byDatatype: false, mapper: .hash(algorithm, salt: salt, v2: v2)))
            }
        }
        self.rules = rules
    }

    /// The mapper for a column of `table` (`schema.table`) whose source type is `typeName` (upper case, as
    /// Debezium names it), if a rule matches.
    public func mapper(table: String, column: String, typeName: String) -> Mapper? {
        let name = table + "." + column
        let datatype = table + "." + typeName
        return rules.first { rule in
            let subject = rule.byDatatype ? datatype : name
            return rule.patterns.contains { (try? $0.wholeMatch(in: subject)) != nil }
        }?.mapper
    }

    /// Lower-case hex of the digest of `salt` and `value`, as Debezium's `MaskStrings` hashes: v1 digests the
    /// value's Java serialization (`ObjectOutputStream.writeObject` of the String), v2 its UTF-8 bytes.
    public static func hash(_ value: String, algorithm: HashAlgorithm, salt: [UInt8], v2: Bool) -> String {
        Hex.lowercase(algorithm.digest(salt + (v2 ? Array(value.utf8) : javaSerialized(value))))
    }

    /// A String as Java's `ObjectOutputStream` writes it alone: the stream header, then `TC_STRING` with a 2-byte
    /// length (`TC_LONGSTRING` with 8 bytes beyond 65,535) and the modified UTF-8 bytes (NUL as C0 80, characters
    /// beyond the BMP as two 3-byte surrogates).
    static func javaSerialized(_ s: String) -> [UInt8] {
        var utf: [UInt8] = []
        utf.reserveCapacity(s.utf8.count)
        for unit in s.utf16 {
            switch unit {
            case 0x0001...0x007F:
                utf.append(UInt8(unit))
            case 0x0000, 0x0080...0x07FF:
                utf.append(UInt8(0xC0 | (unit >> 6)))
                utf.append(UInt8(0x80 | (unit & 0x3F)))
            default:
                utf.append(UInt8(0xE0 | (unit >> 12)))
                utf.append(UInt8(0x80 | ((unit >> 6) & 0x3F)))
                utf.append(UInt8(0x80 | (unit & 0x3F)))
            }
        }
        var out: [UInt8] = [0xAC, 0xED, 0x00, 0x05]
        if utf.count <= 0xFFFF {
            out.append(0x74)
            out.append(UInt8(utf.count >> 8))
            out.append(UInt8(utf.count & 0xFF))
        } else {
            out.append(0x7C)
            withUnsafeBytes(of: UInt64(utf.count).bigEndian) { out.append(contentsOf: $0) }
        }
        return out + utf
    }
}

/// Debezium's `message.key.columns`: `<table regex>:<column>,<column>;…` — the columns that form the key of the
/// tables a regular expression (on `schema.table`) matches, instead of their primary key.
public struct MessageKeyColumns: @unchecked Sendable {
    private let entries: [(table: Regex<AnyRegexOutput>, columns: [String])]

    public init(_ config: Config) throws {
        let key = "message.key.columns"
        var entries: [(Regex<AnyRegexOutput>, [String])] = []
        for part in (config.values[key] ?? "").split(separator: ";") {
            let trimmed = String(part).trimmed
            if trimmed.isEmpty { continue }
            guard let colon = trimmed.lastIndex(of: ":") else {
                throw ConfigError.invalid(key: key, value: trimmed, expected: "<table regex>:<column>,<column>")
            }
            let columns = trimmed[trimmed.index(after: colon)...].split(separator: ",").map {
                String($0).trimmed
            }.filter { !$0.isEmpty }
            guard !columns.isEmpty, let regex = try? Regex(String(trimmed[..<colon])).ignoresCase() else {
                throw ConfigError.invalid(key: key, value: trimmed, expected: "<table regex>:<column>,<column>")
            }
            entries.append((regex, columns))
        }
        self.entries = entries
    }

    /// The key columns set for `table` (`schema.table`), if any.
    public func columns(for table: String) -> [String]? {
        entries.first { (try? $0.table.wholeMatch(in: table)) != nil }?.columns
    }
}

extension ColumnMappers.Mapper {
    /// A column's value schema and the change to its values under this mapper, as Debezium's mappers make them.
    /// `length` is the column's length as Debezium knows it (-1 when unknown), `scale` its scale, if any;
    /// `isCharacter` says whether masks and hashes apply to it.
    public func apply(
        to schema: Schema, column: String, typeName: String, length: Int, scale: Int?, isCharacter: Bool
    ) -> (schema: Schema, map: ((Value) -> Value)?) {
        switch self {
        case .truncate(let limit):
            guard length < 0 || length > limit else { return (schema, nil) }
            let cut: (Value) -> Value = { v in
                switch v {
                case .string(let s) where s.utf16.count > limit:
                    return .string(String(decoding: Array(s.utf16.prefix(limit)), as: UTF16.self))
                case .bytes(let b) where b.count > limit:
                    return .bytes(Array(b.prefix(limit)))
                default:
                    return v
                }
            }
            return (schema.appendingParameters([("truncateLength", String(limit))]), cut)
        case .mask(let mask):
            let masked: (Value) -> Value = { _ in .string(mask) }
            return (schema.appendingParameters([("masked", "true")]), isCharacter ? masked : nil)
        case .hash(let algorithm, let salt, let v2):
            let hashed: (Value) -> Value = { v in
                guard case .string(let s) = v else { return v }
                let hash = ColumnMappers.hash(s, algorithm: algorithm, salt: salt, v2: v2)
                return .string(length > 0 ? String(hash.prefix(length)) : hash)
            }
            return (schema.appendingParameters([("masked", "true")]), isCharacter ? hashed : nil)
        case .propagateSourceType:
            var parameters = [
                ("__debezium.source.column.type", typeName), ("__debezium.source.column.length", String(length)),
            ]
            if let scale { parameters.append(("__debezium.source.column.scale", String(scale))) }
            parameters.append(("__debezium.source.column.name", column))
            return (schema.appendingParameters(parameters), nil)
        }
    }
}
