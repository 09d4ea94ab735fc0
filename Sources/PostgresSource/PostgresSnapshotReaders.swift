import TributaryCore

/// What a snapshot's rows come in: a fetch of a table's rows (with the heap page of each, when read by pages), or the
/// end of a table.
enum SnapshotBatch {
    case rows(table: Int, rows: [TupleData], pages: [UInt32])
    case tableDone(table: Int)
}

/// A snapshot's `snapshot.max.threads` readers (one by default): threads with connections of their own, each in a
/// transaction on the same snapshot (imported with `SET TRANSACTION SNAPSHOT`), reading chunks of the tables,
/// each chunk through a cursor. Rows are handed out in chunk order, so the events, their markers and their resume
/// points do not depend on how many read; what runs in parallel with the conversion on the task's thread is the
/// server's reading and formatting and the copying out of libpq (one reader already overlaps them; more read
/// ahead on more connections).
///
/// Memory stays bounded: a reader waits while its chunk holds `queuedPerChunk` fetches, and a reader ahead of the
/// chunk being emitted waits while all chunks together hold `queuedInAll` (two per reader).
final class PostgresSnapshotReaders: @unchecked Sendable {
    private struct State {
        var nextChunk = 0
        var consuming = 0
        var queued: [Int: [SnapshotBatch]] = [:]
        var queuedInAll = 0
        var done: Set<Int> = []
        var failure: (any Error)?
        var closing = false
        var running = 0
    }

    /// A connection handed to the reader thread that owns it from then on.
    private struct Handoff: @unchecked Sendable { let connection: PostgresConnection }

    private let chunks: [SnapshotChunk]
    private let tables: [PostgresSnapshot.Table]
    private let selects: [String]
    /// Rows a reader fetches at once: `snapshot.fetch.size`, but no more than `largestFetch`, so that the fetches
    /// queued ahead (and each reader's own) stay small.
    private let fetchSize: Int
    static let largestFetch = 1024
    private let queuedPerChunk = 4
    private let queuedInAll: Int
    private let state = Locked(State())

    /// Opens `count` connections on `exportedSnapshot` (a `pg_export_snapshot()` name) and starts their readers.
    init(
        count: Int, settings: PostgresConnectionSettings, exportedSnapshot: String, chunks: [SnapshotChunk],
        tables: [PostgresSnapshot.Table], selects: [String], fetchSize: Int
    ) throws {
        self.chunks = chunks
        self.tables = tables
        self.selects = selects
        self.fetchSize = min(fetchSize, Self.largestFetch)
        queuedInAll = 2 * count
        var connections: [PostgresConnection] = []
        do {
            for _ in 0..<count {
                let connection = try PostgresConnection(settings, replication: false)
                connections.append(connection)
                try connection.query(
                    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", purpose: "begin a snapshot reader")
                // A scan that joins another one under way starts in the middle of the table; pages in order let a
                // resumed snapshot go on from the page it stopped at.
                try connection.query(
                    "SET LOCAL synchronize_seqscans = off", purpose: "read tables from their first page")
                try connection.query(
                    "SET TRANSACTION SNAPSHOT " + connection.quoteLiteral(exportedSnapshot),
                    purpose: "share the snapshot with a reader")
            }
        } catch {
            connections.forEach { $0.close() }
            throw error
        }
        state.withLock { $0.running = connections.count }
        for connection in connections {
            let handoff = Handoff(connection: connection)
            DetachedThread.start { [self] in read(on: handoff.connection) }
        }
    }

    /// The next fetch or table end, in the snapshot's order, waiting for the readers as needed; nil after the last.
    /// Throws what a reader failed with.
    func next() throws -> SnapshotBatch? {
        enum Step {
            case batch(SnapshotBatch)
            case advanced(tableDone: Int?)
            case end
        }
        while true {
            let step = try state.withLock(
                when: { s in
                    s.failure != nil || s.consuming >= chunks.count || !(s.queued[s.consuming]?.isEmpty ?? true)
                        || s.done.contains(s.consuming)
                },
                do: { (s: inout State) throws -> Step in
                    if let failure = s.failure { throw failure }
                    guard s.consuming < chunks.count else { return .end }
                    if var queue = s.queued[s.consuming], !queue.isEmpty {
                        let batch = queue.removeFirst()
                        s.queued[s.consuming] = queue
                        s.queuedInAll -= 1
                        return .batch(batch)
                    }
                    let finished = chunks[s.consuming]
                    s.queued[s.consuming] = nil
                    s.consuming += 1
                    let tableEnds = s.consuming == chunks.count || chunks[s.consuming].table != finished.table
                    return .advanced(tableDone: tableEnds ? finished.table : nil)
                })
            state.notifyAll()
            switch step {
            case .batch(let batch): return batch
            case .advanced(tableDone: let table?): return .tableDone(table: table)
            case .advanced(tableDone: nil): continue
            case .end: return nil
            }
        }
    }

    /// Stops the readers and waits until each has ended its transaction and closed its connection.
    func close() {
        state.withLock { $0.closing = true }
        state.notifyAll()
        state.withLock(when: { $0.running == 0 }, do: { _ in })
    }

    private func read(on connection: PostgresConnection) {
        defer {
            _ = try? connection.query("ROLLBACK", purpose: "end a snapshot reader")
            connection.close()
            state.withLock { $0.running -= 1 }
            state.notifyAll()
        }
        while let index = state.withLock({ s -> Int? in
            guard !s.closing, s.failure == nil, s.nextChunk < chunks.count else { return nil }
            defer { s.nextChunk += 1 }
            return s.nextChunk
        }) {
            do {
                guard try read(index, on: connection) else { return }
                state.withLock { _ = $0.done.insert(index) }
                state.notifyAll()
            } catch {
                state.withLock { s in if s.failure == nil { s.failure = error } }
                state.notifyAll()
                return
            }
        }
    }

    /// Reads one chunk into the queue; false when the readers are closing or another one failed.
    private func read(_ index: Int, on connection: PostgresConnection) throws -> Bool {
        let chunk = chunks[index]
        let table = tables[chunk.table]
        var bounds: [String] = []
        if let from = chunk.fromPage { bounds.append("ctid >= '(\(from),0)'::tid") }
        if let to = chunk.toPage { bounds.append("ctid < '(\(to),0)'::tid") }
        let select = selects[chunk.table] + (bounds.isEmpty ? "" : " WHERE " + bounds.joined(separator: " AND "))
        try connection.query(
            "DECLARE tributary_chunk NO SCROLL CURSOR FOR " + select, purpose: PostgresSnapshot.readPurpose(table),
            ifDenied: PostgresSnapshot.deniedFix(table, connection))
        let fetch = "FETCH FORWARD \(fetchSize) FROM tributary_chunk"
        while true {
            let batch: SnapshotBatch
            if table.selectOverride == nil {
                let (rows, pages) = try connection.tuplesWithPages(fetch, purpose: PostgresSnapshot.readPurpose(table))
                if rows.isEmpty { break }
                batch = .rows(table: chunk.table, rows: rows, pages: pages)
            } else {
                let rows = try connection.tuples(fetch, purpose: PostgresSnapshot.readPurpose(table))
                if rows.isEmpty { break }
                batch = .rows(table: chunk.table, rows: rows, pages: [])
            }
            let queued = state.withLock(
                when: { s in
                    s.closing || s.failure != nil
                        || ((s.queued[index]?.count ?? 0) < queuedPerChunk
                            && (index == s.consuming || s.queuedInAll < queuedInAll))
                },
                do: { s -> Bool in
                    guard !s.closing, s.failure == nil else { return false }
                    s.queued[index, default: []].append(batch)
                    s.queuedInAll += 1
                    return true
                })
            state.notifyAll()
            if !queued { return false }
        }
        try connection.query("CLOSE tributary_chunk", purpose: "close a snapshot reader's cursor")
        return true
    }
}
