import Converters
import Foundation
import SchemaRegistry
import TributaryCore
import XCTest

/// The Avro converter against the Schema Registry stand-in, its bytes decoded by `confluent-kafka`'s own
/// `AvroDeserializer` as a second opinion.
final class AvroConverterTests: XCTestCase {
    private func converter(
        _ registry: PrivateSchemaRegistry, isKey: Bool = false, _ extra: [String: String] = [:]
    )
        throws -> AvroConverter
    {
        var values = ["schema.registry.url": registry.url]
        values.merge(extra) { $1 }
        return try AvroConverter(Config(values), isKey: isKey)
    }

    func testEveryTypeDecodesWithConfluentsDeserializerAndTheSchemaIsRegisteredOnce() throws {
        let registry = try PrivateSchemaRegistry()
        let avro = try converter(registry)
        let (schema, record) = Self.everyType(namespace: "test.avro")
        let bytes = try [1, 2, 3].map { try avro.fromConnectData(topic: "t1", schema: schema, value: record($0)) }
        XCTAssertEqual(avro.schemaDerivations, 1)
        XCTAssertEqual(avro.registry.requestCount, 1, "one registry call for three records")
        XCTAssertEqual(bytes[0]?.prefix(5), [0, 0, 0, 0, 1], "magic byte, then schema id 1")
        XCTAssertNil(try avro.fromConnectData(topic: "t1", schema: schema, value: .null), "a tombstone stays null")

        let subjects = try registry.subjects()
        XCTAssertEqual(subjects["t1-value"], [try AvroData().avroSchema(for: schema).text])

        let decoded = try registry.decodeWithConfluent(topic: "t1", records: bytes)
        let first = try XCTUnwrap(decoded.first as? [String: Any])
        let expected: [String: Any] = [
            "b": false, "i8": -8, "i16": -1600, "i32": 1, "i64": -(1 << 40), "f32": 1.5, "f64": -2.25,
            "s": "héllo ✓ 𝄞 1", "raw": "AAH+/w==", "amount": "-1234.50", "day": "2022-01-08",
            "ts": "2023-11-14T22:13:20.123000+00:00", "opt": NSNull(), "set": 42, "dflt": "fallback",
            "tags": ["a", "b"], "attrs": ["x": 1], "counts": [["key": 1, "value": "one"]], "inner": ["x": 10],
        ]
        XCTAssertEqual(NSDictionary(dictionary: first), NSDictionary(dictionary: expected))
        XCTAssertEqual((decoded[2] as? [String: Any])?["i32"] as? Int, 3)
    }

    /// What the converter writes reads back (the writer's schema fetched from the registry by id) into the same
    /// Connect schema and value: the bytes written again are the same.
    func testRecordsReadBackIntoTheSameConnectData() throws {
        let registry = try PrivateSchemaRegistry()
        let writer = try converter(registry)
        let reader = try converter(registry)
        let row = Schema.struct(
            name: "srv.public.t.Value", optional: true,
            fields: [
                ("id", .int32), ("tiny", .optionalInt8), ("small", .int16), ("price", ConnectLogical.decimal(scale: 2)),
                ("exact", ConnectLogical.decimal(scale: 3, precision: 10)),
                ("day", ConnectLogical.date(optional: true)),
                ("at", ConnectLogical.timestamp()), ("t", ConnectLogical.time()), ("f", .float32), ("d", .float64),
                ("raw", .optionalBytes), ("tags", .array(of: .optionalString)),
                ("attrs", .map(key: .string, value: .int64)),
                ("counts", .map(key: .int32, value: .string, optional: true)),
                (
                    "mood",
                    Schema(
                        type: .string, optional: true, defaultValue: .string("ok"), name: "io.debezium.data.Enum",
                        version: 1, parameters: [("allowed", "sad,ok")])
                ),
            ])
        let envelope = Schema.struct(
            name: "srv.public.t.Envelope", version: 2,
            fields: [("before", row), ("after", row), ("op", .string), ("ts_ms", .optionalInt64)])
        let after = Value.struct(
            Struct(
                schema: row,
                values: [
                    .int32(7), .null, .int16(-3), .decimal(BigDecimal("-12.50")!), .decimal(BigDecimal("1.250")!),
                    .int32(19_000), .int64(1_700_000_000_123), .int32(3_600_000), .float32(1.5), .float64(-0.1),
                    .bytes([0, 255]), .array([.string("a"), .null]),
                    .map([MapEntry(key: .string("k"), value: .int64(9))]),
                    .map([MapEntry(key: .int32(1), value: .string("one"))]), .string("sad"),
                ]))
        let value = Value.struct(Struct(schema: envelope, values: [.null, after, .string("c"), .int64(5)]))
        let bytes = try XCTUnwrap(try writer.fromConnectData(topic: "rt", schema: envelope, value: value))
        let read = try reader.toConnectData(topic: "rt", bytes: bytes)
        let schema = try XCTUnwrap(read.schema)
        XCTAssertTrue(schema.equalsStructurally(envelope), "\(schema.fields.map(\.name))")
        XCTAssertEqual(try AvroData().avroSchema(for: schema).text, try AvroData().avroSchema(for: envelope).text)
        XCTAssertEqual(try writer.fromConnectData(topic: "rt", schema: schema, value: read.value), bytes)
        XCTAssertEqual(try reader.toConnectData(topic: "rt", bytes: nil), .null)
        XCTAssertThrowsError(try reader.toConnectData(topic: "rt", bytes: [1, 0, 0, 0, 1]), "no magic byte")
        XCTAssertThrowsError(try reader.toConnectData(topic: "rt", bytes: Array(bytes.dropLast())), "cut short")
        XCTAssertEqual(reader.registry.requestCount, 1, "the writer's schema is fetched once")
        _ = try reader.toConnectData(topic: "rt", bytes: bytes)
        XCTAssertEqual(reader.registry.requestCount, 1)
        // Damaged records (cut short, bytes changed) fail cleanly, never crash.
        for end in 5..<bytes.count { _ = try? reader.toConnectData(topic: "rt", bytes: Array(bytes[..<end])) }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var damaged = bytes
            for _ in 0..<3 {
                damaged[Int.random(in: 5..<damaged.count, using: &generator)] = .random(in: 0...255, using: &generator)
            }
            _ = try? reader.toConnectData(topic: "rt", bytes: damaged)
        }
        for huge: [UInt8] in [
            [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
            [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
        ] {
            XCTAssertThrowsError(try reader.toConnectData(topic: "rt", bytes: Array(bytes[..<5]) + [2] + huge))
        }
    }

    func testKeysAndSubjectNameStrategies() throws {
        let registry = try PrivateSchemaRegistry()
        let key = Schema.struct(name: "srv.db.orders.Key", fields: [("id", .int64)])
        let keyConverter = try converter(registry, isKey: true)
        let recordNamed = try converter(
            registry, ["value.subject.name.strategy": "io.confluent.kafka.serializers.subject.RecordNameStrategy"])
        let topicRecordNamed = try converter(registry, ["value.subject.name.strategy": "TopicRecordNameStrategy"])
        let keyValue = Value.struct(Struct(schema: key, values: [.int64(7)]))
        let keyBytes = try keyConverter.fromConnectData(topic: "orders", schema: key, value: keyValue)
        _ = try recordNamed.fromConnectData(topic: "orders", schema: key, value: keyValue)
        _ = try topicRecordNamed.fromConnectData(topic: "orders", schema: key, value: keyValue)
        // A plain string key: a primitive schema.
        _ = try keyConverter.fromConnectData(topic: "plain", schema: .string, value: .string("k"))
        XCTAssertEqual(
            Set(try registry.subjects().keys),
            ["orders-key", "srv.db.orders.Key", "orders-srv.db.orders.Key", "plain-key"])
        let decoded = try registry.decodeWithConfluent(topic: "orders", records: [keyBytes], isKey: true)
        XCTAssertEqual((decoded.first as? [String: Any])?["id"] as? Int, 7)

        XCTAssertThrowsError(try converter(registry, ["value.subject.name.strategy": "Nope"])) { error in
            XCTAssertTrue("\(error)".contains("value.subject.name.strategy"), "\(error)")
        }
    }

    func testBasicAuthFailoverAndErrorsThatNameTheSubjectNotThePassword() throws {
        let registry = try PrivateSchemaRegistry(user: "alice:s3cret")
        let dead = "http://127.0.0.1:\(try PrivateBroker.freePort())"
        let schema = Schema.struct(name: "a.Value", fields: [("id", .int32)])
        let value = Value.struct(Struct(schema: schema, values: [.int32(1)]))
        let avro = try converter(
            registry,
            [
                "schema.registry.url": "\(dead),\(registry.url)", "basic.auth.credentials.source": "USER_INFO",
                "basic.auth.user.info": "alice:s3cret",
            ])
        XCTAssertNotNil(try avro.fromConnectData(topic: "t", schema: schema, value: value), "the second URL answers")
        XCTAssertEqual(try registry.subjects(user: "alice:s3cret").keys.sorted(), ["t-value"])

        let wrong = try converter(
            registry, ["basic.auth.credentials.source": "USER_INFO", "basic.auth.user.info": "alice:wrong"])
        XCTAssertThrowsError(try wrong.fromConnectData(topic: "t", schema: schema, value: value)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("401") && text.contains("t-value"), text)
            XCTAssertFalse(text.contains("wrong"), "no password in errors: \(text)")
            XCTAssertFalse(error.isRetriable, "a refused login is not cured by a restart")
        }
        let inURL = try converter(
            registry, ["schema.registry.url": registry.url.replacingOccurrences(of: "//", with: "//alice:s3cret@")])
        XCTAssertNotNil(try inURL.fromConnectData(topic: "t", schema: schema, value: value), "user info in the URL")

        let unreachable = try converter(registry, ["schema.registry.url": dead])
        XCTAssertThrowsError(try unreachable.fromConnectData(topic: "t", schema: schema, value: value)) { error in
            XCTAssertTrue(error.isRetriable, "an unreachable registry may come back: \(error)")
        }
        XCTAssertThrowsError(try converter(registry, ["schema.registry.url": "localhost:8081"])) { error in
            XCTAssertTrue("\(error)".contains("schema.registry.url"), "\(error)")
        }
    }

    func testLookupAndLatestVersionWithoutAutoRegistration() throws {
        let registry = try PrivateSchemaRegistry()
        let schema = Schema.struct(name: "a.Value", fields: [("id", .int32)])
        let value = Value.struct(Struct(schema: schema, values: [.int32(1)]))
        let lookup = try converter(registry, ["auto.register.schemas": "false"])
        XCTAssertThrowsError(try lookup.fromConnectData(topic: "t", schema: schema, value: value)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("lookup") && text.contains("\"t-value\"") && text.contains("404"), text)
        }
        let text = try AvroData().avroSchema(for: schema).text
        try registry.register(subject: "other", schema: #"{"type":"string"}"#)
        let id = try registry.register(subject: "t-value", schema: text)
        XCTAssertEqual(try lookup.fromConnectData(topic: "t", schema: schema, value: value)?[4], UInt8(id))

        let latest = try converter(registry, ["auto.register.schemas": "false", "use.latest.version": "true"])
        XCTAssertEqual(try latest.fromConnectData(topic: "t", schema: schema, value: value)?[4], UInt8(id))
        try registry.register(
            subject: "t-value", schema: #"{"type":"record","name":"Value","namespace":"a","fields":[]}"#)
        let stale = try converter(registry, ["auto.register.schemas": "false", "use.latest.version": "true"])
        XCTAssertThrowsError(try stale.fromConnectData(topic: "t", schema: schema, value: value)) { error in
            XCTAssertTrue("\(error)".contains("latest registered schema differs"), "\(error)")
        }
        XCTAssertThrowsError(try converter(registry, ["use.latest.version": "true"])) { error in
            XCTAssertTrue("\(error)".contains("auto.register.schemas=false"), "\(error)")
        }
    }

    /// A struct with a field of every Connect type (and logical type, optional, default, nested struct, maps with
    /// string and other keys), and its value for `n`: shared by the Confluent converters' tests.
    static func everyType(namespace: String) -> (schema: Schema, value: (Int32) -> Value) {
        let inner = Schema.struct(name: namespace + ".Inner", optional: true, fields: [("x", .int32)])
        let schema = Schema.struct(
            name: namespace + ".Value",
            fields: [
                ("b", .boolean), ("i8", .int8), ("i16", .int16), ("i32", .int32), ("i64", .int64),
                ("f32", .float32), ("f64", .float64), ("s", .string), ("raw", .bytes),
                ("amount", ConnectLogical.decimal(scale: 2, precision: 10)), ("day", ConnectLogical.date()),
                ("ts", ConnectLogical.timestamp()), ("opt", .optionalString), ("set", .optionalInt64),
                ("dflt", Schema(type: .string, optional: true, defaultValue: .string("fallback"))),
                ("tags", .array(of: .string)), ("attrs", .map(key: .string, value: .int32)),
                ("counts", .map(key: .int32, value: .string)), ("inner", inner),
            ])
        return (
            schema,
            { n in
                .struct(
                    Struct(
                        schema: schema,
                        values: [
                            .boolean(n % 2 == 0), .int8(-8), .int16(-1600), .int32(n), .int64(-(1 << 40)),
                            .float32(1.5), .float64(-2.25), .string("héllo ✓ 𝄞 \(n)"), .bytes([0, 1, 254, 255]),
                            .decimal(BigDecimal("-1234.50")!), .int32(19_000), .int64(1_700_000_000_123), .null,
                            .int64(42), .null, .array([.string("a"), .string("b")]),
                            .map([MapEntry(key: .string("x"), value: .int32(1))]),
                            .map([MapEntry(key: .int32(1), value: .string("one"))]),
                            .struct(Struct(schema: inner, values: [.int32(n * 10)])),
                        ]))
            }
        )
    }
}
