import TributaryCore
import XCTest

@testable import PostgresSource

final class PostgresValueConverterTests: XCTestCase {
    typealias OID = PostgresValueConverter.OID

    private func convert(
        _ oid: UInt32, _ typmod: Int32 = -1, _ text: String, _ converter: PostgresValueConverter = .init()
    ) throws -> Value {
        try XCTUnwrap(converter.converter(typeOID: oid, typeModifier: typmod, optional: true, defaultExpression: nil))
            .convert(ArraySlice(text.utf8))
    }

    /// What an unrepresentable value becomes (the converter throws `UnrepresentableValue` with it), or nil if the
    /// value converted normally.
    private func replacement(
        _ oid: UInt32, _ typmod: Int32 = -1, _ text: String, _ converter: PostgresValueConverter = .init()
    ) throws -> Value? {
        do {
            _ = try convert(oid, typmod, text, converter)
            return nil
        } catch let lost as PostgresValueConverter.UnrepresentableValue {
            return lost.replacement
        }
    }

    func testBasicTypesAsDebeziumMapsThem() throws {
        XCTAssertEqual(try convert(OID.int2, -1, "-300"), .int16(-300))
        XCTAssertEqual(try convert(OID.int4, -1, "-2147483648"), .int32(.min))
        XCTAssertEqual(try convert(OID.int8, -1, "9007199254740993"), .int64(9_007_199_254_740_993))
        XCTAssertEqual(try convert(OID.float4, -1, "1.5"), .float32(1.5))
        XCTAssertEqual(try convert(OID.float8, -1, "1e-07"), .float64(1e-7))
        XCTAssertEqual(try convert(OID.bool, -1, "t"), .boolean(true))
        XCTAssertEqual(try convert(OID.bpchar, 8, "ab  "), .string("ab  "))
        XCTAssertEqual(try convert(OID.bytea, -1, "\\x00ff10"), .bytes([0, 255, 16]))
        XCTAssertEqual(try convert(OID.date, -1, "2024-02-29"), .int32(19782))
        XCTAssertEqual(try convert(OID.timestamp, -1, "2024-02-29 13:45:01.123456"), .int64(1_709_214_301_123_456))
        XCTAssertEqual(try convert(OID.timestamp, 3, "1969-12-31 23:59:59.5"), .int64(-500))
        XCTAssertEqual(
            try convert(OID.timestamptz, -1, "2024-02-29 11:45:01.123456+00"), .string("2024-02-29T11:45:01.123456Z"))
        XCTAssertEqual(try convert(OID.timestamptz, 0, "2024-02-29 13:45:01+00"), .string("2024-02-29T13:45:01Z"))
        XCTAssertThrowsError(try convert(OID.int2, -1, "70000"))
        XCTAssertThrowsError(try convert(OID.bytea, -1, "\\xzz"))
    }

    func testNumericModes() throws {
        let typmod = Int32((10 << 16 | 3) + 4)
        XCTAssertEqual(try convert(OID.numeric, typmod, "1234567.891"), .decimal(BigDecimal("1234567.891")!))
        XCTAssertEqual(try replacement(OID.numeric, typmod, "NaN"), .null)
        guard case .struct(let v) = try convert(OID.numeric, -1, "3.14159") else {
            return XCTFail("VariableScaleDecimal expected")
        }
        XCTAssertEqual(v.schema.name, "io.debezium.data.VariableScaleDecimal")
        XCTAssertEqual(v.values, [.int32(5), .bytes([0x04, 0xCB, 0x2F])])
        XCTAssertEqual(
            try convert(OID.numeric, typmod, "-0.500", PostgresValueConverter(decimalMode: .double)), .float64(-0.5))
        XCTAssertEqual(
            try convert(OID.numeric, typmod, "-0.500", PostgresValueConverter(decimalMode: .string)), .string("-0.500"))
        XCTAssertEqual(
            try convert(OID.numeric, typmod, "NaN", PostgresValueConverter(decimalMode: .string)), .string("NAN"))
        XCTAssertEqual(
            try convert(OID.name, -1, "nm"), .string("nm"), "Debezium 3.6.3 loses name values; Tributary keeps them")
    }

    /// Values PostgreSQL holds without an ordinary Connect form become what Debezium 3.6.3 emits (checked
    /// against it in DebeziumReferenceComparisonTests), never an error.
    func testSpecialValuesAsDebeziumEmitsThem() throws {
        let double = PostgresValueConverter(decimalMode: .double)
        let string = PostgresValueConverter(decimalMode: .string)
        for typmod in [Int32(-1), Int32((10 << 16 | 3) + 4)] {
            XCTAssertEqual(try replacement(OID.numeric, typmod, "Infinity"), .null)
            XCTAssertEqual(try replacement(OID.numeric, typmod, "-Infinity"), .null)
        }
        XCTAssertEqual(try convert(OID.numeric, -1, "Infinity", double), .float64(.infinity))
        XCTAssertEqual(try convert(OID.numeric, -1, "-Infinity", double), .float64(-.infinity))
        guard case .float64(let nan) = try convert(OID.numeric, -1, "NaN", double) else { return XCTFail("double") }
        XCTAssertTrue(nan.isNaN)
        XCTAssertEqual(try convert(OID.numeric, -1, "Infinity", string), .string("POSITIVE_INFINITY"))
        XCTAssertEqual(try convert(OID.numeric, -1, "-Infinity", string), .string("NEGATIVE_INFINITY"))

        XCTAssertEqual(try convert(OID.date, -1, "infinity"), .int32(-2_147_472_692))
        XCTAssertEqual(try convert(OID.date, -1, "-infinity"), .int32(-2_147_472_691))
        XCTAssertEqual(
            try convert(1182, -1, "{infinity,-infinity,2024-01-01}"),
            .array([.int32(-622_191_234), .int32(-625_821_272), .int32(19723)]))
        XCTAssertEqual(try convert(OID.timestamp, -1, "infinity"), .int64(9_223_372_036_825_200_000))
        XCTAssertEqual(try convert(OID.timestamp, -1, "-infinity"), .int64(-9_223_372_036_832_400_000))
        XCTAssertEqual(try convert(OID.timestamp, 3, "infinity"), .int64(9_223_372_036_825_200))
        XCTAssertEqual(try convert(OID.timestamp, 3, "-infinity"), .int64(-9_223_372_036_832_400))
        XCTAssertEqual(
            try convert(OID.timestamp, -1, "infinity", PostgresValueConverter(timePrecisionMode: .connect)),
            .int64(9_223_372_036_825_200))
        XCTAssertEqual(try convert(OID.timestamptz, -1, "-infinity"), .string("-infinity"))
        XCTAssertEqual(
            try convert(1185, -1, "{infinity,-infinity}"),
            .array([.string("infinity"), .string("+292269055-12-02T23:00:00.000000Z")]))
    }

    func testSchemasCarryDebeziumNamesAndDefaults() throws {
        let c = PostgresValueConverter()
        let ts = try XCTUnwrap(
            c.converter(typeOID: OID.timestamp, typeModifier: -1, optional: true, defaultExpression: nil))
        XCTAssertEqual(ts.schema.name, "io.debezium.time.MicroTimestamp")
        let ts3 = try XCTUnwrap(
            c.converter(typeOID: OID.timestamp, typeModifier: 3, optional: true, defaultExpression: nil))
        XCTAssertEqual(ts3.schema.name, "io.debezium.time.Timestamp")
        let n = try XCTUnwrap(
            c.converter(typeOID: OID.numeric, typeModifier: (10 << 16 | 3) + 4, optional: true, defaultExpression: nil))
        XCTAssertEqual(n.schema.parameter("scale"), "3")
        XCTAssertEqual(n.schema.parameter("connect.decimal.precision"), "10")
        // Literal defaults are kept; a serial's nextval() gives a NOT NULL column the zero default, as Debezium.
        let s = try XCTUnwrap(c.converter(typeOID: OID.int2, typeModifier: -1, optional: false, defaultExpression: "7"))
        XCTAssertEqual(s.schema.defaultValue, .int16(7))
        let id = try XCTUnwrap(
            c.converter(
                typeOID: OID.int4, typeModifier: -1, optional: false, defaultExpression: "nextval('t_id_seq'::regclass)"
            ))
        XCTAssertEqual(id.schema.defaultValue, .int32(0))
        let t = try XCTUnwrap(
            c.converter(typeOID: OID.text, typeModifier: -1, optional: true, defaultExpression: "'hi'::text"))
        XCTAssertEqual(t.schema.defaultValue, .string("hi"))
        let now = try XCTUnwrap(
            c.converter(typeOID: OID.timestamptz, typeModifier: -1, optional: true, defaultExpression: "now()"))
        XCTAssertNil(now.schema.defaultValue)
        XCTAssertNil(
            c.converter(typeOID: 600, typeModifier: -1, optional: true, defaultExpression: nil),
            "point is not supported yet")
    }

    func testArraysOfMappedTypes() throws {
        XCTAssertEqual(try convert(1007, -1, "{1,2,NULL}"), .array([.int32(1), .int32(2), .null]))
        XCTAssertEqual(
            try convert(1009, -1, #"{"a b","c,d","e\"f",NULL,"NULL"}"#),
            .array([.string("a b"), .string("c,d"), .string("e\"f"), .null, .string("NULL")]))
        XCTAssertEqual(try convert(1001, -1, #"{"\\x00ff",NULL}"#), .array([.bytes([0, 255]), .null]))
        XCTAssertEqual(try convert(1007, -1, "{}"), .array([]))
        XCTAssertEqual(try convert(1007, -1, "[0:1]={5,6}"), .array([.int32(5), .int32(6)]))
        // Debezium emits one null per outer element of a multi-dimensional array.
        XCTAssertEqual(try replacement(1007, -1, "{{1,2},{3,4},{5,6}}"), .array([.null, .null, .null]))
        XCTAssertEqual(try replacement(1007, -1, "[1:2][1:1]={{1},{2}}"), .array([.null, .null]))
        XCTAssertEqual(try replacement(1009, -1, #"{{"a}",b},{c,d}}"#), .array([.null, .null]))
        guard case .array(let elements) = try replacement(1231, -1, "{1.5,NaN}") else { return XCTFail("array") }
        XCTAssertEqual(elements.count, 2)
        XCTAssertNotEqual(elements[0], .null)
        XCTAssertEqual(elements[1], .null, "a NaN element is null, the rest stays")
        XCTAssertNil(try replacement(1007, -1, "{1,2}"))
        XCTAssertThrowsError(try convert(1007, -1, "{1,2"))
        let schema = try XCTUnwrap(
            PostgresValueConverter().converter(
                typeOID: 1231, typeModifier: (5 << 16 | 2) + 4, optional: true, defaultExpression: nil)
        ).schema
        XCTAssertEqual(schema.type, .array)
        XCTAssertEqual(schema.valueSchema?.name, "org.apache.kafka.connect.data.Decimal")
        XCTAssertEqual(schema.valueSchema?.isOptional, true)
    }

    func testDefaultLiterals() {
        XCTAssertEqual(PostgresValueConverter.defaultLiteral("7"), "7")
        XCTAssertEqual(PostgresValueConverter.defaultLiteral("(-5)"), "-5")
        XCTAssertEqual(PostgresValueConverter.defaultLiteral("'hi'::text"), "hi")
        XCTAssertEqual(PostgresValueConverter.defaultLiteral("'2024-01-01'::date"), "2024-01-01")
        XCTAssertEqual(PostgresValueConverter.defaultLiteral("0.5"), "0.5")
        XCTAssertEqual(PostgresValueConverter.defaultLiteral("true"), "true")
        XCTAssertNil(PostgresValueConverter.defaultLiteral("NULL::character varying"))
        XCTAssertNil(PostgresValueConverter.defaultLiteral("now()"))
        XCTAssertNil(PostgresValueConverter.defaultLiteral("nextval('x'::regclass)"))
    }

    func testConnectorConfigNamesTheBadKey() {
        let base = ["database.hostname": "h", "database.user": "u", "database.dbname": "d", "topic.prefix": "p"]
        XCTAssertNoThrow(try PostgresConnectorConfig(Config(base)))
        for (key, value) in [
            ("database.port", "x"), ("plugin.name", "decoderbufs"), ("snapshot.mode", "sometimes"),
            ("snapshot.max.threads", "4"),
            ("slot.name", "Bad-Name"),
            ("decimal.handling.mode", "exact"), ("topic.prefix", "a b"),
        ] {
            var c = base
            c[key] = value
            XCTAssertThrowsError(try PostgresConnectorConfig(Config(c)), key) {
                XCTAssertEqual(($0 as? ConfigError)?.key, key)
            }
        }
        for (key, value) in [
            ("column.exclude.list", "public.t.ssn"), ("column.mask.with.4.chars", "public.t.card"),
            ("transforms", "unwrap"), ("skipped.operations", "x"),
        ] {
            var c = base
            c[key] = value
            XCTAssertThrowsError(try PostgresConnectorConfig(Config(c)), key) {
                XCTAssertEqual(($0 as? ConfigError)?.key, key)
            }
        }
        var quiet = base
        quiet["provide.transaction.metadata"] = "false"
        quiet["transforms"] = ""
        quiet["skipped.operations"] = "t,u"
        XCTAssertEqual(try PostgresConnectorConfig(Config(quiet)).skippedOperations, [.truncate, .update])
        XCTAssertEqual(try PostgresConnectorConfig(Config(base)).skippedOperations, [.truncate])
        quiet["skipped.operations"] = "none"
        XCTAssertEqual(try PostgresConnectorConfig(Config(quiet)).skippedOperations, [], "truncates are emitted")
        var missing = base
        missing["topic.prefix"] = nil
        XCTAssertThrowsError(try PostgresConnectorConfig(Config(missing))) {
            XCTAssertEqual("\($0)", "Missing required configuration \"topic.prefix\"")
        }
    }
}
