import BinlogProtocol
import TributaryCore

/// Reads the text protocol's dates and times (`2024-02-29 11:45:01.123456`, `-838:59:59.5`).
enum MySQLTemporalText {
    /// `YYYY-MM-DD[ HH:MM:SS[.ffffff]]`, the fraction in microseconds.
    static func dateTime(
        _ text: ArraySlice<UInt8>
    ) -> (Int, Int, Int, Int, Int, Int, Int)? {
        var c = text.startIndex
        func number(_ digits: Int) -> Int? {
            var v = 0
            for _ in 0..<digits {
                guard c < text.endIndex, text[c] >= 48, text[c] <= 57 else { return nil }
                v = v * 10 + Int(text[c] - 48)
                c += 1
            }
            return v
        }
        func expect(_ ch: Character) -> Bool {
            guard c < text.endIndex, text[c] == ch.asciiValue else { return false }
            c += 1
            return true
        }
        guard let y = number(4), expect("-"), let mo = number(2), expect("-"), let d = number(2) else { return nil }
        guard c < text.endIndex else { return (y, mo, d, 0, 0, 0, 0) }
        guard expect(" ") || expect("T"), let h = number(2), expect(":"), let mi = number(2), expect(":"),
            let s = number(2)
        else { return nil }
        return (y, mo, d, h, mi, s, CivilTime.microseconds(text, at: &c) ?? 0)
    }

    /// `[-]H…H:MM:SS[.ffffff]`.
    static func time(_ text: ArraySlice<UInt8>) -> BinlogValue? {
        var c = text.startIndex
        let negative = c < text.endIndex && text[c] == UInt8(ascii: "-")
        if negative { c += 1 }
        var parts: [Int] = []
        var v = 0
        var digits = 0
        while c < text.endIndex, text[c] != UInt8(ascii: ".") {
            let ch = text[c]
            if ch == UInt8(ascii: ":") {
                guard digits > 0 else { return nil }
                parts.append(v)
                (v, digits) = (0, 0)
            } else {
                guard ch >= 48, ch <= 57 else { return nil }
                v = v * 10 + Int(ch - 48)
                digits += 1
            }
            c += 1
        }
        guard digits > 0 else { return nil }
        parts.append(v)
        guard parts.count == 3 else { return nil }
        return .time(
            negative: negative, hours: parts[0], minutes: parts[1], seconds: parts[2],
            microseconds: CivilTime.microseconds(text, at: &c) ?? 0)
    }
}
