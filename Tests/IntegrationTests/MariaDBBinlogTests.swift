import BinlogProtocol
import Foundation
import XCTest

/// A binlog MariaDB 10.11 writes here (CRC32 checksums, GTIDs, `binlog_row_metadata=FULL`), fetched raw with
/// `mariadb-binlog --read-from-remote-server --raw` and decoded: every event, and the values rows carry.
final class MariaDBBinlogTests: XCTestCase {
    func testAMariaDBBinlogDecodesToTheRowsWritten() throws {
        let database = IntegrationEnvironment.uniqueName("bl")
        try MariaDBEnvironment.sql("FLUSH BINARY LOGS")
        let binlog = try XCTUnwrap(try MariaDBEnvironment.sql("SHOW MASTER STATUS").first?.first)
        try MariaDBEnvironment.sql(
            """
            CREATE DATABASE \(database);
            USE \(database);
            CREATE TABLE t (id int PRIMARY KEY, ti tinyint unsigned, big bigint, d decimal(12,4), f double,
              v varchar(300), c char(3), b blob, dt datetime(3), ts timestamp(6) NULL, tm time(2), da date,
              y year, e enum('x','y','z'), s set('a','b','c'), bt bit(10), j json) CHARSET utf8mb4;
            INSERT INTO t VALUES (1, 250, -9007199254740993, -1234.5678, 1.5, 'h\u{e9}llo', 'ab', x'00ff',
              '2024-02-29 13:45:01.123', '2024-02-29 13:45:01.654321', '-838:59:59.99', '1000-01-01', 2155, 'y',
              'a,c', b'1000000001', '{"k": [1, 2]}');
            INSERT INTO t (id) VALUES (2);
            UPDATE t SET v = 'changed', ti = 0 WHERE id = 1;
            DELETE FROM t WHERE id = 2;
            DROP DATABASE \(database);
            FLUSH BINARY LOGS;
            """)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(database)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try MariaDBEnvironment.run(
            "mariadb-binlog", ["--read-from-remote-server", "--raw", "--result-file=\(folder.path)/", binlog])
        let bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent(binlog)))

        var decoder = BinlogDecoder()
        var events: [BinlogEvent] = []
        for (position, event) in try BinlogFile(bytes) {
            do {
                events.append(try decoder.decode(event).1)
            } catch {
                return XCTFail("at \(position): \(error)")
            }
        }
        guard case .formatDescription(let format) = events.first else { return XCTFail("no format description") }
        XCTAssertTrue(format.hasChecksum, "MariaDB's default binlog_checksum is CRC32")
        XCTAssertTrue(events.contains { if case .mariaDBGTIDList = $0 { true } else { false } })
        let gtids = events.compactMap { e -> BinlogEvent.MariaDBGTID? in
            if case .mariaDBGTID(let gtid, _) = e { return gtid }
            return nil
        }
        XCTAssertEqual(gtids.count, 7, "CREATE DATABASE, CREATE TABLE, four transactions, DROP DATABASE")
        XCTAssertEqual(gtids.map(\.sequence), Array(gtids[0].sequence..<gtids[0].sequence + 7))
        XCTAssertTrue(events.contains(.rowsQuery("DELETE FROM t WHERE id = 2")), "ANNOTATE_ROWS, on by default")

        // binlog_row_metadata=FULL: names, signedness, members, key and character sets come with the table map.
        let map = try XCTUnwrap(
            events.lazy.compactMap { e -> TableMap? in
                if case .tableMap(let map) = e { return map }
                return nil
            }.first)
        XCTAssertEqual(
            map.metadata.columnNames,
            ["id", "ti", "big", "d", "f", "v", "c", "b", "dt", "ts", "tm", "da", "y", "e", "s", "bt", "j"])
        XCTAssertEqual(map.metadata.unsigned?.enumerated().filter(\.element).map(\.offset), [1], "ti is unsigned")
        XCTAssertEqual(map.metadata.enumMembers?[13], ["x", "y", "z"])
        XCTAssertEqual(map.metadata.setMembers?[14], ["a", "b", "c"])
        XCTAssertEqual(map.metadata.primaryKey, [0])
        XCTAssertEqual(map.metadata.collations?[5], 45, "utf8mb4_general_ci")
        XCTAssertEqual(map.metadata.collations?[7], 63, "a BLOB is binary")
        XCTAssertNil(map.metadata.collations?[0] ?? nil)

        let rows = events.compactMap { e -> RowsEvent? in
            if case .rows(let rows) = e { return rows }
            return nil
        }
        XCTAssertEqual(rows.map(\.kind), [.write, .write, .update, .delete])
        let first = try XCTUnwrap(rows.first?.rows.first)
        XCTAssertEqual(first[0], .integer(1, width: 4))
        XCTAssertEqual(first[1]?.unsigned, 250)
        XCTAssertEqual(first[2], .integer(-9_007_199_254_740_993, width: 8))
        XCTAssertEqual(first[3], .decimal("-1234.5678"))
        XCTAssertEqual(first[4], .double(1.5))
        XCTAssertEqual(first[5], .bytes(ArraySlice("h\u{e9}llo".utf8)))
        XCTAssertEqual(first[6], .bytes(ArraySlice("ab".utf8)))
        XCTAssertEqual(first[7], .bytes([0x00, 0xFF]))
        XCTAssertEqual(
            first[8], .datetime(year: 2024, month: 2, day: 29, hour: 13, minute: 45, second: 1, microsecond: 123_000))
        if case .timestamp(_, let micros) = first[9] {
            XCTAssertEqual(micros, 654_321)
        } else {
            XCTFail("\(first[9]!)")
        }
        XCTAssertEqual(first[10], .time(negative: true, hours: 838, minutes: 59, seconds: 59, microseconds: 990_000))
        XCTAssertEqual(first[11], .date(year: 1000, month: 1, day: 1))
        XCTAssertEqual(first[12], .year(2155))
        XCTAssertEqual(first[13], .enumIndex(2))
        XCTAssertEqual(first[14], .setBits(0b101))
        XCTAssertEqual(first[15], .bits([0b10, 0b0000_0001]))
        XCTAssertEqual(first[16], .bytes(ArraySlice(#"{"k": [1, 2]}"#.utf8)), "MariaDB's JSON is text")
        let second = try XCTUnwrap(rows[1].rows.first)
        XCTAssertEqual(second[0], .integer(2, width: 4))
        XCTAssertEqual(second[1...].filter { $0 != .null }.count, 0, "the rest is NULL")
        XCTAssertEqual(rows[2].after.first?[5], .bytes(ArraySlice("changed".utf8)))
        XCTAssertEqual(rows[2].rows.first?[5], .bytes(ArraySlice("h\u{e9}llo".utf8)), "the before image")
    }
}
