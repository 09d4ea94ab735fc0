import TributaryCore
import XCTest

final class ConfigTests: XCTestCase {
    func testTypedAccessorsNameTheKeyOnError() {
        let config = Config(["port": "abc", "flag": "yes", "mode": "Fast", "range": "70000"])
        XCTAssertThrowsError(try config.int("port", default: 1)) { XCTAssertEqual(($0 as? ConfigError)?.key, "port") }
        XCTAssertThrowsError(try config.bool("flag", default: true)) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "flag")
        }
        XCTAssertThrowsError(try config.int("range", default: 1, range: 1...65535)) { error in
            XCTAssertEqual(
                "\(error)", "Invalid value \"70000\" for configuration \"range\": expected an integer in 1...65535")
        }
        XCTAssertThrowsError(try config.required("missing")) {
            XCTAssertEqual("\($0)", "Missing required configuration \"missing\"")
        }
        XCTAssertEqual(try config.choice("mode", default: "slow", allowed: ["slow", "fast"]), "fast")
        XCTAssertEqual(try config.int("absent", default: 7), 7)
    }

    func testSecretsAreMasked() {
        let config = Config(["database.password": "s3cret", "database.user": "u"])
        XCTAssertFalse(config.description.contains("s3cret"))
        XCTAssertTrue(config.description.contains("database.user=u"))
        let error = ConfigError.invalid(key: "database.password", value: "s3cret", expected: "x")
        XCTAssertFalse(error.description.contains("s3cret"))
    }

    func testListsAndPrefixes() {
        let config = Config(["l": " a, b ,,c ", "producer.linger.ms": "5", "producer.acks": "1", "other": "x"])
        XCTAssertEqual(config.list("l"), ["a", "b", "c"])
        XCTAssertEqual(config.withPrefix("producer."), ["linger.ms": "5", "acks": "1"])
    }
}
