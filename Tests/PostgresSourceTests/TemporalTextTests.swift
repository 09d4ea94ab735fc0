import TributaryCore
import XCTest

@testable import PostgresSource

final class TemporalTextTests: XCTestCase {
    private func s(_ text: String) -> ArraySlice<UInt8> { ArraySlice(text.utf8) }

    func testDates() throws {
        XCTAssertEqual(try TemporalText.date(s("1970-01-01")), 0)
        XCTAssertEqual(try TemporalText.date(s("2024-02-29")), 19782)
        XCTAssertEqual(try TemporalText.date(s("1960-01-01")), -3653)
        XCTAssertEqual(try TemporalText.date(s("0001-01-01 BC")), -719_528, "1 BC is year 0 of the proleptic calendar")
        XCTAssertThrowsError(try TemporalText.date(s("2024-13-01")))
        XCTAssertThrowsError(try TemporalText.date(s("yesterday")))
    }

    func testTimestampsAndOffsets() throws {
        XCTAssertEqual(try TemporalText.timestamp(s("2024-02-29 13:45:01.123456")), 1_709_214_301_123_456)
        XCTAssertEqual(try TemporalText.timestamp(s("1969-12-31 23:59:59.5")), -500_000)
        XCTAssertEqual(try TemporalText.timestamp(s("2024-02-29 13:45:01.123456+02")), 1_709_207_101_123_456)
        XCTAssertEqual(try TemporalText.timestamp(s("2024-02-29 13:45:01-05:30")), 1_709_234_101_000_000)
        XCTAssertEqual(try TemporalText.time(s("24:00:00")), 86_400_000_000)
        XCTAssertEqual(try TemporalText.time(s("01:02:03.000004")), 3_723_000_004)
        XCTAssertThrowsError(try TemporalText.timestamp(s("2024-02-29T13:45:01")))
    }

    func testISOFormattingUsesTheColumnPrecision() {
        XCTAssertEqual(
            CivilTime.isoUTC(micros: 1_709_207_101_123_456, fractionDigits: 6), "2024-02-29T11:45:01.123456Z")
        XCTAssertEqual(CivilTime.isoUTC(micros: 1_709_214_301_000_000, fractionDigits: 0), "2024-02-29T13:45:01Z")
        XCTAssertEqual(
            CivilTime.isoUTC(micros: -2_208_988_799_900_000, fractionDigits: 6), "1900-01-01T00:00:00.100000Z")
        XCTAssertEqual(CivilTime.isoUTC(micros: 1_500_000, fractionDigits: 3), "1970-01-01T00:00:01.500Z")
    }

    func testCivilRoundTrip() {
        for days in stride(from: -800_000, through: 800_000, by: 997) {
            let (y, m, d) = CivilTime.civilFromDays(days)
            XCTAssertEqual(CivilTime.daysFromCivil(year: y, month: m, day: d), days)
        }
    }

    func testTimeWithOffsetInUTC() throws {
        XCTAssertEqual(try TemporalText.timeWithOffset(s("13:45:01.123456+02")), 42_301_123_456)
        XCTAssertEqual(try TemporalText.timeWithOffset(s("01:00:00+02")), 82_800_000_000, "wraps around midnight")
        XCTAssertEqual(CivilTime.isoTimeUTC(micros: 42_301_123_456, fractionDigits: 6), "11:45:01.123456Z")
        XCTAssertEqual(CivilTime.isoTimeUTC(micros: 49_501_000_000, fractionDigits: 0), "13:45:01Z")
    }

    func testIntervalsAsDebeziumCountsThem() throws {
        let i = try TemporalText.interval(s("P1Y2M3DT4H5M6.78S"))
        XCTAssertEqual(i.totalMicros, 37_091_106_780_000)
        XCTAssertEqual(i.isoText, "P1Y2M3DT4H5M6.78S")
        let negative = try TemporalText.interval(s("P-1DT-1S"))
        XCTAssertEqual(negative.totalMicros, -86_401_000_000)
        XCTAssertEqual(negative.isoText, "P0Y0M-1DT0H0M-1S")
        XCTAssertEqual(try TemporalText.interval(s("P3M")).totalMicros, 7_889_400_000_000)
        XCTAssertEqual(try TemporalText.interval(s("PT0S")).isoText, "P0Y0M0DT0H0M0S")
        XCTAssertEqual(try TemporalText.interval(s("PT-1.5S")).isoText, "P0Y0M0DT0H0M-1.5S")
        XCTAssertThrowsError(try TemporalText.interval(s("1 day")))
        XCTAssertThrowsError(try TemporalText.interval(s("P1X")))
    }
}
