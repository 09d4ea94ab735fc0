import XCTest

@testable import JdbcSink
@testable import TributaryCore

final class MySQLSinkDialectTests: XCTestCase {
    private let dialect = MySQLSinkDialect(isMariaDB: true)

    /// Every name is quoted with backticks, a backtick doubled; every string literal doubles its quotes and is
    /// read without backslash escapes (the session's `NO_BACKSLASH_ESCAPES`).
    func testNamesAndLiteralsCannotEndTheirQuotes() throws {
        XCTAssertEqual(dialect.identifier("a`b"), "`a``b`")
        XCTAssertEqual(dialect.table("shop.order"), "`shop`.`order`")
        XCTAssertEqual(try dialect.bound(.string("it's \\"), .string), "'it''s \\'")
        XCTAssertEqual(try dialect.bound(.bytes([0x27, 0x00]), .bytes), "X'2700'")
        XCTAssertEqual(try dialect.bound(.bytes([]), .bytes), "X''")
        XCTAssertTrue(dialect.sessionSetup[0].contains("NO_BACKSLASH_ESCAPES"))
        XCTAssertTrue(dialect.sessionSetup[0].contains("STRICT_ALL_TABLES"))
    }

    func testColumnTypes() throws {
        let cases: [(Schema, Bool, String)] = [
            (.int8, false, "tinyint"), (.int32, false, "int"), (.float64, false, "double"),
            (.string, false, "longtext"), (.string, true, "varchar(255)"), (.bytes, true, "varbinary(255)"),
            (ConnectLogical.decimal(scale: 2, precision: 10), false, "decimal(10,2)"),
            (ConnectLogical.decimal(scale: 4), false, "decimal(65,4)"),
            (ConnectLogical.decimal(scale: 2, precision: 80), false, "decimal(65,2)"),
            (DebeziumSemantic.schema(DebeziumSemantic.zonedTimestamp, .string), false, "datetime(6)"),
            (DebeziumSemantic.schema(DebeziumSemantic.uuid, .string), true, "char(36)"),
            (DebeziumSemantic.schema(DebeziumSemantic.json, .string), false, "json"),
        ]
        for (schema, isKey, type) in cases {
            XCTAssertEqual(try dialect.columnType(schema, isKey: isKey), type, "\(schema.name ?? "\(schema.type)")")
        }
        XCTAssertThrowsError(try dialect.columnType(.array(of: .string), isKey: false))
        XCTAssertThrowsError(try dialect.columnType(ConnectLogical.decimal(scale: 31), isKey: false))
    }

    /// Values MySQL cannot hold are errors, never something else stored.
    func testValuesMySQLCannotHoldAreErrors() {
        XCTAssertThrowsError(try dialect.bound(.float64(.nan), .float64))
        XCTAssertThrowsError(try dialect.bound(.float32(.infinity), .float32))
        XCTAssertThrowsError(
            try dialect.bound(.int32(-719_163), DebeziumSemantic.schema(DebeziumSemantic.date, .int32)), "1 BC")
        XCTAssertThrowsError(
            try dialect.bound(.string("yesterday"), DebeziumSemantic.schema(DebeziumSemantic.zonedTimestamp, .string)))
        for text in ["-0043-03-15T12:00:00Z", "+10000-01-01T00:00:00Z", "2024-13-01T00:00:00Z"] {
            XCTAssertThrowsError(
                try dialect.bound(.string(text), DebeziumSemantic.schema(DebeziumSemantic.zonedTimestamp, .string)),
                text)
        }
        XCTAssertEqual(
            try dialect.bound(
                .string("9999-12-31T23:59:59.999999Z"),
                DebeziumSemantic.schema(DebeziumSemantic.zonedTimestamp, .string)),
            "'9999-12-31 23:59:59.999999'")
    }

    func testZonedValuesAreStoredInUTC() throws {
        let zoned = DebeziumSemantic.schema(DebeziumSemantic.zonedTimestamp, .string)
        XCTAssertEqual(try dialect.bound(.string("2024-05-06T05:08:09.123456Z"), zoned), "'2024-05-06 05:08:09.123456'")
        XCTAssertEqual(try dialect.bound(.string("2024-01-01T01:30:00+02:00"), zoned), "'2023-12-31 23:30:00.000000'")
        XCTAssertEqual(try dialect.bound(.string("2024-01-01T23:00:00.5-01:00"), zoned), "'2024-01-02 00:00:00.500000'")
        let time = DebeziumSemantic.schema(DebeziumSemantic.zonedTime, .string)
        XCTAssertEqual(try dialect.bound(.string("01:00:00+02:00"), time), "'23:00:00.000000'")
        XCTAssertEqual(
            try dialect.bound(.int32(-1), DebeziumSemantic.schema(DebeziumSemantic.date, .int32)), "'1969-12-31'")
    }

    /// `use.time.zone`: zoned values are written as the zone's wall-clock time, by the zone's offset at that
    /// instant; values without an offset are written as they are.
    func testZonedValuesAreStoredAsTheWallClockTimeOfUseTimeZone() throws {
        let berlin = MySQLSinkDialect(isMariaDB: true, timeZone: try XCTUnwrap(SinkTimeZone("Europe/Berlin")))
        let zoned = DebeziumSemantic.schema(DebeziumSemantic.zonedTimestamp, .string)
        XCTAssertEqual(try berlin.bound(.string("2024-01-15T10:00:00Z"), zoned), "'2024-01-15 11:00:00.000000'")
        XCTAssertEqual(try berlin.bound(.string("2024-07-15T10:00:00.5Z"), zoned), "'2024-07-15 12:00:00.500000'")
        XCTAssertEqual(try berlin.bound(.string("2024-12-31T23:30:00-01:00"), zoned), "'2025-01-01 01:30:00.000000'")
        // The last second before and the first after clocks go forward (2024-03-31 01:00 UTC).
        XCTAssertEqual(try berlin.bound(.string("2024-03-31T00:59:59Z"), zoned), "'2024-03-31 01:59:59.000000'")
        XCTAssertEqual(try berlin.bound(.string("2024-03-31T01:00:00Z"), zoned), "'2024-03-31 03:00:00.000000'")
        let local = DebeziumSemantic.schema(DebeziumSemantic.microTimestamp, .int64)
        XCTAssertEqual(try berlin.bound(.int64(0), local), "'1970-01-01 00:00:00.000000'")

        let india = MySQLSinkDialect(isMariaDB: false, timeZone: try XCTUnwrap(SinkTimeZone("+05:30")))
        let time = DebeziumSemantic.schema(DebeziumSemantic.zonedTime, .string)
        XCTAssertEqual(try india.bound(.string("20:00:00Z"), time), "'01:30:00.000000'")
        XCTAssertEqual(try india.bound(.string("01:00:00+02:00"), time), "'04:30:00.000000'")
        XCTAssertEqual(india.timeZoneSetup, ["SET SESSION time_zone = '+05:30'"])
        XCTAssertEqual(
            berlin.timeZoneSetup, ["SET SESSION time_zone = 'Europe/Berlin'", "SET SESSION time_zone = '+00:00'"])
        XCTAssertEqual(dialect.timeZoneSetup, ["SET SESSION time_zone = '+00:00'"])
        XCTAssertEqual(
            PostgresSinkDialect(quoteAll: false, timeZone: berlin.timeZone).timeZoneSetup,
            ["SET TIME ZONE 'Europe/Berlin'"])
        XCTAssertEqual(
            PostgresSinkDialect(quoteAll: false, timeZone: india.timeZone).timeZoneSetup,
            ["SET TIME ZONE INTERVAL '+05:30' HOUR TO MINUTE"])
    }

    /// Debezium's `Bits` (little-endian bytes) become `bit(n)` in both targets, the bit string most significant
    /// bit first; MySQL's BIT ends at 64 bits, so wider ones stay bytes there.
    func testBitsAreBitColumns() throws {
        func bits(_ length: Int) -> Schema {
            DebeziumSemantic.schema(DebeziumSemantic.bits, .bytes, parameters: [("length", String(length))])
        }
        let postgres = PostgresSinkDialect(quoteAll: false)
        XCTAssertEqual(try dialect.columnType(bits(10), isKey: false), "bit(10)")
        XCTAssertEqual(try dialect.columnType(bits(64), isKey: true), "bit(64)")
        XCTAssertEqual(try dialect.columnType(bits(65), isKey: false), "longblob")
        XCTAssertEqual(try postgres.columnType(bits(65)), "bit(65)")
        XCTAssertEqual(try postgres.columnType(bits(Int(Int32.max))), "bit varying")
        let varbit = DebeziumSemantic.schema(
            DebeziumSemantic.bits, .bytes, parameters: [("length", "8"), ("__debezium.source.column.type", "VARBIT")])
        XCTAssertEqual(try postgres.columnType(varbit), "bit varying(8)")

        XCTAssertEqual(try dialect.bound(.bytes([0x05]), bits(10)), "b'0000000101'")
        XCTAssertEqual(try dialect.bound(.bytes([0x01, 0x02]), bits(10)), "b'1000000001'")
        XCTAssertEqual(try dialect.bound(.bytes([]), bits(3)), "b'000'")
        XCTAssertEqual(
            try dialect.bound(.bytes([0x01, 0, 0, 0, 0, 0, 0, 0x80]), bits(64)),
            "b'1" + String(repeating: "0", count: 62) + "1'")
        XCTAssertEqual(try dialect.bound(.bytes([0x01]), bits(65)), "X'01'")
        XCTAssertThrowsError(try dialect.bound(.bytes([0x08]), bits(3)), "a bit beyond the length")
        XCTAssertEqual(try postgres.bound(.bytes([0x05, 0x00]), bits(4)), "0101")
        XCTAssertEqual(try postgres.bound(.bytes([0x05]), bits(Int(Int32.max))), "101")
        XCTAssertEqual(try postgres.bound(.bytes([]), bits(Int(Int32.max))), "")
        XCTAssertEqual(try postgres.bound(.array([.bytes([0x02]), .null]), .array(of: bits(2))), #"{"10",NULL}"#)
    }

    /// Debezium's `Point` and `Geometry` become MySQL's `point` and `geometry`, built by the server from their
    /// well-known binary and SRID; PostgreSQL's own `point` takes a Point's coordinates.
    func testGeometries() throws {
        let point = DebeziumSemantic.pointSchema(optional: true)
        let geometry = Schema.struct(
            name: DebeziumSemantic.geometry, fields: [("wkb", .bytes), ("srid", .optionalInt32)])
        let postgres = PostgresSinkDialect(quoteAll: false)
        XCTAssertEqual(try dialect.columnType(point, isKey: false), "point")
        XCTAssertEqual(try dialect.columnType(geometry, isKey: false), "geometry")
        XCTAssertEqual(try postgres.columnType(point), "point")
        XCTAssertThrowsError(try postgres.columnType(geometry), "other geometries need PostGIS")

        let value = DebeziumSemantic.pointValue(x: 1.5, y: -2, schema: point)
        XCTAssertEqual(
            try dialect.bound(value, point), "ST_GeomFromWKB(X'0101000000000000000000f83f00000000000000c0')")
        XCTAssertEqual(try postgres.bound(value, point), "(1.5,-2.0)")
        var noWKB = Struct(schema: point)
        noWKB["x"] = .float64(3)
        noWKB["y"] = .float64(4)
        noWKB["srid"] = .int32(4326)
        XCTAssertEqual(try dialect.bound(.struct(noWKB), point), "ST_GeomFromText('POINT(3.0 4.0)',4326)")
        var line = Struct(schema: geometry)
        line["wkb"] = .bytes([1, 2, 0, 0, 0])
        XCTAssertEqual(try dialect.bound(.struct(line), geometry), "ST_GeomFromWKB(X'0102000000')")
        var infinite = noWKB
        infinite["x"] = .float64(.infinity)
        XCTAssertThrowsError(try dialect.bound(.struct(infinite), point))
        XCTAssertEqual(try postgres.bound(.struct(infinite), point), "(Infinity,4.0)")
    }

    /// MySQL's TIME runs from -838:59:59 to 838:59:59; PostgreSQL's time of day cannot hold such values.
    func testTimesBeyondADay() throws {
        let time = DebeziumSemantic.schema(DebeziumSemantic.microTime, .int64)
        XCTAssertEqual(try dialect.bound(.int64(-3_020_399_000_000), time), "'-838:59:59.000000'")
        XCTAssertEqual(try dialect.bound(.int64(90_000_000_000), time), "'25:00:00.000000'")
        XCTAssertThrowsError(try PostgresSinkDialect(quoteAll: false).bound(.int64(-1), time))
        XCTAssertEqual(try PostgresSinkDialect(quoteAll: false).bound(.int64(86_400_000_000), time), "24:00:00.000000")
    }

    func testStatements() {
        XCTAssertEqual(
            dialect.insert("t", columns: ["id", "v"], rows: [["1", "'a'"], ["2", nil]], upsertKey: ["id"]),
            SinkStatement("INSERT INTO `t` (`id`,`v`) VALUES (1,'a'),(2,NULL) ON DUPLICATE KEY UPDATE `v`=VALUES(`v`)"))
        XCTAssertEqual(
            dialect.insert("t", columns: ["id"], rows: [["1"]], upsertKey: ["id"]).sql,
            "INSERT INTO `t` (`id`) VALUES (1) ON DUPLICATE KEY UPDATE `id`=VALUES(`id`)")
        XCTAssertEqual(
            dialect.columnsQuery("db.t'x").sql,
            "SELECT LOWER(column_name) FROM information_schema.columns WHERE table_name = 't''x' AND table_schema = 'db'"
        )
        XCTAssertTrue(
            (try? dialect.createTable("t", key: [.init(name: "id", schema: .string, value: .null)], columns: []))?
                .hasSuffix("COLLATE=utf8mb4_nopad_bin") == true)
    }
}
