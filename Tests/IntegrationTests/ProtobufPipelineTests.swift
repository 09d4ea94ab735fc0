import Converters
import Foundation
import TributaryCore
import XCTest

@testable import PostgresSource

/// PostgreSQL changes through the Protobuf converter to the broker, read back and decoded by `confluent-kafka`'s
/// `ProtobufDeserializer` with the `.proto` text the converter registered, compiled by protoc.
final class ProtobufPipelineTests: ConnectorTestCase {
    override var slotBase: String { "proto" }

    func testPostgresChangesReachTheBrokerAsProtobufThatConfluentDecodes() throws {
        let registry = try PrivateSchemaRegistry()
        let db = try IntegrationEnvironment.sql()
        tables.append(
            try IntegrationEnvironment.createTable(
                slot, "id int PRIMARY KEY, name text NOT NULL, amount numeric(10,2), born date, small smallint"))
        let converters = [
            "key.converter": ProtobufConverter.className, "key.converter.schema.registry.url": registry.url,
            "value.converter": ProtobufConverter.className, "value.converter.schema.registry.url": registry.url,
        ]
        let connector = try RunningConnector(
            IntegrationEnvironment.connectorConfig(
                name: slot, prefix: slot, slot: slot, tables: "public.\(slot)", extra: converters),
            offsetFile: offsetFile)
        try IntegrationEnvironment.waitUntilStreaming(slot: slot)
        try db.query(
            """
            INSERT INTO "\(slot)" VALUES (1, 'one', 12.50, '2000-02-29', -7), (2, 'two', NULL, NULL, 0);
            DELETE FROM "\(slot)" WHERE id = 2;
            """, purpose: "changes")
        let topic = "\(slot).public.\(slot)"
        let messages = try IntegrationEnvironment.consume([topic], count: 4)
        try connector.stop()
        XCTAssertEqual(messages.count, 4, "insert, insert, delete, tombstone")

        let values = try registry.decodeWithConfluent(topic: topic, records: messages.map(\.value), format: "protobuf")
        let keys = try registry.decodeWithConfluent(
            topic: topic, records: messages.map(\.key), isKey: true, format: "protobuf")
        XCTAssertEqual(keys.compactMap { ($0 as? [String: Any])?["id"] as? Int }, [1, 2, 2, 2])
        let events = values.map { $0 as? [String: Any] }
        XCTAssertEqual(events.map { $0?["op"] as? String }, ["c", "c", "d", nil])
        XCTAssertTrue(values[3] is NSNull, "the tombstone stays a null value")
        let first = try XCTUnwrap(events[0]?["after"] as? [String: Any])
        XCTAssertEqual(first["name"] as? String, "one")
        XCTAssertEqual(
            NSDictionary(dictionary: try XCTUnwrap(first["amount"] as? [String: Any])),
            ["value": "BOI=", "precision": 4, "scale": 2], "confluent.type.Decimal of 12.50")
        XCTAssertEqual(first["born"] as? Int, 11_016, "io.debezium.time.Date: days since the epoch")
        XCTAssertEqual(first["small"] as? Int, -7)
        let second = try XCTUnwrap(events[1]?["after"] as? [String: Any])
        XCTAssertEqual(Set(second.keys), ["id", "name"], "nulls and zeros are not written in proto3")
        XCTAssertNil(events[1]?["before"], "no before image on an insert")
        let source = try XCTUnwrap(events[0]?["source"] as? [String: Any])
        XCTAssertEqual(source["connector"] as? String, "postgresql")
        XCTAssertEqual(source["table"] as? String, slot)
        XCTAssertEqual((events[2]?["before"] as? [String: Any])?["id"] as? Int, 2)

        let subjects = try registry.subjects()
        XCTAssertEqual(subjects["\(topic)-value"]?.count, 1, "one schema for every change of the table")
        let text = try XCTUnwrap(subjects["\(topic)-value"]?.first)
        XCTAssertTrue(text.hasPrefix("syntax = \"proto3\";\npackage \(slot).public.\(slot);\n"), text)
        XCTAssertTrue(text.contains("\n  Value before = 1;\n  Value after = 2;\n  Source source = 3;\n"), text)
        XCTAssertEqual(subjects["\(topic)-key"]?.count, 1)

        // What a sink reads: each value read back by the converter writes again to the same payload (the schema
        // read back has no package, so it registers as another schema).
        let reader = try ProtobufConverter(Config(["schema.registry.url": registry.url]), isKey: false)
        for message in messages {
            let data = try reader.toConnectData(topic: topic, bytes: message.value)
            let again = try reader.fromConnectData(topic: topic + "-again", schema: data.schema, value: data.value)
            XCTAssertEqual(again?.dropFirst(6), message.value?.dropFirst(6))
        }
        let read = try reader.toConnectData(topic: topic, bytes: messages[0].value)
        XCTAssertEqual(read.schema?.name, "Envelope")
        XCTAssertEqual(read.schema?.fields.map(\.name).prefix(5), ["before", "after", "source", "transaction", "op"])
    }
}
