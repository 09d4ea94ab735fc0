/// A flat set of string settings (a worker or connector configuration) with typed, validating accessors.
///
/// Every accessor that rejects a value throws a `ConfigError` naming the key, the value and what is accepted,
/// so a user can fix the file without reading code.
public struct Config: Sendable, CustomStringConvertible {
    public private(set) var values: [String: String]
    /// Records the keys read through the typed accessors, when set: how tests check that every key a component
    /// reads is in its `ConfigDefinition`.
    public var readKeys: ConfigKeyLog?

    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    /// Reads a `.properties` text; later keys override earlier ones.
    public init(properties text: String) {
        var values: [String: String] = [:]
        for (key, value) in PropertiesParser.parse(text) { values[key] = value }
        self.values = values
    }

    public subscript(key: String) -> String? {
        get {
            readKeys?.record(key)
            return values[key]
        }
        set { values[key] = newValue }
    }

    /// The string value of `key`, or `defaultValue` when absent or empty.
    public func string(_ key: String, default defaultValue: String? = nil) -> String? {
        readKeys?.record(key)
        if let v = values[key]?.trimmed, !v.isEmpty { return v }
        return defaultValue
    }

    /// The string value of `key`; throws if it is absent or empty.
    public func required(_ key: String) throws(ConfigError) -> String {
        guard let v = string(key) else { throw .missing(key: key) }
        return v
    }

    public func int(_ key: String, default defaultValue: Int, range: ClosedRange<Int>? = nil) throws(ConfigError) -> Int
    {
        guard let text = string(key) else { return defaultValue }
        guard let v = Int(text) else { throw .invalid(key: key, value: text, expected: "an integer") }
        if let range, !range.contains(v) {
            throw .invalid(key: key, value: text, expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    public func bool(_ key: String, default defaultValue: Bool) throws(ConfigError) -> Bool {
        guard let text = string(key) else { return defaultValue }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw .invalid(key: key, value: text, expected: "true or false")
        }
    }

    /// One of `allowed` (case-insensitive); returned as written in `allowed`.
    public func choice(_ key: String, default defaultValue: String, allowed: [String]) throws(ConfigError) -> String {
        guard let text = string(key) else { return defaultValue }
        guard let match = allowed.first(where: { $0.caseInsensitiveEquals(text) }) else {
            throw .invalid(key: key, value: text, expected: "one of " + allowed.joined(separator: ", "))
        }
        return match
    }

    /// One case of a closed set, matched case-insensitively against the raw values.
    public func enumeration<E: RawRepresentable & CaseIterable>(
        _ key: String, default defaultValue: E
    ) throws(ConfigError) -> E where E.RawValue == String {
        let raw = try choice(key, default: defaultValue.rawValue, allowed: E.allCases.map(\.rawValue))
        return E(rawValue: raw) ?? defaultValue
    }

    /// A comma-separated list, entries trimmed, empty entries dropped.
    public func list(_ key: String) -> [String] {
        guard let text = string(key) else { return [] }
        return text.split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
    }

    /// The settings under `prefix`, with the prefix removed (`producer.` → librdkafka overrides, say).
    public func withPrefix(_ prefix: String) -> [String: String] {
        var result: [String: String] = [:]
        for (k, v) in values where k.hasPrefix(prefix) { result[String(k.dropFirst(prefix.count))] = v }
        return result
    }

    /// The configuration with secrets masked, for logs and REST output.
    public var description: String {
        values.keys.sorted().map { "\($0)=\(Config.isSecret($0) ? "********" : values[$0]!)" }
            .joined(separator: ", ")
    }

    /// Whether a key holds a secret that must never be printed.
    public static func isSecret(_ key: String) -> Bool {
        let k = key.lowercased()
        return k.contains("password") || k.contains("secret") || k.hasSuffix(".key") && k.contains("ssl")
            || k.contains("sasl.jaas.config")
    }
}

/// A configuration problem, always naming the key.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case missing(key: String)
    case invalid(key: String, value: String, expected: String)
    case other(key: String, message: String)

    public var key: String {
        switch self {
        case .missing(let key), .invalid(let key, _, _), .other(let key, _): key
        }
    }

    /// The same error with `prefix` put before the key, for settings read from a prefixed group.
    public func prefixed(_ prefix: String) -> ConfigError {
        switch self {
        case .missing(let key): .missing(key: prefix + key)
        case .invalid(let key, let value, let expected): .invalid(key: prefix + key, value: value, expected: expected)
        case .other(let key, let message): .other(key: prefix + key, message: message)
        }
    }

    public var description: String {
        switch self {
        case .missing(let key): "Missing required configuration \"\(key)\""
        case .invalid(let key, let value, let expected):
            "Invalid value \"\(Config.isSecret(key) ? "********" : value)\" for configuration \"\(key)\": expected \(expected)"
        case .other(let key, let message): "Invalid configuration \"\(key)\": \(message)"
        }
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    public var trimmed: String {
        let ws: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(self.drop(while: ws).reversed().drop(while: ws).reversed())
    }

    func caseInsensitiveEquals(_ other: String) -> Bool { lowercased() == other.lowercased() }
}

/// The keys a `Config` was asked for (see `Config.readKeys`).
public final class ConfigKeyLog: Sendable {
    private let keys = Locked(Set<String>())

    public init() {}

    public func record(_ key: String) { keys.withLock { _ = $0.insert(key) } }

    public var all: Set<String> { keys.withLock { $0 } }
}
