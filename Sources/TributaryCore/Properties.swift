/// Parses Java `.properties` text as Kafka Connect reads worker and connector files: `key=value`,
/// `key: value` or `key value`, `#`/`!` comments, backslash line continuations and escapes.
public enum PropertiesParser {
    /// Key/value pairs in file order; a later key overrides an earlier one when collected into a dictionary.
    public static func parse(_ text: String) -> [(String, String)] {
        var result: [(String, String)] = []
        var logical = ""
        var continuing = false
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if continuing {
                line = line.drop(while: { $0 == " " || $0 == "\t" || $0 == "\u{0C}" })
            } else {
                let trimmed = line.drop(while: { $0 == " " || $0 == "\t" || $0 == "\u{0C}" })
                if trimmed.isEmpty || trimmed.first == "#" || trimmed.first == "!" { continue }
                line = trimmed
            }
            // An odd number of trailing backslashes continues the line.
            let trailing = line.reversed().prefix(while: { $0 == "\\" }).count
            if trailing % 2 == 1 {
                logical += line.dropLast()
                continuing = true
                continue
            }
            logical += line
            continuing = false
            result.append(split(logical))
            logical = ""
        }
        if continuing && !logical.isEmpty { result.append(split(logical)) }
        return result
    }

    private static func split(_ line: String) -> (String, String) {
        var key = ""
        var index = line.startIndex
        var escaped = false
        while index < line.endIndex {
            let c = line[index]
            if escaped {
                key.append(unescape(c))
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "=" || c == ":" || c == " " || c == "\t" {
                break
            } else {
                key.append(c)
            }
            index = line.index(after: index)
        }
        // Skip whitespace, one separator, whitespace.
        while index < line.endIndex, line[index] == " " || line[index] == "\t" { index = line.index(after: index) }
        if index < line.endIndex, line[index] == "=" || line[index] == ":" { index = line.index(after: index) }
        while index < line.endIndex, line[index] == " " || line[index] == "\t" { index = line.index(after: index) }
        var value = ""
        escaped = false
        var rest = line[index...].makeIterator()
        while let c = rest.next() {
            if escaped {
                if c == "u" {
                    var hex = ""
                    for _ in 0..<4 { if let h = rest.next() { hex.append(h) } }
                    if let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) {
                        value.append(Character(scalar))
                    }
                } else {
                    value.append(unescape(c))
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                value.append(c)
            }
        }
        return (key, value)
    }

    private static func unescape(_ c: Character) -> Character {
        switch c {
        case "t": "\t"
        case "n": "\n"
        case "r": "\r"
        case "f": "\u{0C}"
        default: c
        }
    }
}
