import TributaryCore
import XCTest

@testable import PostgresSource

/// A value's big-endian bytes.
private func be<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }

private func float8(_ v: Double) -> [UInt8] { be(v.bitPattern) }

/// Binary values as pgoutput sends them, rendered as the server's text (each expected text is what PostgreSQL 15
/// prints for the value with Tributary's session settings).
final class BinaryValueTextTests: XCTestCase {
    private typealias OID = PostgresValueConverter.OID

    private func text(_ bytes: [UInt8], _ type: PostgresType) throws -> String {
        String(decoding: try BinaryValueText.text(bytes[...], type: type), as: UTF8.self)
    }

    func testNumericKeepsItsDisplayScaleAndSpecialValues() throws {
        // -12345678.9010 : digits 1234 5678 9010, weight 1, scale 4.
        let value =
            be(Int16(3)) + be(Int16(1)) + be(UInt16(0x4000)) + be(Int16(4)) + be(Int16(1234)) + be(Int16(5678))
            + be(Int16(9010))
        XCTAssertEqual(try text(value, .builtin(OID.numeric)), "-12345678.9010")
        // 0.00012 : digits 0001 2000 from weight -1, scale 5.
        let small = be(Int16(2)) + be(Int16(-1)) + be(UInt16(0)) + be(Int16(5)) + be(Int16(1)) + be(Int16(2000))
        XCTAssertEqual(try text(small, .builtin(OID.numeric)), "0.00012")
        let zero = be(Int16(0)) + be(Int16(0)) + be(UInt16(0)) + be(Int16(2))
        XCTAssertEqual(try text(zero, .builtin(OID.numeric)), "0.00")
        let nan = be(Int16(0)) + be(Int16(0)) + be(UInt16(0xC000)) + be(Int16(0))
        XCTAssertEqual(try text(nan, .builtin(OID.numeric)), "NaN")
        let negativeInfinity = be(Int16(0)) + be(Int16(0)) + be(UInt16(0xF000)) + be(Int16(0))
        XCTAssertEqual(try text(negativeInfinity, .builtin(OID.numeric)), "-Infinity")
    }

    func testFloat8IsWrittenAsFloat8outWritesIt() throws {
        let cases: [(Double, String)] = [
            (1e15, "1e+15"), (1e-5, "1e-05"), (123456789012345, "123456789012345"), (0.0001, "0.0001"),
            (1.5e300, "1.5e+300"), (2, "2"), (-0.0, "-0"), (0.1, "0.1"), (-1234.5, "-1234.5"), (.infinity, "Infinity"),
        ]
        for (value, expected) in cases {
            XCTAssertEqual(try text(float8(value), .builtin(OID.float8)), expected)
        }
        XCTAssertEqual(try text(float8(1) + float8(2) + float8(0) + float8(0), .builtin(603)), "(1,2),(0,0)")
    }

    func testDatesTimesAndIntervals() throws {
        // 0044-03-15 BC: days since 2000-01-01.
        let bc = CivilTime.daysFromCivil(year: -43, month: 3, day: 15) - 10_957
        XCTAssertEqual(try text(be(Int32(bc)), .builtin(OID.date)), "0044-03-15 BC")
        XCTAssertEqual(try text(be(Int32.max), .builtin(OID.date)), "infinity")
        let micros = Int64(86_400_000_000) * 60 + 3_723_500_000  // 2000-03-01 01:02:03.5
        XCTAssertEqual(try text(be(micros), .builtin(OID.timestamptz)), "2000-03-01 01:02:03.5+00")
        XCTAssertEqual(try text(be(Int64.min), .builtin(OID.timestamp)), "-infinity")
        // 12:00 at UTC-00:00:30 (the zone is sent as seconds west).
        XCTAssertEqual(try text(be(Int64(43_200_000_000)) + be(Int32(30)), .builtin(OID.timetz)), "12:00:00-00:00:30")
        let interval = { (micros: Int64, days: Int32, months: Int32) in be(micros) + be(days) + be(months) }
        XCTAssertEqual(try text(interval(14_706_500_000, 3, 14), .builtin(OID.interval)), "P1Y2M3DT4H5M6.5S")
        XCTAssertEqual(try text(interval(-7_200_500_000, -1, 0), .builtin(OID.interval)), "P-1DT-2H-0.5S")
        XCTAssertEqual(try text(interval(0, 0, 0), .builtin(OID.interval)), "PT0S")
        XCTAssertEqual(try text(interval(-1_000_001, 0, 0), .builtin(OID.interval)), "PT-1.000001S")
    }

    func testArraysQuoteAndBoundAsArrayOutDoes() throws {
        func element(_ s: String?) -> [UInt8] { s.map { be(Int32($0.utf8.count)) + Array($0.utf8) } ?? be(Int32(-1)) }
        let texts =
            be(Int32(1)) + be(Int32(1)) + be(UInt32(OID.text)) + be(Int32(6)) + be(Int32(1))
            + ["a b", nil, "", "null", "x", "q\""].flatMap(element)
        XCTAssertEqual(try text(texts, .builtin(1009)), #"{"a b",NULL,"","null",x,"q\""}"#)
        let bounded =
            be(Int32(1)) + be(Int32(0)) + be(UInt32(OID.int4)) + be(Int32(2)) + be(Int32(2))
            + be(Int32(4)) + be(Int32(1)) + be(Int32(4)) + be(Int32(2))
        XCTAssertEqual(try text(bounded, .builtin(1007)), "[2:3]={1,2}")
        let square =
            be(Int32(2)) + be(Int32(0)) + be(UInt32(OID.int4)) + be(Int32(2)) + be(Int32(1)) + be(Int32(2))
            + be(Int32(1)) + [1, 2, 3, 4].flatMap { be(Int32(4)) + be(Int32($0)) }
        XCTAssertEqual(try text(square, .builtin(1007)), "{{1,2},{3,4}}")
        XCTAssertEqual(try text(be(Int32(0)) + be(Int32(0)) + be(UInt32(OID.int4)), .builtin(1007)), "{}")
    }

    func testRangesNetworksAndTextSearch() throws {
        // ["2000-01-01 10:00:00",) : inclusive lower bound, infinite upper.
        let range = [UInt8(0x02 | 0x10)] + be(Int32(8)) + be(Int64(36_000_000_000))
        XCTAssertEqual(try text(range, .builtin(3908)), #"["2000-01-01 10:00:00",)"#)
        XCTAssertEqual(try text([0x01], .builtin(3904)), "empty")
        func inet(_ family: UInt8, _ bits: UInt8, cidr: Bool, _ address: [UInt8]) -> [UInt8] {
            [family, bits, cidr ? 1 : 0, UInt8(address.count)] + address
        }
        XCTAssertEqual(try text(inet(2, 24, cidr: false, [192, 168, 1, 5]), .builtin(OID.inet)), "192.168.1.5/24")
        XCTAssertEqual(try text(inet(2, 8, cidr: true, [10, 0, 0, 0]), .builtin(OID.cidr)), "10.0.0.0/8")
        let loopback = [UInt8](repeating: 0, count: 15) + [1]
        XCTAssertEqual(try text(inet(3, 128, cidr: false, loopback), .builtin(OID.inet)), "::1")
        let mapped = [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 1, 2, 3, 4]
        XCTAssertEqual(try text(inet(3, 128, cidr: false, mapped), .builtin(OID.inet)), "::ffff:1.2.3.4")
        let documentation = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 12)
        XCTAssertEqual(try text(inet(3, 32, cidr: true, documentation), .builtin(OID.cidr)), "2001:db8::/32")
        // 'a':1A,2 'it''s':3C
        let vector =
            be(Int32(2)) + Array("a".utf8) + [0] + be(UInt16(2)) + be(UInt16(0xC001)) + be(UInt16(2))
            + Array("it's".utf8) + [0] + be(UInt16(1)) + be(UInt16(0x4003))
        XCTAssertEqual(try text(vector, .builtin(OID.tsvector)), "'a':1A,2 'it''s':3C")
    }

    func testExtensionTypesEnumsAndDomains() throws {
        let store =
            be(Int32(2)) + be(Int32(1)) + Array("b".utf8) + be(Int32(-1)) + be(Int32(3)) + Array("c\"d".utf8)
            + be(Int32(3)) + Array("e\\f".utf8)
        XCTAssertEqual(try text(store, .named("hstore")), #""b"=>NULL, "c\"d"=>"e\\f""#)
        XCTAssertEqual(try text([1] + Array("Top.Science".utf8), .named("ltree")), "Top.Science")
        XCTAssertEqual(try text(Array("happy".utf8), .enumeration(allowed: "sad,happy")), "happy")
        XCTAssertEqual(try text(be(Int32(5)), .domain(base: .builtin(OID.int4), typeModifier: -1)), "5")
        XCTAssertEqual(try text([1] + Array(#"{"a": 1}"#.utf8), .builtin(OID.jsonb)), #"{"a": 1}"#)
        XCTAssertEqual(try text(be(Int64(-123_456)), .builtin(OID.money)), "-$1,234.56")
        XCTAssertEqual(try text(be(Int32(5)) + [0b1010_1000], .builtin(OID.varbit)), "10101")
    }

    func testWhatCannotBeRenderedIsSaidAndShortValuesAreMalformed() {
        XCTAssertFalse(BinaryValueText.renders(.unknown(name: "tsquery")))
        XCTAssertFalse(BinaryValueText.renders(.builtin(3615)), "tsquery")
        XCTAssertFalse(BinaryValueText.renders(.builtin(1020)), "arrays of box use another delimiter")
        XCTAssertFalse(BinaryValueText.renders(.named("isbn")))
        XCTAssertTrue(BinaryValueText.renders(.array(of: .enumeration(allowed: "a"))))
        XCTAssertTrue(BinaryValueText.renders(.builtin(3905)), "int4range[]")
        XCTAssertThrowsError(try text([0, 0], .builtin(OID.int4)))
        XCTAssertThrowsError(
            try text(be(Int32(1)) + be(Int32(0)) + be(UInt32(23)) + be(Int32(1_000_000_000)), .builtin(1007)))
    }
}
