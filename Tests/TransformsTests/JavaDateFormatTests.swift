import Foundation
import TributaryCore
import XCTest

@testable import Transforms

/// `JavaDateFormat` against what the JDK's `SimpleDateFormat` wrote and read (`fixtures/java-date-format/golden.tsv`,
/// made by `scripts/golden/java-date-format`).
final class JavaDateFormatTests: XCTestCase {
    static let golden: [[String]] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures/java-date-format/golden.tsv")
        return try! String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
    }()

    func testFormatsLikeSimpleDateFormat() throws {
        let lines = Self.golden.filter { $0[0] == "F" }
        XCTAssertGreaterThan(lines.count, 100)
        for line in lines {
            let format = try JavaDateFormat(line[1], key: "format")
            let millis = try XCTUnwrap(Int64(line[2]))
            XCTAssertEqual(format.format(millis), line[3], "\(line[1]) of \(millis)")
        }
    }

    func testParsesLikeSimpleDateFormat() throws {
        let lines = Self.golden.filter { $0[0] == "P" }
        XCTAssertGreaterThan(lines.count, 30)
        for line in lines {
            let format = try JavaDateFormat(line[1], key: "format")
            XCTAssertEqual(format.parse(line[2]).map(String.init) ?? "ERROR", line[3], "\(line[1]) reading \(line[2])")
        }
    }

    func testPatternsJavaRefusesAreConfigErrorsNamingTheKey() {
        for pattern in ["yyyy-MM-dd'T", "yyyy-bb", "XXXX"] {
            XCTAssertThrowsError(try JavaDateFormat(pattern, key: "transforms.t.format"), pattern) { error in
                XCTAssertEqual((error as? ConfigError)?.key, "transforms.t.format")
            }
        }
    }

    /// Text from records: absurd numbers are a parse failure, never an overflow trap.
    func testHugeNumbersDoNotTrap() throws {
        let format = try JavaDateFormat("yyyy-MM-dd HH:mm:ss.SSS", key: "format")
        XCTAssertNil(format.parse("999999999999-01-01 00:00:00.000"))
        XCTAssertNil(format.parse("99999999999-99999999999-99999999999 00:00:00.000"))
        XCTAssertNotNil(format.parse("2024-01-01 00:00:00.99999999999"))
    }

    /// Text from records, however odd, is a date or a parse failure: never a crash.
    func testArbitraryTextNeverCrashes() throws {
        let formats = try [
            "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "EEE, dd MMM yyyy HH:mm:ss Z", "yyyyMMddHHmmss", "hh:mm a z", "D G yy",
        ].map { try JavaDateFormat($0, key: "format") }
        let alphabet = Array("0123456789-+:.,TZ ZAPMGMTUTCjanFebMonday'\u{1F600}é")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let length = Int.random(in: 0...40, using: &generator)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            for format in formats { _ = format.parse(text) }
        }
        let valid = try JavaDateFormat("yyyy-MM-dd HH:mm:ss", key: "format")
        XCTAssertNil(valid.parse("9999999999-01-01 00:00:00"))
        XCTAssertEqual(
            valid.parse("2024-01-01 99999999999:00:00"), 1_704_067_200_000 + 99_999_999_999 * 3_600_000, "lenient")
    }
}
