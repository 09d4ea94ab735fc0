import DebeziumEvents
import Foundation
import Logging
import MySQLDDL
import TributaryCore
import XCTest

@testable import MySQLSource

/// `MySQLSnapshot` and its reader thread against a real server: rows, order, markers and resume points as the
/// task's thread takes them, a stop in the middle of a table, and a read that fails.
final class MariaDBSnapshotReaderTests: XCTestCase {
    private var database = ""

    override func setUpWithError() throws {
        database = try MariaDBEnvironment.prepare("snapreader", for: self).database
    }

    private func schema(_ create: String) throws -> MySQLTableSchema {
        guard case .createTable(_, var table, _, _) = try DDLParser.parse(create) else {
            throw MySQLError("not a CREATE TABLE: \(create)")
        }
        table.database = database
        return try MySQLTableSchema(
            table: table, topicPrefix: "p", converter: MySQLValueConverter(), source: MySQLSchemas.source(.mariadb),
            columnFilter: try NameFilter(include: "column.include.list", exclude: "column.exclude.list", Config([:])),
            keyColumns: try MessageKeyColumns(Config([:])), mappers: try ColumnMappers(Config([:]))
        ) { _, _ in }
    }

    /// Creates each table and fills it with `rows` rows (id 1…rows, a note of 100 characters).
    private func tables(_ rows: [(name: String, rows: Int)]) throws -> [MySQLTableSchema] {
        try rows.map { name, count in
            let create = "CREATE TABLE \(name) (id bigint PRIMARY KEY, note text)"
            try MariaDBEnvironment.sql("USE \(database); \(create)")
            if count > 0 {
                try MariaDBEnvironment.sql(
                    "USE \(database); INSERT INTO \(name) SELECT seq, repeat('n', 100) FROM seq_1_to_\(count)")
            }
            return try schema(create)
        }
    }

    private func snapshot(_ tables: [MySQLTableSchema], resumeEvery: Int = 1000) throws -> MySQLSnapshot {
        let connection = try MySQLConnection(
            .init(host: "127.0.0.1", port: MariaDBEnvironment.port, user: "tributary", password: "tributary"))
        try connection.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        return MySQLSnapshot(
            connection: connection, tables: tables,
            keys: tables.map { MySQLChunkKey($0.table, columns: $0.table.primaryKey) }, resumeEvery: resumeEvery,
            offset: MySQLOffset(position: BinlogPosition(file: "f.000001", position: 4)), estimates: [:],
            startedMicros: 0, logger: Logger(label: "test"))
    }

    func testEveryRowOfEveryTableComesInOrderWithItsMarkersAndResumePoints() throws {
        let tables = try tables([("a", 5000), ("b", 0), ("c", 3)])
        let snapshot = try snapshot(tables)
        defer { snapshot.close() }
        var rows: [MySQLSnapshot.Row] = []
        while !snapshot.isFinished { rows += try snapshot.next(limit: 700) }
        XCTAssertEqual(rows.count, 5003)
        XCTAssertEqual(rows.map(\.table.table.name), Array(repeating: "a", count: 5000) + ["c", "c", "c"])
        XCTAssertEqual(
            rows.map { $0.row.value.values[0] }, (1...5000).map { .int64($0) } + (1...3).map { .int64($0) },
            "each table in key order")
        XCTAssertEqual(rows.first?.marker, .first)
        XCTAssertEqual(rows[4999].marker, .lastInDataCollection)
        XCTAssertEqual(rows[5000].marker, .firstInDataCollection)
        XCTAssertEqual(rows.last?.marker, .last)
        XCTAssertEqual(rows.filter(\.isLast).count, 1)
        XCTAssertEqual(
            rows.compactMap(\.resume),
            [
                .init(table: "\(database).a", key: ["1"]), .init(table: "\(database).a", key: ["1001"]),
                .init(table: "\(database).a", key: ["2001"]), .init(table: "\(database).a", key: ["3001"]),
                .init(table: "\(database).a", key: ["4001"]), .init(table: "\(database).c", key: ["1"]),
            ])
        XCTAssertEqual(snapshot.rowsTotal, 5003)
        XCTAssertEqual(snapshot.status(running: false).tables.map(\.rows), [5000, 0, 3])
        XCTAssertEqual(try snapshot.next(limit: 10).count, 0, "nothing after the end")
    }

    func testClosingInTheMiddleOfATableStopsTheReader() throws {
        // More rows than the reader queues ahead, so that it waits for room when the close comes.
        let rows = MySQLSnapshotReader.batchRows * MySQLSnapshotReader.queuedBatches * 4
        try closeMidTable(try tables([("big", rows)]))
    }

    func testClosingInTheMiddleOfAHugeTableDoesNotReadTheRest() throws {
        // A billion rows made up as they are read (the sequence engine, in key order): reading the rest before the
        // close returns would take many minutes.
        try MariaDBEnvironment.sql(
            "USE \(database); CREATE VIEW huge AS SELECT seq AS id, repeat('n', 100) AS note FROM seq_1_to_1000000000")
        try closeMidTable([try schema("CREATE TABLE huge (id bigint PRIMARY KEY, note text)")])
    }

    /// Takes a few rows of a snapshot of `tables`, then closes it on another thread, which must return.
    private func closeMidTable(_ tables: [MySQLTableSchema]) throws {
        let snapshot = try snapshot(tables)
        XCTAssertEqual(try snapshot.next(limit: 10).count, 10)
        let closed = expectation(description: "closed")
        let handoff = LockedBox(snapshot)
        DispatchQueue.global().async {
            handoff.value.close()
            closed.fulfill()
        }
        wait(for: [closed], timeout: 60)
    }

    func testAFailedReadIsThrownByTheTasksThread() throws {
        let missing = try schema("CREATE TABLE missing (id bigint PRIMARY KEY)")
        let snapshot = try snapshot([missing])
        defer { snapshot.close() }
        XCTAssertThrowsError(try snapshot.next(limit: 10)) { error in
            XCTAssertTrue("\(error)".contains("missing"), "\(error)")
        }
    }
}
