import DebeziumEvents
import TributaryCore
import XCTest

final class IncrementalSnapshotStateMachineTests: XCTestCase {
    typealias Machine = IncrementalSnapshotStateMachine<String>

    private func row(_ id: Int) -> Machine.WindowRow {
        Machine.WindowRow(fingerprint: Array("\(id)".utf8), chunkKey: ["\(id)"], row: "row \(id)")
    }

    private func equalsPattern(_ pattern: String, _ id: String) -> Bool { pattern == id }

    func testRowsChangedInsideTheWindowGiveWayToTheStream() {
        var machine = Machine()
        XCTAssertTrue(machine.execute([.init(id: "public.t")], correlationID: "sig-1"), "first request reads now")
        XCTAssertTrue(machine.beginChunk(id: "c1", matches: equalsPattern))
        machine.maximumKeyRead(["5"])
        XCTAssertTrue(machine.chunkRead((1...3).map(row)))

        machine.changed(collection: "public.t", fingerprint: Array("2".utf8))
        XCTAssertEqual(machine.windowCount, 3, "a change before the open watermark was read by the chunk")
        XCTAssertFalse(machine.open(signalID: "older-open"), "watermarks of another chunk are ignored")
        XCTAssertTrue(machine.open(signalID: "c1-open"))
        machine.changed(collection: "public.other", fingerprint: Array("2".utf8))
        machine.changed(collection: "public.t", fingerprint: Array("2".utf8))
        machine.changed(collection: "public.t", fingerprint: Array("9".utf8))
        XCTAssertEqual(machine.windowCount, 2)

        XCTAssertNil(machine.close(signalID: "older-close"))
        let rows = machine.close(signalID: "c1-close")
        XCTAssertEqual(rows?.map(\.row), ["row 1", "row 3"], "key order, superseded row left out")
        machine.changed(collection: "public.t", fingerprint: Array("3".utf8))
        for r in rows ?? [] { machine.handedOut(r) }
        XCTAssertEqual(machine.context?.lastKey, ["3"])
        machine.windowEmitted()
        XCTAssertNil(machine.chunkID)
    }

    func testTheNextChunkStartsAfterTheChunkEvenWhenItsLastRowWasSuperseded() {
        var machine = Machine()
        _ = machine.execute([.init(id: "public.t")], correlationID: nil)
        _ = machine.beginChunk(id: "c1", matches: equalsPattern)
        machine.maximumKeyRead(["9"])
        _ = machine.chunkRead((1...3).map(row))
        _ = machine.open(signalID: "c1-open")
        machine.changed(collection: "public.t", fingerprint: Array("3".utf8))
        let rows = machine.close(signalID: "c1-close") ?? []
        for r in rows { machine.handedOut(r) }
        XCTAssertEqual(machine.context?.lastKey, ["2"])
        machine.windowEmitted()
        XCTAssertEqual(machine.context?.lastKey, ["3"])
    }

    func testTablesFollowEachOtherAndTheSnapshotEnds() {
        var machine = Machine()
        _ = machine.execute([.init(id: "public.a"), .init(id: "public.b"), .init(id: "public.c")], correlationID: nil)
        XCTAssertFalse(machine.execute([.init(id: "public.b"), .init(id: "public.d")], correlationID: "x"))
        XCTAssertEqual(machine.context?.collections.map(\.id), ["public.a", "public.b", "public.c", "public.d"])
        _ = machine.beginChunk(id: "c1", matches: equalsPattern)
        machine.maximumKeyRead(nil)
        XCTAssertEqual(machine.current?.id, "public.b", "an empty table is done at once")
        machine.maximumKeyRead(["2"])
        XCTAssertFalse(machine.chunkRead([]), "no rows left: the table is done")
        XCTAssertEqual(machine.current?.id, "public.c")
        XCTAssertNil(machine.context?.maximumKey, "the next table starts afresh")
        machine.finishCollection()
        machine.finishCollection()
        XCTAssertFalse(machine.isRunning)
        XCTAssertFalse(machine.beginChunk(id: "c2", matches: equalsPattern))
    }

    func testStopAppliesAtTheNextChunk() {
        var machine = Machine()
        _ = machine.execute([.init(id: "public.a"), .init(id: "public.b"), .init(id: "public.c")], correlationID: nil)
        _ = machine.beginChunk(id: "c1", matches: equalsPattern)
        machine.maximumKeyRead(["9"])
        _ = machine.chunkRead([row(1)])
        machine.requestStop(["public.a", "public.c"])
        XCTAssertEqual(machine.context?.collections.count, 3, "the window under way is not cut short")
        _ = machine.close(signalID: "c1-close")
        machine.windowEmitted()
        XCTAssertTrue(machine.beginChunk(id: "c2", matches: equalsPattern))
        XCTAssertEqual(machine.context?.collections.map(\.id), ["public.b"])
        XCTAssertNil(machine.context?.lastKey)
        machine.requestStop([])
        XCTAssertFalse(machine.beginChunk(id: "c3", matches: equalsPattern), "an empty list stops everything")
        XCTAssertFalse(machine.isRunning)
    }

    /// The snapshot metrics' view: tables in the order begun (the one being read included), rows handed out of
    /// each, the count of tables asked for, running and paused.
    func testProgressForTheSnapshotMetrics() {
        var machine = Machine()
        XCTAssertNil(machine.status, "no incremental snapshot yet")
        _ = machine.execute([.init(id: "public.a"), .init(id: "public.b")], correlationID: nil)
        _ = machine.execute([.init(id: "public.c")], correlationID: nil)
        XCTAssertEqual(
            machine.status,
            SnapshotStatus(running: true, totalTables: 3, tables: [.init(name: "public.a", rows: 0, estimatedRows: -1)])
        )
        _ = machine.beginChunk(id: "c1", matches: equalsPattern)
        machine.maximumKeyRead(["9"])
        _ = machine.chunkRead((1...3).map(row))
        _ = machine.open(signalID: "c1-open")
        machine.changed(collection: "public.a", fingerprint: Array("2".utf8))
        for r in machine.close(signalID: "c1-close") ?? [] { machine.handedOut(r) }
        machine.windowEmitted()
        machine.pause()
        XCTAssertEqual(machine.status?.tables.map(\.rows), [2], "the superseded row went out as a change")
        XCTAssertEqual(machine.status?.paused, true)
        XCTAssertTrue(machine.resume())
        machine.finishCollection()
        machine.finishCollection()
        XCTAssertEqual(machine.status?.tables.map(\.name), ["public.a", "public.b", "public.c"])
        machine.finishCollection()
        XCTAssertEqual(
            machine.status,
            SnapshotStatus(
                running: false, totalTables: 3,
                tables: [
                    .init(name: "public.a", rows: 2, estimatedRows: -1),
                    .init(name: "public.b", rows: 0, estimatedRows: -1),
                    .init(name: "public.c", rows: 0, estimatedRows: -1),
                ]), "kept once done, for the metrics")
    }

    func testPauseHoldsTheNextChunkUntilResumed() {
        var machine = Machine()
        _ = machine.execute([.init(id: "public.a")], correlationID: nil)
        _ = machine.beginChunk(id: "c1", matches: equalsPattern)
        machine.pause()
        XCTAssertFalse(machine.resume(), "a chunk is under way: its close watermark reads the next one")
        machine.pause()
        _ = machine.close(signalID: "c1-close")
        machine.windowEmitted()
        XCTAssertFalse(machine.beginChunk(id: "c2", matches: equalsPattern), "paused")
        XCTAssertTrue(machine.resume(), "no chunk under way: read one now")
        XCTAssertTrue(machine.beginChunk(id: "c3", matches: equalsPattern))
    }

    func testTruncateEmptiesTheOpenWindow() {
        var machine = Machine()
        _ = machine.execute([.init(id: "public.t")], correlationID: nil)
        _ = machine.beginChunk(id: "c1", matches: equalsPattern)
        machine.maximumKeyRead(["9"])
        _ = machine.chunkRead((1...3).map(row))
        _ = machine.open(signalID: "c1-open")
        machine.truncated(collection: "public.t")
        XCTAssertEqual(machine.close(signalID: "c1-close")?.count, 0)
    }

    func testTheContextTravelsInOffsetsAndComesBack() throws {
        var machine = Machine()
        _ = machine.execute(
            [.init(id: "public.t", additionalCondition: "v = 'a\"b'"), .init(id: "public.u", surrogateKey: "k")],
            correlationID: "sig-1")
        _ = machine.beginChunk(id: "c1", matches: equalsPattern)
        machine.maximumKeyRead(["7", nil])
        let rows = [Machine.WindowRow(fingerprint: [1], chunkKey: ["3", "x\\y\n"], row: "r")]
        _ = machine.chunkRead(rows)
        _ = machine.close(signalID: "c1-close")
        machine.handedOut(rows[0])
        var offset: OffsetMap = ["lsn": .int(1)]
        machine.addOffsetEntries(to: &offset)
        XCTAssertEqual(
            offset["incremental_snapshot_collections"]?.stringValue,
            #"[{"incremental_snapshot_collections_id":"public.t","incremental_snapshot_collections_additional_condition":"v = 'a\"b'","incremental_snapshot_collections_surrogate_key":null},{"incremental_snapshot_collections_id":"public.u","incremental_snapshot_collections_additional_condition":null,"incremental_snapshot_collections_surrogate_key":"k"}]"#
        )
        let restored = try Machine(storedOffset: offset)
        XCTAssertEqual(restored.context, machine.context)
        XCTAssertEqual(restored.context?.lastKey, ["3", "x\\y\n"])
        XCTAssertEqual(restored.context?.maximumKey, ["7", nil])
        XCTAssertEqual(restored.context?.correlationID, "sig-1")
        XCTAssertNil(restored.chunkID, "a restart reads a new chunk; older watermarks are ignored")

        var finished = machine
        finished.finishCollection()
        finished.finishCollection()
        var after: OffsetMap = [:]
        finished.addOffsetEntries(to: &after)
        XCTAssertTrue(after.isEmpty, "no context once the snapshot is done")
        XCTAssertFalse(try Machine(storedOffset: after).isRunning)
        XCTAssertFalse(try Machine(storedOffset: nil).isRunning)
    }

    func testAResumedSnapshotReadsByPagesFromWhereItStopped() {
        var machine = Machine(
            resuming: [.init(id: "public.a", surrogateKey: "ctid"), .init(id: "public.b", surrogateKey: "ctid")],
            lastKey: ["120"])
        XCTAssertEqual(machine.current?.id, "public.a")
        XCTAssertEqual(machine.context?.lastKey, ["120"])
        XCTAssertTrue(machine.beginChunk(id: "c1", matches: equalsPattern))
        machine.maximumKeyRead(["500"])
        machine.skip(to: ["140"])
        XCTAssertEqual(machine.context?.lastKey, ["140"], "pages without rows are passed over")
        let rows = [Machine.WindowRow(fingerprint: [1], chunkKey: ["140"], row: "r")]
        XCTAssertTrue(machine.chunkRead(rows, end: ["160"]))
        _ = machine.close(signalID: "c1-close")
        machine.handedOut(rows[0])
        XCTAssertEqual(machine.context?.lastKey, ["140"], "a crash now reads the chunk again from its first page")
        machine.windowEmitted()
        XCTAssertEqual(machine.context?.lastKey, ["160"], "the next chunk starts where this one ended")
        XCTAssertFalse(Machine(resuming: [], lastKey: nil).isRunning)
    }
}
