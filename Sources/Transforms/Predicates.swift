import TributaryCore

/// `TopicNameMatches`: the topic matches `pattern` as a whole (Java's `Matcher.matches`).
final class TopicNameMatches: RecordPredicate {
    private let pattern: JavaRegex
    private var results: [String: Bool] = [:]

    init(_ config: Config) throws(ConfigError) {
        pattern = try JavaRegex(config.required("pattern"), key: "pattern")
    }

    func test(_ record: SourceRecord) -> Bool {
        if let known = results[record.topic] { return known }
        let result = pattern.wholeMatch(record.topic) != nil
        if results.count >= 1024 { results.removeAll() }
        results[record.topic] = result
        return result
    }
}

/// `HasHeaderKey`: the record has at least one header called `name`.
final class HasHeaderKey: RecordPredicate {
    private let name: String

    init(name: String) {
        self.name = name
    }

    func test(_ record: SourceRecord) -> Bool { record.headers.contains { $0.key == name } }
}

/// `RecordIsTombstone`: the record's value is null.
final class RecordIsTombstone: RecordPredicate {
    func test(_ record: SourceRecord) -> Bool { record.value.isNull }
}
