import Foundation
import KafkaClient
import TributaryCore
import XCTest

@testable import PostgresSource

/// pgoutput protocol 2: transactions larger than `logical_decoding_work_mem` are streamed while in progress, kept on
/// disk by the task, handed out when they commit and dropped when they (or their subtransactions) roll back. The
/// events equal those of protocol 1, which sends each transaction whole at its commit.
final class LargeTransactionTests: ConnectorTestCase {
    override var slotBase: String { "large" }

    private func payloads(_ topic: String, until sentinel: Int) throws -> [[String: Any]] {
        let consumer = try KafkaConsumer(properties: ["bootstrap.servers": IntegrationEnvironment.bootstrapServers])
        var out: [[String: Any]] = []
        try consumer.forEach(topics: [topic], minimum: Int.max, idleMilliseconds: 500, timeoutMilliseconds: 120_000) {
            m in
            guard var value = try IntegrationEnvironment.json(m.value) as? [String: Any] else { return true }
            for k in ["ts_ms", "ts_us", "ts_ns"] { value[k] = nil }
            if var source = value["source"] as? [String: Any] {
                for k in ["ts_ms", "ts_us", "ts_ns", "name"] { source[k] = nil }
                value["source"] = source
            }
            out.append(value)
            let row = value["after"] as? [String: Any]
            return row?["id"] as? Int != sentinel
        }
        return out
    }

    func testTransactionsStreamedInProgressGiveTheEventsOfWholeOnes() throws {
        let db = try IntegrationEnvironment.sql()
        let table = try IntegrationEnvironment.createTable("\(slot)_t", "id int PRIMARY KEY, v text, pad text")
        tables.append(table)
        try db.query("ALTER SYSTEM SET logical_decoding_work_mem = '64kB'", purpose: "stream small transactions")
        try db.query("SELECT pg_reload_conf()", purpose: "reload")
        let wholeSlot = slot + "_v1"
        defer {
            _ = try? db.query("ALTER SYSTEM RESET logical_decoding_work_mem", purpose: "reset")
            _ = try? db.query("SELECT pg_reload_conf()", purpose: "reload")
            IntegrationEnvironment.dropSlot(wholeSlot)
        }
        let tables = "public\\.\(slot)_t"
        let metadata = ["provide.transaction.metadata": "true"]
        let streamed = try RunningConnector(
            IntegrationEnvironment.connectorConfig(
                name: slot, prefix: slot, slot: slot, tables: tables, extra: metadata),
            offsetFile: offsetFile, schemasEnabled: false)
        let whole = try RunningConnector(
            IntegrationEnvironment.connectorConfig(
                name: wholeSlot, prefix: wholeSlot, slot: wholeSlot, tables: tables,
                extra: metadata.merging(["tributary.pgoutput.streaming": "false"]) { $1 }),
            offsetFile: offsetFile + ".v1", schemasEnabled: false)
        defer { try? FileManager.default.removeItem(atPath: offsetFile + ".v1") }
        try IntegrationEnvironment.waitUntilStreaming(slot: slot)
        try IntegrationEnvironment.waitUntilStreaming(slot: wholeSlot)

        // A large transaction with a subtransaction rolled back, and a small one committed while it runs.
        let other = try IntegrationEnvironment.sql()
        let pad = "repeat('p', 200)"
        try db.query("BEGIN", purpose: "begin")
        try db.query("INSERT INTO \(table) SELECT g, 'a', \(pad) FROM generate_series(1, 2000) g", purpose: "rows")
        try other.query("INSERT INTO \(table) VALUES (100000, 'small', '')", purpose: "small")
        try db.query("SAVEPOINT s", purpose: "savepoint")
        try db.query("UPDATE \(table) SET v = 'gone' WHERE id <= 1500", purpose: "rolled back")
        try db.query("ROLLBACK TO SAVEPOINT s", purpose: "rollback")
        try db.query("UPDATE \(table) SET v = 'kept' WHERE id <= 300", purpose: "update")
        try db.query("DELETE FROM \(table) WHERE id BETWEEN 1000 AND 1049", purpose: "delete")
        try db.query("INSERT INTO \(table) SELECT g, 'b', \(pad) FROM generate_series(2001, 3000) g", purpose: "rows")
        try db.query("COMMIT", purpose: "commit")
        // A large transaction rolled back whole.
        try db.query("BEGIN", purpose: "begin")
        try db.query("INSERT INTO \(table) SELECT g, 'x', \(pad) FROM generate_series(5001, 8000) g", purpose: "rows")
        try db.query("ROLLBACK", purpose: "rollback")
        try db.query("INSERT INTO \(table) VALUES (999999, 'sentinel', '')", purpose: "sentinel")

        let ours = try payloads("\(slot).public.\(slot)_t", until: 999_999)
        let theirs = try payloads("\(wholeSlot).public.\(slot)_t", until: 999_999)
        func transactions(_ prefix: String) throws -> [NSDictionary] {
            try IntegrationEnvironment.consume(["\(prefix).transaction"], count: 6).compactMap { m in
                guard var value = try IntegrationEnvironment.json(m.value) as? [String: Any] else { return nil }
                value["ts_ms"] = nil
                return NSDictionary(dictionary: value)
            }
        }
        let ourTransactions = try transactions(slot)
        let theirTransactions = try transactions(wholeSlot)
        let streamedTransactions = try db.query(
            "SELECT stream_txns FROM pg_stat_replication_slots WHERE slot_name = $1", [slot], purpose: "stats")
        try streamed.stop()
        try whole.stop()

        XCTAssertGreaterThan(Int(streamedTransactions.first?.first.flatMap { $0 } ?? "0") ?? 0, 0, "streamed")
        XCTAssertEqual(
            ours.count, 2000 + 1 + 300 + 50 + 1000 + 1, "creates, the small one, updates, deletes (tombstones aside)")
        XCTAssertEqual(ours.count, theirs.count)
        for (i, (a, b)) in zip(ours, theirs).enumerated() where !NSDictionary(dictionary: a).isEqual(to: b) {
            XCTFail("event \(i) differs:\n\(a)\n\(b)")
            break
        }
        XCTAssertEqual(ourTransactions.count, 6, "BEGIN and END of the large, the small and the last transaction")
        XCTAssertEqual(ourTransactions, theirTransactions, "the same transaction ids, counts and order")
        XCTAssertEqual(ours.first { ($0["after"] as? [String: Any])?["id"] as? Int == 100000 }?["op"] as? String, "c")
        XCTAssertFalse(
            ours.contains { ($0["after"] as? [String: Any])?["v"] as? String == "gone" }, "rolled back: not emitted")
        let ids = ours.compactMap { ($0["after"] as? [String: Any])?["id"] as? Int }
        XCTAssertFalse(ids.contains { (5001...8000).contains($0) }, "the transaction rolled back whole: nothing")
    }
}
