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
            c.converter(typeOID: 603, typeModifier: -1, optional: true, defaultExpression: nil),
            "box has no Connect form (as in Debezium 3.6.3)")
        // Debezium evaluates defaults only for the types it has parsers for.
        let inet = try XCTUnwrap(
            c.converter(typeOID: OID.inet, typeModifier: -1, optional: false, defaultExpression: "'1.2.3.4'::inet"))
        XCTAssertNil(inet.schema.defaultValue)
        let bits = try XCTUnwrap(
            c.converter(typeOID: OID.bit, typeModifier: 3, optional: true, defaultExpression: "B'101'::\"bit\""))
        XCTAssertEqual(bits.schema.defaultValue, .bytes([5]))
    }

    private func type(
        _ type: PostgresType, _ text: String, _ converter: PostgresValueConverter = .init()
    ) throws -> Value {
        try XCTUnwrap(converter.converter(type: type, typeModifier: -1, optional: true, defaultExpression: nil))
            .convert(ArraySlice(text.utf8))
    }

    func testMoneyInEveryDecimalMode() throws {
        XCTAssertEqual(try convert(OID.money, -1, "$1,234.56"), .decimal(BigDecimal("1234.56")!))
        XCTAssertEqual(try convert(OID.money, -1, "-$0.99"), .decimal(BigDecimal("-0.99")!))
        XCTAssertEqual(try convert(OID.money, -1, "($5.00)"), .decimal(BigDecimal("-5.00")!))
        let oneDigit = PostgresValueConverter(moneyFractionDigits: 1)
        XCTAssertEqual(try convert(OID.money, -1, "$0.95", oneDigit), .decimal(BigDecimal("1.0")!), "half up")
        XCTAssertEqual(try convert(OID.money, -1, "-$9.99", oneDigit), .decimal(BigDecimal("-10.0")!))
        XCTAssertEqual(try convert(OID.money, -1, "$1.04", oneDigit), .decimal(BigDecimal("1.0")!))
        XCTAssertEqual(
            try convert(OID.money, -1, "-$1,000,000.99", PostgresValueConverter(decimalMode: .string)),
            .string("-1000000.99"))
        XCTAssertEqual(try convert(OID.money, -1, "$2.50", PostgresValueConverter(decimalMode: .double)), .float64(2.5))
        let schema = try XCTUnwrap(
            PostgresValueConverter().converter(
                typeOID: OID.money, typeModifier: -1, optional: false, defaultExpression: "5")
        ).schema
        XCTAssertEqual(schema.parameters?.map(\.0), ["scale"], "no precision, as Debezium's money schema")
        XCTAssertNil(schema.defaultValue, "Debezium gives money columns no default")
    }

    func testBitStrings() throws {
        XCTAssertEqual(try convert(OID.bit, 1, "1"), .boolean(true))
        XCTAssertEqual(try convert(OID.varbit, 1, "0"), .boolean(false))
        XCTAssertEqual(try convert(OID.bit, 8, "10100011"), .bytes([0xA3]))
        XCTAssertEqual(try convert(OID.varbit, -1, "10000000001"), .bytes([0x01, 0x04]))
        XCTAssertEqual(try convert(OID.varbit, 20, "00000000000000000001"), .bytes([1]))
        XCTAssertEqual(try convert(OID.bit, 4, "0000"), .bytes([]), "no set bit, no bytes (Java's BitSet)")
        let schema = try XCTUnwrap(
            PostgresValueConverter().converter(
                typeOID: OID.varbit, typeModifier: -1, optional: true, defaultExpression: nil)
        ).schema
        XCTAssertEqual(schema.name, "io.debezium.data.Bits")
        XCTAssertEqual(schema.parameter("length"), "2147483647")
    }

    func testPointAndRanges() throws {
        guard case .struct(let point) = try convert(OID.point, -1, "(1.5,2)") else { return XCTFail("struct") }
        XCTAssertEqual(point.values[0], .float64(1.5))
        XCTAssertEqual(point.values[1], .float64(2))
        guard case .bytes(let wkb) = point.values[2] else { return XCTFail("wkb bytes") }
        XCTAssertEqual(Base64.encodeString(wkb, urlSafe: false), "AQEAAAAAAAAAAAD4PwAAAAAAAABA")
        XCTAssertEqual(point.values[3], .null)
        XCTAssertThrowsError(try convert(OID.point, -1, "(1.5;2)"))
        XCTAssertEqual(try convert(3904, -1, "[1,5)"), .string("[1,5)"))
        XCTAssertEqual(try convert(3905, -1, #"{"[1,3)",NULL}"#), .array([.string("[1,3)"), .null]))
    }

    func testEnumsDomainsAndExtensionTypes() throws {
        let mood = PostgresType.enumeration(allowed: "sad,ok,happy")
        let e = try XCTUnwrap(
            PostgresValueConverter().converter(
                type: mood, typeModifier: -1, optional: false, defaultExpression: "'ok'::mood"))
        XCTAssertEqual(e.schema.name, "io.debezium.data.Enum")
        XCTAssertEqual(e.schema.parameter("allowed"), "sad,ok,happy")
        XCTAssertEqual(e.schema.defaultValue, .string("ok"))
        let array = try XCTUnwrap(
            PostgresValueConverter().converter(
                type: .array(of: mood), typeModifier: -1, optional: true, defaultExpression: nil))
        XCTAssertEqual(array.schema.valueSchema?.isOptional, false, "Debezium declares enum elements required")
        XCTAssertEqual(try array.convert(ArraySlice("{sad,ok}".utf8)), .array([.string("sad"), .string("ok")]))

        let money = PostgresType.domain(base: .builtin(OID.numeric), typeModifier: (7 << 16 | 2) + 4)
        XCTAssertEqual(try type(money, "12.50"), .decimal(BigDecimal("12.50")!))
        XCTAssertEqual(
            try type(.domain(base: .domain(base: .builtin(OID.int4), typeModifier: -1), typeModifier: -1), "5"),
            .int32(5))
        XCTAssertNil(
            PostgresValueConverter().converter(
                type: .array(of: .domain(base: .builtin(OID.int4), typeModifier: -1)), typeModifier: -1, optional: true,
                defaultExpression: nil), "arrays of domains have no form in Debezium")

        XCTAssertEqual(
            try type(.named("hstore"), #""a"=>"1", "d"=>"x\"y", "k2"=>"v2", "b c"=>NULL"#),
            .string(#"{"a":"1","d":"x\"y","b c":null,"k2":"v2"}"#),
            "java.util.HashMap order (from the server's order), Jackson escapes")
        XCTAssertEqual(
            try type(.named("hstore"), #""k"=>"v", "k2"=>"v2", "a"=>"b""#, PostgresValueConverter(hstoreMode: .map)),
            .map([
                MapEntry(key: .string("a"), value: .string("b")), MapEntry(key: .string("k2"), value: .string("v2")),
                MapEntry(key: .string("k"), value: .string("v")),
            ]))
        XCTAssertEqual(try type(.named("hstore"), ""), .string("{}"))
        XCTAssertThrowsError(try type(.named("hstore"), #""a"=>"#))
        XCTAssertEqual(try type(.named("ltree"), "Top.Science"), .string("Top.Science"))
        XCTAssertEqual(try type(.array(of: .named("citext")), "{X,y}"), .array([.string("X"), .string("y")]))
        XCTAssertNil(
            PostgresValueConverter().converter(
                type: .unknown(name: "complex"), typeModifier: -1, optional: true, defaultExpression: nil))
    }

    /// Debezium's stand-ins for unchanged TOASTed values, by type and mode (values from Debezium 3.6.3's events).
    func testUnchangedToastStandIns() throws {
        let c = PostgresValueConverter()
        func standIn(_ oid: UInt32, _ converter: PostgresValueConverter = .init()) throws -> Value? {
            try XCTUnwrap(converter.converter(typeOID: oid, typeModifier: -1, optional: true, defaultExpression: nil))
                .unchangedToast
        }
        let placeholder = "__debezium_unavailable_value"
        XCTAssertEqual(try standIn(OID.text), .string(placeholder))
        XCTAssertEqual(try standIn(OID.bytea), .bytes(Array(placeholder.utf8)))
        XCTAssertEqual(try standIn(OID.bytea, PostgresValueConverter(binaryMode: .hex)), .string(placeholder))
        XCTAssertNil(try standIn(OID.bytea, PostgresValueConverter(binaryMode: .base64)))
        XCTAssertEqual(try standIn(1009), .array([.string(placeholder)]))
        XCTAssertEqual(try standIn(1007), .array(placeholder.utf8.map { .int32(Int32($0)) }))
        XCTAssertNil(try standIn(1182, PostgresValueConverter(timePrecisionMode: .connect)))
        XCTAssertEqual(try standIn(2951), .array([.string("b68a35a7-17ad-35b3-af2a-ae46edb4545a")]))
        XCTAssertNil(try standIn(1231), "numeric[]: null")
        XCTAssertEqual(
            c.unchangedToast(.named("hstore"), schema: .string),
            .string(#"{"__debezium_unavailable_value":"__debezium_unavailable_value"}"#))
    }

    func testUnknownTypesAsTextWhenAsked() throws {
        let unknown = PostgresValueConverter(includeUnknownDatatypes: true)
        XCTAssertEqual(
            try convert(603, -1, "(1,2),(0,0)", unknown), .bytes(Array("(1.0,2.0),(0.0,0.0)".utf8)),
            "geometric values printed as the JDBC driver prints them")
        XCTAssertEqual(
            PostgresValueConverter.javaGeometricText(ArraySlice("<(-1.5,1e+20),0.001>".utf8)), "<(-1.5,1.0E20),0.001>")
        XCTAssertEqual(try convert(3615, -1, "'fat' & 'rat'", unknown), .bytes(Array("'fat' & 'rat'".utf8)))
        XCTAssertEqual(
            try type(.array(of: .domain(base: .builtin(OID.int4), typeModifier: -1)), "{1,2}", unknown),
            .array([.bytes([49]), .bytes([50])]))
        XCTAssertEqual(
            try convert(3615, -1, "'a'", PostgresValueConverter(binaryMode: .hex, includeUnknownDatatypes: true)),
            .string("276127"))
        XCTAssertNil(
            unknown.converter(typeOID: 791, typeModifier: -1, optional: true, defaultExpression: nil),
            "money[] stays out, as in Debezium")
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
            ("snapshot.max.threads", "0"),
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
            ("column.exclude.list", "("), ("column.mask.with.x.chars", "public.t.card"),
            ("message.key.columns", "public.t"), ("skipped.operations", "x"),
        ] {
            var c = base
            c[key] = value
            XCTAssertThrowsError(try PostgresConnectorConfig(Config(c)), key) {
                XCTAssertEqual(($0 as? ConfigError)?.key, key)
            }
        }
        var override = base
        override["snapshot.select.statement.overrides"] = "public.t"
        XCTAssertThrowsError(try PostgresConnectorConfig(Config(override))) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "snapshot.select.statement.overrides.public.t", "the missing key")
        }
        override["snapshot.select.statement.overrides.public.t"] = "SELECT * FROM public.t WHERE id > 5"
        XCTAssertEqual(
            try PostgresConnectorConfig(Config(override)).snapshotSelectOverrides,
            ["public.t": "SELECT * FROM public.t WHERE id > 5"])
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

final class PostgresTypeTests: XCTestCase {
    private func row(
        _ oid: UInt32, _ name: String, kind: Character, base: UInt32 = 0, typmod: Int32 = -1, element: UInt32 = 0,
        category: Character = "U", labels: String? = nil
    ) -> PostgresType.CatalogRow {
        PostgresType.CatalogRow(
            oid: oid, name: name, kind: kind.asciiValue!, baseType: base, typeModifier: typmod, elementType: element,
            category: category.asciiValue!, enumLabels: labels)
    }

    func testResolvesTypesFromCatalogRows() {
        let rows = [
            20000: row(20000, "mood", kind: "e", labels: "sad,ok"),
            20001: row(20001, "_mood", kind: "b", element: 20000, category: "A"),
            20002: row(20002, "posint", kind: "d", base: 23),
            20003: row(20003, "small_posint", kind: "d", base: 20002, typmod: 5),
            20004: row(20004, "hstore", kind: "b"),
            20005: row(20005, "complex", kind: "c"),
        ].reduce(into: [UInt32: PostgresType.CatalogRow]()) { $0[UInt32($1.key)] = $1.value }
        XCTAssertEqual(PostgresType.resolve(23, rows: rows), .builtin(23))
        XCTAssertEqual(PostgresType.resolve(20001, rows: rows), .array(of: .enumeration(allowed: "sad,ok")))
        XCTAssertEqual(
            PostgresType.resolve(20003, rows: rows),
            .domain(base: .domain(base: .builtin(23), typeModifier: -1), typeModifier: 5))
        XCTAssertEqual(PostgresType.resolve(20004, rows: rows), .named("hstore"))
        XCTAssertEqual(PostgresType.resolve(20005, rows: rows), .unknown(name: "complex"))
        XCTAssertEqual(PostgresType.resolve(20009, rows: rows), .unknown(name: "oid 20009"))
        // What still needs reading: the rows a domain or array builds on.
        XCTAssertEqual(PostgresType.missing([23, 20001], rows: [:]), [20001])
        XCTAssertEqual(PostgresType.missing([23, 20001], rows: [20001: rows[20001]!]), [20000])
        XCTAssertEqual(PostgresType.missing([20003], rows: rows), [])
        let cyclic: [UInt32: PostgresType.CatalogRow] = [20010: row(20010, "d", kind: "d", base: 20010)]
        XCTAssertEqual(PostgresType.missing([20010], rows: cyclic), [])
        guard case .domain = PostgresType.resolve(20010, rows: cyclic) else { return XCTFail("resolves to a domain") }
        XCTAssertEqual(
            PostgresType.catalogRow(["20000", "mood", "e", "0", "-1", "0", "E", "sad,ok"]),
            row(20000, "mood", kind: "e", category: "E", labels: "sad,ok"))
        XCTAssertNil(PostgresType.catalogRow(["x"]))
    }
}

extension PostgresValueConverter {
    /// The converter for a column of a built-in type (the tests' shorthand).
    func converter(typeOID: UInt32, typeModifier: Int32, optional: Bool, defaultExpression: String?) -> ColumnConverter?
    {
        converter(
            type: .builtin(typeOID), typeModifier: typeModifier, optional: optional,
            defaultExpression: defaultExpression)
    }
}
