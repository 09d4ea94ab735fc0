import TributaryCore

/// The text forms of temporal values that PostgreSQL and MySQL/MariaDB both parse: `YYYY-MM-DD`,
/// `HH:MM:SS.ffffff` and their combination, in the proleptic Gregorian calendar the sources use.
enum SinkTemporalText {
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// `YYYY-MM-DD`, with ` BC` for years before 1 (PostgreSQL's proleptic Gregorian calendar, as the sources').
    static func date(days: Int) -> String {
        let (y, m, d) = CivilTime.civilFromDays(days)
        let year = y > 0 ? y : 1 - y
        return pad(year, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + (y > 0 ? "" : " BC")
    }

    /// `HH:MM:SS.ffffff`; MySQL's times may be negative or longer than a day (`-838:59:59.000000`).
    static func time(micros: Int64) -> String {
        let magnitude = micros.magnitude
        let seconds = Int(magnitude / 1_000_000), fraction = Int(magnitude % 1_000_000)
        return (micros < 0 ? "-" : "") + pad(seconds / 3600, 2) + ":" + pad(seconds / 60 % 60, 2) + ":"
            + pad(seconds % 60, 2) + "." + pad(fraction, 6)
    }

    /// A time of day's microseconds by its schema's name; nil for any other value.
    static func timeMicros(_ value: Value, _ schema: Schema) -> Int64? {
        switch (value, schema.name) {
        case (.int32(let v), ConnectLogical.timeName?), (.int32(let v), DebeziumSemantic.time?): Int64(v) * 1000
        case (.int64(let v), DebeziumSemantic.microTime?): v
        case (.int64(let v), DebeziumSemantic.nanoTime?): v / 1000
        default: nil
        }
    }

    static func timestamp(micros: Int64) -> String {
        let days = floorDiv(micros, 86_400_000_000)
        let date = self.date(days: Int(days))
        let time = self.time(micros: micros - days * 86_400_000_000)
        guard date.hasSuffix(" BC") else { return date + " " + time }
        return String(date.dropLast(3)) + " " + time + " BC"
    }

    static func pad(_ v: Int, _ width: Int) -> String {
        let text = String(v)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// An ISO-8601 timestamp with `Z` or an offset (`2024-05-06T05:08:09.123456Z`, Debezium's `ZonedTimestamp`,
    /// whose years before 1 are signed, `-0043-03-15T…` for 44 BC, and after 9999 too, `+10000-…`) as its
    /// wall-clock time in `zone`, in microseconds since 1970, and the zone's offset then, in seconds.
    static func zonedTimestamp(_ text: String, in zone: SinkTimeZone) -> (micros: Int64, offset: Int)? {
        let bytes = Array(text.utf8)
        let signed = bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+")
        let start = signed ? 1 : 0
        guard let dash = bytes[start...].firstIndex(of: UInt8(ascii: "-")), (4...6).contains(dash - start),
            bytes.count >= dash + 16, bytes[dash + 3] == UInt8(ascii: "-"),
            bytes[dash + 6] == UInt8(ascii: "T") || bytes[dash + 6] == UInt8(ascii: " "),
            let digits = number(bytes[start..<dash]), let month = number(bytes[(dash + 1)..<(dash + 3)]),
            let day = number(bytes[(dash + 4)..<(dash + 6)]), (1...12).contains(month), (1...31).contains(day),
            let (micros, offsetSeconds) = timeOfDay(bytes[(dash + 7)...])
        else { return nil }
        let year = bytes.first == UInt8(ascii: "-") ? -digits : digits
        let days = Int64(CivilTime.daysFromCivil(year: year, month: month, day: day))
        let utc = days * 86_400_000_000 + micros - Int64(offsetSeconds) * 1_000_000
        let offset = zone.offset(atUTCSeconds: floorDiv(utc, 1_000_000))
        return (utc + Int64(offset) * 1_000_000, offset)
    }

    /// An ISO-8601 time with `Z` or an offset (`07:08:09.5Z`, Debezium's `ZonedTime`) as the microseconds of the
    /// day at `offset` seconds from UTC.
    static func zonedTime(_ text: String, offset: Int) -> Int64? {
        guard let (micros, offsetSeconds) = timeOfDay(Array(text.utf8)[...]) else { return nil }
        let day: Int64 = 86_400_000_000
        return ((micros + Int64(offset - offsetSeconds) * 1_000_000) % day + day) % day
    }

    /// `HH:MM:SS[.fraction](Z|±HH:MM)`: microseconds of the day and the offset in seconds.
    private static func timeOfDay(_ bytes: ArraySlice<UInt8>) -> (Int64, Int)? {
        let b = Array(bytes)
        guard b.count >= 9, let h = number(b[0..<2]), let m = number(b[3..<5]), let s = number(b[6..<8]) else {
            return nil
        }
        var i = 8
        let fraction = CivilTime.microseconds(b[...], at: &i) ?? 0
        var offset = 0
        if i < b.count, b[i] == UInt8(ascii: "Z") {
            i += 1
        } else if i + 6 <= b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"),
            let oh = number(b[(i + 1)..<(i + 3)]), let om = number(b[(i + 4)..<(i + 6)])
        {
            offset = (b[i] == UInt8(ascii: "-") ? -1 : 1) * (oh * 3600 + om * 60)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        return (Int64(h * 3600 + m * 60 + s) * 1_000_000 + Int64(fraction), offset)
    }

    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for d in digits {
            guard d >= 48, d <= 57 else { return nil }
            value = value * 10 + Int(d - 48)
        }
        return digits.isEmpty ? nil : value
    }

    /// The text of a date, time or timestamp by its schema's name (Connect's logical types and Debezium's
    /// semantic ones); nil for any other value.
    static func text(_ value: Value, _ schema: Schema) -> String? {
        switch (value, schema.name) {
        case (.int32(let v), ConnectLogical.dateName?), (.int32(let v), DebeziumSemantic.date?):
            return date(days: Int(v))
        case (.int64(let v), ConnectLogical.timestampName?), (.int64(let v), DebeziumSemantic.timestamp?):
            return timestamp(micros: v * 1000)
        case (.int64(let v), DebeziumSemantic.microTimestamp?): return timestamp(micros: v)
        case (.int64(let v), DebeziumSemantic.nanoTimestamp?): return timestamp(micros: floorDiv(v, 1000))
        default: return timeMicros(value, schema).map { time(micros: $0) }
        }
    }
}
