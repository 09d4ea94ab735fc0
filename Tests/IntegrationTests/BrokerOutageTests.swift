import Foundation
@testable import PostgresSource
import Runtime
import TributaryCore
import XCTest

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
        if !table.isEmpty { _ = try? IntegrationEnvironment.sql().query("DROP TABLE IF EXISTS \(table)", purpose: "drop") }
    }

    private func storedLSN() throws -> Int64? {
        try FileOffsetStore(path: offsetFile).offset(connector: slot, partition: ["server": .string(slot)])?["lsn_proc"]?.int64
    }

    func testStopWithTheBrokerDownEndsInTimeAndKeepsTheAcknowledgedOffsets() throws {
        let broker = try PrivateBroker()
        table = try IntegrationEnvironment.createTable("\(slot)_t", "id int PRIMARY KEY")
        let connector = try RunningConnector(
            IntegrationEnvironment.connectorConfig(name: slot, prefix: slot, slot: slot, tables: "public\\.\(slot)_t"),
            offsetFile: offsetFile, bootstrapServers: broker.bootstrapServers,
            worker: ["task.shutdown.graceful.timeout.ms": "3000", "producer.message.timeout.ms": "300000"])
        try IntegrationEnvironment.waitUntilStreaming(slot: slot)
        let db = try IntegrationEnvironment.sql()
        try db.query("INSERT INTO \(table) SELECT g FROM generate_series(1, 50) g", purpose: "insert")
        let firstBatchEnd = try IntegrationEnvironment.currentWAL()
        let deadline = Date().addingTimeInterval(30)
        while (try storedLSN()).map({ UInt64($0) < firstBatchEnd.value - 200 }) ?? true, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
        }
        let acknowledged = try XCTUnwrap(try storedLSN(), "the first rows were never acknowledged")

        broker.kill()
        let secondBatchStart = try IntegrationEnvironment.currentWAL()
        for i in 51...100 { try db.query("INSERT INTO \(table) VALUES (\(i))", purpose: "insert") }
        Thread.sleep(forTimeInterval: 1.5)  // read, converted and queued for a broker that is gone

        let stopped = Date()
        try connector.stop(within: 30)
        let took = Date().timeIntervalSince(stopped)
        XCTAssertLessThan(took, 3.0 + 3.0, "a stop with the broker down took \(took) s (graceful timeout 3 s)")
        let stored = try XCTUnwrap(try storedLSN())
        XCTAssertGreaterThanOrEqual(stored, acknowledged, "acknowledged progress was lost")
        XCTAssertLessThan(UInt64(stored), secondBatchStart.value, "offsets of unacknowledged records were stored")
    }
}
