import BinlogProtocol
import MySQLDDL
import TributaryCore
import XCTest

@testable import MySQLSource

final class MySQLValueConverterTests: XCTestCase {
    private func column(_ definition: String) throws -> MySQLColumn {
        guard case .createTable(_, let table, _, _) = try DDLParser.parse("CREATE TABLE t (\(definition))") else {
            throw MySQLValueError("not a table")
        }
        return table.columns[0]
    }

    private func converter(
        _ definition: String, _ modes: MySQLValueConverter = MySQLValueConverter()
    ) throws -> MySQLColumnConverter {
        try XCTUnwrap(try modes.converter(for: try column(definition)))
    }

    private func value(
        _ definition: String, _ v: BinlogValue, _ modes: MySQLValueConverter = MySQLValueConverter()
    )
        throws -> Value
    {
        try converter(definition, modes).value(v)
    }

    private func text(
        _ definition: String, _ s: String, _ modes: MySQLValueConverter = MySQLValueConverter()
    ) throws
        -> Value
    {
        try converter(definition, modes).value(text: Array(s.utf8)[...])
    }

    func testMariaDBUUIDsAreTheirTextWithTrailingZeroBytesPutBack() throws {
        let bytes: [UInt8] = [0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0x4D, 0xEF, 0x81, 0x23, 0x45, 0x67, 0x89, 0xAB]
        XCTAssertEqual(try value("a uuid", .bytes(bytes[...])), .string("12345678-9abc-4def-8123-456789ab0000"))
        XCTAssertEqual(
            try text("a uuid", "12345678-9ABC-4DEF-8123-456789AB0000"), .string("12345678-9abc-4def-8123-456789ab0000"))
        XCTAssertThrowsError(try text("a uuid", "12345678-9abc-4def-8123-456789ab000"))
        XCTAssertThrowsError(try text("a uuid", "12345678-9abc-4def-8123-456789ab00zz"))
        XCTAssertThrowsError(try value("a uuid", .bytes([UInt8](repeating: 1, count: 17)[...])))
        XCTAssertEqual(try converter("a uuid").schema.name, "io.debezium.data.Uuid")
    }

    func testIntegersWidenWhenUnsigned() throws {
        XCTAssertEqual(try value("a tinyint", .integer(-5, width: 1)), .int8(-5))
        XCTAssertEqual(try value("a tinyint unsigned", .integer(-1, width: 1)), .int16(255))
        XCTAssertEqual(try value("a smallint unsigned", .integer(-1, width: 2)), .int32(65535))
        XCTAssertEqual(try value("a mediumint unsigned", .integer(-1, width: 3)), .int32(16_777_215))
        XCTAssertEqual(try value("a int unsigned", .integer(-1, width: 4)), .int64(4_294_967_295))
        XCTAssertEqual(try value("a bigint unsigned", .integer(-1, width: 8)), .int64(-1))
        var precise = MySQLValueConverter()
        precise.bigIntUnsignedMode = .precise
        XCTAssertEqual(
            try value("a bigint unsigned", .integer(-1, width: 8), precise),
            .decimal(BigDecimal("18446744073709551615")!))
        XCTAssertEqual(try converter("a bigint unsigned", precise).schema.name, ConnectLogical.decimalName)
        XCTAssertEqual(try value("a bool", .integer(1, width: 1)), .boolean(true))
        XCTAssertEqual(try text("a int unsigned", "4294967295"), .int64(4_294_967_295))
    }

    func testDecimalsInEachMode() throws {
        XCTAssertEqual(try value("a decimal(10,3)", .decimal("-12.500")), .decimal(BigDecimal("-12.500")!))
        let c = try converter("a decimal(10,3) default 1.5")
        XCTAssertEqual(c.schema.defaultValue, .decimal(BigDecimal("1.500")!))
        XCTAssertEqual(c.schema.parameter("connect.decimal.precision"), "10")
        var double = MySQLValueConverter()
        double.decimalMode = .double
        XCTAssertEqual(try value("a decimal(10,3)", .decimal("-12.500"), double), .float64(-12.5))
        var string = MySQLValueConverter()
        string.decimalMode = .string
        XCTAssertEqual(try value("a decimal(10,3)", .decimal("-12.500"), string), .string("-12.500"))
    }

    /// A snapshot's decimal text, read in place, gives what the binlog's value gives; text at another scale (a
    /// default) is rescaled by the general path, and text that is no number is refused there.
    func testDecimalTextGivesTheBinlogsValue() throws {
        for text in ["-12.500", "0.000", "99999999999999.999", "1234567890123456789012345.123"] {
            XCTAssertEqual(try self.text("a decimal(40,3)", text), try value("a decimal(40,3)", .decimal(text)), text)
        }
        XCTAssertEqual(try text("a decimal(10,3)", "1.5"), .decimal(BigDecimal("1.500")!))
        XCTAssertThrowsError(try text("a decimal(10,3)", "1.2.3"))
        var double = MySQLValueConverter()
        double.decimalMode = .double
        XCTAssertEqual(try text("a decimal(10,3)", "-12.500", double), .float64(-12.5))
    }

    func testFloatsFollowTheirPrecision() throws {
        XCTAssertEqual(try value("a float", .float(1.5)), .float32(1.5))
        XCTAssertEqual(try value("a float(30)", .double(1.5)), .float64(1.5))
        XCTAssertEqual(try value("a float(7,2)", .float(1.5)), .float64(1.5))
        XCTAssertEqual(try value("a double", .double(-2.25)), .float64(-2.25))
    }

    func testStringsInTheirCharacterSet() throws {
        XCTAssertEqual(
            try value("a varchar(5) charset latin1", .bytes([0x63, 0x61, 0x66, 0xE9, 0x80][...])), .string("café€"))
        XCTAssertEqual(try value("a text charset utf8mb4", .bytes(Array("ünï".utf8)[...])), .string("ünï"))
        XCTAssertEqual(try value("a varchar(5) charset cp1251", .bytes([0xC4, 0xE0][...])), .string("Да"))
        XCTAssertThrowsError(try MySQLValueConverter().converter(for: try column("a varchar(5) charset nosuch")))
        XCTAssertEqual(try text("a varchar(5) charset latin1", "café"), .string("café"), "the text protocol's UTF-8")
        XCTAssertEqual(
            try converter("a varchar(5) charset latin1 default 'é'").schema.defaultValue, .string("é"))
    }

    func testBinaryIsPaddedAndEncodedAsConfigured() throws {
        XCTAssertEqual(try value("a binary(4)", .bytes([1, 2][...])), .bytes([1, 2, 0, 0]))
        XCTAssertEqual(try value("a varbinary(4)", .bytes([1, 2][...])), .bytes([1, 2]))
        var hex = MySQLValueConverter()
        hex.binaryMode = .hex
        XCTAssertEqual(try value("a blob", .bytes([0xAB, 1][...]), hex), .string("ab01"))
        var base64 = MySQLValueConverter()
        base64.binaryMode = .base64
        XCTAssertEqual(try value("a blob", .bytes([1, 2][...]), base64), .string("AQI="))
    }

    func testEnumsSetsAndBits() throws {
        XCTAssertEqual(try value("a enum('x','y,z')", .enumIndex(2)), .string("y,z"))
        XCTAssertEqual(try value("a enum('x','y')", .enumIndex(0)), .string(""))
        XCTAssertEqual(try converter("a enum('x','y')").schema.parameter("allowed"), "x,y")
        XCTAssertEqual(try value("a set('p','q','r')", .setBits(0b101)), .string("p,r"))
        XCTAssertEqual(try text("a set('p','q','r')", "p,r"), .string("p,r"))
        XCTAssertEqual(try text("a enum('x','y')", "y"), .string("y"))
        XCTAssertEqual(try value("a bit(1)", .bits([1])), .boolean(true))
        XCTAssertEqual(try value("a bit(12)", .bits([0x0A, 0xBC])), .bytes([0xBC, 0x0A]))
        XCTAssertEqual(try converter("a bit(12) default b'101'").schema.defaultValue, .bytes([5, 0]))
    }

    func testDatesAndTimes() throws {
        XCTAssertEqual(try value("a date", .date(year: 2024, month: 2, day: 29)), .int32(19782))
        XCTAssertEqual(try value("a date", .date(year: 0, month: 0, day: 0)), .null)
        XCTAssertEqual(try value("a date not null", .date(year: 0, month: 0, day: 0)), .int32(0))
        XCTAssertEqual(try text("a date", "2024-02-29"), .int32(19782))
        XCTAssertEqual(
            try value("a time(6)", .time(negative: true, hours: 838, minutes: 59, seconds: 59, microseconds: 5)),
            .int64(-(838 * 3600 + 59 * 60 + 59) * 1_000_000 - 5))
        XCTAssertEqual(try text("a time(3)", "-01:00:00.5"), .int64(-3_600_500_000))
        var adaptive = MySQLValueConverter()
        adaptive.timePrecisionMode = .adaptive
        XCTAssertEqual(try text("a time(3)", "01:00:00.5", adaptive), .int32(3_600_500))
        let dt = BinlogValue.datetime(year: 2024, month: 1, day: 2, hour: 3, minute: 4, second: 5, microsecond: 678_900)
        XCTAssertEqual(try value("a datetime(3)", dt), .int64(1_704_164_645_678))
        XCTAssertEqual(try value("a datetime(6)", dt), .int64(1_704_164_645_678_900))
        XCTAssertEqual(try converter("a datetime(6)").schema.name, "io.debezium.time.MicroTimestamp")
        XCTAssertEqual(try text("a datetime(6)", "2024-01-02 03:04:05.6789"), .int64(1_704_164_645_678_900))
        XCTAssertEqual(
            try value("a timestamp(3)", .timestamp(seconds: 1_704_164_645, microseconds: 120_000)),
            .string("2024-01-02T03:04:05.120Z"))
        XCTAssertEqual(
            try value("a timestamp", .timestamp(seconds: 0, microseconds: 0)), .string("1970-01-01T00:00:00Z"))
        XCTAssertEqual(try text("a timestamp(2)", "2024-01-02 03:04:05.12"), .string("2024-01-02T03:04:05.12Z"))
        XCTAssertEqual(
            try converter("a timestamp not null default current_timestamp").schema.defaultValue,
            .string("1970-01-01T00:00:00Z"))
        XCTAssertEqual(try value("a year", .year(2024)), .int32(2024))
        XCTAssertEqual(try value("a year", .year(0)), .int32(2000), "Debezium reads year 0 as 2000")
    }

    func testJSONIsTextInMariaDBAndBinaryInMySQL() throws {
        XCTAssertEqual(try value("j json", .bytes(Array(#"{"a": 1}"#.utf8)[...])), .string(#"{"a": 1}"#))
        var mysql = MySQLValueConverter()
        mysql.binaryJSON = true
        XCTAssertEqual(try value("j json", .bytes([0x04, 0x01][...]), mysql), .string("true"))
        XCTAssertEqual(try value("j json", .bytes([][...]), mysql), .null)
        XCTAssertEqual(try value("j json not null", .bytes([][...]), mysql), .string("{}"))
        XCTAssertEqual(try text("j json", #"{"a": 1}"#, mysql), .string(#"{"a": 1}"#))
        XCTAssertEqual(try converter("j json", mysql).schema.name, "io.debezium.data.Json")
    }

    func testGeometriesCarryTheirWKBAndSRID() throws {
        // SRID 4326, then POINT(1 2) in little-endian WKB.
        var raw: [UInt8] = [0xE6, 0x10, 0, 0, 1, 1, 0, 0, 0]
        withUnsafeBytes(of: Double(1).bitPattern.littleEndian) { raw += $0 }
        withUnsafeBytes(of: Double(2).bitPattern.littleEndian) { raw += $0 }
        guard case .struct(let point) = try value("a point", .bytes(raw[...])) else { return XCTFail() }
        XCTAssertEqual(point.values[0], .float64(1))
        XCTAssertEqual(point.values[1], .float64(2))
        XCTAssertEqual(point.values[2], .bytes(Array(raw[4...])))
        XCTAssertEqual(point.values[3], .int32(4326))
        guard case .struct(let geometry) = try value("a geometry", .bytes(([0, 0, 0, 0] + raw[4...])[...])) else {
            return XCTFail()
        }
        XCTAssertEqual(geometry.schema.name, "io.debezium.data.geometry.Geometry")
        XCTAssertEqual(geometry.values, [.bytes(Array(raw[4...])), .null])
    }

    func testAValueOfTheWrongKindIsAnErrorNamingTheColumn() throws {
        XCTAssertThrowsError(try value("price int", .bytes([1][...]))) { error in
            XCTAssertTrue("\(error)".contains("price"), "\(error)")
        }
        XCTAssertThrowsError(try text("d date", "not a date"))
    }
}
