import PostgresSource
import TributaryCore
import XCTest

/// Every key the PostgreSQL connector reads is in its definition (so the reference and the unknown-key warnings
/// know it).
final class PostgresConfigDefinitionTests: XCTestCase {
    func testEveryKeyReadIsDefined() throws {
        var config = Config([
            "database.hostname": "h", "database.user": "u", "database.dbname": "d", "topic.prefix": "p",
            "snapshot.select.statement.overrides": "public.t", "signal.data.collection": "public.s",
            "snapshot.select.statement.overrides.public.t": "SELECT * FROM public.t",
            "column.propagate.source.type": ".*", "heartbeat.interval.ms": "1000",
        ])
        let log = ConfigKeyLog()
        config.readKeys = log
        _ = try PostgresConnectorConfig(config)
        let definition = PostgresConnectorConfig.definition
        XCTAssertGreaterThan(log.all.count, 30, "keys are recorded")
        let undefined = log.all.filter { !definition.knows($0) && $0 != "name" && $0 != "connector.class" }
        XCTAssertEqual(undefined.sorted(), [])
    }
}
