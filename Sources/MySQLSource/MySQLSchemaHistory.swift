#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The connector's schema history (Debezium's `schema.history.internal`): every DDL statement that shaped the
/// captured tables, with where it stands in the binlog, appended to a file of JSON lines. Replayed at start, it
/// rebuilds the table schemas as they were at the stored offset, however the tables changed since.
final class MySQLSchemaHistory {
    /// One statement of the history.
    struct Entry: Codable, Equatable {
        /// The binlog event of the statement, or the position a schema snapshot was read at.
        var position: BinlogPosition
        /// Read by a schema snapshot (applies at its position), rather than from the binlog (applies before it).
        var snapshot: Bool
        /// The statement's default database.
        var database: String
        var ddl: String
    }

    let path: String
    private(set) var entries: [Entry] = []

    /// Reads the history at `path`; an absent file is an empty history. A last line cut short by a crash is
    /// dropped: its statement is read again from the binlog.
    init(path: String) throws {
        self.path = path
        guard let data = try Self.read(path) else { return }
        let lines = data.split(separator: UInt8(ascii: "\n"))
        for (n, line) in lines.enumerated() {
            do {
                entries.append(try JSONDecoder().decode(Entry.self, from: Data(line)))
            } catch {
                if n == lines.count - 1 { break }
                throw MySQLError("the schema history \(path) is damaged at line \(n + 1): \(error)")
            }
        }
    }

    var isEmpty: Bool { entries.isEmpty }

    /// The file's bytes; nil when it does not exist. (Read with POSIX calls: FoundationEssentials' `contents(atPath:)`
    /// leaks its buffer for empty files.)
    private static func read(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw MySQLError("cannot open the schema history \(path): errno \(errno)")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            guard n >= 0 else { throw MySQLError("cannot read the schema history \(path): errno \(errno)") }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<n])
        }
    }

    /// The statements that shaped the schemas in effect at `position` (a restart point), in order.
    func entries(before position: BinlogPosition) -> [Entry] {
        entries.filter { $0.snapshot ? $0.position <= position : $0.position < position }
    }

    /// Whether the binlog statement at `position` is recorded already (read again after a restart).
    func contains(binlogStatementAt position: BinlogPosition) -> Bool {
        entries.contains { !$0.snapshot && $0.position == position }
    }

    /// Appends entries and makes them durable before returning: offsets that rely on them are stored later.
    func append(_ new: [Entry]) throws {
        guard !new.isEmpty else { return }
        var data = Data()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for entry in new {
            data.append(try encoder.encode(entry))
            data.append(UInt8(ascii: "\n"))
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw MySQLError("cannot open the schema history \(path): errno \(errno)") }
        defer { close(fd) }
        let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == data.count, fsync(fd) == 0 else {
            throw MySQLError("cannot write the schema history \(path): errno \(errno)")
        }
        entries += new
    }

    /// Replaces the history (a new snapshot of the schemas): written to a new file, then renamed over the old.
    func replace(with new: [Entry]) throws {
        let temporary = path + ".new"
        unlink(temporary)
        let old = entries
        entries = []
        let final = path
        do {
            try MySQLSchemaHistory.writeNew(new, to: temporary)
            guard rename(temporary, final) == 0 else { throw MySQLError("cannot rename \(temporary): errno \(errno)") }
            entries = new
        } catch {
            entries = old
            throw error
        }
    }

    private static func writeNew(_ entries: [Entry], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw MySQLError("cannot create the schema history \(path): errno \(errno)") }
        close(fd)
        let history = try MySQLSchemaHistory(path: path)
        try history.append(entries)
    }
}
