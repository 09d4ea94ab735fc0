import TributaryCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The connector's schema history (Debezium's `schema.history.internal`): every DDL statement that shaped the
/// captured tables, with where it stands in the binlog, appended to a store (a file or a Kafka topic). Replayed at
/// start, it rebuilds the table schemas as they were at the stored offset, however the tables changed since.
///
/// The history only grows. Each schema snapshot starts a new generation with a marker entry; a replay uses the
/// newest generation that began at or before the resume position, so a snapshot that a crash interrupted before
/// its offsets were stored leaves the previous schemas in force.
final class MySQLSchemaHistory {
    /// One statement of the history.
    struct Entry: Equatable {
        /// The binlog event of the statement, or the position a schema snapshot was read at.
        var position: BinlogPosition
        /// Read by a schema snapshot (applies at its position), rather than from the binlog (applies before it).
        var snapshot: Bool
        /// The statement's default database.
        var database: String
        var ddl: String
        /// The GTIDs from which on the entry is in force (the snapshot's, or those that include the statement's
        /// own GTID). Compared with a resume position's GTIDs, it holds across the servers of a
        /// replication topology, whose binlog files differ.
        var gtids: String?

        init(position: BinlogPosition, snapshot: Bool, database: String, ddl: String, gtids: String? = nil) {
            self.position = position
            self.snapshot = snapshot
            self.database = database
            self.ddl = ddl
            self.gtids = gtids
        }

        /// The first entry of a schema snapshot: what came before it no longer counts.
        static func snapshotStart(at position: BinlogPosition, gtids: String? = nil) -> Entry {
            Entry(position: position, snapshot: true, database: "", ddl: snapshotMarker, gtids: gtids)
        }

        /// Whether the entry shaped the schemas at a resume point: by GTIDs when both have them in the same
        /// notation (a statement is in force once its GTID is covered), by binlog position otherwise (a snapshot's
        /// entries at their own position, a statement's after it).
        func holds(at position: BinlogPosition, gtids resume: GTIDPosition?) -> Bool {
            if let resume, let own = gtids.flatMap(GTIDPosition.init), let covered = resume.covers(own) {
                return covered
            }
            return snapshot ? self.position <= position : self.position < position
        }

        /// Whether this is the binlog statement read again at `position` (with `gtids`, when the server has them).
        func isStatement(at position: BinlogPosition, gtids other: String?) -> Bool {
            guard !snapshot else { return false }
            if let gtids, let other { return gtids == other }
            return self.position == position
        }

        static let snapshotMarker = "-- schema snapshot"

        var startsSnapshot: Bool { snapshot && ddl == Self.snapshotMarker }
    }

    /// An entry as stored: Debezium's history record document (`source`, `position`, `ts_ms`, `databaseName`,
    /// `ddl`), so the topic reads like Debezium's. Debezium's `tableChanges` are left out: a replay parses the DDL.
    private struct Record: Codable {
        struct Source: Codable {
            var server: String
        }
        struct Position: Codable {
            var file: String
            var pos: UInt64
            var gtids: String?
            var snapshot: Bool?
        }
        var source: Source
        var position: Position
        var timestamp: Int64
        var databaseName: String
        var ddl: String

        enum CodingKeys: String, CodingKey {
            case source, position, databaseName, ddl
            case timestamp = "ts_ms"
        }
    }

    let store: SchemaHistoryStore
    /// The connector's logical name (`topic.prefix`), the records' `source.server`.
    let server: String
    private(set) var entries: [Entry] = []

    init(store: SchemaHistoryStore, server: String) {
        self.store = store
        self.server = server
    }

    /// Reads the stored history. A last record cut short by a crash is dropped: its statement is read again from
    /// the binlog.
    func recover() throws {
        let records = try store.load()
        var recovered: [Entry] = []
        recovered.reserveCapacity(records.count)
        for (n, bytes) in records.enumerated() {
            do {
                let record = try JSONDecoder().decode(Record.self, from: Data(bytes))
                recovered.append(
                    Entry(
                        position: BinlogPosition(file: record.position.file, position: record.position.pos),
                        snapshot: record.position.snapshot ?? false, database: record.databaseName, ddl: record.ddl,
                        gtids: record.position.gtids))
            } catch {
                if n == records.count - 1, store.lastRecordMayBeTorn { break }
                throw MySQLError("the schema history in \(store) is damaged at record \(n + 1): \(error)")
            }
        }
        entries = recovered
    }

    var isEmpty: Bool { entries.isEmpty }

    /// The statements that shaped the schemas in effect at `position` (a restart point, with its `gtids` when it
    /// resumes by them), in order: those of the newest schema snapshot at or before it, and the binlog's statements
    /// after that.
    func entries(before position: BinlogPosition, gtids: GTIDPosition? = nil) -> [Entry] {
        let applicable = entries.filter { $0.holds(at: position, gtids: gtids) }
        guard let start = applicable.lastIndex(where: \.startsSnapshot) else { return applicable }
        return Array(applicable[start...])
    }

    /// Whether the binlog statement at `position` (with `gtids`) is recorded already (read again after a restart).
    func contains(binlogStatementAt position: BinlogPosition, gtids: String? = nil) -> Bool {
        entries.contains { $0.isStatement(at: position, gtids: gtids) }
    }

    /// Appends entries; durable when it returns.
    func append(_ new: [Entry]) throws {
        guard !new.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let timestamp = WallClock.epochMicros() / 1000
        let records = try new.map { entry in
            let record = Record(
                source: .init(server: server),
                position: .init(
                    file: entry.position.file, pos: entry.position.position, gtids: entry.gtids,
                    snapshot: entry.snapshot ? true : nil),
                timestamp: timestamp, databaseName: entry.database, ddl: entry.ddl)
            return [UInt8](try encoder.encode(record))
        }
        try store.append(records)
        entries += new
    }
}
