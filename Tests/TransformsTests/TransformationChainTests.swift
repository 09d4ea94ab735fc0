import TributaryCore
import XCTest

@testable import Transforms

/// Helpers shared by the transform tests: a Debezium-like table schema and records.
enum Fixture {
    static let row = Schema.struct(
        name: "srv.public.t.Value", optional: true,
        fields: [
            ("id", .int32), ("name", .optionalString),
            ("flag", Schema(type: .boolean, optional: true, defaultValue: .boolean(true))),
        ])
    static let key = Schema.struct(name: "srv.public.t.Key", fields: [("id", .int32)])
    static let source = Schema.struct(
        name: "io.debezium.connector.postgresql.Source",
        fields: [("db", .string), ("table", .string), ("ts_ms", .int64), ("lsn", .optionalInt64)])
    static let transaction = Schema.struct(
        name: "event.block", optional: true, version: 1,
        fields: [("id", .string), ("total_order", .int64), ("data_collection_order", .int64)])
    static let envelope = Schema.struct(
        name: "srv.public.t.Envelope", version: 2,
        fields: [
            ("before", row), ("after", row), ("source", source), ("transaction", transaction), ("op", .string),
            ("ts_ms", .optionalInt64),
        ])

    static func rowValue(_ id: Int32, _ name: String?, flag: Bool? = nil) -> Value {
        .struct(
            Struct(
                schema: row, values: [.int32(id), name.map(Value.string) ?? .null, flag.map(Value.boolean) ?? .null]))
    }

    static func change(
        _ op: String, before: Value = .null, after: Value = .null, topic: String = "srv.public.t"
    )
        -> SourceRecord
    {
        let id: Int32 =
            if case .struct(let s) = after.isNull ? before : after, case .int32(let v) = s["id"] { v } else { 0 }
        let sourceValue = Value.struct(
            Struct(schema: source, values: [.string("db1"), .string("t"), .int64(1_700_000_000_000), .int64(42)]))
        let tx = Value.struct(Struct(schema: transaction, values: [.string("571"), .int64(3), .int64(1)]))
        return SourceRecord(
            sourcePartition: [:], sourceOffset: ["lsn": .int(Int64(id))], topic: topic, keySchema: key,
            key: .struct(Struct(schema: key, values: [.int32(id)])), valueSchema: envelope,
            value: .struct(
                Struct(
                    schema: envelope,
                    values: [before, after, sourceValue, tx, .string(op), .int64(1_700_000_000_500)])),
            timestamp: 1_700_000_000_500)
    }

    static func tombstone(_ id: Int32) -> SourceRecord {
        SourceRecord(
            sourcePartition: [:], sourceOffset: [:], topic: "srv.public.t", keySchema: key,
            key: .struct(Struct(schema: key, values: [.int32(id)])), valueSchema: nil, value: .null)
    }

    static func chain(_ settings: [String: String]) throws -> TransformationChain {
        try TransformationChain(Config(settings))
    }
}

final class TransformationChainTests: XCTestCase {
    func testPredicatesNegationAndOrder() throws {
        let chain = try Fixture.chain([
            "transforms": "drop,route",
            "transforms.drop.type": "org.apache.kafka.connect.transforms.Filter",
            "transforms.drop.predicate": "isTombstone",
            "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
            "transforms.route.regex": "srv\\.public\\.(.*)", "transforms.route.replacement": "copy_$1",
            "transforms.route.predicate": "other", "transforms.route.negate": "true",
            "predicates": "isTombstone,other",
            "predicates.isTombstone.type": "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
            "predicates.other.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            "predicates.other.pattern": "other\\..*",
        ])
        XCTAssertNil(try chain.apply(Fixture.tombstone(1)), "tombstones filtered")
        XCTAssertEqual(try chain.apply(Fixture.change("c", after: Fixture.rowValue(1, "a")))?.topic, "copy_t")
        XCTAssertEqual(
            try chain.apply(Fixture.change("c", after: Fixture.rowValue(1, "a"), topic: "other.x"))?.topic, "other.x",
            "negated predicate: not routed")
    }

    func testConfigurationErrorsNameTheKey() {
        let cases: [([String: String], String)] = [
            (["transforms": "a"], "transforms.a.type"),
            (["transforms": "a", "transforms.a.type": "com.example.Nope"], "transforms.a.type"),
            (
                ["transforms": "a", "transforms.a.type": "org.apache.kafka.connect.transforms.ExtractField$Value"],
                "transforms.a.field"
            ),
            (
                [
                    "transforms": "a", "transforms.a.type": "org.apache.kafka.connect.transforms.Filter",
                    "transforms.a.predicate": "p",
                ], "transforms.a.predicate"
            ),
            (["predicates": "p", "predicates.p.type": "x.Y"], "predicates.p.type"),
            (
                [
                    "predicates": "p",
                    "predicates.p.type":
                        "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
                    "predicates.p.pattern": "(",
                ], "predicates.p.pattern"
            ),
            (
                [
                    "transforms": "u", "transforms.u.type": "io.debezium.transforms.ExtractNewRecordState",
                    "transforms.u.delete.handling.mode": "rewrite",
                ], "transforms.u.delete.handling.mode"
            ),
        ]
        for (settings, key) in cases {
            XCTAssertThrowsError(try Fixture.chain(settings), key) { error in
                XCTAssertEqual((error as? ConfigError)?.key, key, "\(error)")
            }
        }
    }

    func testTransformErrorsNameTheAlias() throws {
        let chain = try Fixture.chain([
            "transforms": "key", "transforms.key.type": "org.apache.kafka.connect.transforms.ValueToKey",
            "transforms.key.fields": "id",
        ])
        XCTAssertThrowsError(try chain.apply(Fixture.tombstone(1))) { error in
            XCTAssertTrue("\(error)".contains("transform \"key\""), "\(error)")
        }
    }

    func testRegexReplacementGroups() {
        XCTAssertEqual(JavaRegex.expand("a$1-$2\\$x", groups: ["all", "one", "two"]), "aone-two$x")
        XCTAssertEqual(
            JavaRegex.expand("$12", groups: ["all", "one"]), "one2", "Java reads digits while a group exists")
    }
}
