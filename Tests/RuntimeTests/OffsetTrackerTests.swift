import TributaryCore
import XCTest

@testable import Runtime

final class OffsetTrackerTests: XCTestCase {
    func testCommitsOnlyBelowTheFirstUnacknowledgedRecord() {
        var tracker = OffsetTracker()
        let tokens = (1...5).map { tracker.add(["n": .int(Int64($0))]) }
        XCTAssertEqual(tokens, [1, 2, 3, 4, 5])
        tracker.ack(2)
        tracker.ack(3)
        XCTAssertNil(tracker.takeCommittable(), "record 1 is still in flight")
        tracker.ack(1)
        XCTAssertEqual(tracker.takeCommittable()?["n"], .int(3))
        XCTAssertNil(tracker.takeCommittable(), "nothing new")
        tracker.ack(5)
        XCTAssertNil(tracker.takeCommittable())
        XCTAssertEqual(tracker.inFlight, 1)
        tracker.ack(4)
        XCTAssertEqual(tracker.takeCommittable()?["n"], .int(5))
        XCTAssertEqual(tracker.inFlight, 0)
    }

    func testManyRecordsInRandomAckOrder() {
        var tracker = OffsetTracker()
        let n = 20_000
        for i in 1...n { _ = tracker.add(["n": .int(Int64(i))]) }
        var acked = Set<UInt64>()
        var contiguous: UInt64 = 0
        var taken: UInt64 = 0
        for token in (1...UInt64(n)).shuffled() {
            tracker.ack(token)
            acked.insert(token)
            while acked.contains(contiguous + 1) { contiguous += 1 }
            let committable = tracker.takeCommittable()?["n"]?.int64
            if contiguous > taken {
                XCTAssertEqual(
                    committable, Int64(contiguous), "the committable offset is the end of the acknowledged prefix")
                taken = contiguous
            } else {
                XCTAssertNil(committable, "nothing new is committable until the prefix grows")
            }
        }
        XCTAssertEqual(taken, UInt64(n), "every offset became committable")
        XCTAssertLessThan(tracker.retainedCount, n, "acknowledged entries are dropped as the prefix moves")
        XCTAssertEqual(contiguous, UInt64(n))
        XCTAssertEqual(tracker.inFlight, 0)
    }

    /// The committable offset survives the front being dropped before it was taken.
    func testCommittableOffsetSurvivesDroppedEntries() {
        var tracker = OffsetTracker()
        for i in 1...10_000 { tracker.add(["n": .int(Int64(i))]) }
        for token in 1...UInt64(9_000) { tracker.ack(token) }
        XCTAssertLessThan(tracker.retainedCount, 10_000, "acknowledged entries were dropped")
        XCTAssertEqual(tracker.takeCommittable()?["n"], .int(9_000))
        for token in 9_001...UInt64(10_000) { tracker.ack(token) }
        XCTAssertEqual(tracker.takeCommittable()?["n"], .int(10_000))
        XCTAssertNil(tracker.takeCommittable())
    }

    /// An offset without a record is committable once everything before it is acknowledged, not before.
    func testOffsetsWithoutRecordsWaitForTheRecordsBefore() {
        var tracker = OffsetTracker()
        let first = tracker.add(["n": .int(1)])
        tracker.addAcknowledged(["n": .int(2)])
        XCTAssertNil(tracker.takeCommittable(), "record 1 is still in flight")
        tracker.ack(first)
        XCTAssertEqual(tracker.takeCommittable()?["n"], .int(2))
        XCTAssertEqual(tracker.inFlight, 0)
    }
}
