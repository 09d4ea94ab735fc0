import TributaryCore
import XCTest

final class BigDecimalTests: XCTestCase {
    /// Unscaled bytes as Java's `BigInteger.toByteArray` gives them.
    func testTwosComplementLikeJava() {
        XCTAssertEqual(BigDecimal("0")!.unscaled, [0])
        XCTAssertEqual(BigDecimal("127")!.unscaled, [0x7F])
        XCTAssertEqual(BigDecimal("128")!.unscaled, [0x00, 0x80])
        XCTAssertEqual(BigDecimal("-128")!.unscaled, [0x80])
        XCTAssertEqual(BigDecimal("-129")!.unscaled, [0xFF, 0x7F])
        XCTAssertEqual(BigDecimal("-1")!.unscaled, [0xFF])
        XCTAssertEqual(BigDecimal("-256")!.unscaled, [0xFF, 0x00])
        XCTAssertEqual(BigDecimal("65535")!.unscaled, [0x00, 0xFF, 0xFF])
    }

    func testScaleAndText() {
        let d = BigDecimal("-12.50")!
        XCTAssertEqual(d.scale, 2)
        XCTAssertEqual(d.description, "-12.50")
        XCTAssertEqual(BigDecimal("0.001")!.description, "0.001")
        XCTAssertEqual(BigDecimal("1e3")!.scale, -3)
        XCTAssertEqual(BigDecimal("1e3")!.description, "1000")
        XCTAssertEqual(BigDecimal("123456789012345678901234567890.5")!.description, "123456789012345678901234567890.5")
        XCTAssertEqual(BigDecimal(-42, scale: 1).description, "-4.2")
        XCTAssertNil(BigDecimal("12a"))
        XCTAssertNil(BigDecimal(""))
        XCTAssertNil(BigDecimal("NaN"))
    }
}
