import TributaryCore

/// The reading half of a `MySQLSnapshot`, on a thread of its own: it reads each table with a streaming `SELECT` on
/// the snapshot's connection, converts the rows, and queues them in batches. Meanwhile the task's thread turns the
/// batches before into records, so the server's reading, the client library's work and the conversion no longer
/// wait for the records' encoding, nor it for them.
///
/// Rows arrive in a `MySQLTextRows`, a few buffers for a whole batch, so reading takes no allocation per row.
/// Memory stays bounded: the reader waits while `queuedBatches` batches are queued.
final class MySQLSnapshotReader: @unchecked Sendable {
    /// A row read and converted, with its table (an index into the snapshot's tables) and, when the point an
    /// interrupted snapshot goes on from moves at this row, that point.
    struct Row {
        let table: Int
        let row: MySQLTableSchema.Row
        let resume: MySQLOffset.SnapshotResume?
    }

    /// What the reader hands over, in the snapshot's order.
    enum Item {
        case tableStarted(Int)
        case rows([Row])
        case tableDone(Int)
    }

    private struct State {
        var items: [Item] = []
        var finished = false
        var failure: (any Error)?
        var closing = false
        var running = true
    }

    /// The snapshot's connection, owned by the reader's thread until it ends.
    private struct Handoff: @unchecked Sendable { let connection: MySQLConnection }

    private let tables: [MySQLTableSchema]
    private let selects: [String]
    private let keys: [MySQLChunkKey?]
    private let resumeEvery: Int
    /// A batch ends at this many rows, or once their text holds `batchBytes`.
    static let batchRows = 256
    static let batchBytes = 64 << 10
    static let queuedBatches = 8
    private let state = Locked(State())

    /// Starts reading `tables`, each with its `SELECT` from `selects`, on `connection`. With a key order for a
    /// table, every `resumeEvery` rows of it carry a resume point.
    init(
        connection: MySQLConnection, tables: [MySQLTableSchema], selects: [String], keys: [MySQLChunkKey?],
        resumeEvery: Int
    ) {
        precondition(selects.count == tables.count && keys.count == tables.count, "one select and key per table")
        self.tables = tables
        self.selects = selects
        self.keys = keys
        self.resumeEvery = max(1, resumeEvery)
        let handoff = Handoff(connection: connection)
        DetachedThread.start { [self] in read(on: handoff.connection) }
    }

    /// The next item, waiting for the reader as needed; nil after the last. Throws what the reader failed with.
    func next() throws -> Item? {
        let step = try state.withLock(
            when: { s in !s.items.isEmpty || s.finished || s.failure != nil },
            do: { (s: inout State) throws -> Item? in
                if let failure = s.failure { throw failure }
                return s.items.isEmpty ? nil : s.items.removeFirst()
            })
        state.notifyAll()
        return step
    }

    /// Stops the reader and waits until it has let go of the connection.
    func close() {
        state.withLock { $0.closing = true }
        state.notifyAll()
        state.withLock(when: { !$0.running }, do: { _ in })
    }

    private func read(on connection: MySQLConnection) {
        defer {
            state.withLock { $0.running = false }
            state.notifyAll()
        }
        do {
            for index in tables.indices {
                guard try readTable(index, on: connection) else { return }
            }
            state.withLock { $0.finished = true }
        } catch {
            state.withLock { $0.failure = error }
        }
    }

    /// Reads one table into the queue; false when the reader is closing.
    private func readTable(_ index: Int, on connection: MySQLConnection) throws -> Bool {
        guard put(.tableStarted(index)) else { return false }
        let table = tables[index]
        let key = keys[index]
        let cursor = try connection.open(selects[index])
        // Leaving early (closing, or a row that does not convert) must not read the rest of the table first; the
        // snapshot's connection is closed next anyway.
        defer { cursor.cancel() }
        var text = MySQLTextRows(
            columnCount: table.table.columns.count, reservingRows: Self.batchRows, bytes: Self.batchBytes)
        var row: [ArraySlice<UInt8>?] = []
        var rowInTable = 0
        var more = true
        while more {
            // The last row's slices let go of the text first, so that its buffers are reused rather than copied.
            row.removeAll(keepingCapacity: true)
            text.removeAll()
            while text.count < Self.batchRows && text.bytes.count < Self.batchBytes {
                guard try cursor.next(appendingTo: &text) else {
                    more = false
                    break
                }
            }
            if text.count == 0 { break }
            var batch: [Row] = []
            batch.reserveCapacity(text.count)
            for i in 0..<text.count {
                text.row(i, into: &row)
                var resume: MySQLOffset.SnapshotResume?
                if let key, rowInTable % resumeEvery == 0 {
                    resume = MySQLOffset.SnapshotResume(table: table.table.qualifiedName, key: key.text(ofRow: row))
                }
                batch.append(Row(table: index, row: try table.row(text: row), resume: resume))
                rowInTable += 1
            }
            guard put(.rows(batch)) else { return false }
        }
        return put(.tableDone(index))
    }

    /// Queues `item`, waiting while the queue is full; false when the reader is closing.
    private func put(_ item: Item) -> Bool {
        let queued = state.withLock(
            when: { s in s.closing || s.items.count < Self.queuedBatches },
            do: { s -> Bool in
                guard !s.closing else { return false }
                s.items.append(item)
                return true
            })
        state.notifyAll()
        return queued
    }
}
