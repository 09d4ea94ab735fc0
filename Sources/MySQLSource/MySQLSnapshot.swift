import DebeziumEvents
import Logging
import TributaryCore

/// A snapshot of the captured tables: one transaction (`START TRANSACTION WITH CONSISTENT SNAPSHOT`) whose view
/// matches a binlog position, each table read with a streaming `SELECT` by a `MySQLSnapshotReader` on its own
/// thread, a few batches ahead, so memory stays the same whatever the table's size.
///
/// Tables with a chunk key are read in key order, and every `resumeEvery` rows the row's key becomes the point
/// an interrupted snapshot can go on from (`MySQLOffset.snapshotResume`).
final class MySQLSnapshot {
    /// A row read, with its table, marker and whether it ends the snapshot.
    struct Row {
        let table: MySQLTableSchema
        let row: MySQLTableSchema.Row
        let marker: SnapshotMarker
        let isLast: Bool
        /// Set when the resume point changes at this row.
        let resume: MySQLOffset.SnapshotResume?
    }

    let tables: [MySQLTableSchema]
    /// Where the stream starts once the tables are read.
    let offset: MySQLOffset
    let startedMicros: Int64
    private let estimates: [String: Int64]
    private let logger: Logger
    private let connection: MySQLConnection
    private let reader: MySQLSnapshotReader
    /// The rows of the reader's latest batch, from `nextRow` on.
    private var batch: [MySQLSnapshotReader.Row] = []
    private var nextRow = 0
    private var held: Pulled?
    private var emitted = false
    private var firstOfTable = false
    private(set) var isFinished = false
    private var progress = TableProgress(table: "", estimatedRows: -1)
    private var doneTables: [SnapshotStatus.Table] = []

    /// The tables read so far and the one being read, for metrics.
    func status(running: Bool) -> SnapshotStatus {
        SnapshotStatus(
            running: running, totalTables: tables.count,
            tables: doneTables + (progress.table.isEmpty ? [] : [progress.status]))
    }
    private(set) var rowsTotal: Int64 = 0
    private let started = ContinuousClock.now

    /// A row pulled from the server, held until the next one says whether it ends its table.
    private struct Pulled {
        let table: MySQLTableSchema
        let row: MySQLTableSchema.Row
        let firstInTable: Bool
        let resume: MySQLOffset.SnapshotResume?
    }

    init(
        connection: MySQLConnection, tables: [MySQLTableSchema], keys: [MySQLChunkKey?], resumeEvery: Int,
        conditions: [String?]? = nil, offset: MySQLOffset, estimates: [String: Int64], startedMicros: Int64,
        logger: Logger
    ) {
        precondition(keys.count == tables.count, "one key order per table")
        let conditions = conditions ?? tables.map { _ in nil }
        precondition(conditions.count == tables.count, "one condition (or none) per table")
        self.connection = connection
        self.tables = tables
        self.offset = offset
        self.estimates = estimates
        self.startedMicros = startedMicros
        self.logger = logger
        let selects = tables.indices.map { i in
            let table = tables[i].table
            let columns = table.columns.map { MySQLConnection.quote($0.name) }.joined(separator: ", ")
            let name = MySQLConnection.quote(table.database) + "." + MySQLConnection.quote(table.name)
            return "SELECT \(columns) FROM \(name)" + (conditions[i].map { " WHERE (" + $0 + ")" } ?? "")
                + (keys[i]?.orderBy() ?? "")
        }
        reader = MySQLSnapshotReader(
            connection: connection, tables: tables, selects: selects, keys: keys, resumeEvery: resumeEvery)
    }

    /// The offset of the snapshot's records but its last: the snapshot is in progress, and goes on from the
    /// latest resume point.
    private(set) lazy var inProgressOffset: OffsetMap = {
        var inProgress = offset
        inProgress.snapshotInProgress = true
        return inProgress.map
    }()

    /// The records from here on resume at `resume`.
    func resumeAt(_ resume: MySQLOffset.SnapshotResume) {
        var inProgress = offset
        inProgress.snapshotInProgress = true
        inProgress.snapshotResume = resume
        inProgressOffset = inProgress.map
    }

    func close() {
        reader.close()
        connection.close()
    }

    /// Up to `limit` rows, in table order; none once the snapshot is finished.
    func next(limit: Int) throws -> [Row] {
        var rows: [Row] = []
        while rows.count < limit && !isFinished {
            guard let pulled = try pull() else {
                if let h = held {
                    rows.append(make(h, lastInTable: true, last: true))
                    held = nil
                }
                isFinished = true
                let seconds = (ContinuousClock.now - started).inSeconds
                logger.info(
                    "snapshot done",
                    metadata: [
                        "rows": "\(rowsTotal)", "tables": "\(tables.count)", "seconds": "\(seconds)",
                        "rows_per_s": "\(seconds > 0 ? Int(Double(rowsTotal) / seconds) : 0)",
                    ])
                break
            }
            if let h = held { rows.append(make(h, lastInTable: h.table !== pulled.table, last: false)) }
            held = pulled
        }
        return rows
    }

    private func make(_ h: Pulled, lastInTable: Bool, last: Bool) -> Row {
        defer { emitted = true }
        let marker = SnapshotMarker.snapshot(
            first: !emitted, last: last, firstInTable: h.firstInTable, lastInTable: lastInTable)
        return Row(table: h.table, row: h.row, marker: marker, isLast: last, resume: h.resume)
    }

    /// The next row in table order, taking the reader's next batch as each one ends.
    private func pull() throws -> Pulled? {
        while nextRow == batch.count {
            switch try reader.next() {
            case nil:
                return nil
            case .tableStarted(let index):
                let table = tables[index].table
                if !progress.table.isEmpty { doneTables.append(progress.status) }
                progress = TableProgress(
                    table: table.qualifiedName, estimatedRows: estimates[table.qualifiedName] ?? -1)
                firstOfTable = true
            case .rows(let rows):
                batch = rows
                nextRow = 0
                rowsTotal += Int64(rows.count)
                progress.add(Int64(rows.count), logger: logger, "snapshot progress")
            case .tableDone(let index):
                logger.info(
                    "snapshot of table done",
                    metadata: [
                        "table": "\(tables[index].table.qualifiedName)", "rows": "\(progress.rows)",
                        "seconds": "\(progress.seconds)",
                    ])
            }
        }
        let row = batch[nextRow]
        nextRow += 1
        defer { firstOfTable = false }
        return Pulled(table: tables[row.table], row: row.row, firstInTable: firstOfTable, resume: row.resume)
    }
}
