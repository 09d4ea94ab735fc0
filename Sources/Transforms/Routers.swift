import TributaryCore

/// Kafka Connect's `RegexRouter`: a topic that matches `regex` as a whole becomes `replacement`, with `$1`… for
/// its groups; other topics stay. Results are kept per topic.
final class RegexRouter: Transformation {
    private let regex: JavaRegex
    private let replacement: String
    private var routes: [String: String] = [:]

    init(_ config: Config) throws(ConfigError) {
        regex = try JavaRegex(config.required("regex"), key: "regex")
        guard let replacement = config.values["replacement"] else { throw .missing(key: "replacement") }
        self.replacement = replacement
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        var copy = record
        if let known = routes[record.topic] {
            copy.topic = known
            return copy
        }
        let routed = regex.wholeMatch(record.topic).map { JavaRegex.expand(replacement, groups: $0) } ?? record.topic
        if routes.count >= 4096 { routes.removeAll() }
        routes[record.topic] = routed
        copy.topic = routed
        return copy
    }
}

/// Kafka Connect's `TimestampRouter`: the topic becomes `topic.format` (default `${topic}-${timestamp}`) with the
/// record's timestamp formatted by `timestamp.format` (default `yyyyMMdd`, Java's `SimpleDateFormat` letters
/// y M d H m s S, in UTC).
final class TimestampRouter: Transformation {
    private let topicFormat: String
    private let timestampFormat: [FormatPart]

    enum FormatPart {
        case literal(String)
        case field(Character, width: Int)
    }

    init(_ config: Config) throws(ConfigError) {
        topicFormat = config.string("topic.format") ?? "${topic}-${timestamp}"
        let format = config.string("timestamp.format") ?? "yyyyMMdd"
        timestampFormat = try Self.parse(format)
    }

    static func parse(_ format: String) throws(ConfigError) -> [FormatPart] {
        var parts: [FormatPart] = []
        var chars = Array(format)[...]
        while let c = chars.first {
            if c == "'" {
                chars = chars.dropFirst()
                let end = chars.firstIndex(of: "'") ?? chars.endIndex
                parts.append(.literal(end == chars.startIndex ? "'" : String(chars[..<end])))
                chars = chars[end...].dropFirst()
            } else if c.isLetter {
                guard "yMdHmsS".contains(c) else {
                    throw .invalid(
                        key: "timestamp.format", value: format, expected: "a date format with the letters y M d H m s S"
                    )
                }
                let width = chars.prefix { $0 == c }.count
                parts.append(.field(c, width: width))
                chars = chars.dropFirst(width)
            } else {
                parts.append(.literal(String(c)))
                chars = chars.dropFirst()
            }
        }
        return parts
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        guard let timestamp = record.timestamp else {
            throw TransformError("TimestampRouter", "Timestamp missing on record")
        }
        var copy = record
        copy.topic = topicFormat.replacingAll("${topic}", with: record.topic)
            .replacingAll("${timestamp}", with: format(timestamp))
        return copy
    }

    private func format(_ millis: Int64) -> String {
        let (days, ms) = CivilTime.daysAndMillis(millis)
        let (year, month, day) = CivilTime.civilFromDays(Int(days))
        var text = ""
        for part in timestampFormat {
            switch part {
            case .literal(let s): text += s
            case .field(let c, let width):
                let n: Int64 =
                    switch c {
                    case "y": width == 2 ? Int64(year) % 100 : Int64(year)
                    case "M": Int64(month)
                    case "d": Int64(day)
                    case "H": ms / 3_600_000
                    case "m": ms / 60_000 % 60
                    case "s": ms / 1000 % 60
                    default: ms % 1000
                    }
                let digits = String(n)
                text += String(repeating: "0", count: max(0, width - digits.count)) + digits
            }
        }
        return text
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
