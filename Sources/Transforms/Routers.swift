import TributaryCore

/// Kafka Connect's `RegexRouter`: a topic that matches `regex` as a whole becomes `replacement`, with `$1`… for
/// its groups; other topics stay. Results are kept per topic.
final class RegexRouter: Transformation {
    private let routes: RegexReplacement

    init(_ config: Config) throws(ConfigError) {
        let regex = try JavaRegex(config.required("regex"), key: "regex")
        guard let replacement = config.values["replacement"] else { throw .missing(key: "replacement") }
        routes = RegexReplacement(regex, replacement: replacement)
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        var copy = record
        copy.topic = routes.apply(record.topic) ?? record.topic
        return copy
    }
}

/// Kafka Connect's `TimestampRouter`: the topic becomes `topic.format` (default `${topic}-${timestamp}`) with the
/// record's timestamp formatted by `timestamp.format` (default `yyyyMMdd`, Java's `SimpleDateFormat` in UTC).
final class TimestampRouter: Transformation {
    private let topicFormat: String
    private let timestampFormat: JavaDateFormat

    init(_ config: Config) throws(ConfigError) {
        topicFormat = config.string("topic.format") ?? "${topic}-${timestamp}"
        timestampFormat = try JavaDateFormat(config.string("timestamp.format") ?? "yyyyMMdd", key: "timestamp.format")
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        guard let timestamp = record.timestamp else {
            throw TransformError("TimestampRouter", "Timestamp missing on record")
        }
        var copy = record
        copy.topic = topicFormat.replacingAll("${topic}", with: record.topic)
            .replacingAll("${timestamp}", with: timestampFormat.format(timestamp))
        return copy
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
