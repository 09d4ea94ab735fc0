/// Parses PostgreSQL's ISO text forms of dates and times (as sent with `DateStyle=ISO, TimeZone=UTC`) and
/// formats ISO-8601 timestamps, without Foundation's calendar machinery.
enum TemporalText {
    struct ParseError: Error {}

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Year, month, day of a day number since 1970-01-01.
    static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

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
        return daysFromCivil(year: isBC(c) ? 1 - d.0 : d.0, month: d.1, day: d.2)
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
        let days = daysFromCivil(year: bc ? 1 - d.0 : d.0, month: d.1, day: d.2)
        return Int64(days) * 86_400_000_000 + micros
    }

    /// ISO-8601 UTC text `YYYY-MM-DDTHH:MM:SS[.f…]Z` with exactly `fractionDigits` fraction digits (none for 0),
    /// as Debezium's `ZonedTimestamp` writes a column of that precision.
    static func isoUTC(micros: Int64, fractionDigits: Int) -> String {
        var days = micros / 86_400_000_000
        var rem = micros % 86_400_000_000
        if rem < 0 {
            rem += 86_400_000_000
            days -= 1
        }
        let (y, mo, d) = civilFromDays(Int(days))
        let secs = Int(rem / 1_000_000)
        let frac = Int(rem % 1_000_000)
        var out: [UInt8] = []
        out.reserveCapacity(32)
        func pad(_ v: Int, _ width: Int) { DecimalDigits.append(UInt64(v.magnitude), minimumWidth: width, to: &out) }
        if y < 0 {
            out.append(UInt8(ascii: "-"))
            pad(-y, 4)
        } else {
            if y > 9999 { out.append(UInt8(ascii: "+")) }
            pad(y, 4)
        }
        out.append(UInt8(ascii: "-"))
        pad(mo, 2)
        out.append(UInt8(ascii: "-"))
        pad(d, 2)
        out.append(UInt8(ascii: "T"))
        appendTimeOfDay(seconds: secs, micros: frac, fractionDigits: fractionDigits, to: &out)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// ISO-8601 UTC time `HH:MM:SS[.f…]Z` of microseconds since midnight, as Debezium's `ZonedTime`.
    static func isoTimeUTC(micros: Int64, fractionDigits: Int) -> String {
        var out: [UInt8] = []
        appendTimeOfDay(
            seconds: Int(micros / 1_000_000), micros: Int(micros % 1_000_000), fractionDigits: fractionDigits, to: &out)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendTimeOfDay(seconds secs: Int, micros frac: Int, fractionDigits: Int, to out: inout [UInt8])
    {
        func pad(_ v: Int, _ width: Int) { DecimalDigits.append(UInt64(v.magnitude), minimumWidth: width, to: &out) }
        pad(secs / 3600, 2)
        out.append(UInt8(ascii: ":"))
        pad(secs / 60 % 60, 2)
        out.append(UInt8(ascii: ":"))
        pad(secs % 60, 2)
        if fractionDigits > 0 {
            out.append(UInt8(ascii: "."))
            var f = frac
            var digits = 6
            while digits > fractionDigits {
                f /= 10
                digits -= 1
            }
            pad(f, fractionDigits)
            for _ in digits..<fractionDigits { out.append(48) }
        }
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
