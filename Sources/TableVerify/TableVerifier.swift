import Converters
import Dispatch

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Compares a source table and a target table, possibly in different databases, row by row in key order.
///
/// Both tables are read at once, ordered by the key (strings by their bytes on both sides), in chunks that the
/// next one is fetched behind while the current one is compared, and merged: a key on one side only is a missing
/// or an extra row, a key on both compares every common column on normalized values (`ColumnKind`), so equal
/// data in different types compares equal. Memory is a few chunks whatever the tables' sizes. Every row is
/// compared, so a difference is never hidden by a checksum that happens to collide, and the differing keys are
/// known at once.
public struct TableVerifier {
    public let source: any VerifySource
    public let target: any VerifySource
    /// Key columns to use instead of the source's primary key.
    public var key: [String]?
    /// How many differences the report describes (all are counted).
    public var examples = 20

    public init(source: any VerifySource, target: any VerifySource, key: [String]? = nil) {
        self.source = source
        self.target = target
        self.key = key
    }

    /// What the comparison found.
    public struct Report: Sendable {
        public var sourceRows = 0
        public var targetRows = 0
        public var key: [String] = []
        public var columns: [String] = []
        public var onlyInSourceColumns: [String] = []
        public var onlyInTargetColumns: [String] = []
        public var equalRows = 0
        public var differentRows = 0
        public var missingRows = 0
        public var extraRows = 0
        public var differences: [String] = []

        public var matches: Bool {
            differentRows == 0 && missingRows == 0 && extraRows == 0 && onlyInSourceColumns.isEmpty
                && sourceRows == targetRows
        }
    }

    /// Compares the tables; `progress` hears the rows read of the larger table so far and its count.
    public func run(progress: (Int, Int) -> Void = { _, _ in }) throws -> Report {
        var report = Report()
        let sourceColumns = try source.columns()
        let targetColumns = try target.columns()
        guard !sourceColumns.isEmpty else { throw VerifyError("\(source.description) does not exist") }
        guard !targetColumns.isEmpty else { throw VerifyError("\(target.description) does not exist") }
        let byName = Dictionary(targetColumns.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        let sourceNames = Set(sourceColumns.map { $0.name.lowercased() })
        let pairs = sourceColumns.compactMap { column in byName[column.name.lowercased()].map { (column, $0) } }
        report.onlyInSourceColumns = sourceColumns.filter { byName[$0.name.lowercased()] == nil }.map(\.name)
        report.onlyInTargetColumns = targetColumns.filter { !sourceNames.contains($0.name.lowercased()) }.map(\.name)

        let keyNames = try key ?? source.primaryKey()
        guard !keyNames.isEmpty else {
            throw VerifyError("\(source.description) has no primary key: name the key columns with --key")
        }
        var keyPairs: [(VerifyColumn, VerifyColumn)] = []
        for name in keyNames {
            guard let pair = pairs.first(where: { $0.0.name.lowercased() == name.lowercased() }) else {
                throw VerifyError("the key column \(name) is not in both tables")
            }
            keyPairs.append(pair)
        }
        let others = pairs.filter { pair in !keyNames.contains { $0.lowercased() == pair.0.name.lowercased() } }
        let ordered = keyPairs + others
        let kinds = ordered.map { $0.0.kind.compared(with: $0.1.kind) }
        report.key = keyPairs.map(\.0.name)
        report.columns = ordered.map(\.0.name)

        report.sourceRows = try source.count()
        report.targetRows = try target.count()
        let total = max(report.sourceRows, report.targetRows)
        try source.open(columns: ordered.map(\.0), key: keyPairs.map(\.0))
        try target.open(columns: ordered.map(\.1), key: keyPairs.map(\.1))
        let left = ChunkReader(source), right = ChunkReader(target)
        defer {
            left.finish()
            right.finish()
        }
        var a = try left.take(), b = try right.take()
        var i = 0, j = 0, readA = 0, readB = 0
        let keyCount = keyPairs.count
        func describe(_ row: [String?]) -> String {
            (0..<keyCount).map { "\(report.key[$0])=\(row[$0] ?? "NULL")" }.joined(separator: ", ")
        }
        func note(_ text: @autoclosure () -> String) {
            if report.differences.count < examples { report.differences.append(text()) }
        }
        while true {
            if i == a.count, !a.isEmpty {
                readA += a.count
                a = try left.take()
                i = 0
                progress(max(readA, readB), total)
            }
            if j == b.count, !b.isEmpty {
                readB += b.count
                b = try right.take()
                j = 0
            }
            if a.isEmpty && b.isEmpty { break }
            let order: Int
            if a.isEmpty {
                order = 1
            } else if b.isEmpty {
                order = -1
            } else {
                order = Self.compareKeys(a[i], b[j], kinds: kinds, count: keyCount)
            }
            if order < 0 {
                report.missingRows += 1
                note("\(describe(a[i])): only in the source")
                i += 1
            } else if order > 0 {
                report.extraRows += 1
                note("\(describe(b[j])): only in the target")
                j += 1
            } else {
                var equal = true
                for c in keyCount..<kinds.count where !Self.equal(a[i][c], b[j][c], kinds[c]) {
                    if equal { report.differentRows += 1 }
                    equal = false
                    note(
                        "\(describe(a[i])): \(report.columns[c]) is \(Self.show(a[i][c])) in the source, "
                            + "\(Self.show(b[j][c])) in the target")
                }
                if equal { report.equalRows += 1 }
                i += 1
                j += 1
            }
        }
        progress(total, total)
        return report
    }

    static func show(_ value: String?) -> String {
        guard let value else { return "NULL" }
        return value.count > 60 ? "'\(value.prefix(57))…' (\(value.count) characters)" : "'\(value)'"
    }

    static func equal(_ a: String?, _ b: String?, _ kind: ColumnKind) -> Bool {
        if a == b { return true }
        let x = kind.normalized(a), y = kind.normalized(b)
        if x == y { return true }
        guard kind == .json, let x, let y else { return false }
        return JSONDocument.canonical(x) == JSONDocument.canonical(y)
    }

    /// Orders two rows by their first `count` (key) columns as the databases order them.
    static func compareKeys(_ a: [String?], _ b: [String?], kinds: [ColumnKind], count: Int) -> Int {
        for c in 0..<count {
            let order = compare(a[c], b[c], kinds[c])
            if order != 0 { return order }
        }
        return 0
    }

    private static func compare(_ a: String?, _ b: String?, _ kind: ColumnKind) -> Int {
        guard let a, let b else { return a == nil ? (b == nil ? 0 : 1) : -1 }
        if kind == .integer, let x = Int64(a), let y = Int64(b) { return x < y ? -1 : (x > y ? 1 : 0) }
        if kind.sortsAsNumber, let x = Double(a), let y = Double(b) { return x < y ? -1 : (x > y ? 1 : 0) }
        let x = kind == .uuid ? a.lowercased() : a, y = kind == .uuid ? b.lowercased() : b
        if x == y { return 0 }
        return x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : 1
    }
}

/// Why a comparison could not run.
public struct VerifyError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Reads a source's chunks one ahead, on a thread of its own, so that reading overlaps comparing.
private final class ChunkReader: @unchecked Sendable {
    private let source: any VerifySource
    private let queue = DispatchQueue(label: "tributary.verify.reader")
    private let ready = DispatchSemaphore(value: 0)
    private var result: Result<[[String?]], Error> = .success([])

    init(_ source: any VerifySource) {
        self.source = source
        fetch()
    }

    private func fetch() {
        queue.async {
            self.result = Result { try self.source.next() }
            self.ready.signal()
        }
    }

    /// The next chunk (empty at the end); the one after it is fetched meanwhile.
    func take() throws -> [[String?]] {
        ready.wait()
        let chunk = try result.get()
        if !chunk.isEmpty { fetch() }
        return chunk
    }

    /// Waits for a fetch in flight, so the source can be closed.
    func finish() {
        queue.sync {}
    }
}
