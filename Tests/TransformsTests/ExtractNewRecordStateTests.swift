import Converters
import TributaryCore
import XCTest

@testable import Transforms

/// Debezium's unwrap, on Debezium-shaped records; the same settings are compared with Debezium itself in
/// `DebeziumReferenceComparisonTests.testTransformsEqualDebezium`.
final class ExtractNewRecordStateTests: XCTestCase {
    private func unwrap(_ extra: [String: String] = [:]) throws -> TransformationChain {
        var settings = ["transforms": "u", "transforms.u.type": "io.debezium.transforms.ExtractNewRecordState"]
        for (k, v) in extra { settings["transforms.u." + k] = v }
        return try Fixture.chain(settings)
    }

    func testCreatesBecomeTheirRowWithARequiredSchemaCachedPerInputSchema() throws {
        let chain = try unwrap()
        let first = try XCTUnwrap(try chain.apply(Fixture.change("c", after: Fixture.rowValue(1, "a"))))
        let second = try XCTUnwrap(try chain.apply(Fixture.change("u", after: Fixture.rowValue(2, nil))))
        XCTAssertEqual(first.valueSchema?.name, "srv.public.t.Value")
        XCTAssertEqual(first.valueSchema?.isOptional, false, "Debezium rebuilds the row schema: required")
        XCTAssertEqual(first.value.structValue?["name"], .string("a"))
        XCTAssertEqual(first.topic, "srv.public.t")
        XCTAssertEqual(first.key, Fixture.change("c", after: Fixture.rowValue(1, "a")).key)
        let third = try XCTUnwrap(try chain.apply(Fixture.change("c", after: Fixture.rowValue(3, "c"))))
        XCTAssertTrue(first.valueSchema === third.valueSchema, "one output schema per input schema and operation")
        XCTAssertNotNil(second.valueSchema)
        XCTAssertEqual(second.value.structValue?["flag"], .null, "added fields copy values without defaults")
    }

    func testDeleteAndTombstoneHandlingModes() throws {
        let delete = Fixture.change("d", before: Fixture.rowValue(5, "gone"))
        let tombstone = Fixture.tombstone(5)
        let truncate = Fixture.change("t")

        let byDefault = try unwrap()
        let deleted = try XCTUnwrap(try byDefault.apply(delete))
        XCTAssertTrue(deleted.value.isNull, "tombstone mode: the delete keeps its key with a null value")
        XCTAssertNotNil(deleted.valueSchema, "… and the row's schema, as Debezium's ExtractField leaves it")
        XCTAssertNil(try byDefault.apply(tombstone))
        XCTAssertNil(try byDefault.apply(truncate), "truncates are dropped")

        XCTAssertNil(try unwrap(["delete.tombstone.handling.mode": "drop"]).apply(delete))

        let toTombstone = try XCTUnwrap(
            try unwrap(["delete.tombstone.handling.mode": "delete-to-tombstone"]).apply(delete))
        XCTAssertNil(toTombstone.valueSchema)
        XCTAssertTrue(toTombstone.value.isNull)

        let rewrite = try unwrap(["delete.tombstone.handling.mode": "rewrite"])
        let rewritten = try XCTUnwrap(try rewrite.apply(delete))
        XCTAssertEqual(rewritten.value.structValue?["__deleted"], .string("true"))
        XCTAssertEqual(rewritten.value.structValue?["name"], .string("gone"))
        XCTAssertEqual(
            rewritten.value.structValue?["flag"], .boolean(true), "InsertField replaces a null with its default")
        XCTAssertEqual(rewritten.valueSchema?.field(named: "__deleted")?.schema.isOptional, true)
        let created = try XCTUnwrap(try rewrite.apply(Fixture.change("c", after: Fixture.rowValue(6, "x"))))
        XCTAssertEqual(created.value.structValue?["__deleted"], .string("false"))
        XCTAssertNil(try rewrite.apply(tombstone))
        XCTAssertNotNil(try unwrap(["delete.tombstone.handling.mode": "rewrite-with-tombstone"]).apply(tombstone))
    }

    func testAddedFieldsAndHeaders() throws {
        let chain = try unwrap([
            "add.fields": "op,table,source.ts_ms,id,lsn:position,missing", "add.headers": "op,db",
            "add.headers.prefix": "dbz.",
        ])
        let record = try XCTUnwrap(try chain.apply(Fixture.change("c", after: Fixture.rowValue(1, "a"))))
        let fields = try XCTUnwrap(record.valueSchema?.fields.map(\.name))
        XCTAssertEqual(
            fields, ["id", "name", "flag", "__op", "__table", "__source_ts_ms", "__id", "__position"],
            "unknown fields are left out; `id` is the transaction's")
        let value = try XCTUnwrap(record.value.structValue)
        XCTAssertEqual(value["__op"], .string("c"))
        XCTAssertEqual(value["__table"], .string("t"))
        XCTAssertEqual(value["__source_ts_ms"], .int64(1_700_000_000_000))
        XCTAssertEqual(value["__id"], .string("571"))
        XCTAssertEqual(value["__position"], .int64(42))
        XCTAssertEqual(record.valueSchema?.field(named: "__op")?.schema.isOptional, true)
        XCTAssertEqual(
            record.headers,
            [Header(key: "dbz.op", value: Array("c".utf8)), Header(key: "dbz.db", value: Array("db1".utf8))])

        let tombstone = try unwrap(["add.headers": "op", "delete.tombstone.handling.mode": "rewrite-with-tombstone"])
        XCTAssertEqual(
            try tombstone.apply(Fixture.tombstone(1))?.headers, [Header(key: "__op", value: Array("d".utf8))])
    }

    func testRouteByFieldAndRecordsThatAreNotChangeEvents() throws {
        let chain = try unwrap(["route.by.field": "name"])
        XCTAssertEqual(
            try chain.apply(Fixture.change("c", after: Fixture.rowValue(1, "elsewhere")))?.topic, "elsewhere")
        XCTAssertEqual(try chain.apply(Fixture.change("c", after: Fixture.rowValue(1, nil)))?.topic, "srv.public.t")
        XCTAssertEqual(
            try chain.apply(Fixture.change("d", before: Fixture.rowValue(1, "old")))?.topic, "old",
            "a delete routes by its before row")
        let heartbeatSchema = Schema.struct(name: "io.debezium.connector.common.Heartbeat", fields: [("ts_ms", .int64)])
        let heartbeat = SourceRecord(
            sourcePartition: [:], sourceOffset: [:], topic: "__debezium-heartbeat.srv", keySchema: nil, key: .null,
            valueSchema: heartbeatSchema, value: .struct(Struct(schema: heartbeatSchema, values: [.int64(1)])))
        XCTAssertTrue(try chain.apply(heartbeat)?.valueSchema === heartbeatSchema, "not an envelope: unchanged")
    }

    /// `drop.fields.header.name`: fields the header lists leave the row (only optional ones while schemas are kept
    /// compatible), and the key too with `drop.fields.from.key`.
    func testFieldsListedInAHeaderAreDropped() throws {
        var record = Fixture.change("c", after: Fixture.rowValue(7, "seven"))
        record.headers = [Header(key: "drop", value: Array(#"["name","id"]"#.utf8))]
        let compatible = try XCTUnwrap(try unwrap(["drop.fields.header.name": "drop"]).apply(record))
        XCTAssertEqual(compatible.valueSchema?.fields.map(\.name), ["id", "flag"], "id is required: kept")
        let again = try XCTUnwrap(try unwrap(["drop.fields.header.name": "drop"]).apply(record))
        XCTAssertTrue(again.valueSchema?.equalsStructurally(compatible.valueSchema!) == true)
        let all = try XCTUnwrap(
            try unwrap([
                "drop.fields.header.name": "drop", "drop.fields.keep.schema.compatible": "false",
                "drop.fields.from.key": "true",
            ]).apply(record))
        XCTAssertEqual(all.valueSchema?.fields.map(\.name), ["flag"])
        XCTAssertEqual(all.keySchema?.fields.map(\.name), [])
        record.headers = []
        XCTAssertEqual(
            try unwrap(["drop.fields.header.name": "drop"]).apply(record)?.valueSchema?.fields.map(\.name),
            ["id", "name", "flag"], "no header, nothing dropped")
    }
}
