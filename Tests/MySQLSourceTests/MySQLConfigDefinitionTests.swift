import MySQLSource
import TributaryCore
import XCTest

/// Every key the MySQL and MariaDB connectors read is in their definition.
final class MySQLConfigDefinitionTests: XCTestCase {
    func testEveryKeyReadIsDefined() throws {
        for (flavor, history) in [
            (MySQLConnectorConfig.Flavor.mysql, ["schema.history.internal.file.filename": "/tmp/h.jsonl"]),
            (
                .mariadb,
                [
                    "schema.history.internal.kafka.topic": "h",
                    "schema.history.internal.kafka.bootstrap.servers": "127.0.0.1:9092",
                ]
            ),
        ] {
            var config = Config(
                [
                    "database.hostname": "h", "database.user": "u", "topic.prefix": "p",
                    "signal.data.collection": "d.s", "heartbeat.interval.ms": "1000",
                ].merging(history) { $1 })
            let log = ConfigKeyLog()
            config.readKeys = log
            _ = try MySQLConnectorConfig(config, flavor: flavor)
            let definition = MySQLConnectorConfig.definition(flavor)
            XCTAssertGreaterThan(log.all.count, 30, "keys are recorded")
            let undefined = log.all.filter { !definition.knows($0) && $0 != "name" && $0 != "connector.class" }
            XCTAssertEqual(undefined.sorted(), [], "\(flavor)")
        }
    }
}
