/// One token of a MySQL statement.
public enum DDLToken: Equatable, Sendable {
    /// A bare word: keyword or unquoted identifier, as written.
    case word(String)
    /// A `back-quoted` identifier, unquoted.
    case quoted(String)
    /// A 'single' or "double" quoted string, unescaped.
    case string(String)
    /// A number as written (`12`, `-1.5e3`, `0x1F`), or a bit/hex literal (`b'101'`, `x'1F'`) as written.
    case number(String)
    /// Punctuation and operators: `(`, `)`, `,`, `.`, `=`, `;` and the rest, one character each.
    case symbol(Character)

    /// The token as an identifier (a bare word or a quoted name), or nil.
    public var identifier: String? {
        switch self {
        case .word(let w): w
        case .quoted(let q): q
        default: nil
        }
    }

    /// Whether the token is the bare keyword `keyword` (given in upper case), in any case.
    public func isKeyword(_ keyword: String) -> Bool {
        guard case .word(let w) = self else { return false }
        return w.count == keyword.count && w.uppercased() == keyword
    }

    /// The token as SQL text again (for default expressions and messages).
    public var sql: String {
        switch self {
        case .word(let w), .number(let w): w
        case .quoted(let q): "`" + q.replacingAll("`", with: "``") + "`"
        case .string(let s): "'" + s.replacingAll("'", with: "''") + "'"
        case .symbol(let c): String(c)
        }
    }
}

extension String {
    /// Every `target` replaced by `replacement` (without Foundation).
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for c in self {
            if c == target { out += replacement } else { out.append(c) }
        }
        return out
    }
}

/// Splits MySQL statement text into tokens: comments dropped (`-- `, `#`, `/* */`), executable comments
/// (`/*!50100 … */`, `/*M! … */`) kept as code, strings unescaped as MySQL reads them.
public struct DDLTokenizer {
    public static func tokenize(_ text: String) throws(DDLError) -> [DDLToken] {
        let s = Array(text.unicodeScalars)
        var tokens: [DDLToken] = []
        var i = 0
        func peek(_ offset: Int) -> Unicode.Scalar? { i + offset < s.count ? s[i + offset] : nil }
        while i < s.count {
            let c = s[i]
            if c.properties.isWhitespace {
                i += 1
            } else if c == "#" || (c == "-" && peek(1) == "-" && (peek(2).map { $0.properties.isWhitespace } ?? true)) {
                while i < s.count && s[i] != "\n" { i += 1 }
            } else if c == "/" && peek(1) == "*" {
                if peek(2) == "!" || (peek(2) == "M" && peek(3) == "!") {
                    // Executable comment: its content is code; its closing `*/` is dropped where met.
                    i += peek(2) == "!" ? 3 : 4
                    while i < s.count && s[i].properties.numericType != nil { i += 1 }
                } else {
                    i += 2
                    while i < s.count && !(s[i] == "*" && peek(1) == "/") { i += 1 }
                    guard i < s.count else { throw DDLError("unterminated comment") }
                    i += 2
                }
            } else if c == "*" && peek(1) == "/" {
                i += 2
            } else if c == "`" {
                var name = ""
                i += 1
                while true {
                    guard i < s.count else { throw DDLError("unterminated quoted name") }
                    if s[i] == "`" {
                        if peek(1) == "`" {
                            name.unicodeScalars.append("`")
                            i += 2
                            continue
                        }
                        i += 1
                        break
                    }
                    name.unicodeScalars.append(s[i])
                    i += 1
                }
                tokens.append(.quoted(name))
            } else if c == "'" || c == "\"" {
                tokens.append(.string(try string(s, &i)))
            } else if (c == "b" || c == "B" || c == "x" || c == "X") && peek(1) == "'" {
                let start = i
                i += 2
                while i < s.count && s[i] != "'" { i += 1 }
                guard i < s.count else { throw DDLError("unterminated literal") }
                i += 1
                tokens.append(.number(String(String.UnicodeScalarView(s[start..<i]))))
            } else if c.properties.numericType != nil
                || (c == "." && (peek(1).map { $0.properties.numericType != nil } ?? false))
            {
                let start = i
                i += 1
                while i < s.count {
                    let d = s[i]
                    if d.properties.isAlphabetic || d.properties.numericType != nil || d == "." || d == "_" {
                        i += 1
                    } else if (d == "+" || d == "-") && (s[i - 1] == "e" || s[i - 1] == "E") {
                        i += 1
                    } else {
                        break
                    }
                }
                let text = String(String.UnicodeScalarView(s[start..<i]))
                // `1e` alone or `123abc`: MySQL reads digits followed by letters as an identifier.
                if text.unicodeScalars.allSatisfy({ $0.properties.numericType != nil || $0 == "." })
                    || text.hasPrefix("0x") || Double(text) != nil
                {
                    tokens.append(.number(text))
                } else {
                    tokens.append(.word(text))
                }
            } else if c.properties.isAlphabetic || c == "_" || c == "$" || c == "@" || c.value > 127 {
                let start = i
                while i < s.count
                    && (s[i].properties.isAlphabetic || s[i].properties.numericType != nil || s[i] == "_" || s[i] == "$"
                        || s[i] == "@" || s[i].value > 127)
                {
                    i += 1
                }
                tokens.append(.word(String(String.UnicodeScalarView(s[start..<i]))))
            } else {
                tokens.append(.symbol(Character(c)))
                i += 1
            }
        }
        return tokens
    }

    /// A quoted string from `i` (at its opening quote), with MySQL's escapes and doubled quotes.
    private static func string(_ s: [Unicode.Scalar], _ i: inout Int) throws(DDLError) -> String {
        let quote = s[i]
        var out = ""
        i += 1
        while true {
            guard i < s.count else { throw DDLError("unterminated string") }
            let c = s[i]
            if c == quote {
                if i + 1 < s.count && s[i + 1] == quote {
                    out.unicodeScalars.append(quote)
                    i += 2
                    continue
                }
                i += 1
                return out
            }
            if c == "\\" && i + 1 < s.count {
                let e = s[i + 1]
                switch e {
                case "n": out += "\n"
                case "t": out += "\t"
                case "r": out += "\r"
                case "0": out += "\u{0}"
                case "b": out += "\u{8}"
                case "Z": out += "\u{1A}"
                // `\%` and `\_` keep their backslash, as MySQL does.
                case "%", "_": out += "\\" + String(e)
                default: out.unicodeScalars.append(e)
                }
                i += 2
                continue
            }
            out.unicodeScalars.append(c)
            i += 1
        }
    }
}
