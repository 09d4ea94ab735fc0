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
        let (schema, record) = AvroConverterTests.everyType(namespace: "test.json")
        let bytes = try [1, 2].map { try converter.fromConnectData(topic: "j1", schema: schema, value: record($0)) }
        XCTAssertEqual(converter.schemaDerivations, 1)
        XCTAssertEqual(bytes[0]?.prefix(5), [0, 0, 0, 0, 1], "magic byte, then schema id 1")
        XCTAssertEqual(try registry.subjects()["j1-value"], [try JsonSchemaData().schemaText(schema)])

        let decoded = try registry.decodeWithConfluent(topic: "j1", records: bytes, format: "json")
        let first = try XCTUnwrap(decoded.first as? [String: Any])
        let expected: [String: Any] = [
            "b": false, "i8": -8, "i16": -1600, "i32": 1, "i64": -(1 << 40), "f32": 1.5, "f64": -2.25,
            "s": "héllo ✓ 𝄞 1", "raw": "AAH+/w==", "amount": "/h3G", "day": 19_000, "ts": 1_700_000_000_123,
            "opt": NSNull(), "set": 42,
            "dflt": "fallback", "tags": ["a", "b"], "attrs": ["x": 1], "counts": [["key": 1, "value": "one"]],
            "inner": ["x": 10],
        ]
        XCTAssertEqual(NSDictionary(dictionary: first), NSDictionary(dictionary: expected))

        // What a sink reads: the records read back write again to the same bytes, the schema to the same text.
        let reader = try JsonSchemaConverter(Config(["schema.registry.url": registry.url]), isKey: false)
        for record in bytes {
            let data = try reader.toConnectData(topic: "j1", bytes: record)
            XCTAssertEqual(
                try JsonSchemaData().schemaText(try XCTUnwrap(data.schema)), try JsonSchemaData().schemaText(schema))
            XCTAssertEqual(try converter.fromConnectData(topic: "j1", schema: schema, value: data.value), record)
        }
        XCTAssertThrowsError(try reader.toConnectData(topic: "j1", bytes: [0, 0, 0, 0, 1, 0x7B]), "cut short")

        // A value that breaks the registered schema is refused by the deserializer's validation: the check bites.
        let other = Schema.struct(name: "test.json.Value", fields: [("i32", .string)])
        let otherBytes = try converter.fromConnectData(
            topic: "j2", schema: other, value: .struct(Struct(schema: other, values: [.string("x")])))
        var tampered = try XCTUnwrap(otherBytes)
        tampered.replaceSubrange(0..<5, with: try XCTUnwrap(bytes[0]?.prefix(5)))
        XCTAssertThrowsError(try registry.decodeWithConfluent(topic: "j1", records: [tampered], format: "json"))

        // `object.additional.properties=false`: the stricter schema still validates every record.
        let strict = try JsonSchemaConverter(
            Config(["schema.registry.url": registry.url, "object.additional.properties": "false"]), isKey: false)
        let strictBytes = try [1, 2].map { try strict.fromConnectData(topic: "j3", schema: schema, value: record($0)) }
        XCTAssertTrue(try registry.subjects()["j3-value"]?.first?.contains(#""additionalProperties":false"#) == true)
        XCTAssertEqual(try registry.decodeWithConfluent(topic: "j3", records: strictBytes, format: "json").count, 2)
    }
}
