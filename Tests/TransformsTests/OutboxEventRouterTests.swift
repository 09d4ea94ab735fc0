import Converters
import TributaryCore
import XCTest

@testable import Transforms

/// Debezium's outbox EventRouter (the reference comparison in the integration tests runs it on real events).
final class OutboxEventRouterTests: XCTestCase {
    private let row = Schema.struct(
        name: "srv.public.outbox.Value", optional: true,
        fields: [
            ("id", .string), ("aggregatetype", .string), ("aggregateid", .string), ("type", .string),
            ("payload", .optionalString),
            ("created", Schema(type: .int64, optional: true, name: "io.debezium.time.MicroTimestamp")),
            ("shard", .optionalInt32), ("version", .optionalInt32),
        ])

    private func event(_ op: String, payload: String?, id: String = "e1") -> SourceRecord {
        let after = Value.struct(
            Struct(
                schema: row,
                values: [
                    .string(id), .string("order"), .string("o-1"), .string("OrderCreated"),
                    payload.map(Value.string) ?? .null, .int64(1_709_214_301_123_456), .int32(3), .int32(7),
                ]))
        let envelope = Schema.struct(
            name: "srv.public.outbox.Envelope",
            fields: [("before", row), ("after", row), ("op", .string), ("ts_ms", .optionalInt64)])
        return SourceRecord(
            sourcePartition: [:], sourceOffset: [:], topic: "srv.public.outbox", keySchema: nil, key: .null,
            valueSchema: envelope,
            value: .struct(
                Struct(
                    schema: envelope,
                    values: [op == "d" ? after : .null, op == "d" ? .null : after, .string(op), .int64(5)])),
            headers: [Header(key: "kept", value: [1])])
    }

    private func router(_ settings: [String: String] = [:]) throws -> TransformationChain {
        var all = ["transforms": "o", "transforms.o.type": "io.debezium.transforms.outbox.EventRouter"]
        for (k, v) in settings { all["transforms.o." + k] = v }
        return try Fixture.chain(all)
    }

    func testAnInsertBecomesTheEventItCarries() throws {
        let out = try XCTUnwrap(try router().apply(event("c", payload: #"{"total":5}"#)))
        XCTAssertEqual(out.topic, "outbox.event.order")
        XCTAssertEqual(out.key, .string("o-1"))
        XCTAssertEqual(out.keySchema?.type, .string)
        XCTAssertEqual(out.value, .string(#"{"total":5}"#), "without envelope fields the value is the payload")
        XCTAssertEqual(out.timestamp, 5, "the change event's ts_ms")
        XCTAssertEqual(out.headers.map(\.key), ["kept", "id"])
        XCTAssertEqual(out.headers.last?.value, Array("e1".utf8))
        XCTAssertNil(try router().apply(event("d", payload: nil)), "deletes are dropped")
        XCTAssertNil(try router().apply(event("u", payload: "x")), "updates are dropped (with a warning)")
        XCTAssertThrowsError(try router(["table.op.invalid.behavior": "fatal"]).apply(event("u", payload: "x")))
        var tombstone = event("c", payload: nil)
        tombstone.value = .null
        tombstone.valueSchema = nil
        XCTAssertNil(try router().apply(tombstone))
    }

    func testEnvelopeHeaderAndPartitionFieldsTimestampsAndEmptyPayloads() throws {
        let chain = try router([
            "table.fields.additional.placement": "type:header:eventType,type:envelope:kind,shard:partition",
            "table.field.event.timestamp": "created", "table.field.event.schema.version": "version",
            "route.tombstone.on.empty.payload": "true", "route.topic.regex": "(.*)", "route.topic.replacement": "x.$1",
        ])
        let out = try XCTUnwrap(try chain.apply(event("r", payload: "p")))
        XCTAssertEqual(out.topic, "x.order")
        XCTAssertEqual(out.valueSchema?.name, "srv.public.outbox.order.Value")
        XCTAssertEqual(out.valueSchema?.version, 7)
        XCTAssertEqual(out.valueSchema?.fields.map(\.name), ["payload", "kind"])
        XCTAssertEqual(out.value.structValue?.values, [.string("p"), .string("OrderCreated")])
        XCTAssertEqual(out.headers.first { $0.key == "eventType" }?.value, Array("OrderCreated".utf8))
        XCTAssertEqual(out.kafkaPartition, 3)
        XCTAssertEqual(out.timestamp, 1_709_214_301_123)
        let empty = try XCTUnwrap(try chain.apply(event("c", payload: "  ")))
        XCTAssertEqual(empty.value, .null, "route.tombstone.on.empty.payload")
        XCTAssertNil(empty.valueSchema)
        XCTAssertThrowsError(try router(["table.field.event.payload": "body"]).apply(event("c", payload: "p"))) {
            error in
            XCTAssertTrue("\(error)".contains("Unable to find payload field body"), "\(error)")
        }
        XCTAssertThrowsError(try router(["table.fields.additional.placement": "type:somewhere"]))
        XCTAssertThrowsError(try router(["table.json.payload.null.behavior": "maybe"]))
    }

    /// `table.expand.json.payload`: JSON text becomes a struct with an inferred schema, shared by equal shapes.
    func testJSONPayloadsExpandIntoStructs() throws {
        let chain = try router([
            "table.expand.json.payload": "true", "table.json.payload.null.behavior": "optional_bytes",
        ])
        let json =
            #"{"total":5,"big":5000000000,"ratio":0.5,"ok":true,"note":null,"#
            + #""lines":[{"sku":"a"},{"sku":"b","qty":2}],"tags":[]}"#
        let out = try XCTUnwrap(try chain.apply(event("c", payload: json)))
        let schema = try XCTUnwrap(out.valueSchema)
        XCTAssertEqual(schema.name, "payload")
        XCTAssertEqual(schema.fields.map(\.name), ["total", "big", "ratio", "ok", "note", "lines"])
        XCTAssertEqual(schema.fields.map(\.schema.type), [.int32, .int64, .float64, .boolean, .bytes, .array])
        XCTAssertEqual(schema.field(named: "lines")?.schema.valueSchema?.fields.map(\.name), ["sku", "qty"])
        XCTAssertEqual(schema.field(named: "lines")?.schema.valueSchema?.name, "payload.lines")
        let value = try XCTUnwrap(out.value.structValue)
        XCTAssertEqual(value["total"], .int32(5))
        XCTAssertEqual(value["big"], .int64(5_000_000_000))
        XCTAssertEqual(value["note"], .null)
        guard case .array(let lines) = value["lines"] else { return XCTFail("\(value)") }
        XCTAssertEqual(lines.map { $0.structValue?["qty"] }, [.null, .int32(2)])
        let again = try XCTUnwrap(try chain.apply(event("c", payload: json)))
        XCTAssertTrue(again.valueSchema === schema, "one schema per document shape")
        for unfit in ["[1, 2]", #"{"a":[1,"x"]}"#, #"{"n":123456789012345678901234}"#, "not json"] {
            XCTAssertEqual(try chain.apply(event("c", payload: unfit))?.value, .string(unfit), unfit)
        }
    }
}
