import Foundation
import KafkaClient
import TributaryCore
import XCTest

@testable import MySQLSource

/// The MariaDB connector when its server restarts or its broker goes away while streaming: it reconnects with
/// backoff and resumes from its offsets, and every committed change arrives.
final class MariaDBOutageTests: XCTestCase {
    private func ids(_ messages: [ConsumedMessage]) throws -> [Int] {
        try messages.compactMap { m in
            let value = try IntegrationEnvironment.json(m.value) as? [String: Any]
            return ((value?["payload"] as? [String: Any])?["after"] as? [String: Any])?["id"] as? Int
        }
    }

    private func insert(_ db: String, _ range: ClosedRange<Int>) throws {
        try MariaDBEnvironment.sql("USE \(db);" + range.map { " INSERT INTO t VALUES (\($0));" }.joined())
    }

    /// Runs `scripts/services` (on the shared server of the tests; they run one at a time). Through `system`: the
    /// server it starts keeps descriptors that make Foundation's `Process.waitUntilExit` wait for the server.
    private func services(_ arguments: String) throws {
        let root = IntegrationEnvironment.repositoryRoot.path
        // Not the sanitizer runs' preloaded library: the server must not start with it.
        let status = system(
            "cd '\(root)' && env -u LD_PRELOAD scripts/services \(arguments) >/dev/null 2>&1 </dev/null")
        guard status == 0 else { throw IntegrationFailure("scripts/services \(arguments) failed: \(status)") }
    }

    func testAServerRestartWhileStreamingLosesNothing() throws {
        let (db, work) = try MariaDBEnvironment.prepare("mdbrestart", for: self)
        try MariaDBEnvironment.sql("USE \(db); CREATE TABLE t (id int PRIMARY KEY)")
        let connector = try RunningConnector(
            MariaDBEnvironment.connectorConfig(
                db, work: work,
                [
                    "snapshot.mode": "no_data", "errors.retry.delay.initial.ms": "100",
                    "errors.retry.delay.max.ms": "1000",
                ]), offsetFile: work.path + "/offsets.json")
        _ = try IntegrationEnvironment.consume([db], count: 2)
        try insert(db, 1...50)
        XCTAssertEqual(try IntegrationEnvironment.consume(["\(db).\(db).t"], count: 50).count, 50)
        try services("stop mariadb")
        Thread.sleep(forTimeInterval: 1)
        try services("start mariadb")
        try insert(db, 51...100)
        let messages = try IntegrationEnvironment.consume(["\(db).\(db).t"], count: 100, timeout: 90_000)
        try connector.stop()
        XCTAssertEqual(IntegrationEnvironment.firstOccurrences(try ids(messages)), Array(1...100), "every change")
    }

    /// The broker dies (Tansu forgets everything) and comes back: what was written while it was away arrives.
    func testABrokerThatComesBackGetsWhatWasWrittenWhileItWasAway() throws {
        let (db, work) = try MariaDBEnvironment.prepare("mdbbroker", for: self)
        try MariaDBEnvironment.sql("USE \(db); CREATE TABLE t (id int PRIMARY KEY)")
        let broker = try PrivateBroker()
        let connector = try RunningConnector(
            MariaDBEnvironment.connectorConfig(
                db, work: work,
                [
                    "snapshot.mode": "no_data", "errors.retry.delay.initial.ms": "200",
                    "errors.retry.delay.max.ms": "1000",
                ]), offsetFile: work.path + "/offsets.json", bootstrapServers: broker.bootstrapServers,
            worker: ["producer.message.timeout.ms": "5000"])
        let consumer = { try KafkaConsumer(properties: ["bootstrap.servers": broker.bootstrapServers]) }
        _ = try consumer().readAll(topics: [db], minimum: 2, idleMilliseconds: 1500)
        try insert(db, 1...20)
        XCTAssertEqual(try consumer().readAll(topics: ["\(db).\(db).t"], minimum: 20, idleMilliseconds: 1500).count, 20)
        broker.kill()
        try insert(db, 21...40)
        Thread.sleep(forTimeInterval: 2)
        try broker.start()
        let messages = try consumer().readAll(
            topics: ["\(db).\(db).t"], minimum: 20, idleMilliseconds: 3000, timeoutMilliseconds: 90_000)
        try connector.stop()
        let seen = Set(try ids(messages))
        XCTAssertTrue(seen.isSuperset(of: 21...40), "missing: \(Set(21...40).subtracting(seen).sorted())")
    }
}
