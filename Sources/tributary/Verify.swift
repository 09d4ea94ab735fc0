import ArgumentParser
import JdbcSink
import TableVerify
import TributaryCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `tributary verify`: compares a source table with its copy (after a migration), across PostgreSQL and
/// MySQL/MariaDB, and exits non-zero on any difference.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: """
            Compare a source table and a target table (PostgreSQL, MySQL, MariaDB) row by row on normalized \
            values: row counts, columns, then every row in key order. Prints the differing keys and a summary; \
            exits 0 when the tables match, 1 when they differ.
            """,
        discussion: """
            URLs are JDBC's: jdbc:postgresql://host:port/database, jdbc:mysql://…, jdbc:mariadb://…; user and \
            password come from the options, the URL's user= and password= parameters, or the environment \
            (TRIBUTARY_SOURCE_PASSWORD, TRIBUTARY_TARGET_PASSWORD). Tables are schema.table (PostgreSQL) or \
            database.table (MySQL), or a table of the URL's database.
            """)

    @Option(name: .long, help: "The source database's JDBC URL.")
    var source: String

    @Option(name: .long, help: "The source table.")
    var sourceTable: String

    @Option(name: .long, help: "The source database's user.")
    var sourceUser: String?

    @Option(name: .long, help: "The target database's JDBC URL.")
    var target: String

    @Option(name: .long, help: "The target table (default: the source table's name).")
    var targetTable: String?

    @Option(name: .long, help: "The target database's user.")
    var targetUser: String?

    @Option(name: .long, help: "Key columns, comma-separated (default: the source table's primary key).")
    var key: String?

    @Option(name: .long, help: "How many differences to print (all are counted).")
    var examples: Int = 20

    @Flag(name: .long, help: "No progress line.")
    var quiet = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        func open(
            _ text: String, key: String, user: String?, password: String?, table: String
        ) throws -> any VerifySource {
            let url = try JdbcURL(text, key: key)
            return try openVerifySource(
                url: url, user: user ?? url.user ?? "", password: url.password ?? password, table: table)
        }
        let sourceTable = self.sourceTable
        let left = try open(
            source, key: "--source", user: sourceUser, password: environment["TRIBUTARY_SOURCE_PASSWORD"],
            table: sourceTable)
        let right = try open(
            target, key: "--target", user: targetUser, password: environment["TRIBUTARY_TARGET_PASSWORD"],
            table: targetTable ?? String(sourceTable.split(separator: ".").last ?? ""))
        defer {
            left.close()
            right.close()
        }
        var verifier = TableVerifier(
            source: left, target: right, key: key.map { $0.split(separator: ",").map(String.init) })
        verifier.examples = examples
        let started = ContinuousClock.now
        var lastShown = started
        let report = try verifier.run { done, total in
            guard !quiet else { return }
            let now = ContinuousClock.now
            guard now - lastShown > .milliseconds(500) || done == total else { return }
            lastShown = now
            var line = Self.progress(done: done, total: total, seconds: Self.seconds(now - started)) + "\r"
            line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        }
        if !quiet { printError("") }
        let seconds = Self.seconds(ContinuousClock.now - started)
        print("source  \(left.description): \(report.sourceRows) rows")
        print("target  \(right.description): \(report.targetRows) rows")
        print("key     \(report.key.joined(separator: ", "))")
        print("columns \(report.columns.count) compared: \(report.columns.joined(separator: ", "))")
        if !report.onlyInSourceColumns.isEmpty {
            print("        only in the source: \(report.onlyInSourceColumns.joined(separator: ", "))")
        }
        if !report.onlyInTargetColumns.isEmpty {
            print("        only in the target: \(report.onlyInTargetColumns.joined(separator: ", "))")
        }
        print(
            "rows    \(report.equalRows) equal, \(report.differentRows) different, \(report.missingRows) missing "
                + "in the target, \(report.extraRows) only in the target")
        for difference in report.differences { print("  " + difference) }
        let hidden = report.differentRows + report.missingRows + report.extraRows - report.differences.count
        if hidden > 0 { print("  … and \(hidden) more") }
        print("verify: \(report.matches ? "the tables match" : "the tables DIFFER") (\(Self.tenths(seconds)) s)")
        if !report.matches { throw ExitCode(1) }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// `[#########-----------]  45% 450000/1000000 rows  90000 rows/s  ETA 6 s`
    static func progress(done: Int, total: Int, seconds: Double) -> String {
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let filled = Int(fraction * 20)
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let eta = rate > 0 ? Int((Double(max(0, total - done)) / rate).rounded(.up)) : 0
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: 20 - filled) + "] "
            + Self.padded(Int(fraction * 100), to: 3)
            + "% \(done)/\(total) rows  \(Int(rate.rounded())) rows/s  ETA \(eta) s"
    }

    /// `value` (not negative) with one decimal: `2.6`.
    static func tenths(_ value: Double) -> String {
        let scaled = Int((value * 10).rounded())
        return "\(scaled / 10).\(scaled % 10)"
    }

    /// `value` right-aligned in `width` columns.
    static func padded(_ value: Int, to width: Int) -> String {
        let text = String(value)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
