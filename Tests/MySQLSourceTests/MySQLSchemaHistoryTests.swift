import Foundation
import XCTest

@testable import MySQLSource
@testable import TributaryCore

final class MySQLSchemaHistoryTests: XCTestCase {
    private var path = ""

    override func setUp() {
        path = FileManager.default.temporaryDirectory.path + "/history-\(UUID().uuidString).jsonl"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: path)
    }

    private func history() throws -> MySQLSchemaHistory {
        let history = MySQLSchemaHistory(store: FileSchemaHistoryStore(path: path), server: "inventory")
        try history.recover()
        return history
    }

    private func at(_ file: Int, _ position: UInt64) -> BinlogPosition {
        BinlogPosition(file: "b.\(String(format: "%06d", file))", position: position)
    }

    func testTheSchemaHistoryReplaysWhatPrecedesAPosition() throws {
        let history = try history()
        let snap = at(1, 100)
        let ddl = at(1, 500)
        try history.append([
            .snapshotStart(at: snap),
            .init(position: snap, snapshot: true, database: "d", ddl: "CREATE TABLE t (a int)"),
            .init(position: ddl, snapshot: false, database: "d", ddl: "ALTER TABLE t ADD b int"),
        ])
        let reread = try self.history()
        XCTAssertEqual(reread.entries, history.entries)
        XCTAssertEqual(reread.entries(before: snap).count, 2, "a snapshot's schemas hold at its own position")
        XCTAssertEqual(reread.entries(before: ddl).count, 2, "a statement is read again when resuming at it")
        XCTAssertEqual(reread.entries(before: at(2, 4)).count, 3)
        XCTAssertTrue(reread.contains(binlogStatementAt: ddl))
        XCTAssertFalse(reread.contains(binlogStatementAt: snap))
    }

    func testALastLineCutShortByACrashIsDroppedButDamageBeforeItIsAnError() throws {
        try history().append([.snapshotStart(at: at(1, 4))])
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("{\"databaseName\":".utf8))
        handle.closeFile()
        XCTAssertEqual(try history().entries.count, 1)
        try Data("not json\n".utf8 + (try Data(contentsOf: URL(fileURLWithPath: path)))).write(
            to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try history()) { error in
            XCTAssertTrue("\(error)".contains("damaged at record 1"), "\(error)")
        }
    }

    /// A new schema snapshot starts a new generation; a resume before it (the snapshot's offsets never stored)
    /// keeps the previous one, and a resume after it ignores what came before.
    func testEachSchemaSnapshotStartsAGenerationThatHoldsFromItsPosition() throws {
        let history = try history()
        try history.append([
            .snapshotStart(at: at(1, 100)),
            .init(position: at(1, 100), snapshot: true, database: "d", ddl: "CREATE TABLE old (a int)"),
            .init(position: at(1, 300), snapshot: false, database: "d", ddl: "ALTER TABLE old ADD b int"),
        ])
        try history.append([
            .snapshotStart(at: at(3, 4)),
            .init(position: at(3, 4), snapshot: true, database: "d", ddl: "CREATE TABLE new (a int)"),
        ])
        XCTAssertEqual(history.entries(before: at(2, 50)).map(\.ddl).last, "ALTER TABLE old ADD b int")
        XCTAssertEqual(history.entries(before: at(2, 50)).count, 3)
        XCTAssertEqual(
            history.entries(before: at(3, 4)).map(\.ddl), ["-- schema snapshot", "CREATE TABLE new (a int)"])
    }

    /// With MariaDB GTIDs on both sides, entries hold by GTID: the binlog files of another server of the topology
    /// (after a fail-over) name other positions.
    func testWithGTIDsEntriesHoldByGTIDWhateverTheFile() throws {
        let history = try history()
        try history.append([
            .snapshotStart(at: at(5, 100), gtids: "0-1-10"),
            .init(position: at(5, 100), snapshot: true, database: "d", ddl: "CREATE TABLE t (a int)", gtids: "0-1-10"),
            .init(
                position: at(5, 900), snapshot: false, database: "d", ddl: "ALTER TABLE t ADD b int", gtids: "0-1-12"),
        ])
        let elsewhere = at(1, 4)
        XCTAssertEqual(try self.history().entries(before: elsewhere, gtids: GTIDPosition("0-1-11")).count, 2)
        XCTAssertEqual(history.entries(before: elsewhere, gtids: GTIDPosition("0-1-12")).count, 3)
        XCTAssertEqual(history.entries(before: elsewhere, gtids: GTIDPosition("0-1-12,1-3-4")).count, 3)
        XCTAssertEqual(history.entries(before: elsewhere, gtids: GTIDPosition("0-1-9")).count, 0)
        XCTAssertEqual(history.entries(before: at(5, 900)).count, 2, "without GTIDs, by position")
        XCTAssertTrue(history.contains(binlogStatementAt: elsewhere, gtids: "0-1-12"))
        XCTAssertFalse(history.contains(binlogStatementAt: at(5, 900), gtids: "0-1-13"))
    }

    /// MySQL's GTID sets hold the same way: a statement is in force once the resume set includes its own GTID.
    func testWithMySQLGTIDSetsEntriesHoldByGTIDWhateverTheFile() throws {
        let uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
        let history = try history()
        try history.append([
            .snapshotStart(at: at(5, 100), gtids: "\(uuid):1-10"),
            .init(
                position: at(5, 100), snapshot: true, database: "d", ddl: "CREATE TABLE t (a int)",
                gtids: "\(uuid):1-10"),
            .init(
                position: at(5, 900), snapshot: false, database: "d", ddl: "ALTER TABLE t ADD b int",
                gtids: "\(uuid):1-12"),
        ])
        let elsewhere = at(1, 4)
        XCTAssertEqual(history.entries(before: elsewhere, gtids: GTIDPosition("\(uuid):1-11")).count, 2)
        XCTAssertEqual(history.entries(before: elsewhere, gtids: GTIDPosition("\(uuid):1-12")).count, 3)
        XCTAssertEqual(history.entries(before: elsewhere, gtids: GTIDPosition("\(uuid):1-9")).count, 0)
        XCTAssertEqual(
            history.entries(before: at(5, 900), gtids: GTIDPosition("0-1-50")).count, 2,
            "GTIDs of the other notation cannot be compared: by position")
        XCTAssertTrue(history.contains(binlogStatementAt: elsewhere, gtids: "\(uuid):1-12"))
    }

    /// Records are Debezium's history documents: `source.server`, `position` with `file`/`pos` (and `snapshot`
    /// for a schema snapshot's), `ts_ms`, `databaseName`, `ddl`.
    func testRecordsAreDebeziumHistoryDocuments() throws {
        try history().append([
            .init(position: at(1, 100), snapshot: true, database: "d", ddl: "CREATE TABLE t (a int)"),
            .init(position: at(1, 900), snapshot: false, database: "d", ddl: "DROP TABLE t"),
        ])
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        let first = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        XCTAssertEqual(first["source"] as? [String: String], ["server": "inventory"])
        let position = try XCTUnwrap(first["position"] as? [String: Any])
        XCTAssertEqual(position["file"] as? String, "b.000001")
        XCTAssertEqual(position["pos"] as? Int, 100)
        XCTAssertEqual(position["snapshot"] as? Bool, true)
        XCTAssertEqual(first["databaseName"] as? String, "d")
        XCTAssertEqual(first["ddl"] as? String, "CREATE TABLE t (a int)")
        XCTAssertGreaterThan(first["ts_ms"] as? Int ?? 0, 1_700_000_000_000)
        let second = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        XCTAssertNil((second["position"] as? [String: Any])?["snapshot"])
    }

    func testTheStorageFollowsTheClassOrTheKeysThatAreSet() throws {
        let base = [
            "database.hostname": "h", "database.user": "u", "topic.prefix": "p",
        ]
        func storage(_ extra: [String: String]) throws -> MySQLConnectorConfig.SchemaHistoryStorage {
            try MySQLConnectorConfig(Config(base.merging(extra) { $1 }), flavor: .mariadb).schemaHistory
        }
        let kafka = [
            "schema.history.internal.kafka.topic": "history",
            "schema.history.internal.kafka.bootstrap.servers": "k:9092",
        ]
        XCTAssertEqual(try storage(["schema.history.internal.file.filename": "/tmp/h"]), .file(path: "/tmp/h"))
        guard
            case .kafka(let settings) = try storage(
                kafka.merging(["schema.history.internal.file.filename": "/h"]) { $1 })
        else { return XCTFail("Kafka is Debezium's default when its keys are set") }
        XCTAssertEqual(settings.topic, "history")
        XCTAssertEqual(settings.bootstrapServers, "k:9092")
        XCTAssertEqual(settings.recoveryIdleMilliseconds, 10_000)
        XCTAssertEqual(
            try storage(
                kafka.merging([
                    "schema.history.internal": "io.debezium.storage.file.history.FileSchemaHistory",
                    "schema.history.internal.file.filename": "/h",
                ]) { $1 }), .file(path: "/h"))
        let failures: [([String: String], String)] = [
            ([:], "schema.history.internal.kafka.topic"),
            (["schema.history.internal.kafka.topic": "t"], "schema.history.internal.kafka.bootstrap.servers"),
            (
                ["schema.history.internal": "io.debezium.relational.history.MemorySchemaHistory"],
                "schema.history.internal"
            ),
            (
                kafka.merging(["schema.history.internal.kafka.recovery.attempts": "0"]) { $1 },
                "schema.history.internal.kafka.recovery.attempts"
            ),
        ]
        for (extra, key) in failures {
            XCTAssertThrowsError(try storage(extra)) { error in
                XCTAssertEqual((error as? ConfigError)?.key, key, "\(error)")
            }
        }
    }
}
