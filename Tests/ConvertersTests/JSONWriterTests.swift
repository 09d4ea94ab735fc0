import XCTest

@testable import Converters

final class JSONWriterTests: XCTestCase {
    private static func needsEscape(_ b: UInt8) -> Bool { b < 0x20 || b == 0x22 || b == 0x5C || b >= 0xF0 }

    func testTheWordCheckAgreesWithTheByteCheck() {
        // Every byte value at every place among plain bytes, then random words (borrows between bytes are where
        // such checks go wrong).
        for place in 0..<8 {
            for b in 0...255 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 8)
                bytes[place] = UInt8(b)
                let w = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                XCTAssertEqual(JSONWriter.anyNeedsEscape(w), Self.needsEscape(UInt8(b)), "byte \(b) at \(place)")
            }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200_000 {
            let w = UInt64.random(in: .min ... .max, using: &generator)
            let bytes = withUnsafeBytes(of: w) { Array($0) }
            XCTAssertEqual(JSONWriter.anyNeedsEscape(w), bytes.contains(where: Self.needsEscape), "\(w)")
        }
    }

    /// Jackson's escaping, one scalar at a time.
    private static func expected(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04X", scalar.value)
            case _ where scalar.value > 0xFFFF:
                let v = scalar.value - 0x10000
                out += String(format: "\\u%04X\\u%04X", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF))
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    func testStringsAreEscapedWhereverTheirSpecialCharactersFall() {
        let alphabet: [String] = [
            "a", "Z", " ", "~", "\u{7F}", "é", "中", "😀", "\"", "\\", "\n", "\t", "\u{01}", "\u{1F}", "\u{08}",
        ]
        var generator = SystemRandomNumberGenerator()
        for length in 0..<40 {
            for _ in 0..<50 {
                let s = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }.joined()
                var writer = JSONWriter()
                writer.string(s)
                XCTAssertEqual(String(decoding: writer.bytes, as: UTF8.self), Self.expected(s), "\(s.debugDescription)")
            }
        }
    }
}
