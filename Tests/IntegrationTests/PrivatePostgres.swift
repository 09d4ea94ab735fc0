import Foundation
import XCTest

@testable import PostgresSource

/// A PostgreSQL cluster of the test's own (`scripts/services` in a scratch folder, on a random free port), which
/// the test may stop and start again, or create with another `wal_level`. Removed when released.
final class PrivatePostgres {
    let port: Int
    let folder: URL
    private let walLevel: String

    init(walLevel: String = "logical") throws {
        port = Int.random(in: 30_000..<40_000)
        folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "pg-\(port)-\(UInt32.random(in: 0...UInt32.max))")
        self.walLevel = walLevel
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: folder)
    }

    var settings: PostgresConnectionSettings {
        var settings = IntegrationEnvironment.postgresSettings
        settings.port = port
        return settings
    }

    func sql() throws -> PostgresConnection { try PostgresConnection(settings, replication: false) }

    func start() throws {
        guard services("start") == 0 else { throw IntegrationFailure("private PostgreSQL did not start on \(port)") }
    }

    /// A fast shutdown (`pg_ctl -m fast`): sessions and walsenders are ended.
    func stop() { _ = services("stop") }

    /// Through system(3), which waits for the script alone: Foundation's Process waits until every holder of the
    /// child's inherited descriptors exits, and the server the script starts holds them.
    private func services(_ command: String) -> Int32 {
        let script = IntegrationEnvironment.repositoryRoot.appendingPathComponent("scripts/services").path
        return system(
            """
            TRIBUTARY_VAR='\(folder.path)' TRIBUTARY_PG_PORT=\(port) TRIBUTARY_PG_WAL_LEVEL=\(walLevel) \
            bash '\(script)' \(command) postgres >/dev/null 2>&1
            """)
    }
}
