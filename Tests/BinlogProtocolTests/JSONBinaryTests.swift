import Foundation
import XCTest

@testable import BinlogProtocol

final class JSONBinaryTests: XCTestCase {
    private func text(_ bytes: [UInt8]) throws -> String { try JSONBinary.text(bytes[...]) }

    func testObjectsArraysAndInlinedValuesAsDebeziumWritesThem() throws {
        // {"k": [1, 2]}: a small object whose one value is a small array of two inlined INT16s.
        let document: [UInt8] = [
            0x00, 0x01, 0x00, 0x16, 0x00, 0x0B, 0x00, 0x01, 0x00, 0x02, 0x0C, 0x00, 0x6B,
            0x02, 0x00, 0x0A, 0x00, 0x05, 0x01, 0x00, 0x05, 0x02, 0x00,
        ]
        XCTAssertEqual(try text(document), #"{"k":[1,2]}"#)
        // [true, null, -3, "a\"b\n\u{1}é"]: literals, a negative INT16 and an escaped string.
        let string: [UInt8] = [0x07] + Array("a\"b\n\u{1}é".utf8)
        let array: [UInt8] = [
            0x02, 0x04, 0x00, 0x18, 0x00, 0x04, 0x01, 0x00, 0x04, 0x00, 0x00, 0x05, 0xFD, 0xFF, 0x0C, 0x10, 0x00,
        ]
        XCTAssertEqual(array.count - 1 + string.count, 0x18)
        XCTAssertEqual(try text(array + string), #"[true,null,-3,"a\"b\n\u0001é"]"#)
    }

    func testScalarsAtTheTopLevel() throws {
        XCTAssertEqual(
            try text([0x09] + withUnsafeBytes(of: Int64(-9_000_000_000).littleEndian, Array.init)), "-9000000000")
        XCTAssertEqual(
            try text([0x0A] + withUnsafeBytes(of: UInt64.max.littleEndian, Array.init)), "18446744073709551615")
        XCTAssertEqual(try text([0x08, 0xFF, 0xFF, 0xFF, 0xFF]), "4294967295")
        XCTAssertEqual(try text([0x0B] + withUnsafeBytes(of: (1.5).bitPattern.littleEndian, Array.init)), "1.5")
        XCTAssertEqual(try text([0x04, 0x02]), "false")
    }

    func testDoublesFollowJavaAndBigDecimal() {
        XCTAssertEqual(JSONBinary.javaDouble(1.5), "1.5")
        XCTAssertEqual(JSONBinary.javaDouble(0.1), "0.1")
        XCTAssertEqual(JSONBinary.javaDouble(100), "100.0")
        XCTAssertEqual(JSONBinary.javaDouble(0), "0.0")
        XCTAssertEqual(JSONBinary.javaDouble(-0.001), "-0.001")
        XCTAssertEqual(JSONBinary.javaDouble(1e20), "100000000000000000000")
        XCTAssertEqual(JSONBinary.javaDouble(12_345_678), "12345678")
        XCTAssertEqual(
            JSONBinary.javaDouble(1e-4), "0.000100000000000000004792173602385929598312941379845142364501953125")
        XCTAssertEqual(
            JSONBinary.javaDouble(-2.5e-7),
            "-0.00000024999999999999998868702795647156467140348468092270195484161376953125")
    }

    func testTheExtremesExpandExactly() {
        XCTAssertEqual(JSONBinary.exactDecimal(5e-324), DoubleExtremes.smallest)
        XCTAssertEqual(JSONBinary.exactDecimal(.greatestFiniteMagnitude), DoubleExtremes.largest)
    }

    func testOpaqueDecimalsDatesAndOtherTypes() throws {
        // DECIMAL(5,2) 123.45 in the packed form: 3 integer digits in 2 bytes, 2 fraction digits in 1 byte.
        let decimal: [UInt8] = [0x0F, 246, 5, 5, 2, 0x80, 0x7B, 0x2D]
        XCTAssertEqual(try text(decimal), "123.45")
        // DATETIME 2024-02-29 11:45:01.5 packed: ((year*13+month) << 22 | day << 17 | h << 12 | m << 6 | s) << 24 | µs.
        let ymdhms: Int64 = (Int64(2024 * 13 + 2) << 22) | (29 << 17) | (11 << 12) | (45 << 6) | 1
        let packed = (ymdhms << 24) | 500_000
        let datetime: [UInt8] = [0x0F, 12, 8] + withUnsafeBytes(of: packed.littleEndian, Array.init)
        XCTAssertEqual(try text(datetime), #""2024-02-29 11:45:01.5""#)
        let date: [UInt8] = [0x0F, 10, 8] + withUnsafeBytes(of: (ymdhms << 24).littleEndian, Array.init)
        XCTAssertEqual(try text(date), #""2024-02-29""#)
        XCTAssertEqual(try text([0x0F, 15, 2, 0x01, 0x02]), #""AQI=""#, "other types as base64")
    }

    func testMalformedDocumentsAreErrorsNotCrashes() {
        XCTAssertThrowsError(try text([]))
        XCTAssertThrowsError(try text([0x00, 0x05, 0x00, 0x02, 0x00]))
        XCTAssertThrowsError(try text([0x0C, 0x10, 0x41]))
        XCTAssertThrowsError(try text([0x42]))
        // An offset pointing back at its own container must not recurse forever.
        XCTAssertThrowsError(try text([0x02, 0x01, 0x00, 0x07, 0x00, 0x02, 0x00, 0x00]))
        // Two entries that both point back at their own array: without a bound the walk doubles at each level.
        let fanOut: [UInt8] = [0x02, 0x02, 0x00, 0x0A, 0x00, 0x02, 0x00, 0x00, 0x02, 0x00, 0x00]
        let started = ContinuousClock.now
        XCTAssertThrowsError(try text(fanOut))
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(1))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let length = Int.random(in: 1...40, using: &generator)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? text(bytes)
        }
    }
}
