import Foundation
import TributaryCore
import XCTest

@testable import PostgresSource

/// Setups that cannot work fail with a message that names the fix, tested against real servers: a missing
/// REPLICATION attribute, a missing SELECT grant, no right to create the publication, a slot held by another
/// process, a missing publication, `wal_level` not logical (a private cluster). Needs `scripts/services start`.
final class ClearErrorTests: XCTestCase {
    private var slot = ""
    private var table = ""
    private var role = ""

    override func setUpWithError() throws {
        slot = IntegrationEnvironment.uniqueName("ce")
        role = slot + "_role"
        table = try IntegrationEnvironment.createTable(slot, "id int PRIMARY KEY, v text")
    }

    override func tearDown() {
        IntegrationEnvironment.dropSlot(slot)
        let db = try? IntegrationEnvironment.sql()
        _ = try? db?.query("DROP TABLE IF EXISTS \(table)", purpose: "drop table")
        _ = try? db?.query("DROP PUBLICATION IF EXISTS \(slot)", purpose: "drop publication")
        _ = try? db?.query("DROP OWNED BY \(role)", purpose: "drop grants")
        _ = try? db?.query("DROP ROLE IF EXISTS \(role)", purpose: "drop role")
    }

    /// The message of the error that starting a task with `extra` settings (as `user`, if given) throws.
    private func startError(user: String? = nil, _ extra: [String: String] = [:]) throws -> String {
        var settings = extra
        if let user {
            settings["database.user"] = user
            settings["database.password"] = "secret-\(user)"
        }
        let config = try PostgresConnectorConfig(
            IntegrationEnvironment.connectorConfig(
                name: slot, prefix: slot, slot: slot, tables: table.replacingOccurrences(of: "\"", with: ""),
                extra: settings))
        let task = PostgresConnectorTask(config: config)
        defer { task.stop() }
        do {
            try task.start(storedOffset: nil)
            // A snapshot reads its tables in the first polls.
            for _ in 0..<20 { _ = try task.poll(timeoutMilliseconds: 100) }
        } catch {
            return "\(error)"
        }
        XCTFail("the task started")
        return ""
    }

    private func createRole(_ attributes: String) throws {
        try IntegrationEnvironment.sql().query(
            "CREATE ROLE \(role) LOGIN PASSWORD 'secret-\(role)' \(attributes)", purpose: "create role")
    }

    func testMissingReplicationAttributeNamesTheFix() throws {
        try createRole("")
        let message = try startError(user: role)
        XCTAssertTrue(message.contains("ALTER ROLE \"\(role)\" REPLICATION"), message)
        XCTAssertFalse(message.contains("secret-"), "no password in messages")
    }

    func testMissingSelectGrantNamesTheFix() throws {
        try createRole("REPLICATION")
        try IntegrationEnvironment.sql().query(
            "CREATE PUBLICATION \(slot) FOR TABLE \(table)", purpose: "create publication")
        let message = try startError(user: role, ["snapshot.mode": "initial"])
        XCTAssertTrue(message.contains("GRANT SELECT ON \"public\".\"\(slot)\" TO \"\(role)\""), message)
    }

    func testPublicationWithoutCreatePrivilegeNamesTheFix() throws {
        try createRole("REPLICATION")
        let message = try startError(user: role, ["publication.autocreate.mode": "filtered"])
        XCTAssertTrue(message.contains("GRANT CREATE ON DATABASE"), message)
        XCTAssertTrue(message.contains("publication.autocreate.mode=disabled"), message)
    }

    func testSlotHeldByAnotherProcessNamesTheFix() throws {
        let first = try PostgresConnectorTask(
            config: PostgresConnectorConfig(
                IntegrationEnvironment.connectorConfig(
                    name: slot, prefix: slot, slot: slot, tables: table.replacingOccurrences(of: "\"", with: ""))))
        try first.start(storedOffset: nil)
        defer { first.stop() }
        _ = try first.poll(timeoutMilliseconds: 200)
        let message = try startError()
        XCTAssertTrue(message.contains("is active for process"), message)
        XCTAssertTrue(message.contains("choose another slot.name"), message)
    }

    /// A server of its own with `wal_level=replica`.
    func testWalLevelNotLogicalNamesTheFix() throws {
        let server = try PrivatePostgres(walLevel: "replica")
        let message = try startError(["database.port": String(server.port)])
        XCTAssertTrue(message.contains("wal_level=replica"), message)
        XCTAssertTrue(message.contains("wal_level = logical"), message)
    }

    func testMissingPublicationInDisabledModeNamesTheFix() throws {
        let message = try startError(["publication.autocreate.mode": "disabled"])
        XCTAssertTrue(message.contains("CREATE PUBLICATION \"\(slot)\" FOR ALL TABLES"), message)
        XCTAssertTrue(message.contains("publication.autocreate.mode"), message)
    }
}
