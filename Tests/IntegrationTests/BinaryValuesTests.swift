import Foundation
import XCTest

@testable import PostgresSource

/// `tributary.pgoutput.binary` with a type it cannot read in binary (`tsquery`): the stream stays in, or goes back
/// to, text mode, and no change is lost or repeated. (That binary values give the same events as text is
/// `DebeziumReferenceComparisonTests.testBinaryValues…`.)
final class BinaryValuesTests: ConnectorTestCase {
    override var slotBase: String { "bin" }

    private func start() throws -> RunningConnector {
        let connector = try RunningConnector(
            IntegrationEnvironment.connectorConfig(
                name: slot, prefix: slot, slot: slot, tables: "public\\.\(slot)_.*",
                extra: [
                    "tributary.pgoutput.binary": "true", "snapshot.mode": "no_data",
                    "errors.retry.delay.initial.ms": "100",
                ]),
            offsetFile: offsetFile)
        try IntegrationEnvironment.waitUntilStreaming(slot: slot)
        return connector
    }

    /// The walsender's command: whether it streams binary values.
    private func streamsBinary() throws -> Bool {
        let rows = try IntegrationEnvironment.sql().query(
            "SELECT a.query FROM pg_replication_slots s JOIN pg_stat_activity a ON a.pid = s.active_pid "
                + "WHERE s.slot_name = $1", [slot], purpose: "read the walsender's command")
        return (rows.first?.first ?? nil)?.contains("\"binary\" 'true'") == true
    }

    private func ids(_ count: Int) throws -> [Int] {
        try IntegrationEnvironment.consume(["\(slot).public.\(slot)_t"], count: count).compactMap { m in
            let value = try IntegrationEnvironment.json(m.value) as? [String: Any]
            return ((value?["payload"] as? [String: Any])?["after"] as? [String: Any])?["id"] as? Int
        }
    }

    func testATypeWithoutABinaryReadingKeepsTheStreamInText() throws {
        tables.append(try IntegrationEnvironment.createTable("\(slot)_t", "id int PRIMARY KEY, q tsquery"))
        let connector = try start()
        XCTAssertFalse(try streamsBinary())
        try IntegrationEnvironment.sql().query(
            "INSERT INTO \(tables[0]) VALUES (1, 'fat & rat'), (2, NULL)", purpose: "rows")
        XCTAssertEqual(try ids(2), [1, 2])
        try connector.stop()
    }

    /// A column of such a type added while streaming: the stream starts again in text mode from where Kafka has
    /// everything.
    func testATypeAddedWhileStreamingTurnsTheStreamToText() throws {
        tables.append(try IntegrationEnvironment.createTable("\(slot)_t", "id int PRIMARY KEY, v numeric(6,2)"))
        let connector = try start()
        XCTAssertTrue(try streamsBinary())
        let db = try IntegrationEnvironment.sql()
        try db.query("INSERT INTO \(tables[0]) SELECT g, g / 4.0 FROM generate_series(1, 20) g", purpose: "rows")
        try db.query("ALTER TABLE \(tables[0]) ADD COLUMN q tsquery", purpose: "add a column")
        try db.query(
            "INSERT INTO \(tables[0]) SELECT g, g / 4.0, 'a & b' FROM generate_series(21, 40) g", purpose: "rows")
        let seen = try ids(40)
        XCTAssertEqual(IntegrationEnvironment.firstOccurrences(seen), Array(1...40), "every change, in order")
        XCTAssertEqual(seen.count, 40, "none twice")
        try IntegrationEnvironment.waitUntilStreaming(slot: slot)
        XCTAssertFalse(try streamsBinary())
        try connector.stop()
    }
}
