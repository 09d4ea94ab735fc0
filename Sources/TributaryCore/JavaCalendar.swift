/// The day arithmetic of `java.util.GregorianCalendar` in UTC: Gregorian from 1582-10-15 on, Julian before,
/// for output that must show dates as Kafka Connect's Java code does (SimpleDateFormat, Confluent's converters).
public enum JavaCalendar {
    /// 1582-10-15, the first Gregorian day, in days since 1970-01-01.
    public static let cutoverDay = -141_427

    /// Year, month, day of a day number (days since 1970-01-01), in the calendar Java uses for it. Years before 1
    /// are proleptic (0 is 1 BC).
    public static func date(ofDay days: Int) -> (year: Int, month: Int, day: Int) {
        if days >= cutoverDay { return CivilTime.civilFromDays(days) }
        let c = days + 2_440_588 + 32_082
        let d = floorDiv(4 * c + 3, 1461)
        let e = c - floorDiv(1461 * d, 4)
        let m = floorDiv(5 * e + 2, 153)
        return (d - 4800 + m / 10, m + 3 - 12 * (m / 10), e - (153 * m + 2) / 5 + 1)
    }

    /// The day number of a date: Gregorian from 1582-10-15 on, Julian before.
    public static func day(year: Int, month: Int, day: Int) -> Int {
        let gregorian = CivilTime.daysFromCivil(year: year, month: month, day: day)
        if gregorian >= cutoverDay { return gregorian }
        let a = (14 - month) / 12
        let y = year + 4800 - a
        let m = month + 12 * a - 3
        return day + (153 * m + 2) / 5 + 365 * y + floorDiv(y, 4) - 32_083 - 2_440_588
    }

    public static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
    public static func floorMod(_ a: Int, _ b: Int) -> Int { a - floorDiv(a, b) * b }
}
