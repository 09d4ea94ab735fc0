import TributaryCore
import XCTest

final class DecimalDigitsTests: XCTestCase {
    private func text(_ v: UInt64, width: Int = 1, after prefix: String = "") -> String {
        var out = Array(prefix.utf8)
        DecimalDigits.append(v, minimumWidth: width, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func testDigitsOfEveryLength() {
        XCTAssertEqual(text(0), "0")
        XCTAssertEqual(text(7), "7")
        XCTAssertEqual(text(10), "10")
        XCTAssertEqual(text(1_000_000_007), "1000000007")
        XCTAssertEqual(text(UInt64.max), "18446744073709551615")
        var power: UInt64 = 1
        for digits in 1...20 {
            XCTAssertEqual(text(power), "1" + String(repeating: "0", count: digits - 1))
            if digits < 20 { power *= 10 }
        }
    }

    func testPaddedToTheWidthAndAppendedAfterWhatIsThere() {
        XCTAssertEqual(text(0, width: 0), "0", "a number always has a digit")
        XCTAssertEqual(text(5, width: 2), "05")
        XCTAssertEqual(text(42, width: 6), "000042")
        XCTAssertEqual(text(123_456, width: 3), "123456", "never cut to the width")
        XCTAssertEqual(text(9, width: 25), String(repeating: "0", count: 24) + "9")
        XCTAssertEqual(text(12, width: 4, after: "T1:"), "T1:0012")
    }
}
