import Converters
import Foundation
import SchemaRegistry
import TributaryCore
import XCTest

/// The JSON Schema converter against the Schema Registry stand-in, its bytes decoded (and validated against the
/// registered schema) by `confluent-kafka`'s own `JSONDeserializer` as a second opinion.
final class JsonSchemaConverterTests: XCTestCase {
    func testEveryTypeDecodesAndValidatesWithConfluentsDeserializer() throws {
        let registry = try PrivateSchemaRegistry()
        let converter = try JsonSchemaConverter(Config(["schema.registry.url": registry.url]), isKey: false)
        let inner = Schema.struct(name: "test.json.Inner", optional: true, fields: [("x", .int32)])
        let schema = Schema.struct(
            name: "test.json.Value", version: 2,
            fields: [
                ("b", .boolean), ("i8", .int8), ("i16", .int16), ("i32", .int32), ("i64", .int64),
                ("f32", .float32), ("f64", .float64), ("s", .string), ("raw", .bytes),
                ("amount", ConnectLogical.decimal(scale: 2, precision: 10)), ("day", ConnectLogical.date()),
                ("opt", .optionalString),
                ("dflt", Schema(type: .string, optional: true, defaultValue: .string("fallback"))),
                ("tags", .array(of: .string)), ("attrs", .map(key: .string, value: .int32)),
                ("counts", .map(key: .int32, value: .string)), ("inner", inner),
            ])
        func record(_ n: Int32) -> Value {
            .struct(
                Struct(
                    schema: schema,
                    values: [
                        .boolean(n % 2 == 0), .int8(-8), .int16(-1600), .int32(n), .int64(-(1 << 40)),
                        .float32(1.5), .float64(-2.25), .string("héllo ✓ 𝄞 \(n)"), .bytes([0, 1, 254, 255]),
                        .decimal(BigDecimal("-1234.50")!), .int32(19_000), .null, .null,
                        .array([.string("a"), .string("b")]), .map([MapEntry(key: .string("x"), value: .int32(1))]),
                        .map([MapEntry(key: .int32(1), value: .string("one"))]),
                        .struct(Struct(schema: inner, values: [.int32(n * 10)])),
                    ]))
        }
        let bytes = try [1, 2].map { try converter.fromConnectData(topic: "j1", schema: schema, value: record($0)) }
        XCTAssertEqual(converter.schemaDerivations, 1)
        XCTAssertEqual(bytes[0]?.prefix(5), [0, 0, 0, 0, 1], "magic byte, then schema id 1")
        XCTAssertEqual(try registry.subjects()["j1-value"], [try JsonSchemaData().schemaText(schema)])

        let decoded = try registry.decodeWithConfluent(topic: "j1", records: bytes, format: "json")
        let first = try XCTUnwrap(decoded.first as? [String: Any])
        let expected: [String: Any] = [
            "b": false, "i8": -8, "i16": -1600, "i32": 1, "i64": -(1 << 40), "f32": 1.5, "f64": -2.25,
            "s": "héllo ✓ 𝄞 1", "raw": "AAH+/w==", "amount": "/h3G", "day": 19_000, "opt": NSNull(),
            "dflt": "fallback", "tags": ["a", "b"], "attrs": ["x": 1], "counts": [["key": 1, "value": "one"]],
            "inner": ["x": 10],
        ]
        XCTAssertEqual(NSDictionary(dictionary: first), NSDictionary(dictionary: expected))

        // A value that breaks the registered schema is refused by the deserializer's validation: the check bites.
        let other = Schema.struct(name: "test.json.Value", fields: [("i32", .string)])
        let otherBytes = try converter.fromConnectData(
            topic: "j2", schema: other, value: .struct(Struct(schema: other, values: [.string("x")])))
        var tampered = try XCTUnwrap(otherBytes)
        tampered.replaceSubrange(0..<5, with: try XCTUnwrap(bytes[0]?.prefix(5)))
        XCTAssertThrowsError(try registry.decodeWithConfluent(topic: "j1", records: [tampered], format: "json"))
    }
}
