import TributaryCore
import XCTest

final class ConfigDefinitionTests: XCTestCase {
    private let definition = ConfigDefinition(
        "Test",
        keys: [
            .string("slot.name", default: "debezium", .high, "The slot."),
            .int("max.batch.size", default: 512, .low, range: 1...1000, "Batch."),
            .boolean("tombstones.on.delete", default: true, .medium, "Tombstones."),
            .string("snapshot.mode", default: "initial", .high, allowed: ["initial", "never"], "When."),
            .string("database.hostname", required: true, .high, "Host."),
        ], openPrefixes: ["column.mask.with."])

    func testUnknownKeysWithTheClosestKnownKey() {
        let config = Config([
            "slot.nmae": "x", "max.batch.sise": "1", "database.hostname": "h", "column.mask.with.5.chars": "t",
            "poll.interval.ms": "5",
        ])
        let unknown = definition.unknownKeys(in: config)
        XCTAssertEqual(unknown.map(\.key), ["max.batch.sise", "poll.interval.ms", "slot.nmae"])
        XCTAssertEqual(unknown.map(\.suggestion), ["max.batch.size", nil, "slot.name"])
    }

    func testValidateChecksTypesSetsRangesAndRequiredKeys() {
        func key(_ values: [String: String]) -> String? {
            do {
                try definition.validate(Config(values))
                return nil
            } catch {
                return error.key
            }
        }
        XCTAssertNil(key(["database.hostname": "h", "max.batch.size": "10", "snapshot.mode": "never"]))
        XCTAssertEqual(key([:]), "database.hostname")
        XCTAssertEqual(key(["database.hostname": "h", "max.batch.size": "ten"]), "max.batch.size")
        XCTAssertEqual(key(["database.hostname": "h", "max.batch.size": "0"]), "max.batch.size")
        XCTAssertEqual(key(["database.hostname": "h", "tombstones.on.delete": "yes"]), "tombstones.on.delete")
        XCTAssertEqual(key(["database.hostname": "h", "snapshot.mode": "sometimes"]), "snapshot.mode")
    }

    func testMarkdownListsEveryKey() {
        let text = definition.prefixed("p.").markdown()
        XCTAssertTrue(text.hasPrefix("## Test\n\n| key | type | default | importance | description |"), text)
        XCTAssertTrue(text.contains("| `p.max.batch.size` | int | `512` | low | Batch. Range: 1 to 1000. |"), text)
        XCTAssertTrue(text.contains("| `p.database.hostname` | string | required | high | Host. |"), text)
        XCTAssertTrue(text.contains("One of: `initial`, `never`."), text)
        XCTAssertTrue(text.contains("Also accepted: any key starting with `p.column.mask.with.`."), text)
    }

    func testReadKeysAreRecorded() throws {
        var config = Config(["a": "1", "b": "true"])
        let log = ConfigKeyLog()
        config.readKeys = log
        _ = try config.int("a", default: 0)
        _ = try config.bool("b", default: false)
        _ = config.list("c")
        XCTAssertEqual(log.all, ["a", "b", "c"])
    }
}
