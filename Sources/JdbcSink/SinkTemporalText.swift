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
