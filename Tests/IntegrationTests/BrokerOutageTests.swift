import Foundation
import Runtime
import TributaryCore
import XCTest

@testable import PostgresSource

/// A broker that goes away mid-run: a stop ends within `task.shutdown.graceful.timeout.ms` and keeps the
/// offsets of what Kafka acknowledged; nothing unacknowledged is stored.
final class BrokerOutageTests: XCTestCase {
    private var slot = ""
    private var table = ""
    private var offsetFile = ""

    override func setUp() {
        slot = IntegrationEnvironment.uniqueName("outage")
        offsetFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(slot)-offsets.json").path
    }

    override func tearDown() {
        IntegrationEnvironment.dropSlot(slot)
        try? FileManager.default.removeItem(atPath: offsetFile)
        if !table.isEmpty {
            _ = try? IntegrationEnvironment.sql().query("DROP TABLE IF EXISTS \(table)", purpose: "drop")
        }
    }

    private func storedLSN() throws -> Int64? {
        try FileOffsetStore(path: offsetFile).offset(connector: slot, partition: ["server": .string(slot)])?[
            "lsn_proc"]?.int64
    }

    /// What a test sees once the broker is gone.
    private struct Outage {
        let connector: RunningConnector
        /// The stored position once the first rows were acknowledged (nil if none were written).
        let acknowledged: Int64?
        /// The WAL position when the broker was killed: no stored offset may reach it.
        let brokerGone: LSN
    }

    /// Starts a connector on a private broker, lets `rowsFirst` rows through to Kafka and waits until their
    /// offsets are stored, kills the broker, then writes `rowsAfter` more rows.
    private func outage(
        rowsFirst: Int, rowsAfter: Int, connector extra: [String: String] = [:], worker: [String: String]
    ) throws -> Outage {
        let broker = try PrivateBroker()
        table = try IntegrationEnvironment.createTable("\(slot)_t", "id int PRIMARY KEY")
        let connector = try RunningConnector(
            IntegrationEnvironment.connectorConfig(
                name: slot, prefix: slot, slot: slot, tables: "public\\.\(slot)_t", extra: extra),
            offsetFile: offsetFile, bootstrapServers: broker.bootstrapServers, worker: worker)
        try IntegrationEnvironment.waitUntilStreaming(slot: slot)
        let db = try IntegrationEnvironment.sql()
        var acknowledged: Int64?
        if rowsFirst > 0 {
            try db.query("INSERT INTO \(table) SELECT g FROM generate_series(1, \(rowsFirst)) g", purpose: "insert")
            let firstRowsEnd = try IntegrationEnvironment.currentWAL()
            let deadline = Date().addingTimeInterval(30)
            while (try storedLSN()).map({ UInt64($0) < firstRowsEnd.value - 200 }) ?? true, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.1)
            }
            acknowledged = try XCTUnwrap(try storedLSN(), "the first rows were never acknowledged")
        }
        broker.kill()
        let gone = try IntegrationEnvironment.currentWAL()
        // One transaction per row: records trickle in, as in production.
        for i in 1..<(1 + rowsAfter) { try db.query("INSERT INTO \(table) VALUES (\(1000 + i))", purpose: "insert") }
        return Outage(connector: connector, acknowledged: acknowledged, brokerGone: gone)
    }

    /// Acknowledged progress is kept; nothing written after the broker went away is stored.
    private func checkStoredOffsets(_ outage: Outage) throws {
        guard let acknowledged = outage.acknowledged else {
            return XCTAssertNil(try storedLSN(), "nothing was acknowledged, so nothing is stored")
        }
        let stored = try XCTUnwrap(try storedLSN())
        XCTAssertGreaterThanOrEqual(stored, acknowledged, "acknowledged progress was lost")
        XCTAssertLessThan(UInt64(stored), outage.brokerGone.value, "offsets of unacknowledged records were stored")
    }

    /// Stops the connector and checks that the stop ended within the graceful timeout (plus slack).
    private func stopInTime(_ outage: Outage, gracefulSeconds: Double) throws {
        Thread.sleep(forTimeInterval: 1.5)  // read, converted and waiting for a broker that is gone
        let stopped = Date()
        try outage.connector.stop(within: 40)
        let took = Date().timeIntervalSince(stopped)
        XCTAssertLessThan(took, gracefulSeconds + 3, "a stop with the broker gone took \(took) s")
        try checkStoredOffsets(outage)
    }

    func testStopWithTheBrokerDownEndsInTimeAndKeepsTheAcknowledgedOffsets() throws {
        let outage = try outage(
            rowsFirst: 50, rowsAfter: 50,
            worker: ["task.shutdown.graceful.timeout.ms": "3000", "producer.message.timeout.ms": "300000"])
        try stopInTime(outage, gracefulSeconds: 3)
    }

    /// Kafka's delivery timeout passes with the broker gone: the task fails (no retries here) after storing the
    /// offsets of what was acknowledged, and of nothing else.
    func testDeliveryFailureStoresOnlyTheAcknowledgedPrefix() throws {
        let outage = try outage(
            rowsFirst: 50, rowsAfter: 10, connector: ["errors.max.retries": "0"],
            worker: ["producer.message.timeout.ms": "2000"])
        let failure = try XCTUnwrap(outage.connector.waitForFailure(seconds: 30), "the task did not fail")
        XCTAssertEqual((failure as? TaskError)?.stage, .produce, "\(failure)")
        XCTAssertTrue(failure.isRetriable, "a delivery timeout is retriable (here errors.max.retries=0)")
        try checkStoredOffsets(outage)
    }

    /// The broker is gone before the first record: the task waits to create its topic, and a stop ends that wait.
    func testStopWhileCreatingATopicEndsInTime() throws {
        let outage = try outage(rowsFirst: 0, rowsAfter: 5, worker: ["task.shutdown.graceful.timeout.ms": "2000"])
        try stopInTime(outage, gracefulSeconds: 2)
    }

    /// The broker is gone and librdkafka's queue (20 messages here) is full: a stop does not wait for room.
    func testStopWithAFullQueueEndsInTime() throws {
        let outage = try outage(
            rowsFirst: 5, rowsAfter: 300,
            worker: [
                "task.shutdown.graceful.timeout.ms": "2000", "producer.queue.buffering.max.messages": "20",
                "producer.message.timeout.ms": "300000",
            ])
        try stopInTime(outage, gracefulSeconds: 2)
    }
}
