import DebeziumEvents
import TributaryCore
import XCTest

final class DebeziumEventsTests: XCTestCase {
    func testTopicNamesAreSanitizedAsDebeziumDoes() {
        XCTAssertEqual(TopicName.sanitized("p.public.Order Items"), "p.public.Order_Items")
        XCTAssertEqual(TopicName.sanitized("p.sch\u{e9}ma.t\"q\""), "p.sch_ma.t_q_")
        XCTAssertEqual(TopicName.sanitized("ok.name-1_2"), "ok.name-1_2")
        XCTAssertEqual(TopicName.sanitized(String(repeating: "a", count: 300)).count, 249)
    }

    func testTableFilterMatchesWholeNamesCaseInsensitively() throws {
        let include = try TableFilter(Config(["table.include.list": "public.orders,inventory\\..*"]))
        XCTAssertTrue(include.includes(schema: "public", table: "orders"))
        XCTAssertTrue(include.includes(schema: "public", table: "ORDERS"))
        XCTAssertFalse(include.includes(schema: "public", table: "orders_archive"))
        XCTAssertTrue(include.includes(schema: "inventory", table: "anything"))
        let exclude = try TableFilter(Config(["table.exclude.list": "public\\.secret.*"])) { $0 == "pg_catalog" }
        XCTAssertFalse(exclude.includes(schema: "public", table: "secrets"))
        XCTAssertTrue(exclude.includes(schema: "public", table: "open"))
        XCTAssertFalse(exclude.includes(schema: "pg_catalog", table: "pg_class"), "system schemas are never captured")
        XCTAssertThrowsError(try TableFilter(Config(["table.include.list": "a", "table.exclude.list": "b"])))
        XCTAssertThrowsError(try TableFilter(Config(["table.include.list": "a(("]))) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "table.include.list")
        }
    }

    func testSkippedOperationsAreAClosedSet() throws {
        XCTAssertEqual(try Operation.skipped(Config()), [.truncate], "Debezium's default skips truncates")
        XCTAssertEqual(try Operation.skipped(Config(["skipped.operations": "none"])), [])
        XCTAssertEqual(try Operation.skipped(Config(["skipped.operations": " U, d "])), [.update, .delete])
        for bad in ["x", "r", "m"] {
            XCTAssertThrowsError(try Operation.skipped(Config(["skipped.operations": bad]))) {
                XCTAssertEqual(($0 as? ConfigError)?.key, "skipped.operations")
            }
        }
    }

    func testSourceBlockIsBuiltByFieldName() {
        let layout = SourceBlockSchema(
            name: "io.debezium.connector.mysql.Source",
            connectorFields: [("table", .optionalString), ("server_id", .int64), ("file", .string), ("pos", .int64)])
        XCTAssertEqual(
            layout.schema.fields.map(\.name),
            [
                "version", "connector", "name", "ts_ms", "snapshot", "db", "sequence", "ts_us", "ts_ns", "table",
                "server_id",
                "file", "pos",
            ])
        XCTAssertEqual(
            layout.schema.field(named: "snapshot")?.schema.parameter("allowed"),
            "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental")
        var block = SourceBlock(
            layout,
            CommonSourceInfo(
                version: "1.0", connector: "mysql", serverName: "srv", commitMicros: 1_700_000_000_123_456,
                snapshot: .last, database: "inventory", sequence: nil))
        block["file"] = .string("binlog.000003")
        block[position: layout.position(of: "pos")] = .int64(154)
        let value = block.value
        XCTAssertEqual(value["connector"], .string("mysql"))
        XCTAssertEqual(value["ts_ms"], .int64(1_700_000_000_123))
        XCTAssertEqual(value["ts_us"], .int64(1_700_000_000_123_456))
        XCTAssertEqual(value["ts_ns"], .int64(1_700_000_000_123_456_000))
        XCTAssertEqual(value["snapshot"], .string("last"))
        XCTAssertEqual(value["sequence"], .null)
        XCTAssertEqual(value["file"], .string("binlog.000003"))
        XCTAssertEqual(value["pos"], .int64(154))
        XCTAssertEqual(value["server_id"], .null)
    }

    func testEnvelopeAndRecords() {
        let layout = SourceBlockSchema(name: "test.Source", connectorFields: [])
        let row = Schema.struct(name: "p.s.t.Value", optional: true, fields: [("id", .int32)])
        let key = Schema.struct(name: "p.s.t.Key", fields: [("id", .int32)])
        let envelopeSchema = ChangeEvent.envelopeSchema(name: "p.s.t.Envelope", row: row, source: layout)
        XCTAssertEqual(
            envelopeSchema.fields.map(\.name),
            ["before", "after", "source", "transaction", "op", "ts_ms", "ts_us", "ts_ns"])
        XCTAssertEqual(envelopeSchema.version, 2)
        let source = SourceBlock(
            layout,
            CommonSourceInfo(
                version: "v", connector: "c", serverName: "p", commitMicros: 5_000, snapshot: .false, database: "d",
                sequence: nil)
        ).value
        let after = Struct(schema: row, values: [.int32(7)])
        let envelope = ChangeEvent.envelope(
            schema: envelopeSchema, op: .create, before: nil, after: after, source: source, nowMicros: 9_000_000)
        XCTAssertEqual(envelope["op"], .string("c"))
        XCTAssertEqual(envelope["ts_ms"], .int64(9_000))
        XCTAssertEqual(envelope["before"], .null)
        let record = ChangeEvent.record(
            partition: ["server": .string("p")], offset: ["lsn": .int(1)], topic: "p.s.t", keySchema: key,
            key: Struct(schema: key, values: [.int32(7)]), envelope: envelope, nowMicros: 9_000_000)
        XCTAssertEqual(record.timestamp, 9_000)
        XCTAssertNotNil(record.keySchema)
        let keyless = ChangeEvent.record(
            partition: [:], offset: [:], topic: "p.s.t", keySchema: key, key: nil, envelope: envelope, nowMicros: 0)
        XCTAssertNil(keyless.keySchema, "a table without a key gives records without a key schema")
        XCTAssertEqual(keyless.key, .null)
        let tombstone = ChangeEvent.tombstone(
            partition: [:], offset: [:], topic: "p.s.t", keySchema: key, key: Struct(schema: key, values: [.int32(7)]))
        XCTAssertEqual(tombstone.value, .null)
        XCTAssertNil(tombstone.valueSchema)
    }
}

final class TransactionMetadataTests: XCTestCase {
    private func order(_ names: [String]) -> [String] {
        var counts = TransactionCounts()
        for name in names { _ = counts.count(name) }
        return counts.inJavaHashMapOrder.map(\.name)
    }

    /// Debezium lists an END record's tables in `java.util.HashMap` order; the expected orders were printed by
    /// Java 17 for the same keys.
    func testEndRecordsListTablesInJavaHashMapOrder() {
        XCTAssertEqual(
            order([
                "public.orders", "public.customers", "public.order_items", "inventory.products", "public.cmp_1_nopk",
                "public.cmp_1",
            ]),
            [
                "public.cmp_1", "public.orders", "public.customers", "public.cmp_1_nopk", "public.order_items",
                "inventory.products",
            ])
        // Fourteen keys: past three quarters of 16 buckets the map has 32.
        XCTAssertEqual(
            order((1...14).map { "s.t\($0)" }),
            [
                "s.t6", "s.t5", "s.t8", "s.t7", "s.t2", "s.t1", "s.t4", "s.t3", "s.t13", "s.t12", "s.t11", "s.t10",
                "s.t9",
                "s.t14",
            ])
    }

    func testCountsPerTransactionAndTable() {
        var counts = TransactionCounts()
        XCTAssertEqual(counts.count("a").total, 1)
        XCTAssertEqual(counts.count("b").inCollection, 1)
        let third = counts.count("a")
        XCTAssertEqual(third.total, 3)
        XCTAssertEqual(third.inCollection, 2)
        XCTAssertEqual(counts.total, 3)
    }
}
