import DebeziumEvents
import Foundation
import KafkaClient
import Logging
import Runtime
import TributaryCore
import XCTest

@testable import PostgresSource

/// `snapshot.mode=initial`: the captured tables are read whole (`op: "r"`, Debezium's markers), then the stream
/// continues exactly where the snapshot ended; a restart after a complete snapshot does not repeat it.
final class SnapshotTests: ConnectorTestCase {
    override var slotBase: String { "snap" }

    private func start(_ extra: [String: String] = [:]) throws -> RunningConnector {
        let connector = try RunningConnector(
            IntegrationEnvironment.connectorConfig(
                name: slot, prefix: slot, slot: slot, tables: "public\\.\(slot)_.*",
                extra: ["snapshot.mode": "initial", "snapshot.fetch.size": "400"].merging(extra) { $1 }),
            offsetFile: offsetFile)
        try IntegrationEnvironment.waitUntilStreaming(slot: slot)
        return connector
    }

    private typealias Event = (op: String?, id: Int?, marker: String?, headers: Int)

    private func events(_ table: String, count: Int) throws -> [Event] {
        try IntegrationEnvironment.consume(["\(slot).public.\(slot)_\(table)"], count: count).map { m in
            let value = try IntegrationEnvironment.json(m.value) as? [String: Any]
            let payload = value?["payload"] as? [String: Any]
            let row = (payload?["after"] as? [String: Any]) ?? (payload?["before"] as? [String: Any])
            let source = payload?["source"] as? [String: Any]
            return (payload?["op"] as? String, row?["id"] as? Int, source?["snapshot"] as? String, m.headers.count)
        }
    }

    func testInitialSnapshotThenTheStreamWithoutGapOrRepeat() throws {
        let db = try IntegrationEnvironment.sql()
        for name in ["a", "b", "c"] {
            tables.append(try IntegrationEnvironment.createTable("\(slot)_\(name)", "id int PRIMARY KEY, v text"))
        }
        try db.query("INSERT INTO \(tables[0]) SELECT g, 'a' || g FROM generate_series(1, 1500) g", purpose: "rows")
        try db.query("INSERT INTO \(tables[1]) VALUES (1, 'b1'), (2, 'b2'), (3, 'b3')", purpose: "rows")

        var connector = try start()
        try db.query("INSERT INTO \(tables[0]) SELECT g, 'a' || g FROM generate_series(1501, 1510) g", purpose: "rows")
        try db.query("UPDATE \(tables[1]) SET v = 'B1' WHERE id = 1", purpose: "update")

        let a = try events("a", count: 1510)
        XCTAssertEqual(a.count, 1510, "1,500 rows read, 10 streamed")
        XCTAssertEqual(a.prefix(1500).map(\.id), Array(1...1500).map { Optional($0) })
        XCTAssertTrue(a.prefix(1500).allSatisfy { $0.op == "r" })
        XCTAssertEqual(a[0].marker, "first")
        XCTAssertTrue(a[1..<1499].allSatisfy { $0.marker == "true" })
        XCTAssertEqual(a[1499].marker, "last_in_data_collection")
        XCTAssertEqual(a.suffix(10).map(\.op), Array(repeating: "c", count: 10))
        XCTAssertEqual(a.suffix(10).map(\.marker), Array(repeating: "false", count: 10))
        XCTAssertEqual(a.prefix(1500).map(\.headers).max(), 0, "no context headers on snapshot rows, as in Debezium")
        XCTAssertEqual(a.suffix(10).map(\.headers), Array(repeating: 4, count: 10), "Debezium's context headers")
        let b = try events("b", count: 4)
        XCTAssertEqual(b.map(\.op), ["r", "r", "r", "u"])
        XCTAssertEqual(
            b.map(\.marker), ["first_in_data_collection", "true", "last", "false"], "the empty table c is last")
        try connector.stop()

        // The snapshot is complete: a restart streams on, without reading the tables again.
        connector = try start()
        try db.query("INSERT INTO \(tables[0]) VALUES (1511, 'a1511')", purpose: "row")
        let again = try events("a", count: 1511)
        try connector.stop()
        XCTAssertEqual(again.count, 1511, "nothing read twice")
        XCTAssertEqual(again.last?.id, 1511)
    }

    /// `snapshot.select.statement.overrides`: the snapshot reads the rows the statement gives (here a filter and an
    /// order, with the columns in another order than the table's), then streams every change.
    func testSelectStatementOverridesShapeTheSnapshot() throws {
        let db = try IntegrationEnvironment.sql()
        tables.append(try IntegrationEnvironment.createTable("\(slot)_a", "id int PRIMARY KEY, v text"))
        try db.query("INSERT INTO \(tables[0]) SELECT g, 'a' || g FROM generate_series(1, 10) g", purpose: "rows")
        let table = "public.\(slot)_a"
        // Parallel readers read a table with an override whole, in the override's order.
        let connector = try start([
            "snapshot.max.threads": "4", "snapshot.select.statement.overrides": table,
            "snapshot.select.statement.overrides.\(table)":
                "SELECT v, id FROM \(tables[0]) WHERE id > 7 ORDER BY id DESC",
        ])
        try db.query("INSERT INTO \(tables[0]) VALUES (11, 'a11')", purpose: "row")
        let a = try events("a", count: 4)
        try connector.stop()
        XCTAssertEqual(a.map(\.id), [10, 9, 8, 11])
        XCTAssertEqual(a.map(\.op), ["r", "r", "r", "c"])
    }

    /// A stop in the middle of a snapshot, then changes while the connector is away: the next start goes on from
    /// the page the snapshot stopped at (streaming from where the snapshot began, the rest read by pages between
    /// watermarks), not from the beginning. Every row ends as the database has it, keyless tables included.
    func testAnInterruptedSnapshotGoesOnWhereItStopped() throws {
        let db = try IntegrationEnvironment.sql()
        let big = try IntegrationEnvironment.createTable("\(slot)_big", "id int PRIMARY KEY, v text")
        let keyless = try IntegrationEnvironment.createTable("\(slot)_nokey", "id int, v text")
        tables += [big, keyless]
        try db.query("INSERT INTO \(big) SELECT g, 'v' || g FROM generate_series(1, 100000) g", purpose: "rows")
        try db.query("INSERT INTO \(keyless) SELECT g, 'k' || g FROM generate_series(1, 3000) g", purpose: "rows")
        try db.query("ALTER TABLE \(keyless) REPLICA IDENTITY FULL", purpose: "updatable without a key")
        let config = IntegrationEnvironment.connectorConfig(
            name: slot, prefix: slot, slot: slot, tables: "public\\.\(slot)_.*",
            extra: [
                "snapshot.mode": "initial", "snapshot.fetch.size": "500", "max.batch.size": "100",
                "incremental.snapshot.chunk.size": "2000",
            ])
        var connector = try RunningConnector(config, offsetFile: offsetFile, schemasEnabled: false)
        let store = {
            try FileOffsetStore(path: self.offsetFile).offset(
                connector: self.slot, partition: ["server": .string(self.slot)])
        }
        let deadline = Date().addingTimeInterval(60)
        while (try store()?["snapshot_resume_page"]?.int64 ?? 0) < 100 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        try connector.stop()
        let stored = try XCTUnwrap(try store(), "no snapshot offset was stored")
        XCTAssertEqual(stored["snapshot"], .bool(true))
        XCTAssertEqual(stored["last_snapshot_record"], .bool(false), "the snapshot was stopped before its end")
        XCTAssertEqual(stored["snapshot_resume_table"]?.stringValue, "public.\(slot)_big")

        // While it is away: rows it read and rows it did not change, go, come.
        try db.query("UPDATE \(big) SET v = 'early' WHERE id <= 100", purpose: "update")
        try db.query("UPDATE \(big) SET v = 'late' WHERE id BETWEEN 90000 AND 90100", purpose: "update")
        try db.query("DELETE FROM \(big) WHERE id BETWEEN 50000 AND 50010", purpose: "delete")
        try db.query("INSERT INTO \(big) SELECT g, 'new' FROM generate_series(100001, 100020) g", purpose: "rows")
        try db.query("UPDATE \(keyless) SET v = 'changed' WHERE id <= 10", purpose: "update")

        connector = try RunningConnector(config, offsetFile: offsetFile, schemasEnabled: false)
        let end = Date().addingTimeInterval(120)
        while Date() < end {
            if let offset = try store(), offset["snapshot"] == nil, offset["incremental_snapshot_collections"] == nil {
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        try db.query("INSERT INTO \(big) VALUES (999999, 'sentinel')", purpose: "sentinel")
        try db.query("INSERT INTO \(keyless) VALUES (999999, 'sentinel')", purpose: "sentinel")
        func events(_ table: String) throws -> [(op: String, id: Int, v: String)] {
            let consumer = try KafkaConsumer(properties: ["bootstrap.servers": IntegrationEnvironment.bootstrapServers])
            var out: [(op: String, id: Int, v: String)] = []
            try consumer.forEach(
                topics: ["\(slot).public.\(slot)_\(table)"], minimum: Int.max, idleMilliseconds: 500,
                timeoutMilliseconds: 120_000
            ) { m in
                guard let value = try IntegrationEnvironment.json(m.value) as? [String: Any],
                    let row = (value["after"] as? [String: Any]) ?? (value["before"] as? [String: Any]),
                    let id = row["id"] as? Int
                else { return true }
                out.append((value["op"] as? String ?? "?", id, row["v"] as? String ?? ""))
                return id != 999_999
            }
            return out
        }
        let bigEvents = try events("big")
        let keylessEvents = try events("nokey")
        try connector.stop()

        var state: [Int: String] = [:]
        for e in bigEvents { state[e.id] = e.op == "d" ? nil : e.v }
        var expected: [Int: String] = [:]
        for row in try db.query("SELECT id, v FROM \(big)", purpose: "read") {
            expected[Int(row[0] ?? "") ?? 0] = row[1] ?? ""
        }
        XCTAssertEqual(state, expected, "every row as the database has it")
        let reads = bigEvents.filter { $0.op == "r" }.count
        XCTAssertLessThan(reads, 105_000, "went on from where it stopped: \(reads) reads of 100,000 rows")
        XCTAssertGreaterThanOrEqual(reads, 99_989)
        let keylessSeen = Set(keylessEvents.filter { $0.op != "d" }.map { "\($0.id):\($0.v)" })
        let keylessRows = try db.query("SELECT id || ':' || v FROM \(keyless)", purpose: "read").compactMap { $0[0] }
        XCTAssertTrue(keylessSeen.isSuperset(of: keylessRows), "every row of the keyless table arrived")
        XCTAssertNil(try store()?["last_snapshot_record"], "offsets now come from the stream")
    }

    /// A snapshot of empty tables produces no record, but is complete all the same: a restart streams on and
    /// does not read the tables again (which would repeat, as reads, the rows written in between).
    func testAnEmptySnapshotIsNotRepeated() throws {
        let db = try IntegrationEnvironment.sql()
        tables.append(try IntegrationEnvironment.createTable("\(slot)_e", "id int PRIMARY KEY, v text"))
        var connector = try start()
        let deadline = Date().addingTimeInterval(10)
        while try FileOffsetStore(path: offsetFile).offset(connector: slot, partition: ["server": .string(slot)])
            == nil,
            Date() < deadline
        {
            Thread.sleep(forTimeInterval: 0.05)
        }
        try connector.stop()
        let stored = try FileOffsetStore(path: offsetFile).offset(connector: slot, partition: ["server": .string(slot)])
        XCTAssertEqual(stored?["last_snapshot_record"], .bool(true), "the empty snapshot's completion was stored")

        try db.query("INSERT INTO \(tables[0]) VALUES (1, 'one'), (2, 'two')", purpose: "rows")
        connector = try start()
        try db.query("INSERT INTO \(tables[0]) VALUES (3, 'three')", purpose: "row")
        let events = try events("e", count: 3)
        try connector.stop()
        XCTAssertEqual(events.map(\.op), ["c", "c", "c"], "streamed once, not read by a second snapshot")
        XCTAssertEqual(events.map(\.id), [1, 2, 3])
    }

    /// One snapshot's rows as the task gets them, read with `readers` connections.
    private func snapshotRows(
        _ tables: [PostgresSnapshot.Table], readers: Int, fetchSize: Int, whileOpen: () throws -> Void = {}
    ) throws -> [PostgresSnapshot.Row] {
        let columns = try tables.map { table in
            try IntegrationEnvironment.sql().query(
                "SELECT attname FROM pg_attribute WHERE attrelid = $1::oid AND attnum > 0 ORDER BY attnum",
                [String(table.oid)], purpose: "columns"
            ).compactMap { $0[0] }
        }
        let snapshot = try PostgresSnapshot(
            connection: try IntegrationEnvironment.sql(), exportedSnapshot: nil, tables: tables, columns: columns,
            fetchSize: fetchSize, readers: readers, startedMicros: 0, logger: Logger(label: "test"))
        defer { snapshot.close() }
        try whileOpen()
        var rows: [PostgresSnapshot.Row] = []
        while !snapshot.isFinished { rows += try snapshot.next(limit: 37) }
        return rows
    }

    private func snapshotTable(_ name: String, override: String? = nil) throws -> PostgresSnapshot.Table {
        let row = try IntegrationEnvironment.sql().query(
            "SELECT oid::text, reltuples::bigint::text FROM pg_class WHERE oid = $1::regclass", [name],
            purpose: "table")
        return PostgresSnapshot.Table(
            oid: UInt32(row[0][0] ?? "") ?? 0, schema: "public", name: String(name.dropFirst(8).dropLast()),
            estimatedRows: Int64(row[0][1] ?? "") ?? -1, selectOverride: override)
    }

    private static func sessions() throws -> Int {
        let rows = try IntegrationEnvironment.sql().query(
            "SELECT count(*)::text FROM pg_stat_activity WHERE application_name = 'tributary'", purpose: "sessions")
        return Int(rows[0][0] ?? "") ?? -1
    }

    /// `snapshot.max.threads`: readers on connections of their own read chunks of the tables by heap pages, and
    /// the task gets every row in heap order, table after table, whether one reader reads or three. Rows moved by
    /// updates and holes left by deletes make pages uneven; a table with an override, a small and an empty one
    /// are read whole.
    func testReadersGiveTheRowsInHeapOrderHoweverManyRead() throws {
        let db = try IntegrationEnvironment.sql()
        for name in ["big", "small", "empty", "over"] {
            tables.append(try IntegrationEnvironment.createTable("\(slot)_\(name)", "id int PRIMARY KEY, v text"))
        }
        try db.query(
            "INSERT INTO \(tables[0]) SELECT g, repeat('x', g % 300) FROM generate_series(1, 6000) g", purpose: "rows")
        try db.query("DELETE FROM \(tables[0]) WHERE id % 7 = 0", purpose: "holes")
        try db.query("UPDATE \(tables[0]) SET v = 'moved' WHERE id % 11 = 0", purpose: "moved rows")
        try db.query("INSERT INTO \(tables[1]) VALUES (1, 's1'), (2, 's2')", purpose: "rows")
        try db.query("INSERT INTO \(tables[3]) SELECT g, 'o' || g FROM generate_series(1, 500) g", purpose: "rows")
        try db.query("ANALYZE \(tables[0])", purpose: "statistics")
        let override = "SELECT * FROM \(tables[3]) WHERE id > 100 ORDER BY id DESC"
        let snapshotTables = [
            try snapshotTable(tables[0]), try snapshotTable(tables[1]), try snapshotTable(tables[2]),
            try snapshotTable(tables[3], override: override),
        ]
        // What one plain query gives: the rows in heap order with their pages, then the override's rows.
        var expected: [(table: Int, tuple: TupleData, page: UInt32?)] = []
        for index in 0..<3 {
            let (rows, pages) = try db.tuplesWithPages(
                "SELECT id, v, ctid FROM \(tables[index]) ORDER BY ctid", purpose: "heap order")
            expected += zip(rows, pages).map { (index, $0, $1) }
        }
        expected += try db.tuples("SELECT id, v FROM (\(override)) o", purpose: "override").map { (3, $0, nil) }
        XCTAssertEqual(expected.count, 6000 - 6000 / 7 + 2 + 400)

        var markers: [[SnapshotMarker]] = []
        for readers in [1, 3] {
            let before = try Self.sessions()
            var during = 0
            let rows = try snapshotRows(snapshotTables, readers: readers, fetchSize: 50) {
                during = try Self.sessions()
            }
            XCTAssertEqual(during - before, 1 + readers, "the snapshot's connection and its readers")
            XCTAssertEqual(try Self.sessions(), before, "the readers closed their connections")
            XCTAssertEqual(rows.count, expected.count)
            for (row, want) in zip(rows, expected) where (row.table, row.tuple, row.page) != want {
                XCTFail("\(readers) readers: row \(row) where \(want) was expected")
                break
            }
            XCTAssertEqual(rows.filter(\.isLast).count, 1)
            XCTAssertEqual(rows.last?.isLast, true)
            markers.append(rows.map(\.marker))
        }
        XCTAssertEqual(markers[0], markers[1])
        XCTAssertEqual(markers[0].first, .first)
        XCTAssertEqual(markers[0][6000 - 6000 / 7 - 1], .lastInDataCollection)
        XCTAssertEqual(markers[0][6000 - 6000 / 7], .firstInDataCollection)
        XCTAssertEqual(markers[0].last, .last)
        XCTAssertGreaterThan(Set(expected.compactMap(\.page)).count, 20, "the big table spans many pages")
    }

    /// A reader's failure (here an override that does not parse) is the snapshot's, with the statement to fix.
    func testAParallelReadersFailureFailsTheSnapshot() throws {
        tables.append(try IntegrationEnvironment.createTable("\(slot)_a", "id int PRIMARY KEY, v text"))
        let table = try snapshotTable(tables[0], override: "SELECT FROM WHERE")
        XCTAssertThrowsError(try snapshotRows([table], readers: 2, fetchSize: 10)) { error in
            XCTAssertTrue("\(error)".contains("snapshot.select.statement.overrides.public.\(slot)_a"), "\(error)")
        }
    }
}
