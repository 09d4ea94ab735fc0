#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a schema history keeps its records, each one JSON document, in the order they were appended. Appends are
/// durable when they return: the offsets that rely on them are stored later.
protocol SchemaHistoryStore: AnyObject, CustomStringConvertible {
    /// Every record stored, oldest first.
    func load() throws -> [[UInt8]]
    func append(_ records: [[UInt8]]) throws
    /// Whether a crash can leave the last record cut short (an appended file can; a Kafka record cannot).
    var lastRecordMayBeTorn: Bool { get }
}

/// A schema history in a file of JSON lines (Debezium's `FileSchemaHistory`, `schema.history.internal.file.filename`).
final class FileSchemaHistoryStore: SchemaHistoryStore {
    let path: String

    init(path: String) {
        self.path = path
    }

    var description: String { "file \(path)" }
    var lastRecordMayBeTorn: Bool { true }

    /// The file's lines; none when it does not exist. (Read with POSIX calls: FoundationEssentials'
    /// `contents(atPath:)` leaks its buffer for empty files.)
    func load() throws -> [[UInt8]] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            if errno == ENOENT { return [] }
            throw MySQLError("cannot open the schema history \(path): errno \(errno)")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n >= 0 else { throw MySQLError("cannot read the schema history \(path): errno \(errno)") }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[..<n])
        }
        return bytes.split(separator: UInt8(ascii: "\n")).map(Array.init)
    }

    func append(_ records: [[UInt8]]) throws {
        var data: [UInt8] = []
        for record in records {
            precondition(!record.contains(UInt8(ascii: "\n")), "a schema history record is one line")
            data += record
            data.append(UInt8(ascii: "\n"))
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw MySQLError("cannot open the schema history \(path): errno \(errno)") }
        defer { close(fd) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == data.count, fsync(fd) == 0 else {
            throw MySQLError("cannot write the schema history \(path): errno \(errno)")
        }
    }
}
