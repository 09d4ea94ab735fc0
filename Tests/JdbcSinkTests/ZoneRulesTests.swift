import Foundation
import XCTest

@testable import JdbcSink

final class ZoneRulesTests: XCTestCase {
    /// Zones with northern and southern daylight time, half and three-quarter hours, a negative daylight saving
    /// (Dublin's winter "GMT" in tzdata), a zone that dropped daylight time (São Paulo) and one whose rules go
    /// beyond 2037 only in the footer.
    static let zones = [
        "Europe/Berlin", "America/New_York", "America/Sao_Paulo", "Australia/Sydney", "Asia/Kolkata",
        "Pacific/Chatham", "America/St_Johns", "Europe/Dublin", "Asia/Tokyo", "America/Los_Angeles",
        "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Auckland", "Etc/GMT+5",
    ]

    /// The offsets equal those of Foundation's `TimeZone` (ICU's rules, which the sink used before) every 5 days
    /// and around every transition, from 1970 to 2100: beyond 2037, that is the footer's rule at work.
    func testOffsetsEqualFoundationsFrom1970To2100() throws {
        for name in Self.zones {
            let rules = try XCTUnwrap(ZoneRules(name: name), name)
            let reference = try XCTUnwrap(TimeZone(identifier: name), name)
            var instants = Array(stride(from: Int64(0), to: 4_102_444_800, by: 5 * 86_400 + 3_607))
            for transition in rules.transitions where transition > 0 {
                instants += [transition - 1, transition, transition + 1]
            }
            // The footer's transitions: the instants where the offset changes, found by the reference.
            var previous = reference.secondsFromGMT(for: Date(timeIntervalSince1970: 2_147_483_648))
            for hour in stride(from: Int64(2_147_483_648), to: 4_102_444_800, by: 3_600) {
                let offset = reference.secondsFromGMT(for: Date(timeIntervalSince1970: Double(hour)))
                if offset != previous { instants += [hour - 3_600, hour - 1, hour] }
                previous = offset
            }
            var mismatches: [String] = []
            for t in instants {
                let expected = reference.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t)))
                let actual = rules.offset(atUTCSeconds: t)
                if expected != actual, mismatches.count < 5 { mismatches.append("\(t): \(actual) != \(expected)") }
            }
            XCTAssertEqual(mismatches, [], name)
        }
    }

    /// Footers as the database writes them, with their offsets in winter and summer.
    func testPosixRules() throws {
        let january2030: Int64 = 1_893_456_000
        let july2030: Int64 = 1_909_094_400
        let cases: [(String, Int, Int)] = [
            ("CET-1CEST,M3.5.0,M10.5.0/3", 3600, 7200),
            ("EST5EDT,M3.2.0,M11.1.0", -18000, -14400),
            ("AEST-10AEDT,M10.1.0,M4.1.0/3", 39600, 36000),
            ("IST-1GMT0,M10.5.0,M3.5.0/1", 0, 3600),
            ("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", -10800, -7200),
            ("<+0545>-5:45", 20700, 20700),
            ("<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", 49500, 45900),
            ("EST5EDT", -18000, -14400),
            ("XXX3YYY,J60/2,300", -10800, -7200),
        ]
        for (text, winter, summer) in cases {
            let rule = try XCTUnwrap(PosixTimeZoneRule(text), text)
            XCTAssertEqual(rule.offset(atUTCSeconds: january2030), winter, text)
            XCTAssertEqual(rule.offset(atUTCSeconds: july2030), summer, text)
        }
        for text in [
            "", "CE", "CET", "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,M3.6.0,M10.5.0",
            "<+05", "CET-1CEST,J0,J100", "CET-168", "CET-1:60", "CET-1CEST,M3.5.0,M10.5.0/3x",
        ] {
            XCTAssertNil(PosixTimeZoneRule(text), text)
        }
    }

    /// Berlin's footer changes at 01:00 UTC on the last Sundays of March and October.
    func testPosixRuleChangesAtTheRightSecond() throws {
        let rule = try XCTUnwrap(PosixTimeZoneRule("CET-1CEST,M3.5.0,M10.5.0/3"))
        // 2050-03-27T01:00Z and 2050-10-30T01:00Z.
        XCTAssertEqual(rule.offset(atUTCSeconds: 2_531_955_599), 3600)
        XCTAssertEqual(rule.offset(atUTCSeconds: 2_531_955_600), 7200)
        XCTAssertEqual(rule.offset(atUTCSeconds: 2_550_704_399), 7200)
        XCTAssertEqual(rule.offset(atUTCSeconds: 2_550_704_400), 3600)
    }

    /// Names cannot leave the zone directory, and files that are not TZif, or are cut short, are refused without
    /// reading past their end.
    func testBadNamesAndFiles() throws {
        for name in [
            "../etc/passwd", "Europe/../../etc/passwd", "/etc/passwd", "Europe//Berlin", "Europe/Berlin\0",
            "Europe/Nowhere", "Europe", "",
        ] {
            XCTAssertNil(ZoneRules(name: name), name)
        }
        XCTAssertNil(ZoneRules(tzif: Array("not a zone file".utf8)))
        let berlin = try [UInt8](Data(contentsOf: URL(fileURLWithPath: ZoneRules.directory + "/Europe/Berlin")))
        XCTAssertNotNil(ZoneRules(tzif: berlin))
        for length in stride(from: 0, to: berlin.count - 1, by: 7) {
            let rules = ZoneRules(tzif: Array(berlin[..<length]))
            // Cut inside the 64-bit data: refused. Cut inside the footer: read without it.
            if let rules { XCTAssertNil(rules.rule, "\(length)") }
        }
        // A version 1 file with one transition to type 0 (+01:00): read; with its type index beyond the types: refused.
        var minimal = Array("TZif".utf8) + [UInt8](repeating: 0, count: 16)
        minimal += [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]
        minimal += [0, 0, 0, 100, 0, 0, 0, 0x0E, 0x10, 0, 0]
        let read = try XCTUnwrap(ZoneRules(tzif: minimal))
        XCTAssertEqual(read.offset(atUTCSeconds: 1_000), 3600)
        minimal[48] = 1
        XCTAssertNil(ZoneRules(tzif: minimal))
    }
}
