import XCTest

@testable import BinlogProtocol

final class MySQLGTIDSetTests: XCTestCase {
    private let a = "0b9a3b0a-1111-2222-3333-444455556666"
    private let b = "3e11fa47-71ca-11e1-9e33-c80aa9429562"

    /// MySQL's notations (upper case, single numbers, the line breaks of `SHOW MASTER STATUS`) read into Debezium's
    /// text form: UUIDs in order, every interval as `start-end`, adjacent ones merged.
    func testTheTextFormsReadIntoDebeziumsForm() throws {
        let set = try XCTUnwrap(MySQLGTIDSet("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:7:6:9-10,\n\(a):3"))
        XCTAssertEqual(set.description, "\(a):3-3,\(b):1-7:9-10")
        XCTAssertEqual(MySQLGTIDSet(set.description), set)
        XCTAssertEqual(MySQLGTIDSet(""), MySQLGTIDSet())
        XCTAssertTrue(MySQLGTIDSet("")?.isEmpty ?? false)
        for bad in [
            "0-1-42", "\(b)", "\(b):0", "\(b):5-3", "\(b):1-x", "zz11fa47-71ca-11e1-9e33-c80aa9429562:1",
            "\(b):tag:1-5",
        ] {
            XCTAssertNil(MySQLGTIDSet(bad), bad)
        }
    }

    func testTransactionsAddUpAndSetsCompare() throws {
        var set = MySQLGTIDSet()
        XCTAssertTrue(set.insert("\(b):1"))
        XCTAssertTrue(set.insert("\(b):3"))
        XCTAssertEqual(set.description, "\(b):1-1:3-3")
        XCTAssertTrue(set.insert("\(b.uppercased()):2"))
        XCTAssertEqual(set.description, "\(b):1-3")
        XCTAssertFalse(set.insert("\(b)"))
        XCTAssertFalse(set.insert("0-1-2"))

        let purged = try XCTUnwrap(MySQLGTIDSet("\(b):1-2"))
        XCTAssertTrue(set.isSuperset(of: purged))
        XCTAssertTrue(set.isSuperset(of: MySQLGTIDSet()))
        XCTAssertFalse(purged.isSuperset(of: set))
        XCTAssertFalse(set.isSuperset(of: try XCTUnwrap(MySQLGTIDSet("\(a):1"))))
        XCTAssertFalse(set.isSuperset(of: try XCTUnwrap(MySQLGTIDSet("\(b):2-4"))), "partly outside")
    }

    /// The binary form of COM_BINLOG_DUMP_GTID, compared with what the PyPI `mysql-replication` library
    /// (1.0.17, `GtidSet.encoded()`) sends for the same set, and read back as a PREVIOUS_GTIDS event's body is.
    func testTheBinaryFormIsWhatReplicasSend() throws {
        let set = try XCTUnwrap(MySQLGTIDSet("\(a):3,\(b.uppercased()):1-5:7:9-10"))
        let expected =
            "02000000000000000b9a3b0a1111222233334444555566660100000000000000"
            + "030000000000000004000000000000003e11fa4771ca11e19e33c80aa9429562"
            + "0300000000000000010000000000000006000000000000000700000000000000"
            + "080000000000000009000000000000000b00000000000000"
        XCTAssertEqual(set.encoded.map { String(format: "%02x", $0) }.joined(), expected)

        // A PREVIOUS_GTIDS event (type 35): the 19-byte header, then the set.
        let size = UInt32(19 + set.encoded.count)
        var event: [UInt8] = [0, 0, 0, 0, 35, 1, 0, 0, 0]
        event += withUnsafeBytes(of: size.littleEndian, Array.init)
        event += withUnsafeBytes(of: (size + 4).littleEndian, Array.init) + [0, 0] + set.encoded
        var decoder = BinlogDecoder()
        let (_, decoded) = try decoder.decode(event[...])
        XCTAssertEqual(decoded, .previousGTIDs("\(a):3,\(b):1-5:7:9-10"))
        XCTAssertEqual(MySQLGTIDSet("\(a):3,\(b):1-5:7:9-10"), set)
    }
}
