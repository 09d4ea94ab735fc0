import Foundation
import TributaryCore
import XCTest

@testable import PostgresSource

/// A PostgreSQL restart while streaming (a private cluster, stopped and started again): the task reconnects
/// with backoff and resumes from the slot; every committed change arrives, none lost.
final class PostgresRestartTests: XCTestCase {
    func testAServerRestartWhileStreamingLosesNothing() throws {
        let server = try PrivatePostgres()
        let slot = IntegrationEnvironment.uniqueName("restart")
        let offsetFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(slot).json").path
        defer { try? FileManager.default.removeItem(atPath: offsetFile) }
        try server.sql().query("CREATE TABLE public.t (id int PRIMARY KEY)", purpose: "create table")
        let connector = try RunningConnector(
            IntegrationEnvironment.connectorConfig(
                name: slot, prefix: slot, slot: slot, tables: "public\\.t",
                extra: [
                    "database.port": String(server.port), "errors.retry.delay.initial.ms": "100",
                    "errors.retry.delay.max.ms": "500",
                ]), offsetFile: offsetFile)
        func waitStreaming() throws {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let active = try? server.sql().query(
                    "SELECT active FROM pg_replication_slots WHERE slot_name = $1", [slot], purpose: "poll slot")
                if active?.first?.first == "t" { return }
                Thread.sleep(forTimeInterval: 0.2)
            }
            XCTFail("not streaming from slot \(slot)")
        }
        func insert(_ range: ClosedRange<Int>) throws {
            let db = try server.sql()
            for id in range { try db.query("INSERT INTO public.t VALUES (\(id))", purpose: "insert") }
        }
        try waitStreaming()
        try insert(1...50)
        server.stop()
        try server.start()
        try insert(51...100)
        try waitStreaming()
        let messages = try IntegrationEnvironment.consume(["\(slot).public.t"], count: 100)
        try connector.stop()
        let ids = try messages.compactMap { m -> Int? in
            let value = try IntegrationEnvironment.json(m.value) as? [String: Any]
            return ((value?["payload"] as? [String: Any])?["after"] as? [String: Any])?["id"] as? Int
        }
        XCTAssertEqual(IntegrationEnvironment.firstOccurrences(ids), Array(1...100), "every change, in order")
    }

    /// The CI run that failed on this: the reconnect was refused as the server started up, the server was ready by
    /// the time the ping asked why, and the refusal was taken for a final one.
    func testAServerThatBecameReadyAfterRefusingIsConnectedTo() throws {
        let front = try StartingUpFront(targetPort: IntegrationEnvironment.postgresSettings.port, refusals: 1)
        defer { front.shutDown() }
        var settings = IntegrationEnvironment.postgresSettings
        settings.port = front.port
        let connection = try PostgresConnection(settings, replication: true)
        XCTAssertEqual(try connection.query("IDENTIFY_SYSTEM", purpose: "identify").count, 1)
        XCTAssertEqual(front.refused, 1)
    }

    func testAServerThatKeepsStartingUpIsRetried() throws {
        let front = try StartingUpFront(targetPort: IntegrationEnvironment.postgresSettings.port, refusals: .max)
        defer { front.shutDown() }
        var settings = IntegrationEnvironment.postgresSettings
        settings.port = front.port
        XCTAssertThrowsError(try PostgresConnection(settings, replication: false)) { error in
            XCTAssertTrue(error.isRetriable, "\(error)")
            XCTAssertTrue("\(error)".contains("the database system is starting up"), "\(error)")
        }
    }
}
