import Foundation
import Logging
import Runtime
import TributaryCore
import XCTest

@testable import PostgresSource

/// The slot keeps up with the WAL, and a long stretch of WAL without captured changes does not hold `poll`.
final class ReplicationProgressTests: ConnectorTestCase {
    override var slotBase: String { "wal" }

    /// With a filtered publication PostgreSQL sends nothing for transactions on other tables, only keepalives:
    /// the slot must follow them, or WAL piles up for ever.
    func testSlotFollowsTheWALWhileOnlyUncapturedTablesChange() throws {
        let captured = "\(slot)_captured"
        let other = "\(slot)_other"
        tables.append(try IntegrationEnvironment.createTable(captured, "id int PRIMARY KEY"))
        tables.append(try IntegrationEnvironment.createTable(other, "id int PRIMARY KEY, filler text"))
        let connector = try RunningConnector(
            IntegrationEnvironment.connectorConfig(
                name: slot, prefix: slot, slot: slot, tables: "public\\.\(captured)",
                extra: ["publication.autocreate.mode": "filtered"]),
            offsetFile: offsetFile)
        defer { try? connector.stop() }
        try IntegrationEnvironment.waitUntilStreaming(slot: slot)
        let db = try IntegrationEnvironment.sql()
        let before = try IntegrationEnvironment.currentWAL()
        // About 50 MB of WAL, in transactions on the uncaptured table only.
        for batch in 0..<10 {
            try db.query(
                "INSERT INTO \(tables[1]) SELECT g, repeat(md5(g::text), 30) FROM generate_series(\(batch * 5000 + 1), \((batch + 1) * 5000)) g",
                purpose: "write to the uncaptured table")
        }
        let written = try IntegrationEnvironment.currentWAL()
        XCTAssertGreaterThan(written.value - before.value, 40_000_000, "the test wrote less WAL than it means to")
        let lag = try slotLag(behind: written, within: 4_000_000)
        XCTAssertLessThan(lag, 4_000_000, "the slot stayed \(lag) bytes behind the WAL")
    }

    /// A transaction with many changes that produce no records (skipped operations) must not hold `poll`
    /// past its deadline: stops, offset flushes and confirmation wait on it.
    func testPollReturnsByItsDeadlineWhileCatchingUp() throws {
        let table = "\(slot)_quiet"
        tables.append(try IntegrationEnvironment.createTable(table, "id int PRIMARY KEY, v text"))
        let config = try PostgresConnectorConfig(
            IntegrationEnvironment.connectorConfig(
                name: slot, prefix: slot, slot: slot, tables: "public\\.\(table)", extra: ["skipped.operations": "c,t"])
        )
        let task = PostgresConnectorTask(config: config)
        try task.start(storedOffset: nil)
        defer { task.stop() }
        try IntegrationEnvironment.sql().query(
            "INSERT INTO \(tables[0]) SELECT g, 'x' FROM generate_series(1, 600000) g", purpose: "insert rows")
        let end = try IntegrationEnvironment.currentWAL()
        let clock = ContinuousClock()
        var longest = Duration.zero
        let deadline = clock.now + .seconds(120)
        while task.confirmedPosition < end && clock.now < deadline {
            let started = clock.now
            let records = try task.poll(timeoutMilliseconds: 100)
            longest = max(longest, clock.now - started)
            XCTAssertTrue(records.isEmpty, "inserts are skipped")
        }
        XCTAssertGreaterThanOrEqual(task.confirmedPosition, end, "the stream was not read to its end")
        XCTAssertLessThan(longest, .milliseconds(600), "a poll of 100 ms took \(longest)")
    }
}
