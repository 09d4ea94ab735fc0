/// Parses the text form of an `hstore` value (`"a"=>"1", "b c"=>NULL`), as the server prints it and as
/// users may write it (unquoted words, backslash escapes inside quotes).
enum HStoreText {
    struct Entry: Equatable {
        var key: String
        var value: String?
    }

    struct SyntaxError: Error, CustomStringConvertible {
        let description: String
    }

    /// The entries in text order. Later duplicates of a key replace earlier ones (as a HashMap would).
    static func entries(_ v: ArraySlice<UInt8>) throws -> [Entry] {
        var i = v.startIndex
        var entries: [Entry] = []
        var positions: [String: Int] = [:]
        func skipSpace() { while i < v.endIndex, v[i] == 32 || (v[i] >= 9 && v[i] <= 13) { i += 1 } }
        func token() throws -> (text: String, quoted: Bool) {
            skipSpace()
            guard i < v.endIndex else { throw SyntaxError(description: "hstore: unexpected end") }
            var bytes: [UInt8] = []
            if v[i] == UInt8(ascii: "\"") {
                i += 1
                while i < v.endIndex, v[i] != UInt8(ascii: "\"") {
                    if v[i] == UInt8(ascii: "\\") { i += 1 }
                    guard i < v.endIndex else { break }
                    bytes.append(v[i])
                    i += 1
                }
                guard i < v.endIndex else { throw SyntaxError(description: "hstore: unterminated quote") }
                i += 1
                return (String(decoding: bytes, as: UTF8.self), true)
            }
            while i < v.endIndex, v[i] != UInt8(ascii: ","), v[i] != UInt8(ascii: "="), v[i] != 32 {
                if v[i] == UInt8(ascii: "\\") { i += 1 }
                guard i < v.endIndex else { break }
                bytes.append(v[i])
                i += 1
            }
            return (String(decoding: bytes, as: UTF8.self), false)
        }
        skipSpace()
        while i < v.endIndex {
            let key = try token().text
            skipSpace()
            guard v[i...].starts(with: "=>".utf8) else { throw SyntaxError(description: "hstore: expected =>") }
            i += 2
            let value = try token()
            let entry = Entry(key: key, value: !value.quoted && value.text.uppercased() == "NULL" ? nil : value.text)
            if let at = positions[key] {
                entries[at] = entry
            } else {
                positions[key] = entries.count
                entries.append(entry)
            }
            skipSpace()
            if i < v.endIndex {
                guard v[i] == UInt8(ascii: ",") else { throw SyntaxError(description: "hstore: expected ,") }
                i += 1
                skipSpace()
            }
        }
        return entries
    }
}
