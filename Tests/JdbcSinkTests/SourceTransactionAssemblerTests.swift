import XCTest

@testable import JdbcSink
@testable import TributaryCore

/// `transaction.boundary.mode=source` without a server: events held until their transaction is whole, handed out
/// in commit order, and offsets committed never past what is held.
final class SourceTransactionAssemblerTests: XCTestCase {
    private let a0 = TopicPartition(topic: "db.public.a", partition: 0)
    private let a1 = TopicPartition(topic: "db.public.a", partition: 1)
    private let b0 = TopicPartition(topic: "db.public.b", partition: 0)
    private let tx = TopicPartition(topic: "db.transaction", partition: 0)

    /// Consumes the tables a and b, not c.
    private func assembler() -> SourceTransactionAssembler<String> {
        SourceTransactionAssembler { topic, collection in
            XCTAssertEqual(topic, "db.transaction")
            return collection == "public.a" || collection == "public.b"
        }
    }

    private func member(_ id: String, _ order: Int64) -> SourceTransaction { .init(id: id, order: order) }

    func testATransactionGoesOutWholeOnceItsEndAndAllItsEventsCame() throws {
        var assembler = assembler()
        assembler.add("t1 a", at: a0, offset: 0, transaction: member("t1", 2))
        XCTAssertEqual(assembler.takeReady(), [], "no END yet")
        try assembler.addEnd(
            id: "t1", collections: [("public.a", 1), ("public.b", 1), ("public.c", 5)], at: tx, offset: 1)
        XCTAssertEqual(assembler.takeReady(), [], "the END counts an event of b that has not come")
        XCTAssertEqual(assembler.committable([a0: 1, tx: 2]), [a0: 0, tx: 1], "a restart reads both again")
        assembler.add("t1 b", at: b0, offset: 0, transaction: member("t1", 1))
        XCTAssertEqual(assembler.takeReady(), ["t1 b", "t1 a"], "whole, in the source's order; c is not consumed")
        XCTAssertEqual(assembler.committable([b0: 1]), [a0: 1, b0: 1, tx: 2])
        XCTAssertEqual(assembler.heldCount, 0)
    }

    func testTransactionsGoOutInCommitOrderAndKeepEachPartitionsOrder() throws {
        var assembler = assembler()
        // t1 and t2 change the same key (partition a1); t2's events all came first but t1's END comes first.
        assembler.add("t1 a1", at: a1, offset: 5, transaction: member("t1", 1))
        assembler.add("t2 a1", at: a1, offset: 6, transaction: member("t2", 1))
        assembler.add("t2 b0", at: b0, offset: 3, transaction: member("t2", 2))
        try assembler.addEnd(id: "t1", collections: [("public.a", 2)], at: tx, offset: 10)
        try assembler.addEnd(id: "t2", collections: [("public.a", 1), ("public.b", 1)], at: tx, offset: 11)
        XCTAssertEqual(assembler.takeReady(), [], "t2 is whole, but t1 commits first and is not")
        XCTAssertEqual(assembler.committable([:]), [a1: 5, b0: 3, tx: 10])
        assembler.add("t1 a0", at: a0, offset: 0, transaction: member("t1", 2))
        XCTAssertEqual(assembler.takeReady(), ["t1 a1", "t1 a0", "t2 a1", "t2 b0"])
        XCTAssertEqual(assembler.committable([:]), [a0: 1, a1: 7, b0: 4, tx: 12])
    }

    func testEventsWithoutATransactionGoOutWhenNothingPrecedesThem() throws {
        var assembler = assembler()
        assembler.add("snapshot 1", at: a0, offset: 0, transaction: nil)
        assembler.add("t1", at: a0, offset: 1, transaction: member("t1", 1))
        assembler.add("tombstone after t1", at: a0, offset: 2, transaction: nil)
        assembler.add("snapshot 2", at: b0, offset: 0, transaction: nil)
        XCTAssertEqual(Set(assembler.takeReady()), ["snapshot 1", "snapshot 2"])
        XCTAssertEqual(assembler.committable([:]), [a0: 1, b0: 1])
        try assembler.addBegin(id: "t1", at: tx, offset: 0)
        XCTAssertEqual(assembler.committable([:]), [a0: 1, b0: 1, tx: 0], "a restart reads the BEGIN again")
        try assembler.addEnd(id: "t1", collections: [("public.a", 1)], at: tx, offset: 1)
        XCTAssertEqual(assembler.takeReady(), ["t1", "tombstone after t1"])
        XCTAssertEqual(assembler.committable([:]), [a0: 3, b0: 1, tx: 2])
    }

    func testATransactionOnlyOfTablesNotConsumedEndsAtOnce() throws {
        var assembler = assembler()
        try assembler.addEnd(id: "t9", collections: [("public.c", 3)], at: tx, offset: 4)
        XCTAssertEqual(assembler.committable([:]), [tx: 4])
        XCTAssertEqual(assembler.takeReady(), [])
        XCTAssertEqual(assembler.committable([:]), [tx: 5], "nothing of it to wait for")
    }

    func testTheTransactionTopicMustHaveOnePartition() throws {
        var assembler = assembler()
        try assembler.addEnd(id: "t1", collections: [], at: tx, offset: 0)
        XCTAssertThrowsError(
            try assembler.addEnd(
                id: "t2", collections: [], at: TopicPartition(topic: "db.transaction", partition: 3), offset: 0)
        ) {
            XCTAssertTrue("\($0)".contains("one partition"), "\($0)")
        }
    }

    func testTheNextTransactionToCommitGoesOutInPartsAndCommitsWithItsLast() throws {
        var assembler = assembler()
        try assembler.addBegin(id: "t1", at: tx, offset: 0)
        assembler.add("t1 a #2", at: a0, offset: 0, transaction: member("t1", 2))
        assembler.add("t1 b #1", at: b0, offset: 0, transaction: member("t1", 1))
        assembler.add("t1 a #3", at: a0, offset: 1, transaction: member("t1", 3))
        XCTAssertEqual(assembler.takeReady(), [])
        XCTAssertFalse(assembler.isOpen)
        XCTAssertEqual(assembler.takeOpen(), ["t1 b #1", "t1 a #2", "t1 a #3"], "its BEGIN makes it the next")
        XCTAssertTrue(assembler.isOpen)
        XCTAssertEqual(assembler.heldCount, 0)
        XCTAssertEqual(
            assembler.committable([a0: 2, b0: 1, tx: 1]), [a0: 0, b0: 0, tx: 0],
            "nothing of it is committed in the target yet: a restart reads all of it again")
        assembler.add("t1 a #4", at: a0, offset: 2, transaction: member("t1", 4))
        XCTAssertEqual(assembler.takeReady(), [])
        XCTAssertEqual(assembler.takeOpen(), ["t1 a #4"])
        XCTAssertEqual(assembler.committable([a0: 3]), [a0: 0, b0: 0, tx: 0])
        try assembler.addEnd(id: "t1", collections: [("public.a", 3), ("public.b", 1)], at: tx, offset: 1)
        XCTAssertTrue(assembler.isOpen)
        XCTAssertEqual(assembler.takeReady(), [], "all of it was handed out already")
        XCTAssertFalse(assembler.isOpen, "whole: the target transaction commits")
        XCTAssertEqual(assembler.committable([tx: 2]), [a0: 3, b0: 1, tx: 2])
    }

    func testOnlyTheNextTransactionToCommitGoesOutInParts() throws {
        var assembler = assembler()
        assembler.add("t1 a0", at: a0, offset: 0, transaction: member("t1", 1))
        assembler.add("t2 b0", at: b0, offset: 0, transaction: member("t2", 1))
        XCTAssertEqual(assembler.takeOpen(), [], "no BEGIN or END says which commits next")
        XCTAssertFalse(assembler.isOpen)
        try assembler.addBegin(id: "t1", at: tx, offset: 0)
        try assembler.addEnd(id: "t1", collections: [("public.a", 2)], at: tx, offset: 1)
        try assembler.addBegin(id: "t2", at: tx, offset: 2)
        XCTAssertEqual(assembler.takeReady(), [])
        XCTAssertEqual(assembler.takeOpen(), ["t1 a0"], "t2 commits after t1")
        XCTAssertEqual(assembler.committable([a0: 1, b0: 1, tx: 3]), [a0: 0, b0: 0, tx: 0])
        assembler.add("t1 a1", at: a1, offset: 0, transaction: member("t1", 2))
        XCTAssertEqual(assembler.takeReady(), ["t1 a1"])
        XCTAssertFalse(assembler.isOpen)
        XCTAssertEqual(assembler.committable([a1: 1]), [a0: 1, a1: 1, b0: 0, tx: 2])
        XCTAssertEqual(assembler.takeOpen(), ["t2 b0"], "now t2 is the next")
        XCTAssertTrue(assembler.isOpen)
        XCTAssertEqual(assembler.committable([:]), [a0: 1, a1: 1, b0: 0, tx: 2])
        try assembler.addEnd(id: "t2", collections: [("public.b", 1)], at: tx, offset: 3)
        XCTAssertEqual(assembler.takeReady(), [])
        XCTAssertFalse(assembler.isOpen)
        XCTAssertEqual(assembler.committable([:]), [a0: 1, a1: 1, b0: 1, tx: 4])
    }

    /// The partitions that reached a later transaction than the next one need not be read until it is written:
    /// those a consumer short of memory may pause. None of them holds an event of the next transaction.
    func testPartitionsAheadOfTheNextTransactionAreThoseHoldingOnlyLaterOnes() throws {
        var assembler = assembler()
        assembler.add("t1 a0", at: a0, offset: 0, transaction: member("t1", 1))
        assembler.add("t2 b0", at: b0, offset: 0, transaction: member("t2", 1))
        XCTAssertEqual(assembler.takeReady(), [])
        XCTAssertEqual(assembler.partitionsAhead, [a0, b0], "no transaction is known to be next: all that hold")
        try assembler.addBegin(id: "t1", at: tx, offset: 0)
        XCTAssertEqual(assembler.partitionsAhead, [b0], "a0 starts with t1, the next: its next records may be t1's")
        XCTAssertEqual(assembler.takeOpen(), ["t1 a0"])
        XCTAssertEqual(assembler.partitionsAhead, [b0], "a0 holds nothing now")
        assembler.add("t1 a1", at: a1, offset: 0, transaction: member("t1", 2))
        assembler.add("t2 a1", at: a1, offset: 1, transaction: member("t2", 2))
        try assembler.addEnd(id: "t1", collections: [("public.a", 3)], at: tx, offset: 1)
        XCTAssertEqual(assembler.takeReady(), [])
        XCTAssertEqual(assembler.takeOpen(), ["t1 a1"])
        XCTAssertEqual(assembler.partitionsAhead, [a1, b0], "t1's third event can only be in a0")
        assembler.add("t1 a0 #3", at: a0, offset: 1, transaction: member("t1", 3))
        XCTAssertEqual(assembler.takeReady(), ["t1 a0 #3"])
        XCTAssertEqual(assembler.partitionsAhead, [a1, b0], "no transaction is known to be next again")
        try assembler.addBegin(id: "t2", at: tx, offset: 2)
        XCTAssertEqual(assembler.partitionsAhead, [], "both start with t2, the next")
    }

    /// Deletes are followed by their tombstones, which carry no transaction: they go out in place, with the
    /// transaction, whole or in parts.
    func testTombstonesBetweenATransactionsEventsGoOutWithIt() throws {
        var assembler = assembler()
        try assembler.addBegin(id: "t1", at: tx, offset: 0)
        assembler.add("t1 delete 1", at: a0, offset: 0, transaction: member("t1", 1))
        assembler.add("tombstone 1", at: a0, offset: 1, transaction: nil)
        assembler.add("t1 delete 2", at: a0, offset: 2, transaction: member("t1", 2))
        assembler.add("tombstone 2", at: a0, offset: 3, transaction: nil)
        assembler.add("t1 delete 3", at: b0, offset: 0, transaction: member("t1", 3))
        assembler.add("tombstone 3", at: b0, offset: 1, transaction: nil)
        try assembler.addEnd(id: "t1", collections: [("public.a", 2), ("public.b", 1)], at: tx, offset: 1)
        XCTAssertEqual(
            assembler.takeReady(),
            ["t1 delete 1", "tombstone 1", "t1 delete 2", "tombstone 2", "t1 delete 3", "tombstone 3"])
        XCTAssertEqual(assembler.heldCount, 0)

        try assembler.addBegin(id: "t2", at: tx, offset: 2)
        assembler.add("t2 delete 1", at: a0, offset: 4, transaction: member("t2", 1))
        assembler.add("tombstone 1", at: a0, offset: 5, transaction: nil)
        assembler.add("t2 delete 2", at: a0, offset: 6, transaction: member("t2", 2))
        XCTAssertEqual(assembler.takeReady(), [])
        XCTAssertEqual(assembler.takeOpen(), ["t2 delete 1", "tombstone 1", "t2 delete 2"])
        assembler.add("tombstone 2", at: a0, offset: 7, transaction: nil)
        assembler.add("t2 delete 3", at: a0, offset: 8, transaction: member("t2", 3))
        try assembler.addEnd(id: "t2", collections: [("public.a", 3)], at: tx, offset: 3)
        XCTAssertEqual(assembler.takeReady(), ["tombstone 2", "t2 delete 3"])
        XCTAssertFalse(assembler.isOpen)
        XCTAssertEqual(assembler.committable([:]), [a0: 9, b0: 2, tx: 4])
    }

    func testABeginSentAgainBeforeItsEndAddsNothing() throws {
        var assembler = assembler()
        try assembler.addBegin(id: "t1", at: tx, offset: 0)
        assembler.add("t1 a0", at: a0, offset: 0, transaction: member("t1", 1))
        try assembler.addBegin(id: "t1", at: tx, offset: 1)
        assembler.add("t1 a0 again", at: a0, offset: 1, transaction: member("t1", 1))
        try assembler.addEnd(id: "t1", collections: [("public.a", 1)], at: tx, offset: 2)
        XCTAssertEqual(assembler.takeReady(), ["t1 a0", "t1 a0 again"])
        XCTAssertEqual(assembler.committable([:]), [a0: 2, tx: 3], "nothing waits for a second END")
    }

    /// A stream always has a transaction begun and not ended: what was handed out is dropped all the same, and the
    /// transactions begun keep their place.
    func testAStreamOfTransactionsKeepsFewBoundaries() throws {
        var assembler = assembler()
        try assembler.addBegin(id: "t0", at: tx, offset: 0)
        for t in 0..<5000 {
            assembler.add("t\(t)", at: a0, offset: Int64(t), transaction: member("t\(t)", 1))
            try assembler.addEnd(id: "t\(t)", collections: [("public.a", 1)], at: tx, offset: Int64(2 * t + 1))
            try assembler.addBegin(id: "t\(t + 1)", at: tx, offset: Int64(2 * t + 2))
            XCTAssertEqual(assembler.takeReady(), ["t\(t)"])
        }
        XCTAssertLessThan(assembler.boundariesKept, 2100)
        XCTAssertEqual(assembler.committable([:]), [a0: 5000, tx: 10000], "t5000 begun")
        assembler.add("t5000", at: a0, offset: 5000, transaction: member("t5000", 1))
        try assembler.addEnd(id: "t5000", collections: [("public.a", 1)], at: tx, offset: 10001)
        XCTAssertEqual(assembler.takeReady(), ["t5000"], "its END found its BEGIN after the boundaries moved")
        XCTAssertEqual(assembler.boundariesKept, 0)
    }

    func testTransactionsAreNamedAlikeInAllTheirRecords() {
        XCTAssertEqual(SourceTransaction.identity(of: "9144:1378206280"), "9144", "PostgreSQL: the xid")
        XCTAssertEqual(SourceTransaction.identity(of: "9144:1378206488"), "9144")
        let gtid = "3e11fa47-71ca-11e1-9e33-c80aa9429562:23"
        XCTAssertEqual(SourceTransaction.identity(of: gtid), gtid, "MySQL: the GTID")
        XCTAssertEqual(SourceTransaction.identity(of: "0-1-23"), "0-1-23", "MariaDB: the GTID")
        XCTAssertEqual(SourceTransaction.identity(of: "file=b.000001,pos=4"), "file=b.000001,pos=4")
        XCTAssertEqual(SourceTransaction.identity(of: ":5"), ":5")
    }

    func testManyTransactionsKeepMemoryAndOrder() throws {
        var assembler = assembler()
        var expected: [String] = []
        for t in 0..<5000 {
            let id = "t\(t)"
            assembler.add("\(id) b", at: b0, offset: Int64(t), transaction: member(id, 2))
            assembler.add("\(id) a", at: a0, offset: Int64(t), transaction: member(id, 1))
            try assembler.addEnd(id: id, collections: [("public.a", 1), ("public.b", 1)], at: tx, offset: Int64(t))
            expected += ["\(id) a", "\(id) b"]
        }
        XCTAssertEqual(assembler.takeReady(), expected)
        XCTAssertEqual(assembler.heldCount, 0)
    }
}
