import Converters
import TributaryCore

/// Java's `SimpleDateFormat` in UTC with the US English symbols, as Kafka Connect's `TimestampConverter` uses it:
/// formats epoch milliseconds and parses text leniently, like the JDK.
///
/// Like `java.util.GregorianCalendar`, dates before 1582-10-15 are in the Julian calendar, years before 1 are
/// written as years of the era `BC`, `S` is milliseconds as a number (not a fraction), and text after the pattern
/// is ignored when parsing. Week fields follow the US rules (weeks start on Sunday; week 1 holds January 1).
struct JavaDateFormat: Sendable {
    enum Token: Sendable, Equatable {
        case literal(String)
        case field(Character, Int)
    }

    let pattern: String
    let tokens: [Token]

    /// Pattern letters `SimpleDateFormat` knows; any other ASCII letter outside quotes is an error, as in Java.
    static let letters: Set<Character> = Set("GyMdkHmsSEDFwWahKzZYuXL")
    private static let numericLetters: Set<Character> = Set("yYdkHmsSDFwWhKu")

    /// Compiles `pattern`; a config error naming `key` where Java would refuse it.
    init(_ pattern: String, key: String) throws(ConfigError) {
        self.pattern = pattern
        var tokens: [Token] = []
        var literal = ""
        let characters = Array(pattern)
        var i = 0
        func flush() {
            if !literal.isEmpty { tokens.append(.literal(literal)) }
            literal = ""
        }
        while i < characters.count {
            let c = characters[i]
            if c == "'" {
                if i + 1 < characters.count, characters[i + 1] == "'" {
                    literal.append("'")
                    i += 2
                    continue
                }
                // Quoted text up to the closing quote; '' inside stands for a quote.
                i += 1
                var closed = false
                while i < characters.count {
                    if characters[i] == "'" {
                        if i + 1 < characters.count, characters[i + 1] == "'" {
                            literal.append("'")
                            i += 2
                            continue
                        }
                        closed = true
                        i += 1
                        break
                    }
                    literal.append(characters[i])
                    i += 1
                }
                guard closed else {
                    throw .invalid(key: key, value: pattern, expected: "a pattern whose quotes are closed")
                }
                continue
            }
            if c.isASCII, c.isLetter {
                guard Self.letters.contains(c) else {
                    throw .invalid(
                        key: key, value: pattern,
                        expected: "a SimpleDateFormat-compatible pattern (illegal pattern character '\(c)')")
                }
                var count = 1
                while i + count < characters.count, characters[i + count] == c { count += 1 }
                if c == "X", count > 3 {
                    throw .invalid(key: key, value: pattern, expected: "X, XX or XXX (invalid ISO 8601 format)")
                }
                flush()
                tokens.append(.field(c, count))
                i += count
                continue
            }
            literal.append(c)
            i += 1
        }
        flush()
        self.tokens = tokens
    }

    // MARK: Calendar

    private static let months = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]
    private static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    // MARK: Formatting

    /// The text of `millis` since the epoch.
    func format(_ millis: Int64) -> String {
        let (days64, ms64) = CivilTime.daysAndMillis(millis)
        let days = Int(days64), ms = Int(ms64)
        let (year, month, dayOfMonth) = JavaCalendar.date(ofDay: days)
        let weekday = JavaCalendar.floorMod(days + 4, 7)  // 0 = Sunday
        let hour = ms / 3_600_000
        // October 1582 skips from the 4th to the 15th: the 15th is its 5th day.
        let dayInMonth = year == 1582 && month == 10 && dayOfMonth >= 15 ? dayOfMonth - 10 : dayOfMonth
        var out = ""
        func number(_ value: Int, _ width: Int) {
            if value < 0 { out += "-" }
            let digits = String(value.magnitude)
            if digits.count < width { out += String(repeating: "0", count: width - digits.count) }
            out += digits
        }
        for token in tokens {
            guard case .field(let letter, let count) = token else {
                if case .literal(let text) = token { out += text }
                continue
            }
            switch letter {
            case "G": out += year > 0 ? "AD" : "BC"
            case "y":
                let ofEra = year > 0 ? year : 1 - year
                count == 2 ? number(ofEra % 100, 2) : number(ofEra, count)
            case "Y":
                // The week year has no era: Java prints it signed (year 0 is 1 BC).
                let weekYear = weekOfYear(days: days, year: year).weekYear
                count == 2 ? number(weekYear % 100, 2) : number(weekYear, count)
            case "M", "L":
                if count >= 4 {
                    out += Self.months[month - 1]
                } else if count == 3 {
                    out += Self.months[month - 1].prefix(3)
                } else {
                    number(month, count)
                }
            case "d": number(dayOfMonth, count)
            case "D": number(days - JavaCalendar.day(year: year, month: 1, day: 1) + 1, count)
            case "E": out += count >= 4 ? Self.weekdays[weekday] : String(Self.weekdays[weekday].prefix(3))
            case "u": number(weekday == 0 ? 7 : weekday, count)
            case "F": number((dayInMonth - 1) / 7 + 1, count)
            case "w": number(weekOfYear(days: days, year: year).week, count)
            case "W":
                let first = JavaCalendar.floorMod(weekday - (dayInMonth - 1), 7)
                number((dayInMonth - 1 + first) / 7 + 1, count)
            case "a": out += hour < 12 ? "AM" : "PM"
            case "H": number(hour, count)
            case "k": number(hour == 0 ? 24 : hour, count)
            case "K": number(hour % 12, count)
            case "h": number(hour % 12 == 0 ? 12 : hour % 12, count)
            case "m": number(ms / 60_000 % 60, count)
            case "s": number(ms / 1000 % 60, count)
            case "S": number(ms % 1000, count)
            case "z": out += count >= 4 ? "Coordinated Universal Time" : "UTC"
            case "Z": out += "+0000"
            case "X": out += "Z"
            default: break
            }
        }
        return out
    }

    /// US week numbering: weeks start on Sunday and week 1 is the one holding January 1.
    private func weekOfYear(days: Int, year: Int) -> (week: Int, weekYear: Int) {
        let nextJanuary1 = JavaCalendar.day(year: year + 1, month: 1, day: 1)
        if days >= nextJanuary1 - JavaCalendar.floorMod(nextJanuary1 + 4, 7) { return (1, year + 1) }
        let january1 = JavaCalendar.day(year: year, month: 1, day: 1)
        return ((days - january1 + JavaCalendar.floorMod(january1 + 4, 7)) / 7 + 1, year)
    }

    // MARK: Parsing

    /// Milliseconds since the epoch of `text`, read leniently as `SimpleDateFormat.parse` reads it; nil when Java
    /// would throw a `ParseException`.
    func parse(_ text: String) -> Int64? {
        let chars = Array(text.unicodeScalars)
        var position = 0
        var year: Int?, month: Int?, dayOfMonth: Int?, dayOfYear: Int?
        var hourOfDay: Int?, hour12: Int?, pm: Bool?, minute = 0, second = 0, millis = 0, offsetMinutes = 0
        var bc = false
        for (index, token) in tokens.enumerated() {
            switch token {
            case .literal(let literal):
                for scalar in literal.unicodeScalars {
                    guard position < chars.count, chars[position] == scalar else { return nil }
                    position += 1
                }
            case .field(let letter, let count):
                if Self.numericLetters.contains(letter) || (letter == "M" || letter == "L") && count <= 2 {
                    var abutting = false
                    if index + 1 < tokens.count, case .field(let next, let nextCount) = tokens[index + 1] {
                        abutting = Self.numericLetters.contains(next) || (next == "M" || next == "L") && nextCount <= 2
                    }
                    let start = position
                    guard let value = readNumber(chars, &position, maxLength: abutting ? count : nil) else {
                        return nil
                    }
                    switch letter {
                    case "y", "Y":
                        if count <= 2, position - start == 2, chars[start].properties.numericType != nil {
                            year = Self.twoDigitYear(value)
                        } else {
                            year = value
                        }
                    case "M", "L": month = value
                    case "d": dayOfMonth = value
                    case "D": dayOfYear = value
                    case "H": hourOfDay = value
                    case "k": hourOfDay = value == 24 ? 0 : value
                    case "K": hour12 = value
                    case "h": hour12 = value == 12 ? 0 : value
                    case "m": minute = value
                    case "s": second = value
                    case "S": millis = value
                    default: break  // day-of-week and week numbers do not decide the date when the day is given
                    }
                    continue
                }
                switch letter {
                case "M", "L":
                    guard let m = match(chars, &position, Self.months + Self.months.map { String($0.prefix(3)) }) else {
                        return nil
                    }
                    month = m % 12 + 1
                case "E":
                    guard match(chars, &position, Self.weekdays + Self.weekdays.map { String($0.prefix(3)) }) != nil
                    else { return nil }
                case "a":
                    guard let m = match(chars, &position, ["AM", "PM"]) else { return nil }
                    pm = m == 1
                case "G":
                    guard let m = match(chars, &position, ["BC", "AD"]) else { return nil }
                    bc = m == 0
                default:  // z, Z, X
                    guard let offset = readZone(chars, &position, letter: letter, count: count) else { return nil }
                    offsetMinutes = offset
                }
            }
        }
        guard position > 0 || tokens.isEmpty else { return nil }
        var y = year ?? 1970
        if bc { y = 1 - y }
        let hour = hourOfDay ?? ((hour12 ?? 0) + (pm == true ? 12 : 0))
        var days: Int
        if let dayOfYear, month == nil, dayOfMonth == nil {
            days = JavaCalendar.day(year: y, month: 1, day: 1) + dayOfYear - 1
        } else {
            let m = (month ?? 1) - 1
            y += JavaCalendar.floorDiv(m, 12)
            days = JavaCalendar.day(year: y, month: JavaCalendar.floorMod(m, 12) + 1, day: 1) + (dayOfMonth ?? 1) - 1
        }
        // Lenient: out-of-range fields roll over; all in 64 bits, refusing what overflows.
        var total = Int64(days).multipliedReportingOverflow(by: 86_400_000)
        for (value, unit) in [
            (hour, 3_600_000), (minute, 60_000), (second, 1000), (millis, 1), (-offsetMinutes, 60_000),
        ] {
            guard !total.overflow else { return nil }
            let (part, o1) = Int64(value).multipliedReportingOverflow(by: Int64(unit))
            guard !o1 else { return nil }
            total = total.partialValue.addingReportingOverflow(part)
        }
        return total.overflow ? nil : total.partialValue
    }

    /// A decimal number (with an optional minus sign), at most `maxLength` characters when fields abut.
    private func readNumber(_ chars: [Unicode.Scalar], _ position: inout Int, maxLength: Int?) -> Int? {
        let end = min(chars.count, maxLength.map { position + $0 } ?? chars.count)
        var i = position
        let negative = i < end && chars[i] == "-"
        if negative { i += 1 }
        var value = 0
        let digitsStart = i
        while i < end, let digit = chars[i].properties.numericType == .decimal ? chars[i].properties.numericValue : nil
        {
            // More digits than any date field needs: not a date Java would build either.
            guard i - digitsStart < 12 else { return nil }
            value = value * 10 + Int(digit)
            i += 1
        }
        guard i > digitsStart else { return nil }
        position = i
        return negative ? -value : value
    }

    /// The index of the longest of `names` at the position, compared ignoring case.
    private func match(_ chars: [Unicode.Scalar], _ position: inout Int, _ names: [String]) -> Int? {
        var best: (index: Int, length: Int)?
        for (index, name) in names.enumerated() {
            let scalars = Array(name.lowercased().unicodeScalars)
            guard position + scalars.count <= chars.count, scalars.count > (best?.length ?? 0) else { continue }
            let candidate = String(String.UnicodeScalarView(chars[position..<position + scalars.count])).lowercased()
            if candidate == name.lowercased() { best = (index, scalars.count) }
        }
        guard let best else { return nil }
        position += best.length
        return best.index
    }

    /// A zone, in minutes east of UTC, as `SimpleDateFormat` reads one: for `X`, `Z` or a sign with `hh` (`X`),
    /// `hhmm` (`XX`) or `hh:mm` (`XXX`); for `z` and `Z`, a sign with `hhmm`, `GMT` with an optional `+h:mm`, or
    /// `UTC`/`UT`.
    private func readZone(_ chars: [Unicode.Scalar], _ position: inout Int, letter: Character, count: Int) -> Int? {
        func digit(_ i: Int) -> Int? {
            guard i < chars.count, chars[i].isASCII, let v = chars[i].properties.numericValue else { return nil }
            return Int(v)
        }
        func sign(_ i: Int) -> Int? { i < chars.count ? (chars[i] == "+" ? 1 : chars[i] == "-" ? -1 : nil) : nil }
        /// `hh[[:]mm]` from `i`: hours need two digits unless a colon follows one (GMT form).
        func numeric(_ start: Int, count: Int, colon: Bool) -> (minutes: Int, end: Int)? {
            var i = start
            guard var hours = digit(i) else { return nil }
            i += 1
            if let second = digit(i) {
                hours = hours * 10 + second
                i += 1
            } else if count > 0 || !colon {
                return nil
            }
            guard hours <= 23 else { return nil }
            var minutes = 0
            if count != 1 {
                if colon {
                    guard i < chars.count, chars[i] == ":" else { return nil }
                    i += 1
                }
                guard let m1 = digit(i), let m2 = digit(i + 1), m1 * 10 + m2 <= 59 else { return nil }
                minutes = m1 * 10 + m2
                i += 2
            }
            return (hours * 60 + minutes, i)
        }
        if letter == "X" {
            if position < chars.count, chars[position] == "Z" {
                position += 1
                return 0
            }
            guard let s = sign(position), let zone = numeric(position + 1, count: count, colon: count == 3) else {
                return nil
            }
            position = zone.end
            return s * zone.minutes
        }
        if let s = sign(position) {
            guard let zone = numeric(position + 1, count: 0, colon: false) else { return nil }
            position = zone.end
            return s * zone.minutes
        }
        let rest = String(String.UnicodeScalarView(chars[position...])).uppercased()
        if rest.hasPrefix("GMT") {
            guard let s = sign(position + 3) else {
                position += 3
                return 0
            }
            guard let zone = numeric(position + 4, count: 0, colon: true) else { return nil }
            position = zone.end
            return s * zone.minutes
        }
        for name in ["COORDINATED UNIVERSAL TIME", "UTC", "UT"] where rest.hasPrefix(name) {
            position += name.unicodeScalars.count
            return 0
        }
        return nil
    }

    /// A two-digit year in the century that starts 80 years ago, as `SimpleDateFormat` reads `yy`.
    private static func twoDigitYear(_ value: Int) -> Int {
        let now = WallClock.epochMicros() / 1000
        let centuryStart = CivilTime.civilFromDays(Int(CivilTime.daysAndMillis(now).days)).year - 80
        let ambiguous = centuryStart % 100
        return value + centuryStart / 100 * 100 + (value < ambiguous ? 100 : 0)
    }
}
