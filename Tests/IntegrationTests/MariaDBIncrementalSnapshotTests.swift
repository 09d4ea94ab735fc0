import Foundation
import KafkaClient
import TributaryCore
import XCTest

/// Incremental snapshots of the MariaDB connector through the signal table (`signal.data.collection`), against
/// the real server and broker: chunks read between watermarks beside the stream, a row changed meanwhile ending
/// with its changed value, Debezium's options, and a restart that resumes after the last row in Kafka.
final class MariaDBIncrementalSnapshotTests: XCTestCase {
    private func start(
        _ db: String, _ work: URL, chunk: Int, _ extra: [String: String] = [:]
    ) throws -> RunningConnector {
        let connector = try RunningConnector(
            MariaDBEnvironment.connectorConfig(
                db, work: work,
                [
                    "snapshot.mode": "no_data", "signal.data.collection": "\(db).dbz_signal",
                    "incremental.snapshot.chunk.size": String(chunk),
                ].merging(extra) { $1 }),
            offsetFile: work.path + "/offsets.json", schemasEnabled: false)
        return connector
    }

    /// A database with the signal table and `t` holding `rows` rows (`id`, `v` = `v<id>`); the connector's schema
    /// snapshot is awaited after `start`.
    private func prepare(_ base: String, rows: Int) throws -> (String, URL) {
        let (db, work) = try MariaDBEnvironment.prepare(base, for: self)
        let values = (1...rows).map { "(\($0), 'v\($0)')" }.joined(separator: ",")
        try MariaDBEnvironment.sql(
            """
            USE \(db);
            CREATE TABLE dbz_signal (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048));
            CREATE TABLE t (id int PRIMARY KEY, v varchar(40));
            INSERT INTO t VALUES \(values);
            """)
        return (db, work)
    }

    /// Waits for the schema snapshot's events (the database's and one per table: `tables` of them, the signal
    /// table and `t` by default), so that changes made next are the stream's.
    private func waitForStreaming(_ db: String, tables: Int = 2) throws {
        guard try IntegrationEnvironment.consume([db], count: 1 + tables).count >= 1 + tables else {
            throw IntegrationFailure("no schema snapshot of \(db)")
        }
    }

    private func signal(_ db: String, _ type: String, _ data: String) throws {
        try MariaDBEnvironment.sql(
            "INSERT INTO \(db).dbz_signal VALUES ('\(UUID().uuidString)', '\(type)', '\(data)')")
    }

    private func events(_ messages: [ConsumedMessage]) throws -> [[String: Any]] {
        try messages.compactMap { try IntegrationEnvironment.json($0.value) as? [String: Any] }
    }

    private func id(_ event: [String: Any]) -> Int? {
        ((event["after"] as? [String: Any]) ?? (event["before"] as? [String: Any]))?["id"] as? Int
    }

    /// Waits until the stored offset is past the binlog's end as it is now and carries no incremental snapshot
    /// context: what was signalled before now is done.
    private func waitForSnapshotEnd(_ work: URL, timeout: TimeInterval = 60) throws {
        let end = try XCTUnwrap(try MariaDBEnvironment.sql("SHOW MASTER STATUS").first)
        let target = (end[0], Int(end[1]) ?? 0)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let data = FileManager.default.contents(atPath: work.path + "/offsets.json"),
                let stored = (try? JSONSerialization.jsonObject(with: data)) as? [String: [String: Any]],
                let offset = stored.values.first, let file = offset["file"] as? String, let pos = offset["pos"] as? Int,
                (file, pos) >= target, offset["incremental_snapshot_collections"] == nil
            {
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw IntegrationFailure("the incremental snapshot did not end within \(timeout) s")
    }

    /// The stored offset's incremental snapshot context, once it has one.
    private func waitForContext(_ work: URL, timeout: TimeInterval = 60) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let data = FileManager.default.contents(atPath: work.path + "/offsets.json"),
                let stored = (try? JSONSerialization.jsonObject(with: data)) as? [String: [String: Any]],
                let offset = stored.values.first, offset["incremental_snapshot_primary_key"] != nil
            {
                return offset
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw IntegrationFailure("no incremental snapshot context stored within \(timeout) s")
    }

    /// Every row is read once, in chunks, as `op: "r"` with `source.snapshot` = `incremental`, while changes
    /// stream from another connection: whatever the interleaving, the last event of each row carries its value in
    /// the database, never a stale read.
    func testChunksAreReadBesideTheStreamAndChangesWin() throws {
        let (db, work) = try prepare("mdbincr", rows: 400)
        let connector = try start(db, work, chunk: 4)
        try waitForStreaming(db)
        let writer = DispatchQueue(label: "writer")
        let writes = DispatchGroup()
        writer.async(group: writes) {
            var statements = ""
            for round in 0..<150 {
                let id = (round * 37) % 400 + 1
                statements +=
                    round % 10 == 9
                    ? "DELETE FROM \(db).t WHERE id = \(id);"
                    : "UPDATE \(db).t SET v = 'changed\(round)' WHERE id = \(id);"
                if round % 15 == 14 {
                    _ = try? MariaDBEnvironment.sql(statements)
                    statements = ""
                }
            }
        }
        try signal(db, "execute-snapshot", #"{"data-collections": ["\#(db).t"], "type": "incremental"}"#)
        writes.wait()
        try MariaDBEnvironment.sql("INSERT INTO \(db).t VALUES (401, 'new')")
        try waitForSnapshotEnd(work)
        let messages = try IntegrationEnvironment.consume(["\(db).\(db).t"], count: 400)
        try connector.stop()

        let events = try events(messages)
        let reads = events.filter { $0["op"] as? String == "r" }
        XCTAssertFalse(reads.isEmpty)
        for read in reads {
            let source = try XCTUnwrap(read["source"] as? [String: Any])
            XCTAssertEqual(source["snapshot"] as? String, "incremental")
            XCTAssertEqual(source["connector"] as? String, "mariadb")
        }
        XCTAssertEqual(Set(reads.compactMap(id)).count, reads.count, "each row read once")
        var last: [Int: [String: Any]] = [:]
        for event in events { if let id = id(event) { last[id] = event } }
        XCTAssertEqual(Set(last.keys), Set(1...401), "every row has an event")
        let rows = try MariaDBEnvironment.sql("SELECT id, v FROM \(db).t")
        let final = Dictionary(uniqueKeysWithValues: rows.map { (Int($0[0]) ?? 0, $0[1]) })
        for i in 1...401 {
            let event = try XCTUnwrap(last[i])
            if let value = final[i] {
                XCTAssertEqual((event["after"] as? [String: Any])?["v"] as? String, value, "row \(i)")
            } else {
                XCTAssertEqual(event["op"] as? String, "d", "row \(i) was deleted")
            }
        }
    }

    /// A row changed after its chunk was read but before the window closed (here by a trigger on the close
    /// watermark, in its transaction, so the stream has the change just before the watermark) is not emitted as
    /// its stale read: the streamed change supersedes it. Without that, every row would end with its old value.
    func testAChangeInsideTheWindowSupersedesTheStaleRead() throws {
        let (db, work) = try prepare("mdbincr3", rows: 40)
        try MariaDBEnvironment.sql(
            """
            USE \(db);
            CREATE TABLE closes (n int);
            INSERT INTO closes VALUES (0);
            DELIMITER //
            CREATE TRIGGER at_close BEFORE INSERT ON dbz_signal FOR EACH ROW
            BEGIN
              IF NEW.type = 'snapshot-window-close' THEN
                UPDATE closes SET n = n + 1;
                UPDATE t SET v = CONCAT('closed', id)
                  WHERE id BETWEEN (SELECT n FROM closes) * 4 - 3 AND (SELECT n FROM closes) * 4;
              END IF;
            END//
            DELIMITER ;
            """)
        let connector = try start(db, work, chunk: 4)
        try waitForStreaming(db, tables: 3)
        try signal(db, "execute-snapshot", #"{"data-collections": ["\#(db).t"]}"#)
        try waitForSnapshotEnd(work)
        let messages = try IntegrationEnvironment.consume(["\(db).\(db).t"], count: 40)
        try connector.stop()
        let events = try events(messages)
        var last: [Int: [String: Any]] = [:]
        for event in events { if let id = id(event) { last[id] = event } }
        for i in 1...40 {
            XCTAssertEqual((last[i]?["after"] as? [String: Any])?["v"] as? String, "closed\(i)", "row \(i)")
        }
        XCTAssertEqual(events.filter { $0["op"] as? String == "r" }.count, 0, "every read was superseded")
    }

    /// `additional-conditions` limit the rows read; a restart in the middle of a snapshot (held after its first
    /// chunk by `pause-snapshot`, sent in the same transaction) resumes after the last row in Kafka instead of
    /// starting over.
    func testConditionsAndARestartThatResumes() throws {
        let (db, work) = try prepare("mdbincr2", rows: 300)
        var connector = try start(db, work, chunk: 20)
        try waitForStreaming(db)
        let condition = #"{"data-collection": "\#(db).t", "filter": "id > 100"}"#
        let request = #"{"data-collections": ["\#(db).t"], "additional-conditions": [\#(condition)]}"#
        try MariaDBEnvironment.sql(
            """
            BEGIN;
            INSERT INTO \(db).dbz_signal VALUES ('first', 'execute-snapshot', '\(request)');
            INSERT INTO \(db).dbz_signal VALUES ('second', 'pause-snapshot', NULL);
            COMMIT;
            """)
        let first = try IntegrationEnvironment.consume(["\(db).\(db).t"], count: 20)
        XCTAssertEqual(try events(first).compactMap(id), Array(101...120), "one chunk, then the pause")
        let context = try waitForContext(work)
        XCTAssertEqual(context["incremental_snapshot_primary_key"] as? String, #"["120"]"#)
        XCTAssertEqual(context["incremental_snapshot_maximum_key"] as? String, #"["300"]"#)
        try connector.stop()

        connector = try start(db, work, chunk: 20)
        try waitForSnapshotEnd(work)
        let messages = try IntegrationEnvironment.consume(["\(db).\(db).t"], count: 200)
        try connector.stop()
        let ids = try events(messages).filter { $0["op"] as? String == "r" }.compactMap(id)
        XCTAssertEqual(ids, Array(101...300), "the condition's rows, each once, in key order")
    }

    /// A composite key with a binary column is read chunk after chunk in key order (the binary part compared as
    /// bytes); with `insert_delete` watermarking the close watermark deletes the open one, so the signal table
    /// keeps only the request.
    func testACompositeBinaryKeyWithInsertDeleteWatermarks() throws {
        let (db, work) = try prepare("mdbincr4", rows: 1)
        var values: [String] = []
        for a in 1...6 {
            for b in [0x00, 0x27, 0x5C, 0x7F, 0xFF] { values.append("(\(a), x'\(String(format: "%02x", b))01', 'r')") }
        }
        try MariaDBEnvironment.sql(
            """
            USE \(db);
            CREATE TABLE k (a int, b varbinary(8), v varchar(10), PRIMARY KEY (a, b));
            INSERT INTO k VALUES \(values.joined(separator: ","));
            """)
        let connector = try start(db, work, chunk: 7, ["incremental.snapshot.watermarking.strategy": "insert_delete"])
        try waitForStreaming(db, tables: 3)
        try signal(db, "execute-snapshot", #"{"data-collections": ["\#(db).k"]}"#)
        try waitForSnapshotEnd(work)
        let messages = try IntegrationEnvironment.consume(["\(db).\(db).k"], count: 30)
        try connector.stop()
        let keys = try events(messages).compactMap { event -> String? in
            guard let after = event["after"] as? [String: Any], let a = after["a"] as? Int,
                let b = after["b"] as? String
            else { return nil }
            return "\(a):\(b)"
        }
        var expected: [String] = []
        for a in 1...6 {
            for b in [0x00, 0x27, 0x5C, 0x7F, 0xFF] { expected.append("\(a):" + Base64.encodeString([UInt8(b), 1])) }
        }
        XCTAssertEqual(keys, expected, "every row once, in key order")
        XCTAssertEqual(try MariaDBEnvironment.sql("SELECT type FROM \(db).dbz_signal"), [["execute-snapshot"]])
    }

    /// An initial snapshot stopped in the middle of a table goes on after a restart from the last resume point in
    /// Kafka, instead of starting over: the stream from the snapshot's position, the rest read by key between
    /// watermarks. Changes made while it was stopped, in the part read and in the part not read yet, end as the
    /// last event of their rows.
    func testAnInterruptedSnapshotGoesOnFromWhereItStopped() throws {
        let (db, work) = try MariaDBEnvironment.prepare("mdbresume", for: self)
        try MariaDBEnvironment.sql(
            """
            USE \(db);
            CREATE TABLE dbz_signal (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048));
            CREATE TABLE a (id int PRIMARY KEY, v varchar(40));
            INSERT INTO a SELECT seq, CONCAT('v', seq) FROM seq_1_to_30000;
            CREATE TABLE b (id int PRIMARY KEY, v varchar(40));
            INSERT INTO b SELECT seq, CONCAT('v', seq) FROM seq_1_to_100;
            """)
        let settings = MariaDBEnvironment.connectorConfig(
            db, work: work,
            [
                "signal.data.collection": "\(db).dbz_signal", "incremental.snapshot.chunk.size": "500",
                "max.batch.size": "200",
            ])
        let offsets = work.path + "/offsets.json"
        func stored() -> [String: Any]? {
            guard let data = FileManager.default.contents(atPath: offsets),
                let all = (try? JSONSerialization.jsonObject(with: data)) as? [String: [String: Any]]
            else { return nil }
            return all.values.first
        }
        var connector = try RunningConnector(settings, offsetFile: offsets, schemasEnabled: false)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, stored()?["snapshot_resume_key"] == nil { Thread.sleep(forTimeInterval: 0.01) }
        try connector.stop()
        let point = try XCTUnwrap(stored(), "no offset stored")
        guard point["snapshot"] as? Bool == true, let table = point["snapshot_resume_table"] as? String else {
            throw XCTSkip("the snapshot finished before it could be stopped: \(point)")
        }
        XCTAssertEqual(table, "\(db).a")
        try MariaDBEnvironment.sql(
            """
            UPDATE \(db).a SET v = 'changed' WHERE id IN (1, 15000, 29999);
            DELETE FROM \(db).a WHERE id = 30000;
            INSERT INTO \(db).b VALUES (101, 'new');
            """)

        connector = try RunningConnector(settings, offsetFile: offsets, schemasEnabled: false)
        try waitForSnapshotEnd(work, timeout: 120)
        let messages = try IntegrationEnvironment.consume(
            ["\(db).\(db).a", "\(db).\(db).b"], count: 30101, timeout: 120_000)
        try connector.stop()
        XCTAssertNil(stored()?["snapshot"], "a streaming offset once the rest is read")

        var last: [String: [String: Any]] = [:]
        var reads = 0
        var incrementalReads = 0
        for message in messages {
            guard let event = try IntegrationEnvironment.json(message.value) as? [String: Any], let id = id(event)
            else { continue }
            last["\(message.topic):\(id)"] = event
            if event["op"] as? String == "r" {
                reads += 1
                if (event["source"] as? [String: Any])?["snapshot"] as? String == "incremental" {
                    incrementalReads += 1
                }
            }
        }
        XCTAssertGreaterThan(incrementalReads, 0, "the rest was read after the restart")
        XCTAssertLessThanOrEqual(reads, 30100 + 500, "the snapshot went on; it did not start over")
        let a = Dictionary(
            uniqueKeysWithValues: try MariaDBEnvironment.sql("SELECT id, v FROM \(db).a").map {
                (Int($0[0]) ?? 0, $0[1])
            })
        for id in 1...30000 {
            let event = try XCTUnwrap(last["\(db).\(db).a:\(id)"], "row \(id) of a")
            if let value = a[id] {
                XCTAssertEqual((event["after"] as? [String: Any])?["v"] as? String, value, "row \(id)")
            } else {
                XCTAssertEqual(event["op"] as? String, "d", "row \(id) was deleted")
            }
        }
        XCTAssertEqual(Set(last.keys.filter { $0.hasPrefix("\(db).\(db).b:") }).count, 101)
    }

    /// A blocking snapshot holds the stream: the rows the signal names (narrowed by its condition) go out with the
    /// snapshot markers before any change made after the signal, and the stream goes on.
    func testABlockingSnapshotHoldsTheStream() throws {
        let (db, work) = try prepare("mdbblock", rows: 50)
        let connector = try start(db, work, chunk: 10)
        try waitForStreaming(db)
        let request =
            #"{"data-collections": ["\#(db).t"], "type": "blocking", "#
            + #""additional-conditions": [{"data-collection": "\#(db).t", "filter": "id <= 30"}]}"#
        try MariaDBEnvironment.sql(
            """
            INSERT INTO \(db).dbz_signal VALUES ('b', 'execute-snapshot', '\(request)');
            INSERT INTO \(db).t VALUES (51, 'after');
            """)
        let messages = try IntegrationEnvironment.consume(["\(db).\(db).t"], count: 31)
        try connector.stop()
        let events = try events(messages)
        XCTAssertEqual(events.map { $0["op"] as? String ?? "" }, Array(repeating: "r", count: 30) + ["c"])
        XCTAssertEqual(events.compactMap(id), Array(1...30) + [51])
        let markers = events.prefix(30).map { ($0["source"] as? [String: Any])?["snapshot"] as? String ?? "" }
        XCTAssertEqual(markers.first, "first")
        XCTAssertEqual(markers.last, "last")
        XCTAssertEqual(Set(markers.dropFirst().dropLast()), ["true"])
    }
}
