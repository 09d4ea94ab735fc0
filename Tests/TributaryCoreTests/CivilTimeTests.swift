import XCTest

@testable import TributaryCore

final class CivilTimeTests: XCTestCase {
    func testDaysAndDatesRoundTrip() {
        XCTAssertEqual(CivilTime.daysFromCivil(year: 1970, month: 1, day: 1), 0)
        XCTAssertEqual(CivilTime.daysFromCivil(year: 2000, month: 3, day: 1), 11_017)
        XCTAssertEqual(CivilTime.daysFromCivil(year: -43, month: 3, day: 15), -735_160)
        for days in [-735_160, -1, 0, 59, 11_016, 2_932_896] {
            let (y, m, d) = CivilTime.civilFromDays(days)
            XCTAssertEqual(CivilTime.daysFromCivil(year: y, month: m, day: d), days)
        }
    }

    /// Fractions in microseconds: short ones scaled up, digits beyond the sixth skipped, none without a point.
    func testMicrosecondsOfAFraction() {
        let cases: [(String, Int?, Int)] = [
            ("12:00:00.5Z", 500_000, 10), ("12:00:00.123456", 123_456, 15), ("12:00:00.1234567+01:00", 123_456, 16),
            ("12:00:00.", 0, 9), ("12:00:00Z", nil, 8), ("12:00:00", nil, 8),
        ]
        for (text, expected, end) in cases {
            let bytes = Array(text.utf8)
            var c = 8
            XCTAssertEqual(CivilTime.microseconds(bytes[...], at: &c), expected, text)
            XCTAssertEqual(c, end, text)
        }
    }
}
