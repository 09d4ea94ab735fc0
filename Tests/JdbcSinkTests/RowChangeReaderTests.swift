import DebeziumEvents
import XCTest

@testable import JdbcSink
@testable import TributaryCore

final class RowChangeReaderTests: XCTestCase {
    static let row = Schema.struct(
        name: "db.public.t.Value", optional: true, fields: [("id", .int32), ("name", .optionalString)])
    static let key = Schema.struct(name: "db.public.t.Key", fields: [("id", .int32)])
    static let source = Schema.struct(
        name: "io.debezium.connector.postgresql.Source", fields: [("schema", .string), ("table", .string)])
    static let envelope = Schema.struct(
        name: "db.public.t.Envelope",
        fields: [("before", row), ("after", row), ("source", source), ("op", .string), ("ts_ms", .optionalInt64)])

    static func event(_ op: String, id: Int32, name: String? = nil, offset: Int64 = 7) -> SinkRecord {
        let image = Value.struct(Struct(schema: row, values: [.int32(id), name.map(Value.string) ?? .null]))
        let value = Struct(
            schema: envelope,
            values: [
                op == "c" ? .null : image, op == "d" ? .null : image,
                .struct(Struct(schema: source, values: [.string("public"), .string("t")])), .string(op), .int64(1),
            ])
        return SinkRecord(
            topic: "db.public.t", partition: 2, offset: offset, keySchema: key,
            key: .struct(Struct(schema: key, values: [.int32(id)])), valueSchema: envelope, value: .struct(value))
    }

    private func reader(_ settings: [String: String]) throws -> RowChangeReader {
        var values = ["connection.url": "jdbc:postgresql://localhost:5432/db"]
        values.merge(settings) { $1 }
        return RowChangeReader(config: try JdbcSinkConfig(Config(values)))
    }

    func testDebeziumEventsBecomeWritesAndDeletes() throws {
        let upsert = try reader([
            "insert.mode": "upsert", "primary.key.mode": "record_key", "delete.enabled": "true",
        ])
        let write = try XCTUnwrap(try upsert.change(Self.event("u", id: 5, name: "five")))
        XCTAssertEqual(write.operation, .write)
        XCTAssertEqual(write.table, "db_public_t", "${topic} with its dots as underscores")
        XCTAssertEqual(write.key.map(\.name), ["id"])
        XCTAssertEqual(write.key.map(\.value), [.int32(5)])
        XCTAssertEqual(write.columns.map(\.name), ["name"], "the key's fields are not written twice")
        XCTAssertEqual(write.position, "db.public.t/2@7")

        let delete = try XCTUnwrap(try upsert.change(Self.event("d", id: 5)))
        XCTAssertEqual(delete.operation, .delete)
        XCTAssertEqual(delete.key.map(\.value), [.int32(5)])
        var tombstone = Self.event("d", id: 5)
        tombstone.value = .null
        tombstone.valueSchema = nil
        XCTAssertEqual(try upsert.change(tombstone)?.operation, .delete)

        let plain = try reader([:])
        XCTAssertNil(try plain.change(Self.event("d", id: 5)), "deletes only with delete.enabled")
        XCTAssertNil(try plain.change(tombstone))
        let inserted = try XCTUnwrap(try plain.change(Self.event("c", id: 1, name: "one")))
        XCTAssertEqual(inserted.key.count, 0)
        XCTAssertEqual(inserted.columns.map(\.name), ["id", "name"])
    }

    func testTransactionRecordsAreNotRows() throws {
        let end = Struct(
            schema: TransactionMetadata.valueSchema,
            values: [.string("END"), .string("571:53712"), .int64(1), .array([]), .int64(0)])
        let record = SinkRecord(
            topic: "db.transaction", partition: 0, offset: 0, keySchema: nil, key: .null,
            valueSchema: TransactionMetadata.valueSchema, value: .struct(end))
        XCTAssertNil(try reader([:]).change(record))
        let boundary = try XCTUnwrap(RowChangeReader.transactionBoundary(record))
        XCTAssertEqual(boundary.isEnd, true)
        XCTAssertEqual(boundary.id, "571")
    }

    func testTableNamesFromTheFormat() throws {
        let bySource = try reader(["collection.name.format": "copy_${source.schema}.${source.table}_x"])
        XCTAssertEqual(try bySource.change(Self.event("c", id: 1))?.table, "copy_public.t_x")
        let legacy = try reader(["table.name.format": "archive.${topic}"])
        XCTAssertEqual(try legacy.change(Self.event("c", id: 1))?.table, "archive.db_public_t")
    }

    func testKeyModes() throws {
        let kafka = try XCTUnwrap(try reader(["primary.key.mode": "kafka"]).change(Self.event("c", id: 3)))
        XCTAssertEqual(kafka.key.map(\.name), ["__connect_topic", "__connect_partition", "__connect_offset"])
        XCTAssertEqual(kafka.key.map(\.value), [.string("db.public.t"), .int32(2), .int64(7)])
        XCTAssertEqual(kafka.columns.map(\.name), ["id", "name"])
        let byValue = try XCTUnwrap(
            try reader(["primary.key.mode": "record_value", "primary.key.fields": "name"]).change(
                Self.event("c", id: 3, name: "x")))
        XCTAssertEqual(byValue.key.map(\.name), ["name"])
        XCTAssertEqual(byValue.columns.map(\.name), ["id"])
        var keyless = Self.event("c", id: 3)
        keyless.key = .null
        XCTAssertThrowsError(try reader(["primary.key.mode": "record_key"]).change(keyless)) {
            XCTAssertEqual(($0 as? SinkError)?.code, .missingKey)
        }
    }

    func testFieldListsChooseTheColumnsButNeverTheKey() throws {
        let excluded = try reader(["primary.key.mode": "record_key", "field.exclude.list": "db\\.public\\.t:name"])
        XCTAssertEqual(try excluded.change(Self.event("c", id: 1, name: "x"))?.columns.map(\.name), [])
        let included = try reader(["primary.key.mode": "record_key", "field.include.list": "db\\.public\\.t:(id|x)"])
        let write = try XCTUnwrap(try included.change(Self.event("c", id: 1, name: "x")))
        XCTAssertEqual(write.key.map(\.name), ["id"], "the key is written though the list names none of its fields")
        XCTAssertEqual(write.columns.map(\.name), [])
        let otherTopic = try reader(["field.exclude.list": "other:name"])
        XCTAssertEqual(try otherTopic.change(Self.event("c", id: 1))?.columns.map(\.name), ["id", "name"])
        let wholeName = try reader(["field.include.list": "db\\.public\\.t:na"])
        XCTAssertEqual(
            try wholeName.change(Self.event("c", id: 1))?.columns.map(\.name), [], "a pattern matches whole names")
    }

    func testSettingsThatCannotWorkAreRefused() {
        XCTAssertThrowsError(try reader(["insert.mode": "upsert"])) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "primary.key.mode")
        }
        XCTAssertThrowsError(try reader(["delete.enabled": "true", "primary.key.mode": "kafka"]))
        XCTAssertThrowsError(try reader(["primary.key.mode": "record_value"])) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "primary.key.fields")
        }
        XCTAssertThrowsError(try reader(["insert.mode": "merge"]))
        XCTAssertThrowsError(try reader(["field.include.list": "t:a", "field.exclude.list": "t:b"])) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "field.exclude.list")
        }
        XCTAssertThrowsError(try reader(["field.include.list": "t:("])) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "field.include.list")
        }
        XCTAssertThrowsError(try reader(["flush.max.retries": "-1"])) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "flush.max.retries")
        }
        for zone in ["Europe/Nowhere", "Paris", "+25:00", "UTC+1:5", "+02:00:30"] {
            XCTAssertThrowsError(try reader(["use.time.zone": zone]), zone) {
                XCTAssertEqual(($0 as? ConfigError)?.key, "use.time.zone")
            }
        }
        XCTAssertEqual(try reader(["use.time.zone": "Europe/Paris"]).config.timeZone.description, "Europe/Paris")
        XCTAssertTrue(try reader([:]).config.timeZone.isUTC)
        XCTAssertThrowsError(try JdbcSinkConfig(Config(["connection.url": "postgresql://x/db"]))) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "connection.url")
        }
    }

    func testJdbcURLs() throws {
        let url = try JdbcURL("jdbc:postgresql://db.example:6543/shop?sslmode=require&user=u", key: "k")
        XCTAssertEqual(url.dialect, .postgresql)
        XCTAssertEqual(url.host, "db.example")
        XCTAssertEqual(url.port, 6543)
        XCTAssertEqual(url.database, "shop")
        XCTAssertEqual(url.parameters["sslmode"], "require")
        XCTAssertEqual(url.user, "u")
        XCTAssertEqual(try JdbcURL("jdbc:mariadb://h/app", key: "k").port, 3306)
        XCTAssertThrowsError(try JdbcURL("jdbc:oracle:thin:@h:1521:x", key: "k"))
        XCTAssertThrowsError(try JdbcURL("jdbc:postgresql://h:99999/x", key: "k"))
    }
}
