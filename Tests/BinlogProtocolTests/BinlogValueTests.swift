import XCTest

@testable import BinlogProtocol

/// Column values in the binlog's formats, built from their documented layouts.
final class BinlogValueTests: XCTestCase {
    private func read(_ bytes: [UInt8], _ type: TableMap.ColumnType) throws -> BinlogValue {
        var r = ByteReader(bytes[...])
        let value = try BinlogValue.read(type, from: &r)
        XCTAssertEqual(r.remaining, 0, "every byte read")
        return value
    }

    func testDecimalsInBinaryForm() throws {
        // DECIMAL(10,4) 1234.5678: 6 integral digits (3 bytes), 4 fraction digits (2 bytes), sign bit set.
        XCTAssertEqual(
            try read([0x80, 0x04, 0xD2, 0x16, 0x2E], .decimal(precision: 10, scale: 4)), .decimal("1234.5678"))
        // The same negative: every bit inverted.
        XCTAssertEqual(
            try read([0x7F, 0xFB, 0x2D, 0xE9, 0xD1], .decimal(precision: 10, scale: 4)), .decimal("-1234.5678"))
        XCTAssertEqual(try read([0x80, 0x00, 0x00, 0x00, 0x05], .decimal(precision: 10, scale: 4)), .decimal("0.0005"))
    }

    /// Every precision and scale, random digits of each sign, against an encoder written from MySQL's
    /// documented layout (`decimal2bin`): nine digits per four bytes, the leftover digits of either end in 1–4.
    func testDecimalsOfEveryPrecisionAndScaleReadBack() throws {
        let groupBytes = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4]
        func encode(_ whole: [Int], _ fraction: [Int], negative: Bool) -> [UInt8] {
            func groups(_ digits: [Int], leftoverFirst: Bool) -> [UInt8] {
                let leftover = digits.count % 9
                var chunks: [ArraySlice<Int>] = []
                var i = 0
                if leftoverFirst, leftover > 0 {
                    chunks.append(digits[0..<leftover])
                    i = leftover
                }
                while i + 9 <= digits.count {
                    chunks.append(digits[i..<i + 9])
                    i += 9
                }
                if i < digits.count { chunks.append(digits[i...]) }
                return chunks.flatMap { chunk -> [UInt8] in
                    let value = chunk.reduce(0) { $0 * 10 + $1 }
                    let size = groupBytes[chunk.count]
                    return (0..<size).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
                }
            }
            var bytes = groups(whole, leftoverFirst: true) + groups(fraction, leftoverFirst: false)
            if negative { bytes = bytes.map { ~$0 } }
            bytes[0] ^= 0x80
            return bytes
        }
        var generator = SystemRandomNumberGenerator()
        for precision in 1...65 {
            for scale in 0...min(precision, 30) {
                for _ in 0..<4 {
                    let whole = (0..<(precision - scale)).map { _ in Int.random(in: 0...9, using: &generator) }
                    let fraction = (0..<scale).map { _ in Int.random(in: 0...9, using: &generator) }
                    let negative = Bool.random(using: &generator)
                    let wholeText = String(whole.map(String.init).joined().drop { $0 == Character("0") })
                    var expected = (negative ? "-" : "") + (wholeText.isEmpty ? "0" : wholeText)
                    if scale > 0 { expected += "." + fraction.map(String.init).joined() }
                    XCTAssertEqual(
                        try read(
                            encode(whole, fraction, negative: negative), .decimal(precision: precision, scale: scale)),
                        .decimal(expected), "DECIMAL(\(precision),\(scale)) \(expected)")
                }
            }
        }
    }

    func testIntegersKeepTheirWidthForUnsignedColumns() throws {
        let v = try read([0xFF, 0xFF, 0xFF], .int24)
        XCTAssertEqual(v, .integer(-1, width: 3))
        XCTAssertEqual(v.unsigned, 16_777_215)
        XCTAssertEqual(try read([0xFE], .tiny).unsigned, 254)
    }

    func testFractionalTemporalTypes() throws {
        // DATETIME2(3) 2024-02-29 13:45:01.123: year*13+month = 26324, then day, hour, minute, second.
        let ym: Int64 = 2024 * 13 + 2
        let ymd: Int64 = ym << 5 | 29
        let hms: Int64 = 13 << 12 | 45 << 6 | 1
        let packed: Int64 = (ymd << 17 | hms) + 0x80_0000_0000
        let whole: [UInt8] = (0..<5).reversed().map { (i: Int64) -> UInt8 in
            UInt8(truncatingIfNeeded: packed >> (8 * i))
        }
        let bytes = whole + [0x04, 0xCE]
        XCTAssertEqual(
            try read(bytes, .datetime2(fsp: 3)),
            .datetime(year: 2024, month: 2, day: 29, hour: 13, minute: 45, second: 1, microsecond: 123_000))
        // TIME2(0) -01:00:00.
        let time: Int64 = 0x80_0000 - (1 << 12)
        let timeBytes: [UInt8] = (0..<3).reversed().map { (i: Int64) -> UInt8 in
            UInt8(truncatingIfNeeded: time >> (8 * i))
        }
        XCTAssertEqual(
            try read(timeBytes, .time2(fsp: 0)),
            .time(negative: true, hours: 1, minutes: 0, seconds: 0, microseconds: 0))
        XCTAssertEqual(
            try read([0x65, 0xE0, 0x81, 0x00, 0x01, 0xE2, 0x40], .timestamp2(fsp: 6)),
            .timestamp(seconds: 0x65E0_8100, microseconds: 123_456))
    }

    func testShortValuesAreTruncatedNotCrashes() {
        var r = ByteReader([0x01][...])
        XCTAssertThrowsError(try BinlogValue.read(.longLong, from: &r)) {
            XCTAssertEqual(($0 as? BinlogError)?.code, .truncated)
        }
        var s = ByteReader([0x05, 0x61][...])
        XCTAssertThrowsError(try BinlogValue.read(.string(maxLength: 20), from: &s))
    }
}

final class BinlogChecksumTests: XCTestCase {
    /// The standard check value, and lengths around the 8-byte stride against a byte-at-a-time CRC.
    func testCRC32MatchesTheStandardAndTheBytewiseForm() {
        XCTAssertEqual(BinlogChecksum.crc32(Array("123456789".utf8)[...]), 0xCBF4_3926)
        func bytewise(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                crc ^= UInt32(b)
                for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
            }
            return crc ^ 0xFFFF_FFFF
        }
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 1000] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            XCTAssertEqual(BinlogChecksum.crc32(bytes[...]), bytewise(bytes), "\(length) bytes")
        }
    }
}

final class BinlogGTIDTests: XCTestCase {
    /// A MySQL GTID event (flags, the server's UUID, the transaction number), built from the documented layout.
    func testAMySQLGTIDReadsAsUUIDColonNumber() throws {
        let sid: [UInt8] = [
            0x3E, 0x11, 0xFA, 0x47, 0x71, 0xCA, 0x11, 0xE1, 0x9E, 0x33, 0xC8, 0x0A, 0xA9, 0x42, 0x95, 0x62,
        ]
        let body: [UInt8] = [1] + sid + withUnsafeBytes(of: UInt64(23).littleEndian) { Array($0) }
        var header: [UInt8] = [0, 0, 0, 0, 33, 1, 0, 0, 0]
        header += withUnsafeBytes(of: UInt32(19 + body.count).littleEndian) { Array($0) }
        header += [0, 0, 0, 0, 0, 0]
        var decoder = BinlogDecoder()
        let (_, event) = try decoder.decode((header + body)[...])
        XCTAssertEqual(event, .gtid("3e11fa47-71ca-11e1-9e33-c80aa9429562:23"))
    }
}
