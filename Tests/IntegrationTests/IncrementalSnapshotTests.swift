import Foundation
import KafkaClient
import Monitoring
import TributaryCore
import XCTest

@testable import PostgresSource

/// Incremental snapshots through the signal table (`signal.data.collection`), against a real server and broker:
/// interleaved with streaming, a row changed while its chunk is read is emitted as changed, never as the stale
/// read; a restart resumes after the last row in Kafka; Debezium's options (conditions, surrogate keys,
/// composite keys, stop) behave as documented.
final class IncrementalSnapshotTests: ConnectorTestCase {
    override var slotBase: String { "incr" }

    private var signalTable: String { "\(slot)_signal" }

    private func start(
        chunk: Int, _ extra: [String: String] = [:], metrics: WorkerMetrics? = nil
    ) throws -> RunningConnector {
        let connector = try RunningConnector(
            IntegrationEnvironment.connectorConfig(
                name: slot, prefix: slot, slot: slot, tables: "public\\.\(slot)_[a-z]",
                extra: [
                    "signal.data.collection": "public.\(signalTable)",
                    "incremental.snapshot.chunk.size": String(chunk),
                ].merging(extra) { $1 }),
            offsetFile: offsetFile, schemasEnabled: false, metrics: metrics)
        try IntegrationEnvironment.waitUntilStreaming(slot: slot)
        return connector
    }

    private func createSignalTable() throws {
        tables.append(
            try IntegrationEnvironment.createTable(
                signalTable, "id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048)"))
    }

    /// Sends a signal; returns the WAL position just before it (the connector may act on it before a position
    /// read after it).
    @discardableResult
    private func signal(_ type: String, _ data: String) throws -> LSN {
        let before = try IntegrationEnvironment.currentWAL()
        try IntegrationEnvironment.sql().query(
            "INSERT INTO public.\"\(signalTable)\" VALUES ($1, $2, $3)", [UUID().uuidString, type, data],
            purpose: "send a signal")
        return before
    }

    /// Waits until a record stored after `position` (just before a signal) carries no incremental snapshot
    /// context: the snapshots the signals asked for are over.
    private func waitForIncrementalSnapshotEnd(after position: LSN, timeout: TimeInterval = 120) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let data = FileManager.default.contents(atPath: offsetFile),
                let stored = (try? JSONSerialization.jsonObject(with: data)) as? [String: [String: Any]],
                let offset = stored.values.first, let lsn = offset["lsn"] as? Int,
                UInt64(lsn) > position.value, offset["incremental_snapshot_collections"] == nil
            {
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let stored = (try? String(contentsOfFile: offsetFile, encoding: .utf8)) ?? "none"
        throw IntegrationFailure(
            "the incremental snapshot did not end within \(timeout) s after \(position.value); stored: \(stored)")
    }

    private struct Event {
        var op: String
        var id: Int?
        var v: String?
        var snapshot: String?
        var lsnIsNull: Bool
    }

    /// The events of `table` up to the one for row `sentinel` (inclusive).
    private func events(_ table: String, until sentinel: Int) throws -> [Event] {
        let consumer = try KafkaConsumer(properties: ["bootstrap.servers": IntegrationEnvironment.bootstrapServers])
        var out: [Event] = []
        try consumer.forEach(
            topics: ["\(slot).public.\(slot)_\(table)"], minimum: Int.max, idleMilliseconds: 500,
            timeoutMilliseconds: 120_000
        ) { m in
            guard let value = try IntegrationEnvironment.json(m.value) as? [String: Any] else { return true }
            let row = (value["after"] as? [String: Any]) ?? (value["before"] as? [String: Any])
            let source = value["source"] as? [String: Any]
            let event = Event(
                op: value["op"] as? String ?? "?", id: row?["id"] as? Int, v: row?["v"] as? String,
                snapshot: source?["snapshot"] as? String, lsnIsNull: source?["lsn"] is NSNull)
            out.append(event)
            return event.id != sentinel
        }
        return out
    }

    /// Applies events in order: the table as a consumer rebuilds it.
    private func replay(_ events: [Event]) -> [Int: String] {
        var state: [Int: String] = [:]
        for e in events {
            guard let id = e.id else { continue }
            if e.op == "d" { state[id] = nil } else { state[id] = e.v ?? "" }
        }
        return state
    }

    private func databaseState(_ table: String) throws -> [Int: String] {
        var state: [Int: String] = [:]
        for row in try IntegrationEnvironment.sql().query("SELECT id, v FROM \(table)", purpose: "read the table") {
            if let id = row[0].flatMap({ Int($0) }) { state[id] = row[1] ?? "" }
        }
        return state
    }

    func testStreamedChangesWinOverTheRowsTheirChunkRead() throws {
        try createSignalTable()
        let table = try IntegrationEnvironment.createTable("\(slot)_a", "id int PRIMARY KEY, v text")
        tables.append(table)
        let db = try IntegrationEnvironment.sql()
        try db.query("INSERT INTO \(table) SELECT g, 'v' || g FROM generate_series(1, 20000) g", purpose: "rows")
        let metrics = WorkerMetrics()
        let connector = try start(chunk: 400, metrics: metrics)
        let signalled = try signal(
            "execute-snapshot", #"{"data-collections": ["public\\.\#(slot)_a"], "type": "incremental"}"#)

        // Changes all through the snapshot, many of them to rows whose chunk is being read.
        var generator = SystemRandomNumberGenerator()
        for n in 0..<1500 {
            let id = Int.random(in: 1...20000, using: &generator)
            switch n % 10 {
            case 0: try db.query("DELETE FROM \(table) WHERE id = \(id)", purpose: "delete")
            case 1:
                try db.query(
                    "INSERT INTO \(table) VALUES (\(20000 + n), 'new') ON CONFLICT DO NOTHING", purpose: "insert")
            default: try db.query("UPDATE \(table) SET v = 'u\(n)' WHERE id = \(id)", purpose: "update")
            }
        }
        try waitForIncrementalSnapshotEnd(after: signalled)
        try db.query("INSERT INTO \(table) VALUES (999999, 'sentinel')", purpose: "sentinel")
        let events = try events("a", until: 999_999)
        try connector.stop()

        let reads = events.filter { $0.op == "r" }
        XCTAssertGreaterThan(reads.count, 15000)
        XCTAssertTrue(reads.allSatisfy { $0.snapshot == "incremental" && $0.lsnIsNull }, "Debezium's marker, no LSN")
        XCTAssertEqual(Set(reads.compactMap(\.id)).count, reads.count, "each row read once")
        XCTAssertEqual(replay(events), try databaseState(table), "every row as the database has it now")

        // The snapshot metrics follow incremental snapshots too: the rows read out of the table, the table done.
        let text = String(decoding: metrics.prometheusText(), as: UTF8.self)
        let labels = "{connector=\"\(slot)\",context=\"snapshot\""
        for line in [
            "debezium_metrics_rows_scanned\(labels),table=\"public.\(slot)_a\"} \(reads.count)",
            "debezium_metrics_total_table_count\(labels)} 1", "debezium_metrics_remaining_table_count\(labels)} 0",
            "debezium_metrics_snapshot_completed\(labels)} 1", "debezium_metrics_snapshot_paused\(labels)} 0",
        ] {
            XCTAssertTrue(text.contains(line), "\(line) in:\n\(text)")
        }
    }

    func testARestartResumesAfterTheLastRowInKafka() throws {
        try createSignalTable()
        let table = try IntegrationEnvironment.createTable("\(slot)_a", "id int PRIMARY KEY, v text")
        tables.append(table)
        let db = try IntegrationEnvironment.sql()
        try db.query("INSERT INTO \(table) SELECT g, 'v' || g FROM generate_series(1, 60000) g", purpose: "rows")
        var connector = try start(chunk: 1000)
        let signalled = try signal("execute-snapshot", #"{"data-collections": ["public.\#(slot)_a"]}"#)
        let consumer = try KafkaConsumer(properties: ["bootstrap.servers": IntegrationEnvironment.bootstrapServers])
        var seen = 0
        try consumer.forEach(
            topics: ["\(slot).public.\(slot)_a"], minimum: Int.max, idleMilliseconds: 500, timeoutMilliseconds: 60_000
        ) { _ in
            seen += 1
            return seen < 15000
        }
        try connector.stop()
        let stored = try String(contentsOfFile: offsetFile, encoding: .utf8)
        XCTAssertTrue(stored.contains("incremental_snapshot_primary_key"), "stopped in the middle: \(stored)")

        connector = try start(chunk: 1000)
        try waitForIncrementalSnapshotEnd(after: signalled)
        try db.query("INSERT INTO \(table) VALUES (999999, 'sentinel')", purpose: "sentinel")
        let reads = try events("a", until: 999_999).filter { $0.op == "r" }
        try connector.stop()
        XCTAssertEqual(Set(reads.compactMap(\.id)), Set(1...60000), "every row read")
        XCTAssertLessThanOrEqual(reads.count, 61000, "resumed after the last row in Kafka, not from the start")
    }

    func testConditionsSurrogateAndCompositeKeysAndStop() throws {
        try createSignalTable()
        let composite = try IntegrationEnvironment.createTable(
            "\(slot)_b", "k1 int, k2 text, id int, v text, PRIMARY KEY (k1, k2)")
        let keyless = try IntegrationEnvironment.createTable("\(slot)_c", "id int, v text")
        let stopped = try IntegrationEnvironment.createTable("\(slot)_d", "id int PRIMARY KEY, v text")
        tables += [composite, keyless, stopped]
        let db = try IntegrationEnvironment.sql()
        try db.query(
            """
            INSERT INTO \(composite) SELECT k1, k2, k1 * 100 + ascii(k2), 'b' FROM generate_series(1, 5) k1,
              unnest(ARRAY['a', 'b', 'c', 'd', 'e', 'f']) k2
            """, purpose: "rows")
        try db.query("INSERT INTO \(keyless) SELECT g, 'c' FROM generate_series(1, 20) g", purpose: "rows")
        try db.query("INSERT INTO \(stopped) SELECT g, 'd' FROM generate_series(1, 50000) g", purpose: "rows")
        let connector = try start(chunk: 7)

        // A composite key read in chunks of 7 under a condition; a table without a key is skipped.
        var signalled = try signal(
            "execute-snapshot",
            #"""
            {"data-collections": ["public.\#(slot)_b", "public.\#(slot)_c"],
             "additional-conditions": [{"data-collection": "public.\#(slot)_b", "filter": "k1 <= 3 AND k2 <> 'b'"}]}
            """#)
        try waitForIncrementalSnapshotEnd(after: signalled)
        // A surrogate key makes the keyless table readable.
        signalled = try signal(
            "execute-snapshot", #"{"data-collections": ["public.\#(slot)_c"], "surrogate-key": "id"}"#)
        try waitForIncrementalSnapshotEnd(after: signalled)
        // A stop ends a snapshot under way.
        try signal("execute-snapshot", #"{"data-collections": ["public.\#(slot)_d"]}"#)
        signalled = try signal("stop-snapshot", #"{"data-collections": ["public.\#(slot)_d"], "type": "incremental"}"#)
        try waitForIncrementalSnapshotEnd(after: signalled)

        try db.query("INSERT INTO \(composite) VALUES (9, 'z', 999999, 'sentinel')", purpose: "sentinel")
        try db.query("INSERT INTO \(keyless) VALUES (999999, 'sentinel')", purpose: "sentinel")
        try db.query("INSERT INTO \(stopped) VALUES (999999, 'sentinel')", purpose: "sentinel")
        let b = try events("b", until: 999_999).filter { $0.op == "r" }
        let c = try events("c", until: 999_999).filter { $0.op == "r" }
        let d = try events("d", until: 999_999).filter { $0.op == "r" }
        try connector.stop()

        let expected = (1...3).flatMap { k1 in
            ["a", "c", "d", "e", "f"].map { k1 * 100 + Int(Character($0).asciiValue!) }
        }
        XCTAssertEqual(b.compactMap(\.id), expected, "key order, condition applied, chunk after chunk")
        XCTAssertEqual(c.compactMap(\.id), Array(1...20), "read once, by the surrogate key")
        XCTAssertLessThan(d.count, 50000, "stopped before the end")
    }

    /// `execute-snapshot` of type `blocking`: the stream pauses after the signal, the table is read whole with the
    /// snapshot markers and the signal's position, then the stream goes on with what came after the signal.
    func testABlockingSnapshotPausesTheStream() throws {
        try createSignalTable()
        let table = try IntegrationEnvironment.createTable("\(slot)_a", "id int PRIMARY KEY, v text")
        tables.append(table)
        let db = try IntegrationEnvironment.sql()
        try db.query("INSERT INTO \(table) SELECT g, 'v' || g FROM generate_series(1, 5000) g", purpose: "rows")
        let connector = try start(chunk: 1000)
        try signal("execute-snapshot", #"{"data-collections": ["public.\#(slot)_a"], "type": "blocking"}"#)
        try db.query("INSERT INTO \(table) SELECT g, 'after' FROM generate_series(5001, 5010) g", purpose: "rows")
        try db.query("INSERT INTO \(table) VALUES (999999, 'sentinel')", purpose: "sentinel")
        let consumer = try KafkaConsumer(properties: ["bootstrap.servers": IntegrationEnvironment.bootstrapServers])
        var values: [[String: Any]] = []
        try consumer.forEach(
            topics: ["\(slot).public.\(slot)_a"], minimum: Int.max, idleMilliseconds: 500, timeoutMilliseconds: 60_000
        ) { m in
            guard let value = try IntegrationEnvironment.json(m.value) as? [String: Any] else { return true }
            values.append(value)
            // (The snapshot may read the sentinel too: the stream's insert of it ends the wait.)
            return (value["after"] as? [String: Any])?["id"] as? Int != 999_999 || value["op"] as? String != "c"
        }
        let signalRecord = try IntegrationEnvironment.consume(["\(slot).public.\(signalTable)"], count: 1).first
        try connector.stop()

        let reads = values.filter { $0["op"] as? String == "r" }
        let sources = reads.compactMap { $0["source"] as? [String: Any] }
        XCTAssertGreaterThanOrEqual(reads.count, 5000)
        XCTAssertEqual(sources.first?["snapshot"] as? String, "first")
        XCTAssertEqual(sources.last?["snapshot"] as? String, "last")
        let signalSource =
            (try IntegrationEnvironment.json(signalRecord?.value) as? [String: Any])?["source"]
            as? [String: Any]
        XCTAssertEqual(sources.first?["lsn"] as? Int, signalSource?["lsn"] as? Int, "the signal's position")
        XCTAssertEqual(sources.first?["txId"] as? Int, signalSource?["txId"] as? Int)
        XCTAssertEqual(values.prefix(reads.count).count, reads.count, "the reads come before the stream goes on")
        XCTAssertTrue(values.prefix(reads.count).allSatisfy { $0["op"] as? String == "r" })
        let creates = values.dropFirst(reads.count).compactMap { ($0["after"] as? [String: Any])?["id"] as? Int }
        XCTAssertEqual(creates, Array(5001...5010) + [999_999], "then every change after the signal")
    }

    /// `incremental.snapshot.watermarking.strategy=insert_delete`: each close watermark deletes its open one, so the
    /// signal table keeps only the requests.
    func testInsertDeleteWatermarksLeaveOnlyTheRequests() throws {
        try createSignalTable()
        let table = try IntegrationEnvironment.createTable("\(slot)_a", "id int PRIMARY KEY, v text")
        tables.append(table)
        let db = try IntegrationEnvironment.sql()
        try db.query("INSERT INTO \(table) SELECT g, 'v' || g FROM generate_series(1, 1000) g", purpose: "rows")
        let connector = try start(chunk: 100, ["incremental.snapshot.watermarking.strategy": "insert_delete"])
        let signalled = try signal("execute-snapshot", #"{"data-collections": ["public.\#(slot)_a"]}"#)
        try waitForIncrementalSnapshotEnd(after: signalled)
        try db.query("INSERT INTO \(table) VALUES (999999, 'sentinel')", purpose: "sentinel")
        let reads = try events("a", until: 999_999).filter { $0.op == "r" }
        try connector.stop()
        XCTAssertEqual(reads.compactMap(\.id), Array(1...1000), "every row, once, in key order")
        let left = try db.query("SELECT type FROM public.\"\(signalTable)\"", purpose: "signals left")
        XCTAssertEqual(left.map { $0[0] }, ["execute-snapshot"], "the watermarks are gone")
    }
}
