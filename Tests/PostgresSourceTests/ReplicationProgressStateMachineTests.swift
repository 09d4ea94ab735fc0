import DebeziumEvents
import TributaryCore
import XCTest

@testable import PostgresSource

final class ReplicationProgressStateMachineTests: XCTestCase {
    /// The offset the task stores with a record emitted now (Debezium's keys plus `lsn_part`).
    private func offset(_ machine: ReplicationProgressStateMachine, _ lsn: UInt64, part: Int = 0) -> OffsetMap {
        var offset: OffsetMap = [
            "lsn": .int(Int64(lsn)), "lsn_proc": .int(Int64(lsn)),
            "lsn_commit": machine.lastCommitEnd.map { .int(Int64($0.value)) } ?? .null,
            "txId": machine.currentXid.map { .int(Int64($0)) } ?? .null, "ts_usec": .int(0),
        ]
        if part > 0 { offset["lsn_part"] = .int(Int64(part)) }
        return offset
    }

    /// Emits a record at `lsn` and returns its offset.
    private func emit(_ machine: inout ReplicationProgressStateMachine, _ lsn: UInt64, part: Int = 0) -> OffsetMap? {
        guard machine.emit(RecordPosition(lsn: LSN(lsn), part: part)) else { return nil }
        return offset(machine, lsn, part: part)
    }

    func testConfirmsOnlyPastTransactionsKafkaHasWhole() throws {
        var m = ReplicationProgressStateMachine(storedOffset: nil)
        m.begin(xid: 1, commitMicros: 0)
        let a = try XCTUnwrap(emit(&m, 100))
        let b = try XCTUnwrap(emit(&m, 110))
        m.commit(commitLSN: LSN(120), endLSN: LSN(130))
        m.begin(xid: 2, commitMicros: 0)
        let c = try XCTUnwrap(emit(&m, 140))
        m.commit(commitLSN: LSN(150), endLSN: LSN(160))
        XCTAssertNil(m.idle(), "records in flight: nothing may be confirmed")
        XCTAssertNil(m.acknowledged(a), "half of transaction 1 is in Kafka")
        XCTAssertEqual(m.confirmedLSN, .zero)
        XCTAssertEqual(m.acknowledged(b), LSN(130))
        XCTAssertEqual(m.acknowledged(c), LSN(160))
        XCTAssertEqual(m.confirmedLSN, LSN(160))
        XCTAssertTrue(m.completed.isEmpty)
    }

    /// A record outside any transaction (a non-transactional logical decoding message) is complete at once and,
    /// once in Kafka, confirms the slot just past itself, so that a restart does not read it again.
    func testStandaloneRecordsConfirmPastThemselves() throws {
        var m = ReplicationProgressStateMachine(storedOffset: nil)
        m.begin(xid: 1, commitMicros: 0)
        let a = try XCTUnwrap(emit(&m, 100))
        m.commit(commitLSN: LSN(120), endLSN: LSN(130))
        func standalone(_ lsn: UInt64) throws -> OffsetMap {
            XCTAssertTrue(m.standalone(at: LSN(lsn)))
            var offset = offset(m, lsn)
            offset["messageType"] = .string("MESSAGE")
            return offset
        }
        let s1 = try standalone(200)
        let s2 = try standalone(300)
        XCTAssertEqual(s1["lsn_commit"], .int(201))
        XCTAssertEqual(s1["txId"], .null)
        XCTAssertEqual(m.lastCommitLSN, LSN(300), "Debezium's sequence names the message as the last commit")
        XCTAssertNil(m.idle(), "in flight")
        XCTAssertEqual(m.acknowledged(a), LSN(130))
        XCTAssertEqual(m.acknowledged(s1), LSN(201))
        XCTAssertFalse(m.everythingAcknowledged)
        XCTAssertEqual(m.acknowledged(s2), LSN(301))
        XCTAssertTrue(m.everythingAcknowledged)
        XCTAssertTrue(m.completed.isEmpty)

        var restarted = ReplicationProgressStateMachine(storedOffset: s2)
        XCTAssertEqual(restarted.startLSN, LSN(301))
        XCTAssertFalse(restarted.standalone(at: LSN(300)), "delivered before the restart")
        XCTAssertTrue(restarted.standalone(at: LSN(400)))
    }

    func testKeepalivesMoveAnIdleSlot() throws {
        var m = ReplicationProgressStateMachine(storedOffset: nil)
        // Nothing captured arrives (PostgreSQL 15 sends nothing for unpublished tables); keepalives say where
        // the WAL is.
        m.keepalive(walEnd: LSN(5_000))
        XCTAssertEqual(m.idle(), LSN(5_000))
        XCTAssertNil(m.idle(), "confirmation did not move again")
        m.keepalive(walEnd: LSN(9_000))
        XCTAssertEqual(m.idle(), LSN(9_000))
        XCTAssertEqual(m.lastReceivedLSN, LSN(9_000))
    }

    func testKeepalivesWaitForRecordsInFlight() throws {
        var m = ReplicationProgressStateMachine(storedOffset: nil)
        m.begin(xid: 1, commitMicros: 0)
        let a = try XCTUnwrap(emit(&m, 100))
        m.commit(commitLSN: LSN(120), endLSN: LSN(130))
        m.keepalive(walEnd: LSN(10_000))
        XCTAssertNil(m.idle(), "a record is in flight")
        XCTAssertEqual(m.acknowledged(a), LSN(10_000), "once it is in Kafka the slot follows the keepalive")
    }

    func testKeepalivesInsideATransactionAreNotConfirmed() {
        var m = ReplicationProgressStateMachine(storedOffset: nil)
        m.begin(xid: 1, commitMicros: 0)
        m.keepalive(walEnd: LSN(10_000))
        XCTAssertNil(m.idle(), "a transaction is open: its changes may still come")
        m.commit(commitLSN: LSN(120), endLSN: LSN(130))
        XCTAssertEqual(m.idle(), LSN(130), "the keepalive from inside the transaction is not used")
        XCTAssertEqual(m.lastReceivedLSN, LSN(10_000))
    }

    func testTransactionsSplitAcrossPollsStayOpen() throws {
        var m = ReplicationProgressStateMachine(storedOffset: nil)
        m.begin(xid: 3, commitMicros: 0)
        let a = try XCTUnwrap(emit(&m, 100))
        XCTAssertNil(m.acknowledged(a), "acknowledged while its transaction is still being read")
        XCTAssertNil(m.idle(), "poll returned in the middle of the transaction")
        let b = try XCTUnwrap(emit(&m, 200))
        m.commit(commitLSN: LSN(300), endLSN: LSN(310))
        XCTAssertEqual(m.acknowledged(b), LSN(310))
    }

    func testResumeSkipsWhatWasDeliveredInsideTheInterruptedTransaction() throws {
        let stored: OffsetMap = [
            "lsn_commit": .int(50), "txId": .int(7), "lsn": .int(100), "lsn_proc": .int(100), "lsn_part": .int(1),
        ]
        var m = ReplicationProgressStateMachine(storedOffset: stored)
        XCTAssertEqual(m.startLSN, LSN(50))
        XCTAssertEqual(m.confirmedLSN, LSN(50))
        m.begin(xid: 7, commitMicros: 0)
        XCTAssertNil(emit(&m, 90), "delivered before the restart")
        XCTAssertNil(emit(&m, 100, part: 0))
        XCTAssertNil(emit(&m, 100, part: 1))
        let c = try XCTUnwrap(emit(&m, 100, part: 2), "the create after the tombstone was not delivered")
        XCTAssertNotNil(emit(&m, 120))
        m.commit(commitLSN: LSN(130), endLSN: LSN(140))
        m.begin(xid: 8, commitMicros: 0)
        XCTAssertNotNil(emit(&m, 60), "another transaction is never skipped, whatever its LSNs")
        m.commit(commitLSN: LSN(150), endLSN: LSN(160))
        XCTAssertNil(m.acknowledged(c))
    }

    func testCompletedTransactionsStayBounded() throws {
        var m = ReplicationProgressStateMachine(storedOffset: nil)
        m.begin(xid: 1, commitMicros: 0)
        let first = try XCTUnwrap(emit(&m, 10))
        m.commit(commitLSN: LSN(11), endLSN: LSN(12))
        // Many transactions without captured records, then many with records, all between two flushes.
        var lsn: UInt64 = 100
        for xid in 2..<100_000 as Range<UInt32> {
            m.begin(xid: xid, commitMicros: 0)
            m.commit(commitLSN: LSN(lsn), endLSN: LSN(lsn + 1))
            lsn += 10
        }
        XCTAssertEqual(m.completed.count, 2, "transactions without records merge into one")
        let quietEnd = LSN(lsn - 9)
        var last: OffsetMap?
        for xid in 100_000..<120_000 as Range<UInt32> {
            m.begin(xid: xid, commitMicros: 0)
            last = emit(&m, lsn)
            m.commit(commitLSN: LSN(lsn + 1), endLSN: LSN(lsn + 2))
            lsn += 10
        }
        XCTAssertLessThanOrEqual(m.completed.count, ReplicationProgressStateMachine.completedLimit)
        XCTAssertEqual(m.acknowledged(first), quietEnd, "the oldest transaction and the quiet ones after it")
        XCTAssertEqual(m.acknowledged(try XCTUnwrap(last)), LSN(lsn - 8), "the newest confirms everything")
        XCTAssertTrue(m.completed.isEmpty)
    }
}

final class SnapshotDecisionTests: XCTestCase {
    typealias Mode = PostgresConnectorConfig.SnapshotMode

    func testWhenToSnapshot() {
        let streamed: OffsetMap = ["lsn_commit": .int(10), "txId": .int(5), "lsn_proc": .int(9)]
        let incomplete: OffsetMap = [
            "lsn_commit": .int(10), "snapshot": .bool(true), "last_snapshot_record": .bool(false),
        ]
        let complete: OffsetMap = [
            "lsn_commit": .int(10), "snapshot": .bool(true), "last_snapshot_record": .bool(true),
        ]
        for mode in [Mode.initial, .initialOnly] {
            XCTAssertTrue(mode.wantsSnapshot(storedOffset: nil, slotCreated: true))
            XCTAssertTrue(mode.wantsSnapshot(storedOffset: incomplete, slotCreated: false), "an incomplete one again")
            XCTAssertFalse(mode.wantsSnapshot(storedOffset: complete, slotCreated: false))
            XCTAssertFalse(mode.wantsSnapshot(storedOffset: streamed, slotCreated: true))
        }
        for mode in [Mode.noData, .never] {
            XCTAssertFalse(mode.wantsSnapshot(storedOffset: nil, slotCreated: true))
            XCTAssertFalse(mode.mayNeedSnapshot)
        }
        XCTAssertTrue(Mode.always.wantsSnapshot(storedOffset: streamed, slotCreated: false))
        XCTAssertTrue(Mode.whenNeeded.wantsSnapshot(storedOffset: streamed, slotCreated: true), "the slot was lost")
        XCTAssertFalse(Mode.whenNeeded.wantsSnapshot(storedOffset: streamed, slotCreated: false))
    }

    func testSnapshotMarkersAsDebeziumSetsThem() {
        XCTAssertEqual(
            SnapshotMarker.snapshot(first: true, last: false, firstInTable: true, lastInTable: false), .first)
        XCTAssertEqual(SnapshotMarker.snapshot(first: true, last: true, firstInTable: true, lastInTable: true), .last)
        XCTAssertEqual(
            SnapshotMarker.snapshot(first: false, last: false, firstInTable: true, lastInTable: true),
            .lastInDataCollection)
        XCTAssertEqual(
            SnapshotMarker.snapshot(first: false, last: false, firstInTable: true, lastInTable: false),
            .firstInDataCollection)
        XCTAssertEqual(
            SnapshotMarker.snapshot(first: false, last: false, firstInTable: false, lastInTable: false), .true)
    }

    func testSnapshotHoldsIdleConfirmationUntilReleased() {
        var m = ReplicationProgressStateMachine(startingAt: LSN(100))
        XCTAssertEqual(m.startLSN, LSN(100))
        XCTAssertNil(m.lastCommitLSN, "Debezium's sequence names no previous commit after a snapshot")
        m.holdsIdleConfirmation = true
        m.keepalive(walEnd: LSN(500))
        XCTAssertNil(m.idle(), "snapshot records may be in flight")
        m.holdsIdleConfirmation = false
        XCTAssertEqual(m.idle(), LSN(500))
    }

    func testAnInterruptedSnapshotNamesWhereItGoesOn() {
        var offset: OffsetMap = [
            "snapshot": .bool(true), "last_snapshot_record": .bool(false), "snapshot_resume_table": .string("public.t"),
            "snapshot_resume_page": .int(42), "snapshot_resume_filenode": .string("16384"),
        ]
        XCTAssertEqual(
            SnapshotResumePoint(offset), SnapshotResumePoint(table: "public.t", page: 42, fileNode: "16384"))
        offset["last_snapshot_record"] = .bool(true)
        XCTAssertNil(SnapshotResumePoint(offset), "a complete snapshot goes on nowhere")
        XCTAssertNil(SnapshotResumePoint(["snapshot": .bool(true), "last_snapshot_record": .bool(false)]))
        XCTAssertNil(SnapshotResumePoint(nil))
    }

    func testTheHeapPageOfACTID() {
        func page(_ text: String) -> UInt32 {
            Array(text.utf8).withUnsafeBytes { PostgresConnection.page(ofCTID: $0) }
        }
        XCTAssertEqual(page("(0,1)"), 0)
        XCTAssertEqual(page("(4294967295,7)"), 4_294_967_295)
        XCTAssertEqual(page("(123,45)"), 123)
    }

    func testBeginAndWindowRecordsComeBeforeTheChangeAtTheirLSN() {
        let lsn = LSN(100)
        let begin = RecordPosition(lsn: lsn, part: RecordPosition.beginPart)
        let window = (0..<3).map { RecordPosition(lsn: lsn, part: RecordPosition.windowPart($0)) }
        let change = RecordPosition(lsn: lsn, part: 0)
        XCTAssertEqual([change, window[2], begin, window[0], window[1]].sorted(), [begin] + window + [change])
        XCTAssertLessThan(RecordPosition(lsn: lsn, part: -1), change, "offsets stored by earlier versions")
    }
}
