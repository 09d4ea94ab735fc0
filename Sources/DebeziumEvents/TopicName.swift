import TributaryCore

/// Kafka topic names allow letters, digits, `.`, `_` and `-`, at most 249 of them.
public enum TopicName {
    /// The name with every other character replaced by `_`, as Debezium's topic naming does (so a table called
    /// `Order Items` goes to `prefix.public.Order_Items`).
    public static func sanitized(_ name: String) -> String {
        var result = String(
            name.unicodeScalars.map { c -> Character in
                let ok =
                    (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "." || c == "_"
                    || c == "-"
                return ok ? Character(c) : "_"
            })
        if result.utf8.count > 249 { result = String(result.prefix(249)) }
        return result
    }

    /// `topic.prefix`, required, of the characters a topic name allows.
    public static func prefix(_ config: Config) throws(ConfigError) -> String {
        let prefix = try config.required("topic.prefix")
        guard prefix.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-" }) else {
            throw .invalid(key: "topic.prefix", value: prefix, expected: "letters, digits, '.', '_' or '-'")
        }
        return prefix
    }
}
