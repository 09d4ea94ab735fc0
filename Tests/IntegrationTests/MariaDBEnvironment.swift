import Foundation
import MySQLSource

/// The MariaDB server `scripts/services` starts, and its command-line clients.
enum MariaDBEnvironment {
    static let port = Int(IntegrationEnvironment.environment["TRIBUTARY_MARIADB_PORT"] ?? "") ?? 13306

    static var settings: BinlogConnection.Settings {
        BinlogConnection.Settings(
            host: "127.0.0.1", port: port, user: "tributary", password: "tributary",
            serverID: UInt32.random(in: 1000...1_000_000))
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
