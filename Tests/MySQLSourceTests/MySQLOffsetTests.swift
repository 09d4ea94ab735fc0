import TributaryCore
import XCTest

@testable import MySQLSource

final class MySQLOffsetTests: XCTestCase {
    func testOffsetsRoundTripInDebeziumsKeys() throws {
        var offset = MySQLOffset(position: BinlogPosition(file: "mariadb-bin.000003", position: 1234), gtids: "0-1-9")
        offset.eventsToSkip = 2
        offset.rowsToSkip = 5
        offset.timestampSeconds = 1_700_000_000
        offset.serverID = 7
        let map = offset.map
        XCTAssertEqual(map["file"], .string("mariadb-bin.000003"))
        XCTAssertEqual(map["pos"], .int(1234))
        XCTAssertEqual(map["event"], .int(2))
        XCTAssertEqual(map["row"], .int(5))
        XCTAssertEqual(map["gtids"], .string("0-1-9"))
        XCTAssertNil(map["snapshot"])
        XCTAssertEqual(MySQLOffset(map), offset)
        XCTAssertNil(MySQLOffset(["pos": .int(4)]))
        var snapshot = MySQLOffset(position: BinlogPosition(file: "f.000001", position: 4))
        snapshot.snapshotInProgress = true
        XCTAssertEqual(MySQLOffset(snapshot.map)?.snapshotInProgress, true)
        snapshot.snapshotResume = .init(table: "d.t", key: ["42", nil, "a\"b"])
        XCTAssertEqual(snapshot.map["snapshot_resume_table"], .string("d.t"))
        XCTAssertEqual(snapshot.map["snapshot_resume_key"], .string(#"["42",null,"a\"b"]"#))
        XCTAssertEqual(MySQLOffset(snapshot.map), snapshot)
    }

    func testBinlogPositionsOrderByFileNumber() {
        let a = BinlogPosition(file: "bin.000009", position: 900)
        let b = BinlogPosition(file: "bin.000010", position: 4)
        XCTAssertLessThan(a, b)
        XCTAssertLessThan(
            BinlogPosition(file: "bin.000010", position: 4), BinlogPosition(file: "bin.000010", position: 5))
    }

    /// Offsets with GTIDs in the server's notation resume by them; others (none, or the other notation) by
    /// position.
    func testOffsetsWithTheServersGTIDsResumeByThem() {
        let uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
        let position = BinlogPosition(file: "bin.000002", position: 4)
        XCTAssertEqual(MySQLOffset(position: position, gtids: "0-1-9").gtidPosition(.mariadb)?.flavor, .mariadb)
        XCTAssertNil(MySQLOffset(position: position, gtids: "0-1-9").gtidPosition(.mysql))
        XCTAssertEqual(MySQLOffset(position: position, gtids: "\(uuid):1-9").gtidPosition(.mysql)?.flavor, .mysql)
        XCTAssertNil(MySQLOffset(position: position, gtids: "\(uuid):1-9").gtidPosition(.mariadb))
        XCTAssertNil(MySQLOffset(position: position).gtidPosition(.mysql))
        XCTAssertNil(MySQLOffset(position: position, gtids: "garbage").gtidPosition(.mysql))
    }

    func testMariaDBGTIDStateAdvancesPerDomain() throws {
        var state = try XCTUnwrap(MariaDBGTIDState("0-1-42, 3-2-7"))
        state.commit(.init(domain: 0, server: 1, sequence: 43))
        state.commit(.init(domain: 1, server: 5, sequence: 1))
        XCTAssertEqual(state.text, "0-1-43,1-5-1,3-2-7")
        XCTAssertNil(MariaDBGTIDState("0-1"))
    }
}
