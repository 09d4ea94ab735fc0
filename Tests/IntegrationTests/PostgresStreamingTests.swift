import Foundation
import KafkaClient
import Runtime
import TributaryCore
import XCTest

@testable import PostgresSource

/// Rows changed in PostgreSQL arrive in the broker as Debezium change events, in commit order, and the slot is
/// confirmed only for what Kafka acknowledged. Needs `scripts/services start`.
final class PostgresStreamingTests: XCTestCase {
    private var slot = ""
    private var offsetFile = ""
    private var createdTables: [String] = []

    override func setUp() {
        slot = IntegrationEnvironment.uniqueName("it")
        offsetFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(slot)-offsets.json").path
        createdTables = []
    }

    override func tearDown() {
        IntegrationEnvironment.dropSlot(slot)
        try? FileManager.default.removeItem(atPath: offsetFile)
        for table in createdTables {
            _ = try? IntegrationEnvironment.sql().query("DROP TABLE IF EXISTS \(table)", purpose: "drop table")
        }
    }

    /// Creates `public.<name>` (dropped after the test) and returns its qualified name.
    @discardableResult
    private func createTable(_ name: String, _ columns: String) throws -> String {
        let qualified = "public.\"\(name)\""
        try IntegrationEnvironment.sql().query("CREATE TABLE \(qualified) (\(columns))", purpose: "create table")
        createdTables.append(qualified)
        return qualified
    }

    /// Starts a connector on this test's slot and waits until it streams.
    private func startConnector(
        prefix: String, tables: String, extra: [String: String] = [:]
    ) throws -> RunningConnector {
        let connector = try RunningConnector(
            IntegrationEnvironment.connectorConfig(
                name: slot, prefix: prefix, slot: slot, tables: tables, extra: extra), offsetFile: offsetFile)
        try IntegrationEnvironment.waitUntilStreaming(slot: slot)
        return connector
    }

    /// The slot's confirmed position, once it reached `lsn` or after `timeout`.
    private func confirmedPosition(reaching lsn: LSN, timeout: Duration = .seconds(20)) throws -> LSN {
        let deadline = ContinuousClock.now + timeout
        var confirmed = try IntegrationEnvironment.confirmedFlushLSN(slot: slot) ?? .zero
        while confirmed < lsn, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.2)
            confirmed = try IntegrationEnvironment.confirmedFlushLSN(slot: slot) ?? .zero
        }
        return confirmed
    }

    private typealias Event = (key: [String: Any]?, value: [String: Any]?, raw: ConsumedMessage)

    private func events(_ topic: String, count: Int) throws -> [Event] {
        try IntegrationEnvironment.consume([topic], count: count).map { m in
            (
                try IntegrationEnvironment.json(m.key) as? [String: Any],
                try IntegrationEnvironment.json(m.value) as? [String: Any], m
            )
        }
    }

    func testInsertUpdateDeleteArriveInDebeziumFormatInCommitOrder() throws {
        let db = try IntegrationEnvironment.sql()
        let table = slot
        try createTable(
            table, "id int PRIMARY KEY, name text NOT NULL, qty smallint, price numeric(8,2), seen timestamptz")
        let prefix = "it"
        let topic = "\(prefix).public.\(table)"
        let connector = try startConnector(prefix: prefix, tables: "public.\(table)")

        try db.query(
            "INSERT INTO public.\(table) VALUES (1, 'one', 1, 1.50, '2024-01-02 03:04:05.678+00')", purpose: "insert")
        try db.query(
            "BEGIN; INSERT INTO public.\(table) VALUES (2, 'two', NULL, NULL, NULL); UPDATE public.\(table) SET name = 'uno', qty = 10 WHERE id = 1; COMMIT",
            purpose: "transaction")
        try db.query("DELETE FROM public.\(table) WHERE id = 2", purpose: "delete")
        let xids = try db.query("SELECT xmin::text FROM public.\(table) WHERE id = 1", purpose: "xid")

        let got = try events(topic, count: 5)
        XCTAssertEqual(got.count, 5, "insert, insert, update, delete, tombstone")
        XCTAssertEqual(
            got.map { ($0.value?["payload"] as? [String: Any])?["op"] as? String ?? "tombstone" },
            ["c", "c", "u", "d", "tombstone"])
        XCTAssertEqual(got.map { (($0.key?["payload"]) as? [String: Any])?["id"] as? Int }, [1, 2, 1, 2, 2])

        let first = try XCTUnwrap(got[0].value?["payload"] as? [String: Any])
        let after = try XCTUnwrap(first["after"] as? [String: Any])
        XCTAssertEqual(after["name"] as? String, "one")
        XCTAssertEqual(after["price"] as? String, "AJY=", "numeric(8,2) 1.50 is Decimal bytes 150")
        XCTAssertEqual(after["seen"] as? String, "2024-01-02T03:04:05.678000Z")
        XCTAssertTrue(first["before"] is NSNull)
        let schema = try XCTUnwrap(got[0].value?["schema"] as? [String: Any])
        XCTAssertEqual(schema["name"] as? String, "\(topic).Envelope")
        XCTAssertEqual((got[0].key?["schema"] as? [String: Any])?["name"] as? String, "\(topic).Key")

        let update = try XCTUnwrap(got[2].value?["payload"] as? [String: Any])
        XCTAssertEqual((update["after"] as? [String: Any])?["name"] as? String, "uno")
        XCTAssertTrue(update["before"] is NSNull, "REPLICA IDENTITY DEFAULT sends no old row for updates")
        let delete = try XCTUnwrap(got[3].value?["payload"] as? [String: Any])
        XCTAssertEqual((delete["before"] as? [String: Any])?["id"] as? Int, 2)
        XCTAssertTrue(delete["after"] is NSNull)
        XCTAssertNil(got[4].raw.value, "a tombstone follows the delete")

        let sources = got.prefix(4).compactMap { ($0.value?["payload"] as? [String: Any])?["source"] as? [String: Any] }
        XCTAssertEqual(sources.map { $0["connector"] as? String }, Array(repeating: "postgresql", count: 4))
        XCTAssertEqual(sources.map { $0["table"] as? String }, Array(repeating: table, count: 4))
        let lsns = sources.compactMap { $0["lsn"] as? Int }
        XCTAssertEqual(lsns.count, 4)
        XCTAssertEqual(lsns, lsns.sorted(), "commit order means increasing LSNs here")
        let txIds = sources.compactMap { $0["txId"] as? Int }
        XCTAssertEqual(txIds.count, 4)
        XCTAssertEqual(txIds[1], txIds[2], "insert 2 and the update share a transaction")
        XCTAssertEqual(String(txIds[2]), xids.first?.first ?? nil, "txId is the PostgreSQL transaction id")
        XCTAssertLessThan(txIds[0], txIds[1])
        XCTAssertLessThan(txIds[2], txIds[3])

        // Everything was acknowledged, so the slot moves past the last transaction (after an offset flush).
        _ = try confirmedPosition(reaching: LSN(UInt64(lsns[3]) + 1))
        try connector.stop()
        XCTAssertGreaterThan(try XCTUnwrap(IntegrationEnvironment.confirmedFlushLSN(slot: slot)), LSN(UInt64(lsns[3])))
        // Never past the WAL the server has (idle, the slot follows the keepalives, past the test's changes).
        XCTAssertLessThanOrEqual(
            try XCTUnwrap(IntegrationEnvironment.confirmedFlushLSN(slot: slot)), try IntegrationEnvironment.currentWAL()
        )
    }

    func testRestartResumesFromStoredOffsetWithoutLossOrDuplicates() throws {
        let db = try IntegrationEnvironment.sql()
        let table = slot
        try createTable(table, "id int PRIMARY KEY, v text")
        let topic = "rs.public.\(table)"

        var connector = try startConnector(prefix: "rs", tables: "public.\(table)")
        try db.query("INSERT INTO public.\(table) SELECT g, 'a' FROM generate_series(1, 100) g", purpose: "batch 1")
        XCTAssertEqual(try events(topic, count: 100).count, 100)
        try connector.stop()

        // Changes made while the connector is down are read after the restart; nothing is read twice.
        try db.query("INSERT INTO public.\(table) SELECT g, 'b' FROM generate_series(101, 150) g", purpose: "batch 2")
        try db.query("UPDATE public.\(table) SET v = 'c' WHERE id <= 10", purpose: "batch 2 update")
        connector = try startConnector(prefix: "rs", tables: "public.\(table)")
        try db.query("INSERT INTO public.\(table) SELECT g, 'd' FROM generate_series(151, 200) g", purpose: "batch 3")
        let got = try events(topic, count: 210)
        try connector.stop()

        XCTAssertEqual(got.count, 210, "100 + 50 + 10 updates + 50, each exactly once")
        let ids = got.compactMap { ($0.key?["payload"] as? [String: Any])?["id"] as? Int }
        XCTAssertEqual(Array(ids[0..<150]), Array(1...150))
        XCTAssertEqual(Array(ids[150..<160]), Array(1...10))
        XCTAssertEqual(Array(ids[160...]), Array(151...200))
    }

    func testSkippedOperationsAreNotEmitted() throws {
        let db = try IntegrationEnvironment.sql()
        let table = slot
        try createTable(table, "id int PRIMARY KEY, v text")
        let connector = try startConnector(
            prefix: "so", tables: "public.\(table)",
            extra: ["skipped.operations": "u,t", "tombstones.on.delete": "false"])
        try db.query("INSERT INTO public.\(table) VALUES (1, 'a')", purpose: "insert")
        try db.query("UPDATE public.\(table) SET v = 'b'", purpose: "update")
        try db.query("DELETE FROM public.\(table)", purpose: "delete")
        let got = try events("so.public.\(table)", count: 2)
        try connector.stop()
        XCTAssertEqual(
            got.map { ($0.value?["payload"] as? [String: Any])?["op"] as? String }, ["c", "d"],
            "no update, no tombstone")
    }

    /// Debezium's headers: its context headers on every change event and tombstone (one run id per task), and on a
    /// key change the other key (`__debezium.newkey` on the delete and its tombstone, `__debezium.oldkey` on the
    /// create), as Kafka Connect's SimpleHeaderConverter writes them. `extended.headers.enabled=false` drops the
    /// context headers only.
    func testChangeEventsCarryDebeziumHeaders() throws {
        let db = try IntegrationEnvironment.sql()
        let table = slot
        try createTable(table, "id int PRIMARY KEY, v text")
        var connector = try startConnector(prefix: "hd", tables: "public.\(table)")
        try db.query("INSERT INTO public.\(table) VALUES (1, 'a')", purpose: "insert")
        try db.query("UPDATE public.\(table) SET id = 2 WHERE id = 1", purpose: "key change")
        let got = try events("hd.public.\(table)", count: 4)
        try connector.stop()
        func headers(_ e: Event) -> [String: String?] {
            Dictionary(e.raw.headers.map { ($0.key, $0.value.map { String(decoding: $0, as: UTF8.self) }) }) { $1 }
        }
        XCTAssertEqual(got.map { ($0.value?["payload"] as? [String: Any])?["op"] as? String }, ["c", "d", nil, "c"])
        let runIDs = Set(got.map { headers($0)["__debezium.context.runId"] ?? nil })
        XCTAssertEqual(runIDs.count, 1)
        XCTAssertEqual(runIDs.first??.count, 36, "a UUID")
        for e in got {
            let h = headers(e)
            XCTAssertEqual(h["__debezium.context.connectorLogicalName"], "hd")
            XCTAssertEqual(h["__debezium.context.taskId"], "0")
            XCTAssertEqual(h["__debezium.context.connectorName"], "postgresql")
        }
        XCTAssertEqual(got[0].raw.headers.count, 4)
        XCTAssertEqual(got[1].raw.headers.first?.key, "__debezium.newkey")
        XCTAssertEqual(headers(got[1])["__debezium.newkey"], #"{"id":2}"#)
        XCTAssertEqual(headers(got[2])["__debezium.newkey"], #"{"id":2}"#, "the tombstone carries the delete's headers")
        XCTAssertEqual(got[3].raw.headers.first?.key, "__debezium.oldkey")
        XCTAssertEqual(headers(got[3])["__debezium.oldkey"], #"{"id":1}"#)

        IntegrationEnvironment.dropSlot(slot)
        try? FileManager.default.removeItem(atPath: offsetFile)
        connector = try startConnector(
            prefix: "hd2", tables: "public.\(table)", extra: ["extended.headers.enabled": "false"])
        try db.query("UPDATE public.\(table) SET id = 3 WHERE id = 2", purpose: "key change")
        let plain = try events("hd2.public.\(table)", count: 3)
        try connector.stop()
        XCTAssertEqual(
            plain.map { $0.raw.headers.map(\.key) },
            [["__debezium.newkey"], ["__debezium.newkey"], ["__debezium.oldkey"]])
    }

    /// Logical decoding messages become `op: "m"` events on `<prefix>.message` (Debezium's), those of
    /// `message.prefix.exclude.list` not; one outside any transaction is not sent again after a restart.
    func testLogicalDecodingMessagesAreEventsAndNotRepeated() throws {
        let db = try IntegrationEnvironment.sql()
        let table = slot
        try createTable(table, "id int PRIMARY KEY")
        // The message topic is per prefix: one of this test's own.
        let prefix = slot
        var connector = try startConnector(
            prefix: prefix, tables: "public.\(table)", extra: ["message.prefix.exclude.list": "skip.*"])
        try db.query("SELECT pg_logical_emit_message(false, 'keep', 'a')", purpose: "message")
        try db.query("SELECT pg_logical_emit_message(false, 'skip-me', 'b')", purpose: "message")
        try db.query(
            "BEGIN; INSERT INTO public.\(table) VALUES (1); SELECT pg_logical_emit_message(true, 'keep', 'c'); COMMIT",
            purpose: "message in a transaction")
        let first = try events("\(prefix).message", count: 2)
        try connector.stop()
        connector = try startConnector(prefix: prefix, tables: "public.\(table)")
        try db.query("SELECT pg_logical_emit_message(false, 'keep', 'd')", purpose: "message")
        let all = try events("\(prefix).message", count: 3)
        try connector.stop()
        func content(_ e: Event) -> String? {
            let message = (e.value?["payload"] as? [String: Any])?["message"] as? [String: Any]
            return (message?["content"] as? String).flatMap { Data(base64Encoded: $0) }.map {
                String(decoding: $0, as: UTF8.self)
            }
        }
        XCTAssertEqual(first.map(content), ["a", "c"])
        XCTAssertEqual(all.map(content), ["a", "c", "d"], "nothing repeated after the restart")
        XCTAssertEqual(
            all.map { ($0.key?["payload"] as? [String: Any])?["prefix"] as? String }, ["keep", "keep", "keep"])
        let source = (first[1].value?["payload"] as? [String: Any])?["source"] as? [String: Any]
        XCTAssertNotNil(source?["txId"] as? Int, "a transactional message names its transaction")
        XCTAssertEqual((first[0].value?["payload"] as? [String: Any])?["op"] as? String, "m")
    }

    func testSlotAdvancesWhileOnlyUncapturedTablesChange() throws {
        let db = try IntegrationEnvironment.sql()
        let captured = slot, other = slot + "_other"
        try createTable(captured, "id int PRIMARY KEY")
        try createTable(other, "id int PRIMARY KEY")
        let connector = try startConnector(
            prefix: "quiet", tables: "public.\(captured)", extra: ["publication.autocreate.mode": "all_tables"])
        try db.query("INSERT INTO public.\(captured) VALUES (1)", purpose: "captured change")
        XCTAssertEqual(try events("quiet.public.\(captured)", count: 1).count, 1)
        for i in 0..<50 { try db.query("INSERT INTO public.\(other) VALUES (\(i))", purpose: "uncaptured change") }
        let written = try XCTUnwrap(
            LSN(try db.query("SELECT pg_current_wal_insert_lsn()::text", purpose: "lsn")[0][0]!))
        let confirmed = try confirmedPosition(reaching: written)
        try connector.stop()
        XCTAssertGreaterThanOrEqual(confirmed, written, "the slot follows the WAL although no captured row changed")
    }

    /// A key change is three records at one LSN (delete, tombstone, create). A connector that stored the offset of
    /// the delete only (as after a crash) must emit exactly the tombstone and the create when it replays.
    func testResumeInsideAKeyChangeEmitsExactlyTheRest() throws {
        let db = try IntegrationEnvironment.sql()
        let table = slot
        let copy = slot + "_copy"
        try createTable(table, "id int PRIMARY KEY, v text")
        defer { IntegrationEnvironment.dropSlot(copy) }
        var connector = try startConnector(prefix: "kc1", tables: "public.\(table)")
        try connector.stop()
        // A second slot at the same position, to replay the same changes later.
        try db.query("SELECT pg_copy_logical_replication_slot($1, $2)", [slot, copy], purpose: "copy slot")

        connector = try startConnector(prefix: "kc1", tables: "public.\(table)")
        try db.query("INSERT INTO public.\(table) VALUES (1, 'a')", purpose: "insert")
        try db.query("UPDATE public.\(table) SET id = 2 WHERE id = 1", purpose: "key change")
        let original = try events("kc1.public.\(table)", count: 4)
        try connector.stop()
        XCTAssertEqual(
            original.map { ($0.value?["payload"] as? [String: Any])?["op"] as? String ?? "tombstone" },
            ["c", "d", "tombstone", "c"])

        // The offset of the delete, stored under a second connector that reads the copied slot.
        let delete = original[1].raw
        let deleteOffsetSource = try XCTUnwrap(
            (try IntegrationEnvironment.json(delete.value) as? [String: Any])?["payload"] as? [String: Any])
        let source = try XCTUnwrap(deleteOffsetSource["source"] as? [String: Any])
        let insertSource = try XCTUnwrap(
            ((try IntegrationEnvironment.json(original[0].raw.value) as? [String: Any])?["payload"] as? [String: Any])?[
                "source"] as? [String: Any])
        let sequence = try XCTUnwrap(source["sequence"] as? String)  // ["<previous commit>","<lsn>"]
        let previousCommit = try XCTUnwrap(Int(sequence.split(separator: "\"")[1]))
        XCTAssertGreaterThan(previousCommit, try XCTUnwrap(insertSource["lsn"] as? Int))
        let secondOffsets = offsetFile + ".second"
        defer { try? FileManager.default.removeItem(atPath: secondOffsets) }
        try FileOffsetStore(path: secondOffsets).store(
            connector: copy, partition: ["server": .string("kc2")],
            offset: [
                "lsn": .int(Int64(try XCTUnwrap(source["lsn"] as? Int))),
                "lsn_proc": .int(Int64(source["lsn"] as! Int)),
                "lsn_commit": .int(Int64(previousCommit)), "txId": .int(Int64(try XCTUnwrap(source["txId"] as? Int))),
                "ts_usec": .int(0),
            ])
        var second = IntegrationEnvironment.connectorConfig(
            name: copy, prefix: "kc2", slot: copy, tables: "public.\(table)"
        ).values
        second["publication.name"] = slot
        let replay = try RunningConnector(Config(second), offsetFile: secondOffsets)
        try IntegrationEnvironment.waitUntilStreaming(slot: copy)
        let replayed = try events("kc2.public.\(table)", count: 2)
        try replay.stop()
        XCTAssertEqual(
            replayed.map { ($0.value?["payload"] as? [String: Any])?["op"] as? String ?? "tombstone" },
            ["tombstone", "c"],
            "the delete was delivered before; the tombstone and the create were not")
        XCTAssertEqual(replayed.compactMap { ($0.key?["payload"] as? [String: Any])?["id"] as? Int }, [1, 2])
    }

    /// The replication connection is killed on the server while changes keep coming: the connector restarts
    /// from its stored offsets and delivers everything.
    func testReconnectsAfterTheReplicationConnectionIsKilled() throws {
        let db = try IntegrationEnvironment.sql()
        let table = slot
        try createTable(table, "id int PRIMARY KEY")
        let connector = try startConnector(
            prefix: "rc", tables: "public.\(table)", extra: ["errors.retry.delay.initial.ms": "100"])
        try db.query("INSERT INTO public.\(table) SELECT generate_series(1, 50)", purpose: "first rows")
        XCTAssertEqual(try events("rc.public.\(table)", count: 50).count, 50)

        let killed = try db.query(
            "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1", [slot],
            purpose: "kill walsender")
        XCTAssertEqual(killed.first?.first, "t")
        for i in 51...100 {
            try db.query("INSERT INTO public.\(table) VALUES (\(i))", purpose: "rows during the reconnect")
        }
        let got = try events("rc.public.\(table)", count: 100)
        try connector.stop()
        let ids = got.compactMap { ($0.key?["payload"] as? [String: Any])?["id"] as? Int }
        XCTAssertEqual(
            IntegrationEnvironment.firstOccurrences(ids), Array(1...100), "every row, in order, after the reconnect")
    }

    /// Columns added and dropped while streaming show up in the next events' schemas; a repeated Relation
    /// message without a change keeps the schema.
    func testSchemaChangesReachTheNextEvents() throws {
        let db = try IntegrationEnvironment.sql()
        let table = slot
        try createTable(table, "id int PRIMARY KEY, a text")
        try createTable("\(table) Odd Name", "id int PRIMARY KEY")
        let connector = try startConnector(prefix: "ddl", tables: "public.\(table).*")
        try db.query("INSERT INTO public.\(table) VALUES (1, 'x')", purpose: "insert")
        try db.query("ALTER TABLE public.\(table) ADD COLUMN b integer NOT NULL DEFAULT 5", purpose: "add column")
        try db.query("INSERT INTO public.\(table) VALUES (2, 'y', 6)", purpose: "insert")
        try db.query("ALTER TABLE public.\(table) DROP COLUMN a", purpose: "drop column")
        try db.query("INSERT INTO public.\(table) VALUES (3, 7)", purpose: "insert")
        let got = try events("ddl.public.\(table)", count: 3)
        try connector.stop()
        func fields(_ e: Event) -> [String] {
            let envelope = (e.value?["schema"] as? [String: Any])?["fields"] as? [[String: Any]] ?? []
            let after = envelope.first { $0["field"] as? String == "after" }
            return (after?["fields"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
        }
        XCTAssertEqual(got.map(fields), [["id", "a"], ["id", "a", "b"], ["id", "b"]])
        XCTAssertEqual(((got[1].value?["payload"] as? [String: Any])?["after"] as? [String: Any])?["b"] as? Int, 6)
        XCTAssertEqual(((got[2].value?["payload"] as? [String: Any])?["after"] as? [String: Any])?["b"] as? Int, 7)

        // A table name Kafka cannot take as a topic name goes to the sanitized topic, as with Debezium.
        let odd = try startConnector(prefix: "ddl", tables: "public.\(table).*")
        try db.query("INSERT INTO public.\"\(table) Odd Name\" VALUES (1)", purpose: "insert")
        let oddEvents = try events("ddl.public.\(table)_Odd_Name", count: 1)
        try odd.stop()
        XCTAssertEqual(oddEvents.count, 1)
        XCTAssertEqual(
            (oddEvents.first?.value?["schema"] as? [String: Any])?["name"] as? String,
            "ddl.public.\(table)_Odd_Name.Envelope")
        let source = (oddEvents.first?.value?["payload"] as? [String: Any])?["source"] as? [String: Any]
        XCTAssertEqual(source?["table"] as? String, "\(table) Odd Name", "source.table keeps the real name")
    }
}
