import XCTest

@testable import JdbcSink
@testable import TributaryCore

final class PostgresSinkDialectTests: XCTestCase {
    private let dialect = PostgresSinkDialect(quoteAll: false)

    /// Names from records cannot break out of their quotes; plain ones stay unquoted, as Debezium writes them.
    func testNamesAreQuotedWhereTheyCouldBeReadAsSomethingElse() {
        XCTAssertEqual(dialect.identifier("name"), "name")
        XCTAssertEqual(dialect.identifier("order"), "\"order\"", "a reserved word")
        XCTAssertEqual(dialect.identifier("a b"), "\"a b\"")
        XCTAssertEqual(dialect.identifier("x\"; DROP TABLE t; --"), "\"x\"\"; DROP TABLE t; --\"")
        XCTAssertEqual(dialect.identifier("zoë"), "\"zoë\"")
        XCTAssertEqual(dialect.identifier("1st"), "\"1st\"")
        XCTAssertEqual(dialect.columnKey("FirstName"), "firstname", "PostgreSQL folds unquoted names")
        XCTAssertEqual(dialect.table("shop.order"), "shop.\"order\"")
        XCTAssertEqual(PostgresSinkDialect(quoteAll: true).identifier("id"), "\"id\"")
    }

    func testColumnTypes() throws {
        let cases: [(Schema, String)] = [
            (.int16, "smallint"), (.int32, "integer"), (.int64, "bigint"), (.float32, "real"),
            (.float64, "double precision"), (.boolean, "boolean"), (.string, "text"), (.bytes, "bytea"),
            (ConnectLogical.decimal(scale: 2, precision: 10), "decimal(10,2)"),
            (ConnectLogical.decimal(scale: 3), "decimal"),
            (DebeziumSemantic.schema(DebeziumSemantic.date, .int32), "date"),
            (DebeziumSemantic.schema(DebeziumSemantic.microTimestamp, .int64), "timestamp(6)"),
            (DebeziumSemantic.schema(DebeziumSemantic.zonedTimestamp, .string), "timestamptz"),
            (DebeziumSemantic.schema(DebeziumSemantic.uuid, .string), "uuid"),
            (DebeziumSemantic.schema(DebeziumSemantic.json, .string), "json"),
            (.array(of: .optionalString), "text[]"),
        ]
        for (schema, type) in cases { XCTAssertEqual(try dialect.columnType(schema), type, "\(schema.name ?? "")") }
        XCTAssertThrowsError(try dialect.columnType(.map(key: .string, value: .string)))
        XCTAssertThrowsError(try dialect.columnType(.struct(name: "x", fields: [("a", .int32)])))
    }

    func testValuesInPostgresTextForms() throws {
        XCTAssertEqual(try dialect.bound(.bytes([0, 0xAB]), .bytes), "\\x00ab")
        XCTAssertEqual(try dialect.bound(.float64(.nan), .float64), "NaN")
        XCTAssertEqual(try dialect.bound(.float64(-.infinity), .float64), "-Infinity")
        XCTAssertEqual(try dialect.bound(.decimal(BigDecimal("-0.05")!), ConnectLogical.decimal(scale: 2)), "-0.05")
        XCTAssertEqual(
            try dialect.bound(.int32(-1), DebeziumSemantic.schema(DebeziumSemantic.date, .int32)), "1969-12-31")
        XCTAssertEqual(
            try dialect.bound(.int32(-719_163), DebeziumSemantic.schema(DebeziumSemantic.date, .int32)), "0001-12-31 BC"
        )
        XCTAssertEqual(
            try dialect.bound(.int64(-1), DebeziumSemantic.schema(DebeziumSemantic.microTimestamp, .int64)),
            "1969-12-31 23:59:59.999999")
        XCTAssertEqual(
            try dialect.bound(.int64(45_296_789_012), DebeziumSemantic.schema(DebeziumSemantic.microTime, .int64)),
            "12:34:56.789012")
        XCTAssertEqual(
            try dialect.bound(.array([.string("a\"b"), .null, .string("c\\d")]), .array(of: .optionalString)),
            #"{"a\"b",NULL,"c\\d"}"#)
        XCTAssertNil(try dialect.bound(.null, .optionalString))
        XCTAssertThrowsError(try dialect.bound(.string("a\u{0}b"), .string), "PostgreSQL text cannot hold NUL")
    }

    /// `use.time.zone`: a zoned timestamp is the zone's wall-clock time with the zone's offset, the same instant
    /// for a `timestamptz` and the zone's time for a `timestamp`; in UTC it stays as the record has it.
    func testZonedTimestampsInUseTimeZone() throws {
        let berlin = PostgresSinkDialect(quoteAll: false, timeZone: try XCTUnwrap(SinkTimeZone("Europe/Berlin")))
        let zoned = DebeziumSemantic.schema(DebeziumSemantic.zonedTimestamp, .string)
        XCTAssertEqual(try berlin.bound(.string("2024-01-15T10:00:00Z"), zoned), "2024-01-15 11:00:00.000000+01:00")
        XCTAssertEqual(
            try berlin.bound(.string("2024-07-15T10:00:00.25-01:00"), zoned), "2024-07-15 13:00:00.250000+02:00")
        XCTAssertEqual(try berlin.bound(.string("1800-01-01T00:00:00Z"), zoned), "1800-01-01 00:53:28.000000+00:53:28")
        XCTAssertEqual(
            try berlin.bound(.string("-0043-03-15T12:00:00Z"), zoned), "0044-03-15 12:53:28.000000+00:53:28 BC")
        XCTAssertEqual(try berlin.bound(.string("infinity"), zoned), "infinity")
        XCTAssertEqual(try dialect.bound(.string("2024-01-15T10:00:00Z"), zoned), "2024-01-15T10:00:00Z")
        // Years Debezium signs, which PostgreSQL reads only as `BC` or unsigned.
        XCTAssertEqual(
            try dialect.bound(.string("-0043-03-15T12:00:00Z"), zoned), "0044-03-15 12:00:00.000000+00:00 BC")
        XCTAssertEqual(try dialect.bound(.string("0000-12-31T23:59:59Z"), zoned), "0001-12-31 23:59:59.000000+00:00 BC")
        XCTAssertEqual(try dialect.bound(.string("0999-01-01T00:00:00Z"), zoned), "0999-01-01 00:00:00.000000+00:00")
        XCTAssertEqual(try dialect.bound(.string("+10000-01-01T00:00:00Z"), zoned), "10000-01-01 00:00:00.000000+00:00")
        XCTAssertEqual(try dialect.bound(.string("-infinity"), zoned), "-infinity")
        let time = DebeziumSemantic.schema(DebeziumSemantic.zonedTime, .string)
        XCTAssertEqual(try berlin.bound(.string("10:00:00+05:00"), time), "10:00:00+05:00")
    }

    func testStatements() throws {
        let key = [RowChange.Column(name: "id", schema: .int32, value: .int32(1))]
        let columns = [
            RowChange.Column(name: "name", schema: .optionalString, value: .null),
            RowChange.Column(name: "order", schema: .int64, value: .int64(2)),
        ]
        XCTAssertEqual(
            try dialect.createTable("s.t", key: key, columns: columns),
            "CREATE TABLE s.t (id integer NOT NULL, name text NULL, \"order\" bigint NOT NULL, PRIMARY KEY (id))")
        XCTAssertEqual(
            dialect.insert(
                "t", columns: ["id", "name", "order"], rows: [["1", nil, "2"], ["3", "x", "4"]], upsertKey: ["id"]),
            SinkStatement(
                "INSERT INTO t (id,name,\"order\") VALUES ($1,$2,$3),($4,$5,$6) ON CONFLICT (id) DO UPDATE SET "
                    + "name=EXCLUDED.name,\"order\"=EXCLUDED.\"order\"", ["1", nil, "2", "3", "x", "4"]))
        XCTAssertEqual(
            dialect.insert("t", columns: ["id"], rows: [["1"]], upsertKey: ["id"]),
            SinkStatement("INSERT INTO t (id) VALUES ($1) ON CONFLICT (id) DO NOTHING", ["1"]))
        XCTAssertEqual(
            dialect.update("t", key: ["id"], columns: ["name"], row: ["x", "1"]),
            SinkStatement("UPDATE t SET name=$1 WHERE id=$2", ["x", "1"]))
        XCTAssertEqual(
            dialect.delete("t", key: ["a", "b"], rows: [["1", "2"], ["3", "4"]]),
            SinkStatement("DELETE FROM t WHERE (a,b) IN (($1,$2),($3,$4))", ["1", "2", "3", "4"]))
        XCTAssertEqual(
            dialect.delete("t", key: ["id"], rows: [["1"], ["2"]]),
            SinkStatement("DELETE FROM t WHERE id IN ($1,$2)", ["1", "2"]))
        XCTAssertEqual(try dialect.addColumn("t", columns[0]), "ALTER TABLE t ADD COLUMN name text NULL")
    }
}
