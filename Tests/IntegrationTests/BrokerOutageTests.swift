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

    /// Kafka's delivery timeout passes with the broker gone: the task fails (no retries here) after storing the
    /// offsets of what was acknowledged, and of nothing else.
    func testDeliveryFailureStoresOnlyTheAcknowledgedPrefix() throws {
        let broker = try PrivateBroker()
        table = try IntegrationEnvironment.createTable("\(slot)_t", "id int PRIMARY KEY")
        let connector = try RunningConnector(
            IntegrationEnvironment.connectorConfig(
                name: slot, prefix: slot, slot: slot, tables: "public\\.\(slot)_t", extra: ["errors.max.retries": "0"]),
            offsetFile: offsetFile, bootstrapServers: broker.bootstrapServers,
            worker: ["producer.message.timeout.ms": "2000"])
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
        for i in 51...60 { try db.query("INSERT INTO \(table) VALUES (\(i))", purpose: "insert") }
        let failure = try XCTUnwrap(connector.waitForFailure(seconds: 30), "the task did not fail")
        XCTAssertEqual((failure as? TaskError)?.stage, .produce, "\(failure)")
        XCTAssertTrue(failure.isRetriable, "a delivery timeout is retriable (here errors.max.retries=0)")
        let stored = try XCTUnwrap(try storedLSN())
        XCTAssertGreaterThanOrEqual(stored, acknowledged)
        XCTAssertLessThan(UInt64(stored), secondBatchStart.value, "offsets of unacknowledged records were stored")
    }

    /// Starts a connector on a private broker with a small librdkafka queue; `rowsFirst` rows go through before
    /// the broker is killed.
    private func stopWithTheBrokerGone(rowsFirst: Int) throws {
        let broker = try PrivateBroker()
        table = try IntegrationEnvironment.createTable("\(slot)_t", "id int PRIMARY KEY")
        let connector = try RunningConnector(
            IntegrationEnvironment.connectorConfig(name: slot, prefix: slot, slot: slot, tables: "public\\.\(slot)_t"),
            offsetFile: offsetFile, bootstrapServers: broker.bootstrapServers,
            worker: [
                "task.shutdown.graceful.timeout.ms": "2000", "producer.queue.buffering.max.messages": "20",
                "producer.message.timeout.ms": "300000",
            ])
        try IntegrationEnvironment.waitUntilStreaming(slot: slot)
        let db = try IntegrationEnvironment.sql()
        var acknowledged: Int64?
        if rowsFirst > 0 {
            try db.query("INSERT INTO \(table) SELECT g FROM generate_series(1, \(rowsFirst)) g", purpose: "insert")
            let deadline = Date().addingTimeInterval(30)
            while try storedLSN() == nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
            acknowledged = try XCTUnwrap(try storedLSN(), "the first rows were never acknowledged")
        }
        broker.kill()
        let gone = try IntegrationEnvironment.currentWAL()
        try db.query("INSERT INTO \(table) SELECT g FROM generate_series(1001, 1500) g", purpose: "insert")
        Thread.sleep(forTimeInterval: 2)  // the task waits for the broker: topic creation, or room in the queue
        let stopped = Date()
        try connector.stop(within: 40)
        let took = Date().timeIntervalSince(stopped)
        XCTAssertLessThan(took, 2.0 + 3.0, "a stop with the broker gone took \(took) s (graceful timeout 2 s)")
        if let acknowledged {
            let stored = try XCTUnwrap(try storedLSN())
            XCTAssertGreaterThanOrEqual(stored, acknowledged)
            XCTAssertLessThan(UInt64(stored), gone.value, "offsets of unacknowledged records were stored")
        } else {
            XCTAssertNil(try storedLSN(), "nothing was acknowledged, so nothing is stored")
        }
    }

    /// The broker is gone before the first record: the task waits to create its topic, and a stop ends that wait.
    func testStopWhileCreatingATopicEndsInTime() throws {
        try stopWithTheBrokerGone(rowsFirst: 0)
    }

    /// The broker is gone and librdkafka's queue is full: a stop does not wait for room in the queue.
    func testStopWithAFullQueueEndsInTime() throws {
        try stopWithTheBrokerGone(rowsFirst: 5)
    }
}
