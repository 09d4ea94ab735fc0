/// Calendar arithmetic of the proleptic Gregorian calendar and ISO-8601 UTC text, without Foundation's calendar
/// machinery: shared by every source that turns dates and times into Debezium's values.
public enum CivilTime {
    /// Days since 1970-01-01 of a proleptic Gregorian date.
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Milliseconds since the epoch split into whole days (rounded down, also before 1970) and the
    /// milliseconds of that day.
    public static func daysAndMillis(_ millis: Int64) -> (days: Int64, millisOfDay: Int64) {
        var days = millis / 86_400_000
        var ms = millis % 86_400_000
        if ms < 0 {
            ms += 86_400_000
            days -= 1
        }
        return (days, ms)
    }

    /// Year, month, day of a day number since 1970-01-01.
    public static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
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

    /// ISO-8601 UTC text `YYYY-MM-DDTHH:MM:SS[.f…]Z` with exactly `fractionDigits` fraction digits (none for 0),
    /// as Debezium's `ZonedTimestamp` writes a column of that precision.
    public static func isoUTC(micros: Int64, fractionDigits: Int) -> String {
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
    public static func isoTimeUTC(micros: Int64, fractionDigits: Int) -> String {
        var out: [UInt8] = []
        appendTimeOfDay(
            seconds: Int(micros / 1_000_000), micros: Int(micros % 1_000_000), fractionDigits: fractionDigits, to: &out)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    public static func appendTimeOfDay(seconds secs: Int, micros frac: Int, fractionDigits: Int, to out: inout [UInt8])
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

    /// The fraction of a second at `c` in a time's text (`.5`, `.123456`, `.1234567`), in microseconds: digits
    /// beyond the sixth are skipped, as the databases' microsecond times cannot hold them. Nil, with `c` unmoved,
    /// when no `.` is at `c`; otherwise `c` ends after the digits.
    public static func microseconds(_ text: ArraySlice<UInt8>, at c: inout Int) -> Int? {
        guard c < text.endIndex, text[c] == UInt8(ascii: ".") else { return nil }
        c += 1
        var value = 0
        var digits = 0
        while c < text.endIndex, text[c] >= 48, text[c] <= 57 {
            if digits < 6 {
                value = value * 10 + Int(text[c] - 48)
                digits += 1
            }
            c += 1
        }
        while digits < 6 {
            value *= 10
            digits += 1
        }
        return value
    }
}
