import TributaryCore
import XCTest

@testable import Transforms

/// Debezium's ByLogicalTableRouter (the reference comparison in the integration tests runs it on real events).
final class ByLogicalTableRouterTests: XCTestCase {
    private func router(_ settings: [String: String]) throws -> TransformationChain {
        var all = ["transforms": "r", "transforms.r.type": "io.debezium.transforms.ByLogicalTableRouter"]
        for (k, v) in settings { all["transforms.r." + k] = v }
        return try Fixture.chain(all)
    }

    func testShardsShareATopicWithTheirTableInTheKey() throws {
        let chain = try router(["topic.regex": "srv\\.(shard[0-9])\\.t", "topic.replacement": "srv.all.t"])
        let one = try XCTUnwrap(
            try chain.apply(Fixture.change("c", after: Fixture.rowValue(1, "a"), topic: "srv.shard1.t")))
        let two = try XCTUnwrap(
            try chain.apply(Fixture.change("c", after: Fixture.rowValue(1, "b"), topic: "srv.shard2.t")))
        XCTAssertEqual(one.topic, "srv.all.t")
        XCTAssertEqual(one.keySchema?.name, "srv.all.t.Key")
        XCTAssertEqual(one.keySchema?.fields.map(\.name), ["id", "__dbz__physicalTableIdentifier"])
        XCTAssertEqual(one.key.structValue?["__dbz__physicalTableIdentifier"], .string("srv.shard1.t"))
        XCTAssertEqual(two.key.structValue?["__dbz__physicalTableIdentifier"], .string("srv.shard2.t"))
        XCTAssertEqual(one.valueSchema?.name, "srv.all.t.Envelope")
        XCTAssertEqual(one.valueSchema?.version, 2)
        XCTAssertEqual(one.valueSchema?.field(named: "after")?.schema.name, "srv.all.t.Value")
        XCTAssertEqual(one.value.structValue?["after"].structValue?["name"], .string("a"))
        XCTAssertTrue(one.valueSchema === two.valueSchema, "derived once per input schema")
        let tombstone = try XCTUnwrap(try chain.apply(Fixture.tombstone(1)))
        XCTAssertEqual(tombstone.topic, "srv.public.t", "a topic that does not match passes unchanged")
        XCTAssertEqual(tombstone.keySchema?.name, "srv.public.t.Key")
    }

    func testIdentifierFromARegexWithoutUniquenessAndEmptyRoutes() throws {
        let named = try router([
            "topic.regex": "srv\\.(.*)\\.t", "topic.replacement": "logical", "key.field.name": "shard",
            "key.field.regex": "srv\\.(.*)\\.t", "key.field.replacement": "$1",
        ])
        let out = try XCTUnwrap(
            try named.apply(Fixture.change("c", after: Fixture.rowValue(1, "a"), topic: "srv.s9.t")))
        XCTAssertEqual(out.key.structValue?["shard"], .string("s9"))
        let plain = try router([
            "topic.regex": ".*", "topic.replacement": "all", "key.enforce.uniqueness": "false",
        ])
        XCTAssertEqual(try plain.apply(Fixture.tombstone(1))?.keySchema?.fields.map(\.name), ["id"])
        let empty = try router(["topic.regex": "(x?).*", "topic.replacement": "$1"])
        XCTAssertEqual(try empty.apply(Fixture.tombstone(1))?.topic, "srv.public.t", "an empty topic routes nowhere")
    }

    func testConfigurationErrorsNameTheKey() {
        func key(_ settings: [String: String]) -> String? {
            do {
                _ = try router(settings)
                return nil
            } catch {
                return (error as? ConfigError)?.key
            }
        }
        XCTAssertEqual(key(["topic.replacement": "x"]), "transforms.r.topic.regex")
        XCTAssertEqual(key(["topic.regex": "x"]), "transforms.r.topic.replacement")
        XCTAssertEqual(key(["topic.regex": "(", "topic.replacement": "x"]), "transforms.r.topic.regex")
        XCTAssertEqual(
            key(["topic.regex": "x", "topic.replacement": "x", "key.field.regex": "y"]),
            "transforms.r.key.field.replacement")
    }
}
