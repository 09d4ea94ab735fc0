import Foundation
import MySQLSource
import TributaryCore
import XCTest

/// The MariaDB server `scripts/services` starts, and its command-line clients.
enum MariaDBEnvironment {
    static let port = Int(IntegrationEnvironment.environment["TRIBUTARY_MARIADB_PORT"] ?? "") ?? 13306

    static var settings: BinlogConnection.Settings {
        BinlogConnection.Settings(
            host: "127.0.0.1", port: port, user: "tributary", password: "tributary",
            serverID: UInt32.random(in: 1000...1_000_000))
    }

    /// A MariaDbConnector configuration capturing `database` (also the connector's name and topic prefix), with
    /// its schema history in `work`.
    static func connectorConfig(_ database: String, work: URL, _ extra: [String: String] = [:]) -> Config {
        var values = [
            "name": database, "connector.class": MySQLConnectorConfig.Flavor.mariadb.className,
            "database.hostname": "127.0.0.1", "database.port": String(port), "database.user": "tributary",
            "database.password": "tributary", "database.server.id": String(Int.random(in: 10_000...900_000)),
            "topic.prefix": database, "database.include.list": database,
            "schema.history.internal.file.filename": work.path + "/history.jsonl",
        ]
        values.merge(extra) { $1 }
        return Config(values)
    }

    /// A database of its own and a directory for the offsets and the schema history, removed after `test`.
    static func prepare(_ base: String, for test: XCTestCase) throws -> (database: String, work: URL) {
        let database = IntegrationEnvironment.uniqueName(base)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent(database)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try sql("CREATE DATABASE \(database)")
        test.addTeardownBlock {
            _ = try? sql("DROP DATABASE IF EXISTS \(database)")
            try? FileManager.default.removeItem(at: work)
        }
        return (database, work)
    }

    /// Runs `mariadb` or `mariadb-binlog` with the test user; its standard output.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String], input: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/" + tool)
        process.arguments =
            ["--no-defaults", "-h", "127.0.0.1", "-P", String(port), "-u", "tributary", "-ptributary"] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let pipe = Pipe()
        process.standardInput = pipe
        try process.run()
        if let input { pipe.fileHandleForWriting.write(Data(input.utf8)) }
        try pipe.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let problems = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw IntegrationFailure("\(tool) \(arguments.first ?? "") failed: \(problems)")
        }
        return text
    }

    /// Runs SQL; the rows it printed, tab-separated columns.
    @discardableResult
    static func sql(_ statements: String) throws -> [[String]] {
        try run("mariadb", ["-N", "-B"], input: statements).split(separator: "\n").map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
    }
}
