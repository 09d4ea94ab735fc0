import Foundation
import TributaryCore
import XCTest

@testable import MySQLSource

/// `tributary standalone` with the MariaDB connector is killed with SIGKILL at random moments, several times;
/// after the last restart every committed change is in Kafka at least once, and per key the last event carries
/// the last committed value.
final class MariaDBCrashRecoveryTests: XCTestCase {
    /// A database with the table `t (id int PRIMARY KEY, v int NOT NULL)`, a work folder, the standalone files.
    /// With `kafkaHistory`, the schema history is in a topic rather than a file; with `signalTable`, a signal
    /// table lets an interrupted snapshot go on instead of starting over.
    private func prepare(
        _ base: String, kafkaHistory: Bool = false, signalTable: Bool = false
    ) throws -> (String, StandaloneProcess, URL) {
        let database = IntegrationEnvironment.uniqueName(base)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent(database)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try MariaDBEnvironment.sql(
            "CREATE DATABASE \(database); CREATE TABLE \(database).t (id int PRIMARY KEY, v int NOT NULL)")
        addTeardownBlock {
            _ = try? MariaDBEnvironment.sql("DROP DATABASE IF EXISTS \(database)")
            try? FileManager.default.removeItem(at: work)
        }
        var config = MariaDBEnvironment.connectorConfig(database, work: work, ["max.batch.size": "500"])
        if signalTable {
            try MariaDBEnvironment.sql(
                "CREATE TABLE \(database).dbz_signal (id varchar(64) PRIMARY KEY, type varchar(32), data varchar(2048))"
            )
            config["signal.data.collection"] = database + ".dbz_signal"
            config["incremental.snapshot.chunk.size"] = "1000"
        }
        if kafkaHistory {
            config["schema.history.internal.file.filename"] = nil
            config["schema.history.internal.kafka.topic"] = database + "-history"
            config["schema.history.internal.kafka.bootstrap.servers"] = IntegrationEnvironment.bootstrapServers
        }
        return (database, try StandaloneProcess(work: work, connector: config, schemasEnabled: false), work)
    }

    private static var connection: MySQLConnection.Settings {
        MySQLConnection.Settings(
            host: "127.0.0.1", port: MariaDBEnvironment.port, user: "tributary", password: "tributary")
    }

    /// Waits until the stored offset reached the end of the binlog, then stops the process gently.
    private func stopWhenDelivered(_ process: Process, work: URL) throws {
        let status = try MySQLConnection(Self.connection).query("SHOW MASTER STATUS")
        let end = BinlogPosition(file: status[0][0]!, position: UInt64(status[0][1]!)!)
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if let data = FileManager.default.contents(atPath: work.path + "/offsets.json"),
                let stored = (try? JSONSerialization.jsonObject(with: data)) as? [String: [String: Any]],
                let offset = stored.values.first, let file = offset["file"] as? String, let pos = offset["pos"] as? Int,
                offset["snapshot"] == nil, offset["incremental_snapshot_collections"] == nil,
                BinlogPosition(file: file, position: UInt64(pos)) >= end
            {
                break
            }
            usleep(100_000)
        }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
    }

    /// Waits until the initial snapshot is complete (an offset without `snapshot` is stored).
    private func waitUntilStreaming(_ work: URL) throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let data = FileManager.default.contents(atPath: work.path + "/offsets.json"),
                let stored = (try? JSONSerialization.jsonObject(with: data)) as? [String: [String: Any]],
                let offset = stored.values.first, offset["snapshot"] == nil
            {
                return
            }
            usleep(50_000)
        }
        throw IntegrationFailure("the initial snapshot did not end within 60 s")
    }

    /// The last `v` of each key, and every `v` in arrival order.
    private func consume(_ topic: String, count: Int) throws -> (last: [Int: Int], seen: [Int: [Int]], total: Int) {
        let messages = try IntegrationEnvironment.consume([topic], count: count, timeout: 180_000)
        var last: [Int: Int] = [:]
        var seen: [Int: [Int]] = [:]
        for m in messages {
            guard let value = try IntegrationEnvironment.json(m.value) as? [String: Any],
                let after = value["after"] as? [String: Any], let id = after["id"] as? Int, let v = after["v"] as? Int
            else { continue }
            last[id] = v
            seen[id, default: []].append(v)
        }
        return (last, seen, messages.count)
    }

    private func finalState(_ database: String) throws -> [Int: Int] {
        try MySQLConnection(Self.connection).query("SELECT id, v FROM \(database).t").reduce(into: [Int: Int]()) {
            $0[Int($1[0]!)!] = Int($1[1]!)!
        }
    }

    /// With schema changes among the writes (a column added in front moves `v`), kept in a Kafka history: every
    /// restart must read each row with the columns of its time.
    func testSIGKILLDuringStreamingLosesNothing() throws {
        let (database, tributary, work) = try prepare("mcrash", kafkaHistory: true)
        var process = try tributary.launch()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // Changes before the snapshot are not events of their own: the writer starts once it is done.
        try waitUntilStreaming(work)
        let writerDone = DispatchSemaphore(value: 0)
        let writerFailure = LockedBox<Error?>(nil)
        DispatchQueue.global().async {
            defer { writerDone.signal() }
            do {
                let w = try MySQLConnection(Self.connection)
                var next = 1
                for round in 0..<200 {
                    if round == 60 { try w.execute("ALTER TABLE \(database).t ADD COLUMN front int DEFAULT 7 FIRST") }
                    if round == 140 {
                        try w.execute("ALTER TABLE \(database).t ADD COLUMN back varchar(5) DEFAULT 'b'")
                    }
                    try w.execute("BEGIN")
                    for _ in 0..<5 {
                        try w.execute("INSERT INTO \(database).t (id, v) VALUES (\(next), 1)")
                        next += 1
                    }
                    for _ in 0..<5 {
                        try w.execute("UPDATE \(database).t SET v = v + 1 WHERE id = \(Int.random(in: 1..<next))")
                    }
                    try w.execute("COMMIT")
                    usleep(10_000)
                }
            } catch {
                writerFailure.value = error
            }
        }
        for _ in 0..<3 {
            usleep(UInt32.random(in: 500_000...1_500_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            process = try tributary.launch()
        }
        writerDone.wait()
        if let error = writerFailure.value { throw error }
        try stopWhenDelivered(process, work: work)

        let expected = try finalState(database)
        let (_, seen, total) = try consume("\(database).\(database).t", count: 2000)
        XCTAssertGreaterThanOrEqual(total, 2000, "at least once")
        XCTAssertEqual(seen.count, expected.count, "every key arrived")
        print("mariadb crash recovery: \(total) events delivered for 2000 changes (\(total - 2000) replayed)")
        for (id, final) in expected {
            XCTAssertEqual(IntegrationEnvironment.firstOccurrences(seen[id] ?? []), Array(1...final), "key \(id)")
        }
    }

    func testSIGKILLDuringTheSnapshotLosesNothing() throws {
        try snapshotCrashes(signalTable: false)
    }

    /// With a signal table, each restart goes on with the snapshot from its last resume point, beside the stream.
    func testSIGKILLDuringASnapshotThatGoesOnLosesNothing() throws {
        try snapshotCrashes(signalTable: true)
    }

    private func snapshotCrashes(signalTable: Bool) throws {
        let (database, tributary, work) = try prepare("mcrashsnap", signalTable: signalTable)
        let rows = 60_000
        try MariaDBEnvironment.sql(
            "USE \(database); INSERT INTO t SELECT seq, 1 FROM seq_1_to_\(rows)")
        let stop = LockedBox(false)
        let writerDone = DispatchSemaphore(value: 0)
        let writerFailure = LockedBox<Error?>(nil)
        DispatchQueue.global().async {
            defer { writerDone.signal() }
            do {
                let w = try MySQLConnection(Self.connection)
                while !stop.value {
                    let ids = (0..<5).map { _ in String(Int.random(in: 1...rows)) }.joined(separator: ",")
                    try w.execute("UPDATE \(database).t SET v = v + 1 WHERE id IN (\(ids))")
                    usleep(5_000)
                }
            } catch {
                writerFailure.value = error
            }
        }
        var process = try tributary.launch()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        for _ in 0..<2 {
            usleep(UInt32.random(in: 300_000...900_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            process = try tributary.launch()
        }
        usleep(1_000_000)
        stop.value = true
        writerDone.wait()
        if let error = writerFailure.value { throw error }
        try stopWhenDelivered(process, work: work)

        let expected = try finalState(database)
        let (last, _, total) = try consume("\(database).\(database).t", count: rows)
        print("mariadb snapshot crash recovery (signal table: \(signalTable)): \(total) events for \(rows) rows")
        XCTAssertEqual(last.count, rows, "every row arrived")
        let wrong = expected.filter { last[$0.key] != $0.value }
        XCTAssertTrue(
            wrong.isEmpty, "last events differ for \(wrong.count) keys, e.g. \(wrong.first.map { "\($0)" } ?? "")")
    }
}
