import TributaryCore

/// A regular expression from a configuration, matched as Java's `Pattern` matches: whole-string matches and
/// `$n` group references in replacements. Swift's regex syntax covers the Java syntax these settings use
/// (classes, groups, alternation, quantifiers, anchors).
struct JavaRegex {
    private let regex: Regex<AnyRegexOutput>

    init(_ pattern: String, key: String) throws(ConfigError) {
        do {
            regex = try Regex(pattern)
        } catch {
            throw .invalid(key: key, value: pattern, expected: "a regular expression (\(error))")
        }
    }

    /// The groups of a whole-string match (group 0 is the whole string), or nil.
    func wholeMatch(_ text: String) -> [String?]? {
        guard let match = try? regex.wholeMatch(in: text) else { return nil }
        return match.output.map { $0.substring.map(String.init) }
    }

    /// A whole-string match's groups and its named groups (`(?<name>…)`), or nil.
    func wholeMatchWithNames(_ text: String) -> (groups: [String?], named: [String: String?])? {
        guard let match = try? regex.wholeMatch(in: text) else { return nil }
        var named: [String: String?] = [:]
        for element in match.output { if let name = element.name { named[name] = element.substring.map(String.init) } }
        return (match.output.map { $0.substring.map(String.init) }, named)
    }

    /// `replacement` with `$n` replaced by the groups and `${name}` by the named groups (empty when there is no
    /// such group); `\$` is a literal dollar.
    static func expand(_ replacement: String, groups: [String?], named: [String: String?] = [:]) -> String {
        var result = ""
        let chars = Array(replacement)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\\", i + 1 < chars.count {
                result.append(chars[i + 1])
                i += 2
            } else if c == "$", i + 1 < chars.count, var number = chars[i + 1].wholeNumberValue {
                var j = i + 2
                // Java reads further digits while they still name an existing group.
                while j < chars.count, let d = chars[j].wholeNumberValue, number * 10 + d < groups.count {
                    number = number * 10 + d
                    j += 1
                }
                if number < groups.count { result += groups[number] ?? "" }
                i = j
            } else if c == "$", i + 1 < chars.count, chars[i + 1] == "{",
                let close = chars[(i + 2)...].firstIndex(of: "}")
            {
                result += (named[String(chars[(i + 2)..<close])] ?? nil) ?? ""
                i = close + 1
            } else {
                result.append(c)
                i += 1
            }
        }
        return result
    }
}

/// A regular expression matched against whole strings and its replacement (`$1`, `${name}`), with each input's
/// result kept (at most 4,096): how the routers map topics and routing values, which repeat record after record.
final class RegexReplacement {
    private let regex: JavaRegex
    private let replacement: String
    private var results: [String: String?] = [:]

    init(_ regex: JavaRegex, replacement: String) {
        self.regex = regex
        self.replacement = replacement
    }

    /// The replacement made from a whole match of `text`; nil when `text` does not match.
    func apply(_ text: String) -> String? {
        if let known = results[text] { return known }
        let result = regex.wholeMatchWithNames(text).map {
            JavaRegex.expand(replacement, groups: $0.groups, named: $0.named)
        }
        if results.count >= 4096 { results.removeAll() }
        results[text] = .some(result)
        return result
    }
}
