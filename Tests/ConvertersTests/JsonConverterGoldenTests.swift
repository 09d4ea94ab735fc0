import Converters
import Foundation
import TributaryCore
import XCTest

/// Compares JsonConverter with what Kafka Connect's own `org.apache.kafka.connect.json.JsonConverter` wrote for
/// the same schemas and values (`fixtures/json-converter/golden.tsv`, made by `scripts/golden/json-converter`
/// from `scripts/golden/JsonConverterGolden.java`, whose cases these mirror).
final class JsonConverterGoldenTests: XCTestCase {
    struct Golden {
        let withSchemas: String
        let withoutSchemas: String
        let numericDecimals: String
    }

    static let golden: [String: Golden] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("fixtures/json-converter/golden.tsv")
        let text = try! String(contentsOf: url, encoding: .utf8)
        var result: [String: Golden] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            result[parts[0]] = Golden(withSchemas: parts[1], withoutSchemas: parts[2], numericDecimals: parts[3])
        }
        return result
    }()

    static let cases: [(String, Schema?, Value)] = {
        let inner = Schema.struct(
            name: "io.debezium.data.VariableScaleDecimal", optional: true, version: 1, doc: "Variable scaled decimal",
            fields: [("scale", .int32), ("value", .bytes)])
        let outer = Schema.struct(
            name: "srv.public.t.Value",
            fields: [
                ("id", .int32), ("name", .optionalString), ("amount", inner),
                ("flag", Schema(type: .boolean, optional: true, defaultValue: .boolean(true))),
                ("tags", .array(of: .string, optional: true)),
            ])
        let row = Struct(
            schema: outer,
            values: [
                .int32(7), .null, .struct(Struct(schema: inner, values: [.int32(2), .bytes([0x30, 0x39])])), .null,
                .array([.string("x"), .string("y")]),
            ])
        return [
            ("int8", .int8, .int8(42)),
            ("int16", .int16, .int16(-300)),
            ("int32", .int32, .int32(.min)),
            ("int64", .int64, .int64(9_007_199_254_740_993)),
            ("float32", .float32, .float32(1.1)),
            ("float32-big", .float32, .float32(3.4028235e38)),
            ("float32-small", .float32, .float32(1.0e-5)),
            ("float64", .float64, .float64(0.1)),
            ("float64-1e10", .float64, .float64(1e10)),
            ("float64-1e7", .float64, .float64(1e7)),
            ("float64-9999999", .float64, .float64(9_999_999.5)),
            ("float64-1e-3", .float64, .float64(0.001)),
            ("float64-1e-7", .float64, .float64(1.5e-7)),
            ("float64-plain", .float64, .float64(123_456.789)),
            ("float64-int", .float64, .float64(100)),
            ("float64-negzero", .float64, .float64(-0.0)),
            ("float64-nan", .float64, .float64(.nan)),
            ("float64-inf", .float64, .float64(-.infinity)),
            ("float64-max", .float64, .float64(.greatestFiniteMagnitude)),
            ("boolean", .boolean, .boolean(true)),
            ("string", .string, .string("h\u{e9}llo \"q\" \\ / \n\t\r\u{8}\u{c}\u{1}\u{1f}\u{7f} \u{1F600}")),
            ("bytes", .bytes, .bytes([0, 255, 16, 1])),
            ("bytes-empty", .bytes, .bytes([])),
            ("optional-null", .optionalInt32, .null),
            ("default-used", Schema(type: .int32, optional: true, defaultValue: .int32(5)), .null),
            ("string-default", Schema(type: .string, defaultValue: .string("hi")), .string("x")),
            ("array", .array(of: .int32), .array([.int32(1), .int32(2), .int32(3)])),
            (
                "map-string", .map(key: .string, value: .int64),
                .map([MapEntry(key: .string("a"), value: .int64(1)), MapEntry(key: .string("b"), value: .int64(2))])
            ),
            (
                "map-int", .map(key: .int32, value: .optionalString, optional: true),
                .map([MapEntry(key: .int32(1), value: .string("x")), MapEntry(key: .int32(2), value: .null)])
            ),
            ("decimal", ConnectLogical.decimal(scale: 3, precision: 10), .decimal(BigDecimal("1234567.891")!)),
            ("decimal-negative", ConnectLogical.decimal(scale: 1), .decimal(BigDecimal("-0.5")!)),
            ("decimal-big", ConnectLogical.decimal(scale: 3), .decimal(BigDecimal("-12345678901234567890.123")!)),
            ("decimal-128", ConnectLogical.decimal(scale: 0), .decimal(BigDecimal("128")!)),
            ("decimal-zero", ConnectLogical.decimal(scale: 2), .decimal(BigDecimal("0.00")!)),
            ("date", ConnectLogical.date(), .int32(19782)),
            ("time", ConnectLogical.time(), .int32(3_600_000)),
            ("timestamp", ConnectLogical.timestamp(), .int64(1_709_214_301_123)),
            (
                "documented",
                Schema(
                    type: .string, name: "io.x.Doc", version: 3, doc: "a \"doc\"",
                    parameters: [("allowed", "a,b"), ("z", "1")]),
                .string("a")
            ),
            ("struct", outer, .struct(row)),
            (
                "named-default",
                Schema(
                    type: .int32, optional: true, defaultValue: .int32(0), name: "io.debezium.time.Date", version: 1),
                .null
            ),
            ("tombstone", nil, .null),
        ]
    }()

    func testEveryCaseMatchesKafkaConnectByteForByte() throws {
        let with = JsonConverter(schemasEnabled: true)
        let without = JsonConverter(schemasEnabled: false)
        let numeric = JsonConverter(schemasEnabled: false, decimalFormat: .numeric)
        XCTAssertEqual(
            Set(Self.golden.keys), Set(Self.cases.map(\.0)), "test cases and golden file list the same cases")
        for (name, schema, value) in Self.cases {
            let expected = try XCTUnwrap(Self.golden[name], name)
            func text(_ c: JsonConverter) throws -> String {
                try c.fromConnectData(topic: "t", schema: schema, value: value).map {
                    String(decoding: $0, as: UTF8.self)
                } ?? "<null>"
            }
            XCTAssertEqual(try text(with), expected.withSchemas, "\(name), schemas.enable=true")
            XCTAssertEqual(try text(without), expected.withoutSchemas, "\(name), schemas.enable=false")
            XCTAssertEqual(try text(numeric), expected.numericDecimals, "\(name), decimal.format=NUMERIC")
        }
    }

    func testRequiredNullWithoutDefaultIsAnError() {
        let converter = JsonConverter()
        XCTAssertThrowsError(try converter.fromConnectData(topic: "t", schema: .int32, value: .null))
    }

    func testSchemaJSONIsCachedPerSchema() {
        let converter = JsonConverter()
        let schema = Schema.struct(name: "x", fields: [("a", .int32)])
        let first = converter.schemaJSON(schema)
        XCTAssertEqual(
            String(decoding: first, as: UTF8.self),
            #"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"}],"optional":false,"name":"x"}"#)
        XCTAssertEqual(converter.schemaJSON(schema), first)
        XCTAssertEqual(converter.schemaRenderings, 1, "the second call must come from the cache")
        for _ in 0..<10 { _ = converter.schemaJSON(schema) }
        XCTAssertEqual(converter.schemaRenderings, 1)
        // An equal schema that is another object is rendered once more, then cached too.
        let twin = Schema.struct(name: "x", fields: [("a", .int32)])
        XCTAssertEqual(converter.schemaJSON(twin), first)
        XCTAssertEqual(converter.schemaRenderings, 2)
        // Bounded as Kafka's schemas.cache.size: many distinct schemas never grow it past 1000.
        let many = (0..<1500).map { Schema.struct(name: "s\($0)", fields: [("a", .int32)]) }
        for s in many { _ = converter.schemaJSON(s) }
        XCTAssertLessThanOrEqual(converter.cachedSchemaCount, 1000)
        XCTAssertEqual(converter.schemaRenderings, 1502)
    }

    func testConverterFactoryReadsConnectSettings() throws {
        let config = Config(["value.converter": JsonConverter.className, "value.converter.schemas.enable": "false"])
        let converter = try XCTUnwrap(
            ConverterFactory.make(config, prefix: "value.converter", isKey: false) as? JsonConverter)
        XCTAssertFalse(converter.schemasEnabled)
        XCTAssertThrowsError(
            try ConverterFactory.make(
                Config(["key.converter": "com.example.Nope"]), prefix: "key.converter", isKey: true)
        ) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "key.converter")
        }
        XCTAssertThrowsError(
            try ConverterFactory.make(
                Config(["value.converter.schemas.enable": "maybe"]), prefix: "value.converter", isKey: false)
        ) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "value.converter.schemas.enable")
        }
    }
}
