import BinlogProtocol
import Foundation
import XCTest

@testable import MySQLSource
@testable import TributaryCore

/// MySQL's GTIDs through the stream, without a server (none is packaged here): events built in MySQL's byte format
/// go through the task as the binlog connection hands them over.
final class MySQLStreamGTIDTests: XCTestCase {
    private let uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
    private var path = ""
    private var nextPosition: UInt32 = 4

    override func setUp() {
        path = FileManager.default.temporaryDirectory.path + "/history-\(UUID().uuidString).jsonl"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// An event: the 19-byte header (timestamp, type, server id, size, next position, flags), then `body`.
    private func event(_ type: UInt8, _ body: [UInt8]) -> [UInt8] {
        let size = UInt32(19 + body.count)
        nextPosition += size
        var bytes = withUnsafeBytes(of: UInt32(1_700_000_000).littleEndian, Array.init) + [type]
        bytes += withUnsafeBytes(of: UInt32(1).littleEndian, Array.init)
        bytes += withUnsafeBytes(of: size.littleEndian, Array.init)
        bytes += withUnsafeBytes(of: nextPosition.littleEndian, Array.init) + [0, 0]
        return bytes + body
    }

    /// GTID_LOG_EVENT (33): flags, the server's UUID, the transaction number, then the logical clock.
    private func gtid(_ number: UInt64) -> [UInt8] {
        var sid: [UInt8] = []
        var digits = uuid.utf8.filter { $0 != UInt8(ascii: "-") }.makeIterator()
        while let high = digits.next(), let low = digits.next() {
            sid.append(UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)!)
        }
        return event(
            33, [1] + sid + withUnsafeBytes(of: number.littleEndian, Array.init) + [2] + Array(repeating: 0, count: 16))
    }

    /// QUERY_EVENT (2): thread, seconds, database length, error code, no status variables, database, statement.
    private func query(_ sql: String, database: String = "d") -> [UInt8] {
        var body: [UInt8] = [7, 0, 0, 0, 0, 0, 0, 0, UInt8(database.utf8.count), 0, 0, 0, 0]
        body += Array(database.utf8) + [0] + Array(sql.utf8)
        return event(2, body)
    }

    private func xid() -> [UInt8] { event(16, [9, 0, 0, 0, 0, 0, 0, 0]) }

    private func task(_ extra: [String: String] = [:]) throws -> MySQLConnectorTask {
        let config = try MySQLConnectorConfig(
            Config(
                [
                    "database.hostname": "h", "database.user": "u", "topic.prefix": "p",
                    "schema.history.internal.file.filename": path,
                ].merging(extra) { $1 }), flavor: .mysql)
        return try MySQLConnectorTask(config: config)
    }

    /// Each committed transaction's GTID joins the offset's set (Debezium's `gtids`), so that a restart asks for
    /// what follows it; a transaction read only in part does not count yet. A DDL statement's history record
    /// carries the set that includes its own GTID.
    func testCommittedTransactionsJoinTheOffsetsGTIDSet() throws {
        let task = try task()
        try task.history.recover()
        task.file = "binlog.000007"
        task.mysqlGTIDs = try XCTUnwrap(MySQLGTIDSet("\(uuid):1-5"))
        task.committed = MySQLOffset(position: BinlogPosition(file: task.file, position: 4), gtids: "\(uuid):1-5")
        var records: [SourceRecord] = []

        for bytes in [gtid(6), query("BEGIN"), xid()] { try task.handle(bytes, into: &records) }
        XCTAssertEqual(task.committed.gtids, "\(uuid):1-6")
        XCTAssertEqual(task.committed.position.position, UInt64(nextPosition))
        XCTAssertEqual(task.committed.map["gtids"], .string("\(uuid):1-6"))

        for bytes in [gtid(7), query("CREATE TABLE t (a int)")] { try task.handle(bytes, into: &records) }
        XCTAssertEqual(task.committed.gtids, "\(uuid):1-7")
        XCTAssertEqual(task.history.entries.last?.ddl, "CREATE TABLE t (a int)")
        XCTAssertEqual(task.history.entries.last?.gtids, "\(uuid):1-7")
        XCTAssertEqual(
            task.history.entries(
                before: BinlogPosition(file: "other.000001", position: 4),
                gtids: GTIDPosition("\(uuid):1-7")
            ).count, 1)

        for bytes in [gtid(8), query("BEGIN")] { try task.handle(bytes, into: &records) }
        XCTAssertEqual(task.committed.gtids, "\(uuid):1-7", "a transaction in progress is not in the set")
        XCTAssertEqual(task.committed.gtidPosition(.mysql), GTIDPosition("\(uuid):1-7"))
    }

    /// `gtid.source.includes`/`excludes` match a MySQL transaction's server UUID (case aside); the row changes of a
    /// transaction they leave out are not emitted, unless `gtid.source.filter.dml.events` is off.
    func testGTIDSourceListsMatchTheServerUUID() throws {
        let cases: [([String: String], Bool)] = [
            ([:], false),
            (["gtid.source.excludes": uuid.uppercased()], true),
            (["gtid.source.excludes": "3e11fa47-.*", "gtid.source.filter.dml.events": "false"], false),
            (["gtid.source.includes": "3e11fa47-.*"], false),
            (["gtid.source.includes": "3e11fa47"], true),
        ]
        for (settings, excluded) in cases {
            nextPosition = 4
            let task = try task(settings)
            try task.history.recover()
            task.file = "binlog.000007"
            var records: [SourceRecord] = []
            for bytes in [gtid(6), query("BEGIN")] { try task.handle(bytes, into: &records) }
            XCTAssertEqual(task.transaction?.sourceExcluded, excluded, "\(settings)")
        }
    }

    /// COM_BINLOG_DUMP_GTID's arguments as MySQL's protocol documents them: flags, server id, an empty file name,
    /// position 4, then the set's size and binary form.
    func testTheDumpRequestFollowsTheDocumentedLayout() throws {
        let set = try XCTUnwrap(MySQLGTIDSet("\(uuid):1-5"))
        let request = BinlogConnection.dumpGTIDRequest(set, serverID: 0x0102_0304, nonBlocking: true)
        XCTAssertEqual(Array(request[0..<2]), [0x05, 0x00], "BINLOG_THROUGH_GTID and BINLOG_DUMP_NON_BLOCK")
        XCTAssertEqual(Array(request[2..<6]), [0x04, 0x03, 0x02, 0x01])
        XCTAssertEqual(Array(request[6..<10]), [0, 0, 0, 0])
        XCTAssertEqual(Array(request[10..<18]), [4, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(request[18..<22]), [UInt8(set.encoded.count), 0, 0, 0])
        XCTAssertEqual(Array(request[22...]), set.encoded)
        XCTAssertEqual(set.encoded.count, 8 + 16 + 8 + 16)
        XCTAssertEqual(BinlogConnection.dumpGTIDRequest(set, serverID: 1, nonBlocking: false)[0], 0x04)
    }

    /// An event that does not decode stops the task by default; `event.processing.failure.handling.mode=warn` (or
    /// `skip`) skips it and reads on. A checksum mismatch is never skipped.
    func testAnEventThatDoesNotDecodeFailsOrIsSkippedAsConfigured() throws {
        let broken = event(2, [7, 0, 0])  // a QUERY event cut short
        var records: [SourceRecord] = []
        let failing = try task()
        try failing.history.recover()
        failing.file = "binlog.000007"
        XCTAssertThrowsError(try failing.handle(broken, into: &records)) { error in
            XCTAssertTrue("\(error)".contains("cannot decode the binlog event after binlog.000007"), "\(error)")
        }
        for mode in ["warn", "skip"] {
            nextPosition = 4
            let skipping = try task(["event.processing.failure.handling.mode": mode])
            try skipping.history.recover()
            skipping.file = "binlog.000007"
            skipping.mysqlGTIDs = try XCTUnwrap(MySQLGTIDSet("\(uuid):1-5"))
            skipping.committed = MySQLOffset(
                position: BinlogPosition(file: skipping.file, position: 4), gtids: "\(uuid):1-5")
            try skipping.handle(broken, into: &records)
            for bytes in [gtid(6), query("BEGIN"), xid()] { try skipping.handle(bytes, into: &records) }
            XCTAssertEqual(skipping.committed.gtids, "\(uuid):1-6", "\(mode): the stream goes on after the bad event")
        }
        XCTAssertThrowsError(try task(["event.processing.failure.handling.mode": "maybe"])) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "event.processing.failure.handling.mode")
        }
    }
}
