/// The type of a configuration value, as Kafka's `ConfigDef.Type` names them.
public enum ConfigType: String, Sendable {
    case string = "STRING"
    case int = "INT"
    case long = "LONG"
    case double = "DOUBLE"
    case boolean = "BOOLEAN"
    case list = "LIST"
    case password = "PASSWORD"
    case className = "CLASS"
}

/// How much a setting matters, as Kafka's `ConfigDef.Importance`.
public enum ConfigImportance: String, Sendable {
    case high = "HIGH"
    case medium = "MEDIUM"
    case low = "LOW"
}

/// One documented setting: its name, type, default, importance, documentation and the values it accepts.
public struct ConfigKey: Sendable {
    public let name: String
    public let type: ConfigType
    /// The default as text; nil when there is none (required settings, or optional ones without a default).
    public let defaultValue: String?
    public let required: Bool
    public let importance: ConfigImportance
    public let documentation: String
    /// A closed set of accepted values, when there is one.
    public let allowed: [String]?
    /// Accepted integers, when bounded.
    public let range: ClosedRange<Int64>?

    public init(
        _ name: String, _ type: ConfigType, default defaultValue: String? = nil, required: Bool = false,
        _ importance: ConfigImportance = .medium, allowed: [String]? = nil, range: ClosedRange<Int64>? = nil,
        _ documentation: String
    ) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.required = required
        self.importance = importance
        self.documentation = documentation
        self.allowed = allowed
        self.range = range
    }

    /// A string setting.
    public static func string(
        _ name: String, default value: String? = nil, required: Bool = false, _ importance: ConfigImportance = .medium,
        allowed: [String]? = nil, _ documentation: String
    ) -> ConfigKey {
        ConfigKey(
            name, .string, default: value, required: required, importance, allowed: allowed, documentation)
    }

    public static func int(
        _ name: String, default value: Int64? = nil, _ importance: ConfigImportance = .medium,
        range: ClosedRange<Int64>? = nil, _ documentation: String
    ) -> ConfigKey {
        ConfigKey(name, .int, default: value.map { String($0) }, importance, range: range, documentation)
    }

    public static func boolean(
        _ name: String, default value: Bool, _ importance: ConfigImportance = .medium, _ documentation: String
    ) -> ConfigKey {
        ConfigKey(name, .boolean, default: String(value), importance, documentation)
    }

    public static func list(
        _ name: String, default value: String? = nil, _ importance: ConfigImportance = .medium,
        _ documentation: String
    ) -> ConfigKey {
        ConfigKey(name, .list, default: value, importance, documentation)
    }

    public static func password(_ name: String, _ documentation: String) -> ConfigKey {
        ConfigKey(name, .password, .high, documentation)
    }
}

/// The settings of one component (the worker, a connector, a converter, a transform), as Kafka's `ConfigDef`:
/// what `tributary validate` and the start check keys against, and what `docs/config-reference.md` is made of.
public struct ConfigDefinition: Sendable {
    /// The component, as the reference's heading names it.
    public let title: String
    public let keys: [ConfigKey]
    /// Prefixes under which any key is accepted (`producer.`, `column.mask.with.`): settings passed on or patterns.
    public let openPrefixes: [String]

    public init(_ title: String, keys: [ConfigKey], openPrefixes: [String] = []) {
        self.title = title
        self.keys = keys
        self.openPrefixes = openPrefixes
    }

    /// The same settings under `prefix` (`transforms.unwrap.`, `value.converter.`).
    public func prefixed(_ prefix: String) -> ConfigDefinition {
        ConfigDefinition(
            title,
            keys: keys.map {
                ConfigKey(
                    prefix + $0.name, $0.type, default: $0.defaultValue, required: $0.required, $0.importance,
                    allowed: $0.allowed, range: $0.range, $0.documentation)
            }, openPrefixes: openPrefixes.map { prefix + $0 })
    }

    /// Both definitions' keys and prefixes, under this title.
    public func merging(_ other: ConfigDefinition) -> ConfigDefinition {
        ConfigDefinition(title, keys: keys + other.keys, openPrefixes: openPrefixes + other.openPrefixes)
    }

    public func key(_ name: String) -> ConfigKey? { keys.first { $0.name == name } }

    /// Whether `name` is a defined key or lies under an open prefix.
    public func knows(_ name: String) -> Bool {
        keys.contains { $0.name == name } || openPrefixes.contains { name.hasPrefix($0) }
    }

    /// Keys of `config` this definition does not know, sorted, each with the closest known key when one is near
    /// enough to be a misspelling of it.
    public func unknownKeys(in config: Config) -> [(key: String, suggestion: String?)] {
        config.values.keys.sorted().filter { !knows($0) }.map { key in
            let candidates = keys.map(\.name) + openPrefixes
            let best = candidates.map { ($0, Self.editDistance(key, $0)) }.min { $0.1 < $1.1 }
            guard let best, best.1 <= max(2, key.count / 4) else { return (key, nil) }
            return (key, best.0)
        }
    }

    /// Checks the values of the keys this definition knows against their types, sets and ranges.
    public func validate(_ config: Config) throws(ConfigError) {
        for key in keys {
            guard let value = config.string(key.name) else {
                if key.required { throw .missing(key: key.name) }
                continue
            }
            switch key.type {
            case .int, .long:
                guard let number = Int64(value) else {
                    throw .invalid(key: key.name, value: value, expected: "an integer")
                }
                if let range = key.range, !range.contains(number) {
                    throw .invalid(
                        key: key.name, value: value, expected: "an integer in \(range.lowerBound)...\(range.upperBound)"
                    )
                }
            case .double:
                guard Double(value) != nil else { throw .invalid(key: key.name, value: value, expected: "a number") }
            case .boolean:
                guard ["true", "false"].contains(value.lowercased()) else {
                    throw .invalid(key: key.name, value: value, expected: "true or false")
                }
            case .string, .list, .password, .className: break
            }
            if let allowed = key.allowed, !allowed.contains(value), !allowed.contains(value.lowercased()) {
                throw .invalid(key: key.name, value: value, expected: "one of " + allowed.joined(separator: ", "))
            }
        }
    }

    /// The Markdown table of the settings, for `docs/config-reference.md`.
    public func markdown() -> String {
        var text = "## \(title)\n\n"
        if !keys.isEmpty {
            text += "| key | type | default | importance | description |\n|---|---|---|---|---|\n"
            for key in keys {
                var description = key.documentation
                if let allowed = key.allowed {
                    description += " One of: " + allowed.map { "`\($0)`" }.joined(separator: ", ") + "."
                }
                if let range = key.range { description += " Range: \(range.lowerBound) to \(range.upperBound)." }
                let defaultText =
                    key.required ? "required" : key.defaultValue.map { $0.isEmpty ? "\"\"" : "`\($0)`" } ?? ""
                text +=
                    "| `\(key.name)` | \(key.type.rawValue.lowercased()) | \(defaultText) | "
                    + "\(key.importance.rawValue.lowercased()) | \(description.replacingPipes) |\n"
            }
            text += "\n"
        }
        if !openPrefixes.isEmpty {
            text +=
                "Also accepted: any key starting with " + openPrefixes.map { "`\($0)`" }.joined(separator: ", ")
                + ".\n\n"
        }
        return text
    }

    /// Levenshtein distance over characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

extension String {
    fileprivate var replacingPipes: String {
        var out = ""
        for c in self { out += c == "|" ? "\\|" : String(c) }
        return out
    }
}
