import Converters
import Foundation
import SchemaRegistry
import TributaryCore
import XCTest

/// The Protobuf converter against the Schema Registry stand-in, its registered `.proto` text compiled by protoc and
/// its bytes decoded by `confluent-kafka`'s own `ProtobufDeserializer` as a second opinion.
final class ProtobufConverterTests: XCTestCase {
    func testEveryTypeDecodesWithConfluentsDeserializer() throws {
        let registry = try PrivateSchemaRegistry()
        let converter = try ProtobufConverter(Config(["schema.registry.url": registry.url]), isKey: false)
        let (schema, record) = AvroConverterTests.everyType(namespace: "test.proto")
        let bytes = try [1, 2].map { try converter.fromConnectData(topic: "p1", schema: schema, value: record($0)) }
        XCTAssertEqual(converter.schemaDerivations, 1)
        XCTAssertEqual(bytes[0]?.prefix(6), [0, 0, 0, 0, 1, 0], "magic byte, schema id 1, message indexes [0]")
        XCTAssertEqual(try registry.subjects()["p1-value"], [try ProtobufData().file(for: schema).text])

        let decoded = try registry.decodeWithConfluent(topic: "p1", records: bytes, format: "protobuf")
        XCTAssertEqual(decoded.count, 2)
        // proto3 leaves out what equals its type's default: b=false in the first record, the nulls.
        let first = try XCTUnwrap(decoded.first as? [String: Any])
        let expected: [String: Any] = [
            "i8": -8, "i16": -1600, "i32": 1, "i64": "-1099511627776", "f32": 1.5, "f64": -2.25,
            "s": "héllo ✓ 𝄞 1", "raw": "AAH+/w==", "amount": ["value": "/h3G", "precision": 6, "scale": 2],
            "day": ["year": 2022, "month": 1, "day": 8], "ts": "2023-11-14T22:13:20.123Z", "set": "42",
            "dflt": "fallback", "tags": ["a", "b"], "attrs": [["key": "x", "value": 1]],
            "counts": [["key": 1, "value": "one"]], "inner": ["x": 10],
        ]
        XCTAssertEqual(NSDictionary(dictionary: first), NSDictionary(dictionary: expected))
        let second = try XCTUnwrap(decoded.last as? [String: Any])
        XCTAssertEqual(second["b"] as? Bool, true)
        XCTAssertEqual(second["i32"] as? Int, 2)

        // What a sink reads: read back and written again, each record's payload is the same.
        let reader = try ProtobufConverter(Config(["schema.registry.url": registry.url]), isKey: false)
        for record in bytes {
            let data = try reader.toConnectData(topic: "p1", bytes: record)
            XCTAssertEqual(
                try reader.fromConnectData(topic: "p1-again", schema: data.schema, value: data.value)?.dropFirst(6),
                record?.dropFirst(6))
        }

        // Bytes that do not match the registered schema are refused: the check bites.
        var tampered = try XCTUnwrap(bytes[0])
        tampered.append(contentsOf: [0x0A, 0x05, 0x41])
        XCTAssertThrowsError(try registry.decodeWithConfluent(topic: "p1", records: [tampered], format: "protobuf"))
    }

    func testOptionalFieldsAndWrappersKeepNullApartFromZero() throws {
        let registry = try PrivateSchemaRegistry()
        let schema = Schema.struct(
            name: "test.proto.Nullables",
            fields: [("n", .optionalInt32), ("s", .optionalString), ("t", ConnectLogical.time(optional: true))])
        let zeros = Value.struct(Struct(schema: schema, values: [.int32(0), .string(""), .int32(0)]))
        let nulls = Value.struct(Struct(schema: schema, values: [.null, .null, .null]))
        for (setting, zeroFields) in [("optional.for.nullables", 2), ("wrapper.for.nullables", 2)] {
            let converter = try ProtobufConverter(
                Config(["schema.registry.url": registry.url, setting: "true"]), isKey: false)
            let topic = "p-" + setting.replacingOccurrences(of: ".", with: "-")
            let records = try [zeros, nulls].map {
                try converter.fromConnectData(topic: topic, schema: schema, value: $0)
            }
            let decoded = try registry.decodeWithConfluent(topic: topic, records: records, format: "protobuf")
            let withZeros = try XCTUnwrap(decoded.first as? [String: Any])
            // Presence keeps the zeros: 0 and "" are set, null is not (the Time of midnight is an empty message).
            XCTAssertEqual(withZeros.count, zeroFields + 1, "\(setting): \(withZeros)")
            XCTAssertEqual(try XCTUnwrap(decoded.last as? [String: Any]).count, 0, setting)
        }
    }
}
