import BinlogProtocol
import Foundation
import MySQLSource
import XCTest

/// The binlog stream from MariaDB as a replica reads it (`BinlogConnection`), decoded by `BinlogDecoder`: from a
/// file and position, and from a GTID position.
final class BinlogConnectionTests: XCTestCase {
    private var database = ""

    override func setUpWithError() throws {
        database = IntegrationEnvironment.uniqueName("bc")
        try MariaDBEnvironment.sql(
            "CREATE DATABASE \(database); CREATE TABLE \(database).t (id int PRIMARY KEY, v varchar(20))")
    }

    override func tearDown() {
        _ = try? MariaDBEnvironment.sql("DROP DATABASE IF EXISTS \(database)")
    }

    /// Reads and decodes events until `until` says stop, or the stream ends.
    private func events(
        _ connection: BinlogConnection, decoder: inout BinlogDecoder, until done: ([BinlogEvent]) -> Bool
    ) throws -> [BinlogEvent] {
        var events: [BinlogEvent] = []
        let deadline = Date().addingTimeInterval(30)
        while !done(events), Date() < deadline, let bytes = try connection.next() {
            events.append(try decoder.decode(bytes[...]).1)
        }
        return events
    }

    private func rows(_ events: [BinlogEvent]) -> [[BinlogValue?]] {
        events.flatMap { e -> [[BinlogValue?]] in
            if case .rows(let rows) = e { return rows.kind == .update ? rows.after : rows.rows }
            return []
        }
    }

    func testStreamingFromAFileAndPositionWaitsForNewEvents() throws {
        let status = try XCTUnwrap(try MariaDBEnvironment.sql("SHOW MASTER STATUS").first)
        var settings = MariaDBEnvironment.settings
        settings.heartbeatSeconds = 1
        let connection = try BinlogConnection(
            settings, from: .file(status[0], position: try XCTUnwrap(UInt64(status[1]))))
        XCTAssertTrue(connection.checksums, "MariaDB's default binlog_checksum is CRC32")
        // The changes come after the stream was opened: the replica waits for them.
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { [database] in
            _ = try? MariaDBEnvironment.sql(
                "INSERT INTO \(database).t VALUES (1, 'one'), (2, 'two'); UPDATE \(database).t SET v = 'uno' WHERE id = 1"
            )
        }
        var decoder = BinlogDecoder(checksumsBeforeFormat: connection.checksums)
        let events = try self.events(connection, decoder: &decoder) { self.rows($0).count >= 3 }
        // With nothing to send, the server sends heartbeats (checksummed like any event).
        let idle = try self.events(connection, decoder: &decoder) { $0.contains(.other(.heartbeat)) }
        XCTAssertTrue(idle.contains(.other(.heartbeat)), "\(idle)")
        connection.close()
        XCTAssertEqual(
            rows(events),
            [
                [.integer(1, width: 4), .bytes(ArraySlice("one".utf8))],
                [.integer(2, width: 4), .bytes(ArraySlice("two".utf8))],
                [.integer(1, width: 4), .bytes(ArraySlice("uno".utf8))],
            ])
        XCTAssertTrue(
            events.contains { if case .rotate = $0 { true } else { false } }, "the stream opens with a rotate")
        XCTAssertTrue(events.contains { if case .mariaDBGTID = $0 { true } else { false } }, "MariaDB's own GTIDs")
    }

    /// From a GTID position: the first transaction after it comes first.
    func testStreamingFromAMariaDBGTIDPosition() throws {
        let position = try XCTUnwrap(try MariaDBEnvironment.sql("SELECT @@gtid_binlog_pos").first?.first)
        try MariaDBEnvironment.sql(
            "INSERT INTO \(database).t VALUES (10, 'ten'); INSERT INTO \(database).t VALUES (11, 'eleven')")
        var settings = MariaDBEnvironment.settings
        settings.stopAtEnd = true
        let connection = try BinlogConnection(settings, from: .mariaDBGTID(position))
        var decoder = BinlogDecoder(checksumsBeforeFormat: connection.checksums)
        let events = try self.events(connection, decoder: &decoder) { _ in false }
        connection.close()
        let gtids = events.compactMap { e -> BinlogEvent.MariaDBGTID? in
            if case .mariaDBGTID(let gtid, _) = e { return gtid }
            return nil
        }
        // The inserts run in domain 0; the server may have GTIDs of other domains too (`0-1-9,2-7-3`).
        let domain0 = try XCTUnwrap(position.split(separator: ",").first { $0.hasPrefix("0-") })
        let last = try XCTUnwrap(domain0.split(separator: "-").last.flatMap { UInt64($0) })
        XCTAssertEqual(gtids.map(\.sequence), [last + 1, last + 2])
        XCTAssertEqual(
            rows(events),
            [
                [.integer(10, width: 4), .bytes(ArraySlice("ten".utf8))],
                [.integer(11, width: 4), .bytes(ArraySlice("eleven".utf8))],
            ])
    }

    /// MySQL's COM_BINLOG_DUMP_GTID goes out through the client library's own command path (no MySQL server is
    /// packaged here to stream from). MariaDB does not know the command: its refusal is an error naming the server,
    /// not a crash or a stream that waits forever.
    func testAMySQLGTIDRequestThatTheServerRefusesIsAnError() throws {
        var settings = MariaDBEnvironment.settings
        settings.heartbeatSeconds = 1
        let set = try XCTUnwrap(MySQLGTIDSet("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"))
        let start = Date()
        XCTAssertThrowsError(try BinlogConnection(settings, from: .mysqlGTID(set)).next()) { error in
            XCTAssertTrue("\(error)".contains("127.0.0.1:\(MariaDBEnvironment.port)"), "\(error)")
            XCTAssertTrue("\(error)".contains("Unknown command"), "the server read the request: \(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    /// Wrong credentials name the server and the user, never the password.
    func testARefusedConnectionSaysWhoAndWhere() throws {
        var settings = MariaDBEnvironment.settings
        settings.password = "not-the-password"
        XCTAssertThrowsError(try BinlogConnection(settings, from: .file("x", position: 4))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("127.0.0.1:\(MariaDBEnvironment.port)") && text.contains("tributary"), text)
            XCTAssertFalse(text.contains("not-the-password"), text)
        }
    }
}
