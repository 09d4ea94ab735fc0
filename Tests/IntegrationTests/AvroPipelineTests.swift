import Converters
import Foundation
import TributaryCore
import XCTest

@testable import PostgresSource

/// PostgreSQL changes through the Avro converter to the broker, read back and decoded by `confluent-kafka`'s
/// `AvroDeserializer` with the schemas the converter registered.
final class AvroPipelineTests: ConnectorTestCase {
    override var slotBase: String { "avro" }

    func testPostgresChangesReachTheBrokerAsAvroThatConfluentDecodes() throws {
        let registry = try PrivateSchemaRegistry()
        let db = try IntegrationEnvironment.sql()
        tables.append(
            try IntegrationEnvironment.createTable(
                slot, "id int PRIMARY KEY, name text NOT NULL, amount numeric(10,2), born date, seen timestamptz"))
        // A topic prefix with a dash, which Avro names cannot hold: Debezium's avro adjustment makes it `_`.
        let prefix = slot + "-avro"
        let converters = [
            "key.converter": AvroConverter.className, "key.converter.schema.registry.url": registry.url,
            "value.converter": AvroConverter.className, "value.converter.schema.registry.url": registry.url,
            "schema.name.adjustment.mode": "avro",
        ]
        let connector = try RunningConnector(
            IntegrationEnvironment.connectorConfig(
                name: slot, prefix: prefix, slot: slot, tables: "public.\(slot)", extra: converters),
            offsetFile: offsetFile)
        try IntegrationEnvironment.waitUntilStreaming(slot: slot)
        try db.query(
            """
            INSERT INTO "\(slot)" VALUES (1, 'one', 12.50, '2000-02-29', '2024-05-06 07:08:09.123+00'),
              (2, 'two', NULL, NULL, NULL);
            UPDATE "\(slot)" SET name = 'uno', amount = -0.01 WHERE id = 1;
            DELETE FROM "\(slot)" WHERE id = 2;
            """, purpose: "changes")
        let topic = "\(prefix).public.\(slot)"
        let messages = try IntegrationEnvironment.consume([topic], count: 5)
        try connector.stop()
        XCTAssertEqual(messages.count, 5, "insert, insert, update, delete, tombstone")

        let values = try registry.decodeWithConfluent(topic: topic, records: messages.map(\.value))
        let keys = try registry.decodeWithConfluent(topic: topic, records: messages.map(\.key), isKey: true)
        XCTAssertEqual(keys.compactMap { ($0 as? [String: Any])?["id"] as? Int }, [1, 2, 1, 2, 2])
        let events = values.map { $0 as? [String: Any] }
        XCTAssertEqual(events.map { $0?["op"] as? String }, ["c", "c", "u", "d", nil])
        XCTAssertTrue(values[4] is NSNull, "the tombstone stays a null value")
        let first = try XCTUnwrap(events[0]?["after"] as? [String: Any])
        XCTAssertEqual(first["name"] as? String, "one")
        XCTAssertEqual(first["amount"] as? String, "12.50")
        XCTAssertEqual(first["born"] as? Int, 11_016, "io.debezium.time.Date: days since the epoch")
        XCTAssertEqual(first["seen"] as? String, "2024-05-06T07:08:09.123000Z", "as Debezium formats timestamptz")
        XCTAssertEqual((events[2]?["after"] as? [String: Any])?["amount"] as? String, "-0.01")
        XCTAssertTrue((events[1]?["after"] as? [String: Any])?["amount"] is NSNull)
        let source = try XCTUnwrap(events[0]?["source"] as? [String: Any])
        XCTAssertEqual(source["connector"] as? String, "postgresql")
        XCTAssertEqual(source["table"] as? String, slot)
        XCTAssertEqual((events[3]?["before"] as? [String: Any])?["id"] as? Int, 2)

        let subjects = try registry.subjects()
        XCTAssertEqual(subjects["\(topic)-value"]?.count, 1, "one schema for every change of the table")
        XCTAssertTrue(
            subjects["\(topic)-value"]?.first?.contains("\"namespace\":\"\(slot)_avro.public.\(slot)\"") == true,
            "\(subjects)")
        XCTAssertEqual(subjects["\(topic)-key"]?.count, 1)

        // What a sink reads: each key and value read back by the Avro converter writes again to the same bytes.
        let reader = try AvroConverter(Config(["schema.registry.url": registry.url]), isKey: false)
        let writer = try AvroConverter(Config(["schema.registry.url": registry.url]), isKey: false)
        for message in messages {
            let data = try reader.toConnectData(topic: topic, bytes: message.value)
            XCTAssertEqual(
                try writer.fromConnectData(topic: topic, schema: data.schema, value: data.value), message.value)
        }
    }

    /// The pipeline the issue names: PostgreSQL → ExtractNewRecordState → Avro → broker, the unwrapped rows (deletes
    /// rewritten with `__deleted`, the operation added) decoded by confluent-kafka and read back by the converter.
    func testUnwrappedRowsReachTheBrokerAsAvro() throws {
        let registry = try PrivateSchemaRegistry()
        let db = try IntegrationEnvironment.sql()
        tables.append(
            try IntegrationEnvironment.createTable(slot, "id int PRIMARY KEY, name text, amount numeric(10,2)"))
        let settings = [
            "key.converter": AvroConverter.className, "key.converter.schema.registry.url": registry.url,
            "value.converter": AvroConverter.className, "value.converter.schema.registry.url": registry.url,
            "transforms": "unwrap", "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
            "transforms.unwrap.delete.tombstone.handling.mode": "rewrite", "transforms.unwrap.add.fields": "op",
        ]
        let connector = try RunningConnector(
            IntegrationEnvironment.connectorConfig(
                name: slot, prefix: slot, slot: slot, tables: "public.\(slot)", extra: settings),
            offsetFile: offsetFile)
        try IntegrationEnvironment.waitUntilStreaming(slot: slot)
        try db.query(
            """
            INSERT INTO "\(slot)" VALUES (1, 'one', 12.50), (2, 'two', NULL);
            UPDATE "\(slot)" SET name = 'uno' WHERE id = 1;
            DELETE FROM "\(slot)" WHERE id = 2;
            """, purpose: "changes")
        let topic = "\(slot).public.\(slot)"
        let messages = try IntegrationEnvironment.consume([topic], count: 4)
        try connector.stop()
        XCTAssertEqual(messages.count, 4, "insert, insert, update, delete rewritten (no tombstone)")

        let rows = try registry.decodeWithConfluent(topic: topic, records: messages.map(\.value)).map {
            $0 as? [String: Any]
        }
        XCTAssertEqual(rows.map { $0?["__op"] as? String }, ["c", "c", "u", "d"])
        XCTAssertEqual(rows.map { $0?["__deleted"] as? String }, ["false", "false", "false", "true"])
        XCTAssertEqual(
            rows.map { $0?["name"] as? String }, ["one", "two", "uno", nil], "a delete's before holds the key only")
        XCTAssertEqual(rows[0]?["amount"] as? String, "12.50")
        XCTAssertEqual(
            try registry.subjects()["\(topic)-value"]?.count, 1, "one row schema for every operation")

        let reader = try AvroConverter(Config(["schema.registry.url": registry.url]), isKey: false)
        let read = try reader.toConnectData(topic: topic, bytes: messages[3].value)
        XCTAssertEqual(read.value.structValueForTest?["__deleted"], .string("true"))
    }
}

extension Value {
    fileprivate var structValueForTest: Struct? { if case .struct(let s) = self { s } else { nil } }
}
