import TributaryCore

/// Parses PostgreSQL's ISO text forms of dates and times (as sent with `DateStyle=ISO, TimeZone=UTC`) and
/// formats ISO-8601 timestamps, without Foundation's calendar machinery.
enum TemporalText {
    struct ParseError: Error {}

    private struct Cursor {
        let s: ArraySlice<UInt8>
        var i: Int
        init(_ s: ArraySlice<UInt8>) {
            self.s = s
            i = s.startIndex
        }
        var atEnd: Bool { i >= s.endIndex }
        var peek: UInt8? { atEnd ? nil : s[i] }
        mutating func number(maxDigits: Int = 10) throws -> (value: Int, digits: Int) {
            var v = 0
            var n = 0
            while let c = peek, c >= 48, c <= 57, n < maxDigits {
                v = v * 10 + Int(c - 48)
                n += 1
                i += 1
            }
            guard n > 0 else { throw ParseError() }
            return (v, n)
        }
        mutating func expect(_ c: UInt8) throws {
            guard peek == c else { throw ParseError() }
            i += 1
        }
        mutating func skip(_ c: UInt8) -> Bool {
            if peek == c {
                i += 1
                return true
            }
            return false
        }
    }

    /// `YYYY-MM-DD` → days since the epoch.
    static func date(_ s: ArraySlice<UInt8>) throws -> Int {
        var c = Cursor(s)
        let d = try dateFields(&c)
        guard c.atEnd || isBC(c) else { throw ParseError() }
        return CivilTime.daysFromCivil(year: isBC(c) ? 1 - d.0 : d.0, month: d.1, day: d.2)
    }

    private static func isBC(_ c: Cursor) -> Bool {
        Array(c.s[c.i...]) == Array(" BC".utf8)
    }

    private static func dateFields(_ c: inout Cursor) throws -> (Int, Int, Int) {
        let y = try c.number().value
        try c.expect(UInt8(ascii: "-"))
        let m = try c.number(maxDigits: 2).value
        try c.expect(UInt8(ascii: "-"))
        let d = try c.number(maxDigits: 2).value
        guard (1...12).contains(m), (1...31).contains(d) else { throw ParseError() }
        return (y, m, d)
    }

    /// `HH:MM:SS[.ffffff]` → microseconds since midnight.
    private static func timeFields(_ c: inout Cursor) throws -> Int64 {
        let h = try c.number(maxDigits: 2).value
        try c.expect(UInt8(ascii: ":"))
        let m = try c.number(maxDigits: 2).value
        try c.expect(UInt8(ascii: ":"))
        let sec = try c.number(maxDigits: 2).value
        var micros = 0
        if c.skip(UInt8(ascii: ".")) {
            let f = try c.number(maxDigits: 9)
            micros = f.value
            for _ in f.digits..<6 { micros *= 10 }
            for _ in 6..<max(6, f.digits) { micros /= 10 }
        }
        return Int64(h * 3600 + m * 60 + sec) * 1_000_000 + Int64(micros)
    }

    /// `HH:MM:SS[.ffffff]` → microseconds since midnight (24:00:00 allowed, as PostgreSQL does).
    static func time(_ s: ArraySlice<UInt8>) throws -> Int64 {
        var c = Cursor(s)
        let t = try timeFields(&c)
        guard c.atEnd else { throw ParseError() }
        return t
    }

    /// `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]][ BC]` → microseconds since the epoch, in UTC if an offset is
    /// present.
    static func timestamp(_ s: ArraySlice<UInt8>) throws -> Int64 {
        var c = Cursor(s)
        let d = try dateFields(&c)
        try c.expect(UInt8(ascii: " "))
        let micros = try timeFields(&c) - offsetMicros(&c)
        let bc = isBC(c)
        guard c.atEnd || bc else { throw ParseError() }
        let days = CivilTime.daysFromCivil(year: bc ? 1 - d.0 : d.0, month: d.1, day: d.2)
        return Int64(days) * 86_400_000_000 + micros
    }

    /// `HH:MM:SS[.ffffff]+HH[:MM[:SS]]` (timetz) → microseconds since midnight in UTC, wrapped into one day.
    static func timeWithOffset(_ s: ArraySlice<UInt8>) throws -> Int64 {
        var c = Cursor(s)
        var micros = try timeFields(&c)
        micros -= try offsetMicros(&c)
        guard c.atEnd else { throw ParseError() }
        let day: Int64 = 86_400_000_000
        return (micros % day + day) % day
    }

    /// `+HH[:MM[:SS]]` or `-…` → signed microseconds east of UTC; zero when absent.
    private static func offsetMicros(_ c: inout Cursor) throws -> Int64 {
        guard let sign = c.peek, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { return 0 }
        c.i += 1
        var offset = try c.number(maxDigits: 2).value * 3600
        if c.skip(UInt8(ascii: ":")) { offset += try c.number(maxDigits: 2).value * 60 }
        if c.skip(UInt8(ascii: ":")) { offset += try c.number(maxDigits: 2).value }
        return Int64(sign == UInt8(ascii: "+") ? offset : -offset) * 1_000_000
    }

    /// An interval as PostgreSQL prints it with `IntervalStyle=iso_8601` (`P1Y2M3DT4H5M6.78S`, `P-1DT-1S`,
    /// `PT0S`): each field signed on its own.
    struct Interval: Equatable {
        var years: Int64 = 0, months: Int64 = 0, days: Int64 = 0, hours: Int64 = 0, minutes: Int64 = 0
        /// Seconds with their fraction, in microseconds.
        var secondMicros: Int64 = 0

        /// Debezium's `MicroDuration`: a month counts 30.4375 days (365.25 / 12).
        var totalMicros: Int64 {
            (years * 12 + months) * 2_629_800_000_000 + days * 86_400_000_000 + hours * 3_600_000_000 + minutes
                * 60_000_000
                + secondMicros
        }

        /// Debezium's `Interval` text: every field present, seconds without trailing zeros.
        var isoText: String {
            let sign = secondMicros < 0 ? "-" : ""
            var seconds = String(secondMicros.magnitude / 1_000_000)
            var fraction = String(secondMicros.magnitude % 1_000_000)
            if fraction != "0" {
                fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
                while fraction.hasSuffix("0") { fraction.removeLast() }
                seconds += "." + fraction
            }
            return "P\(years)Y\(months)M\(days)DT\(hours)H\(minutes)M\(sign)\(seconds)S"
        }
    }

    static func interval(_ s: ArraySlice<UInt8>) throws -> Interval {
        var c = Cursor(s)
        try c.expect(UInt8(ascii: "P"))
        var result = Interval()
        var inTime = false
        while !c.atEnd {
            if c.skip(UInt8(ascii: "T")) {
                inTime = true
                continue
            }
            let negative = c.skip(UInt8(ascii: "-"))
            let whole = Int64(try c.number(maxDigits: 18).value)
            var fractionMicros: Int64 = 0
            if c.skip(UInt8(ascii: ".")) {
                let f = try c.number(maxDigits: 6)
                fractionMicros = Int64(f.value)
                for _ in f.digits..<6 { fractionMicros *= 10 }
            }
            guard let unit = c.peek else { throw ParseError() }
            c.i += 1
            let n = negative ? -whole : whole
            switch (unit, inTime) {
            case (UInt8(ascii: "Y"), false): result.years = n
            case (UInt8(ascii: "M"), false): result.months = n
            case (UInt8(ascii: "W"), false): result.days += n * 7
            case (UInt8(ascii: "D"), false): result.days += n
            case (UInt8(ascii: "H"), true): result.hours = n
            case (UInt8(ascii: "M"), true): result.minutes = n
            case (UInt8(ascii: "S"), true):
                let micros = whole * 1_000_000 + fractionMicros
                result.secondMicros = negative ? -micros : micros
            default: throw ParseError()
            }
            guard fractionMicros == 0 || unit == UInt8(ascii: "S") else { throw ParseError() }
        }
        return result
    }
}
