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
        XCTAssertEqual(BigDecimal(Int64.max).unscaled, [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        XCTAssertEqual(BigDecimal(Int64.min).unscaled, [0x80, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(BigDecimal(-32768).unscaled, [0x80, 0x00])
        XCTAssertEqual(BigDecimal(-32769).unscaled, [0xFF, 0x7F, 0xFF])
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

    /// Text of up to 18 digits takes a path of its own (an `Int64` rather than a digit array): it must give the
    /// bytes the general path gives, at every length, sign and scale, and leave other text to the general path.
    func testShortTextGivesTheBytesOfTheGeneralPath() {
        var generator = SystemRandomNumberGenerator()
        var texts = [
            "0", "-0", "+7", ".5", "5.", "-.25", "127", "-128", "128", "32767", "-32768", "999999999999999999",
        ]
        for _ in 0..<2000 {
            let length = Int.random(in: 1...20, using: &generator)
            var digits = (0..<length).map { _ in String(Int.random(in: 0...9, using: &generator)) }.joined()
            if Bool.random(using: &generator) {
                let point = Int.random(in: 0...length, using: &generator)
                digits.insert(".", at: digits.index(digits.startIndex, offsetBy: point))
            }
            texts.append((Bool.random(using: &generator) ? "-" : "") + digits)
        }
        for text in texts {
            let digits = text.compactMap { $0.wholeNumberValue.map(UInt8.init) }
            let scale = text.firstIndex(of: ".").map { text.distance(from: $0, to: text.endIndex) - 1 } ?? 0
            let general = BigDecimal(decimalDigits: digits, negative: text.hasPrefix("-"), scale: Int32(scale))
            XCTAssertEqual(BigDecimal(text), general, text)
        }
        XCTAssertNil(BigDecimal("1.2.3"))
        XCTAssertNil(BigDecimal("-"))
        XCTAssertEqual(BigDecimal("1e3")?.scale, -3)
    }

    /// Text from outside (a JSON number a sink reads) with an absurd exponent is no number, never a trap.
    func testExponentsBeyondThirtyTwoBitScalesAreRejected() {
        XCTAssertNil(BigDecimal("1e99999999999"))
        XCTAssertNil(BigDecimal("1e-9223372036854775808"))
        XCTAssertNil(BigDecimal("1e2147483649"))
        XCTAssertEqual(BigDecimal("1e2147483647")?.scale, -2_147_483_647)
    }

    func testBase64DecodesWhatItEncodes() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<40 {
            let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Array(Base64.encodeString(data).utf8)
            XCTAssertEqual(Base64.decode(text), data)
            XCTAssertEqual(Base64.decode(text.filter { $0 != UInt8(ascii: "=") }), data, "padding is optional")
        }
        for bad in ["A", "AB=C", "A===", "AAAAA", "AB!=", "AR==", "AAAA===="] {
            XCTAssertNil(Base64.decode(Array(bad.utf8)), bad)
        }
    }
}
