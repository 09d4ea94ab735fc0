import XCTest

@testable import TributaryCore

final class UTF8TextTests: XCTestCase {
    private func decode(_ bytes: [UInt8]) -> String? {
        UTF8Text.string(validating: bytes[...])
    }

    func testASCIIOfEveryLengthAroundTheEightByteStepIsKept() {
        for length in 0...40 {
            let text = String((0..<length).map { Character(UnicodeScalar(UInt8(0x20 + $0 % 90))) })
            XCTAssertEqual(decode(Array(text.utf8)), text, "length \(length)")
            XCTAssertTrue(Array(text.utf8).withUnsafeBufferPointer { UTF8Text.isASCII($0) }, "length \(length)")
        }
    }

    func testNonASCIIAnywhereIsValidatedNotTakenAsASCII() {
        for prefix in 0...17 {
            let text = String(repeating: "a", count: prefix) + "é€😀" + "tail"
            XCTAssertEqual(decode(Array(text.utf8)), text, "after \(prefix) ASCII bytes")
        }
    }

    func testInvalidUTF8IsRefusedWhereverItIs() {
        let invalid: [[UInt8]] = [
            [0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF0, 0x90, 0x80], [0xC0, 0xAF],
        ]
        for bytes in invalid {
            for prefix in [0, 1, 7, 8, 9, 16] {
                let input = Array(repeating: UInt8(ascii: "x"), count: prefix) + bytes + Array("yz".utf8)
                XCTAssertNil(decode(input), "\(bytes) after \(prefix) bytes")
            }
        }
    }
}
