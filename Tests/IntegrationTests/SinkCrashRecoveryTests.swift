import Foundation
import JdbcSink
import TributaryCore
import XCTest

@testable import PostgresSource

/// `tributary standalone` running the JDBC sink is killed with SIGKILL at random moments while it writes a load of
/// inserts, updates and deletes, several times; after the last restart the target table equals what the events
/// describe: a crash replays at most what was not committed, and replays are harmless.
final class SinkCrashRecoveryTests: XCTestCase {
    func testSIGKILLDuringALoadLosesNothing() throws {
        let name = IntegrationEnvironment.uniqueName("sinkcrash")
        let db = try IntegrationEnvironment.sql()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try db.query("CREATE SCHEMA \(name)", purpose: "target schema")
        addTeardownBlock {
            _ = try? db.query("DROP SCHEMA \(name) CASCADE", purpose: "drop target schema")
            try? FileManager.default.removeItem(at: work)
        }

        let load = SinkLoad(topic: name)
        try load.produce()
        let sink = try StandaloneProcess(
            work: work,
            connector: Config([
                "name": name, "connector.class": JdbcSinkConfig.className, "topics": name,
                "connection.url":
                    "jdbc:postgresql://127.0.0.1:\(IntegrationEnvironment.pgPort)/tributary?sslmode=disable",
                "connection.username": "tributary", "connection.password": "tributary", "insert.mode": "upsert",
                "primary.key.mode": "record_key", "delete.enabled": "true", "schema.evolution": "basic",
                "collection.name.format": "\(name).rows",
                // A killed member leaves the group when its session ends: a short one lets the restart rejoin soon.
                "consumer.override.session.timeout.ms": "6000",
            ]))
        func state() -> SinkLoad.State? { load.state(db, "\(name).rows") }
        func waitUntilWriting(after before: SinkLoad.State?) throws {
            try load.waitUntilWriting(db, "\(name).rows", after: before)
        }

        var process = try sink.launch()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var kills = 0
        try waitUntilWriting(after: nil)
        for _ in 0..<3 {
            usleep(UInt32.random(in: 100_000...700_000))
            guard let before = state(), before != load.expected else { break }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            kills += 1
            process = try sink.launch()
            try waitUntilWriting(after: before)
        }
        let deadline = ContinuousClock.now + .seconds(180)
        while ContinuousClock.now < deadline, state().map({ $0 != load.expected }) ?? true { usleep(100_000) }
        process.interrupt()
        process.waitUntilExit()

        print("sink crash recovery: \(kills) SIGKILLs during the load")
        XCTAssertGreaterThan(kills, 0, "the load ended before the first kill: make it larger")
        try load.check(db, "\(name).rows")
    }

    /// The target database restarts during the load: the sink writes the failed batch again on a new connection
    /// once it is back (`flush.max.retries`, then the worker's task restarts), and the table ends equal.
    func testADatabaseRestartDuringALoadIsSurvived() throws {
        let server = try PrivatePostgres()
        defer { server.stop() }
        let name = IntegrationEnvironment.uniqueName("sinkrestart")
        let load = SinkLoad(topic: name)
        try load.produce()
        let values = [
            "name": name, "connector.class": JdbcSinkConfig.className, "topics": name,
            "connection.url": "jdbc:postgresql://127.0.0.1:\(server.port)/tributary?sslmode=disable",
            "connection.username": "tributary", "connection.password": "tributary", "insert.mode": "upsert",
            "primary.key.mode": "record_key", "delete.enabled": "true", "schema.evolution": "basic",
            "collection.name.format": "rows", "flush.retry.delay.ms": "500", "errors.retry.delay.max.ms": "1000",
        ]
        let restarted = LockedBox(false)
        try SinkTestSupport.runSink(
            values, offsetFile: FileManager.default.temporaryDirectory.path + "/" + name, timeout: 240
        ) {
            let db = try server.sql()
            guard !restarted.value else { return load.state(db, "rows").map { $0 == load.expected } ?? false }
            guard let now = load.state(db, "rows"), now.count > 0 else { return false }
            server.stop()
            Thread.sleep(forTimeInterval: 1)
            try server.start()
            restarted.value = true
            return false
        }
        XCTAssertTrue(restarted.value, "the database restarted during the load")
        try load.check(try server.sql(), "rows")
    }
}

/// A sink load: 60,000 inserts (`TRIBUTARY_SINK_CRASH_ROWS`: more, e.g. 1,000,000 by hand), then an update of every
/// tenth row and a delete (tombstone) of another tenth, on a topic of four partitions; and the table it makes.
struct SinkLoad {
    typealias State = (count: Int, sum: Int)
    let topic: String
    let rows =
        ProcessInfo.processInfo.environment["TRIBUTARY_SINK_CRASH_ROWS"].flatMap { Int32($0) }
        .map { max(100, $0 / 10 * 10) } ?? 60_000

    /// Rows left, and the sum of their values.
    var expected: State { (Int(rows - rows / 10), Int(rows)) }

    func produce() throws {
        var records: [SinkRecord] = []
        for id in 1...rows { records.append(SinkTestSupport.row(topic, offset: 0, id: id, .int32(1), .int32)) }
        for id in stride(from: Int32(1), through: rows, by: 10) {
            records.append(SinkTestSupport.row(topic, offset: 0, id: id, .int32(2), .int32))
            var tombstone = SinkTestSupport.row(topic, offset: 0, id: id + 4, .null, .int32)
            tombstone.value = .null
            tombstone.valueSchema = nil
            records.append(tombstone)
        }
        try SinkTestSupport.produce(records, to: topic, partitions: 4)
    }

    func state(_ db: PostgresConnection, _ table: String) -> State? {
        guard let row = try? db.query("SELECT count(*), coalesce(sum(v), 0) FROM \(table)", purpose: "state").first,
            let count = row[0].flatMap({ Int($0) }), let sum = row[1].flatMap({ Int($0) })
        else { return nil }
        return (count, sum)
    }

    /// Waits until the sink writes (the table's state changes from `before`).
    func waitUntilWriting(_ db: PostgresConnection, _ table: String, after before: State?) throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let now = state(db, table)
            if let now, before.map({ $0 != now }) ?? true { return }
            usleep(50_000)
        }
        throw IntegrationFailure("the sink wrote nothing within 120 s")
    }

    /// The table holds exactly what the load describes.
    func check(_ db: PostgresConnection, _ table: String) throws {
        let final = state(db, table)
        XCTAssertEqual(final?.count, expected.count)
        XCTAssertEqual(final?.sum, expected.sum)
        let wrong = try db.query(
            "SELECT count(*) FROM \(table) WHERE v <> CASE WHEN id % 10 = 1 THEN 2 ELSE 1 END OR id % 10 = 5",
            purpose: "rows that differ")
        XCTAssertEqual(wrong, [["0"]], "every row holds its last value, and deleted rows stay deleted")
    }
}
