import XCTest

@testable import JdbcSink

final class SinkTimeZoneTests: XCTestCase {
    /// The names Java's `ZoneId.of` takes for UTC, fixed offsets and regions.
    func testNames() throws {
        for name in ["UTC", "utc", "Z", "GMT", "Etc/UTC", "+00:00", "UTC+0", "GMT-00:00", "-0"] {
            XCTAssertEqual(SinkTimeZone(name), .utc, name)
        }
        let offsets: [(String, Int)] = [
            ("+02:00", 7200), ("-05:30", -19800), ("+0545", 20700), ("+2", 7200), ("-11", -39600),
            ("UTC+01:00", 3600), ("GMT-3", -10800), ("UT+14:00", 50400), ("+18:00", 64800),
        ]
        for (name, seconds) in offsets {
            XCTAssertEqual(SinkTimeZone(name)?.kind, .fixed(seconds: seconds), name)
        }
        XCTAssertEqual(SinkTimeZone("America/New_York")?.kind, .region("America/New_York"))
        for name in ["", "Paris", "Europe/Nowhere", "+19:00", "+2:60", "+123", "+02:00:30", "UTC+", "+a", "+02:"] {
            XCTAssertNil(SinkTimeZone(name), name)
        }
    }

    /// A region's offset follows its rules: Berlin is an hour ahead in winter and two in summer.
    func testRegionOffsetsFollowDaylightSavingTime() throws {
        let berlin = try XCTUnwrap(SinkTimeZone("Europe/Berlin"))
        XCTAssertEqual(berlin.offset(atUTCSeconds: 1_704_067_200), 3600, "2024-01-01T00:00Z")
        XCTAssertEqual(berlin.offset(atUTCSeconds: 1_719_792_000), 7200, "2024-07-01T00:00Z")
        // 2024-03-31T01:00Z: clocks go from 02:00 to 03:00 local.
        XCTAssertEqual(berlin.offset(atUTCSeconds: 1_711_846_799), 3600)
        XCTAssertEqual(berlin.offset(atUTCSeconds: 1_711_846_800), 7200)
        XCTAssertEqual(SinkTimeZone("-05:30")?.offset(atUTCSeconds: 0), -19800)
        XCTAssertEqual(SinkTimeZone.offsetText(-19800), "-05:30")
        XCTAssertEqual(SinkTimeZone.offsetText(50400), "+14:00")
    }
}
