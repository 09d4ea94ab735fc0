import Foundation
import TributaryCore
import XCTest

@testable import PostgresSource

/// `tributary standalone` is killed with SIGKILL at random moments while a writer commits inserts and updates,
/// several times; after the last restart every committed change must be in Kafka at least once, and per key the
/// versions must appear in order with none missing.
final class CrashRecoveryTests: XCTestCase {
    /// A slot name for the test (also its table's and topic prefix's), a work folder, and the table
    /// `(id int PRIMARY KEY, v int NOT NULL)`; all removed after the test.
    private func prepare(_ base: String) throws -> (PostgresConnection, String, URL) {
        let db = try IntegrationEnvironment.sql()
        let slot = IntegrationEnvironment.uniqueName(base)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent(slot)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        addTeardownBlock {
            IntegrationEnvironment.dropSlot(slot)
            _ = try? db.query("DROP TABLE public.\(slot)", purpose: "drop table")
            try? FileManager.default.removeItem(at: work)
        }
        try db.query("CREATE TABLE public.\(slot) (id int PRIMARY KEY, v int NOT NULL)", purpose: "create table")
        return (db, slot, work)
    }

    func testSIGKILLDuringStreamingLosesNothing() throws {
        let (db, slot, work) = try prepare("crash")
        let table = slot

        let tributary = try StandaloneProcess(
            work: work,
            connector: IntegrationEnvironment.connectorConfig(
                name: slot, prefix: "crash", slot: slot, tables: "public\\\\.\(table)"))
        func launch() throws -> Process { try tributary.launch() }

        // The writer: 200 transactions, each inserting 5 new keys and bumping 5 existing ones.
        let writerDone = DispatchSemaphore(value: 0)
        let writerFailure = LockedBox<Error?>(nil)
        let settings = IntegrationEnvironment.postgresSettings
        var process = try launch()
        try IntegrationEnvironment.waitUntilStreaming(slot: slot)
        DispatchQueue.global().async {
            defer { writerDone.signal() }
            do {
                let w = try PostgresConnection(settings, replication: false)
                var next = 1
                for _ in 0..<200 {
                    var sql = "BEGIN;"
                    for _ in 0..<5 {
                        sql += "INSERT INTO public.\(table) VALUES (\(next), 1);"
                        next += 1
                    }
                    for _ in 0..<5 {
                        sql += "UPDATE public.\(table) SET v = v + 1 WHERE id = \(Int.random(in: 1..<next));"
                    }
                    sql += "COMMIT;"
                    try w.query(sql, purpose: "write")
                    usleep(10_000)
                }
            } catch {
                writerFailure.value = error
            }
        }

        // Three crashes at random moments while the writer runs.
        for _ in 0..<3 {
            usleep(UInt32.random(in: 300_000...1_200_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try IntegrationEnvironment.waitUntilInactive(slot: slot)
            process = try launch()
            try IntegrationEnvironment.waitUntilStreaming(slot: slot)
        }
        writerDone.wait()
        if let error = writerFailure.value { throw error }

        try StandaloneProcess.stopWhenDelivered(process, slot: slot)

        let expected = try db.query("SELECT id, v FROM public.\(table)", purpose: "final state")
            .reduce(into: [Int: Int]()) { $0[Int($1[0]!)!] = Int($1[1]!)! }
        let changes = 1000 + 1000  // inserts + updates
        let messages = try IntegrationEnvironment.consume(["crash.public.\(table)"], count: changes, timeout: 120_000)
        XCTAssertGreaterThanOrEqual(messages.count, changes, "at least once")
        var seen: [Int: [Int]] = [:]
        for m in messages {
            guard let value = try IntegrationEnvironment.json(m.value) as? [String: Any],
                let after = (value["payload"] as? [String: Any])?["after"] as? [String: Any],
                let id = after["id"] as? Int, let v = after["v"] as? Int
            else { continue }
            seen[id, default: []].append(v)
        }
        XCTAssertEqual(seen.count, expected.count, "every key arrived")
        print(
            "crash recovery: \(messages.count) events delivered for \(changes) changes (\(messages.count - changes) replayed)"
        )
        for (id, final) in expected {
            // First occurrences, in arrival order, must be exactly 1, 2, …, final: in order and without a gap.
            XCTAssertEqual(IntegrationEnvironment.firstOccurrences(seen[id] ?? []), Array(1...final), "key \(id)")
        }
    }
}

extension CrashRecoveryTests {
    /// SIGKILL twice during an initial snapshot of 150,000 rows while a writer updates them: after the last
    /// restart every row is in Kafka, and the last event of each key carries its last committed value.
    func testSIGKILLDuringTheSnapshotLosesNothing() throws {
        let (db, slot, work) = try prepare("crashsnap")
        let table = slot
        let rows = 150_000
        try db.query("INSERT INTO public.\(table) SELECT g, 1 FROM generate_series(1, \(rows)) g", purpose: "rows")

        var properties = IntegrationEnvironment.connectorConfig(
            name: slot, prefix: slot, slot: slot, tables: "public\\\\.\(table)")
        properties["snapshot.mode"] = "initial"
        properties["snapshot.fetch.size"] = "2000"
        let tributary = try StandaloneProcess(work: work, connector: properties, schemasEnabled: false)
        func launch() throws -> Process { try tributary.launch() }

        // The writer bumps random rows while the snapshots run.
        let stop = LockedBox(false)
        let writerDone = DispatchSemaphore(value: 0)
        let writerFailure = LockedBox<Error?>(nil)
        let settings = IntegrationEnvironment.postgresSettings
        DispatchQueue.global().async {
            defer { writerDone.signal() }
            do {
                let w = try PostgresConnection(settings, replication: false)
                while !stop.value {
                    let ids = (0..<5).map { _ in String(Int.random(in: 1...rows)) }.joined(separator: ",")
                    try w.query("UPDATE public.\(table) SET v = v + 1 WHERE id IN (\(ids))", purpose: "write")
                    usleep(5_000)
                }
            } catch {
                writerFailure.value = error
            }
        }
        var process = try launch()
        for _ in 0..<2 {
            usleep(UInt32.random(in: 400_000...1_200_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try IntegrationEnvironment.waitUntilInactive(slot: slot)
            process = try launch()
        }
        try IntegrationEnvironment.waitUntilStreaming(slot: slot)
        usleep(500_000)
        stop.value = true
        writerDone.wait()
        if let error = writerFailure.value { throw error }

        // The snapshot, gone on with after the crashes, reads the rest of the table while it streams.
        try tributary.waitUntilSnapshotsAreDone()
        try StandaloneProcess.stopWhenDelivered(process, slot: slot)

        let expected = try db.query("SELECT id, v FROM public.\(table)", purpose: "final state")
            .reduce(into: [Int: Int]()) { $0[Int($1[0]!)!] = Int($1[1]!)! }
        let messages = try IntegrationEnvironment.consume(["\(slot).public.\(table)"], count: rows, timeout: 180_000)
        var last: [Int: Int] = [:]
        for m in messages {
            guard let value = try IntegrationEnvironment.json(m.value) as? [String: Any],
                let after = value["after"] as? [String: Any], let id = after["id"] as? Int, let v = after["v"] as? Int
            else { continue }
            last[id] = v
        }
        print("snapshot crash recovery: \(messages.count) events for \(rows) rows")
        XCTAssertEqual(last.count, rows, "every row arrived")
        let wrong = expected.filter { last[$0.key] != $0.value }
        XCTAssertTrue(
            wrong.isEmpty,
            "last events differ from the database for \(wrong.count) keys, e.g. \(wrong.first.map { "\($0)" } ?? "")")
    }
}

/// `tributary standalone` as a process of its own (to be killed), with worker and connector files in `work`.
struct StandaloneProcess {
    let worker: URL
    let connector: URL

    init(work: URL, connector config: Config, schemasEnabled: Bool = true) throws {
        worker = work.appendingPathComponent("worker.properties")
        try """
        bootstrap.servers=\(IntegrationEnvironment.bootstrapServers)
        offset.storage.file.filename=\(work.path)/offsets.json
        offset.flush.interval.ms=100
        key.converter.schemas.enable=\(schemasEnabled)
        value.converter.schemas.enable=\(schemasEnabled)
        """.write(to: worker, atomically: true, encoding: .utf8)
        connector = work.appendingPathComponent("connector.properties")
        var properties = config.values
        properties["topic.creation.default.partitions"] = "1"
        try properties.map { "\($0.key)=\($0.value)" }.joined(separator: "\n").write(
            to: connector, atomically: true, encoding: .utf8)
    }

    func launch() throws -> Process {
        let p = Process()
        p.executableURL = IntegrationEnvironment.executable
        p.arguments = ["standalone", worker.path, connector.path]
        // Not the test's own output: a process a failed test leaves behind must not keep `swift test` waiting.
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/null"))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/null"))
        try p.run()
        return p
    }

    /// Waits until the stored offset is a stream offset without an incremental snapshot under way: the initial
    /// snapshot and any snapshot it went on as after a crash are complete.
    func waitUntilSnapshotsAreDone(timeout: Duration = .seconds(180)) throws {
        let offsets = worker.deletingLastPathComponent().appendingPathComponent("offsets.json").path
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let data = FileManager.default.contents(atPath: offsets),
                let stored = (try? JSONSerialization.jsonObject(with: data)) as? [String: [String: Any]],
                let offset = stored.values.first, offset["snapshot"] == nil,
                offset["incremental_snapshot_collections"] == nil
            {
                return
            }
            usleep(100_000)
        }
        throw IntegrationFailure("the snapshots did not end within \(timeout)")
    }

    /// Lets the process deliver everything (the slot passes the end of the WAL written so far), then stops it
    /// gently.
    static func stopWhenDelivered(_ process: Process, slot: String) throws {
        let rows = try IntegrationEnvironment.sql().query(
            "SELECT pg_current_wal_insert_lsn()::text", purpose: "read the WAL insert position")
        let end = try XCTUnwrap(LSN(try XCTUnwrap(rows.first?.first ?? nil)))
        let deadline = ContinuousClock.now + .seconds(120)
        while (try IntegrationEnvironment.confirmedFlushLSN(slot: slot) ?? .zero) < end, ContinuousClock.now < deadline
        {
            usleep(100_000)
        }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
    }
}

/// A value shared between threads under a lock.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
