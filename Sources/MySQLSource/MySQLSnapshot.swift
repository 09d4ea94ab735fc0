import DebeziumEvents
import Logging
import TributaryCore

/// A snapshot of the captured tables: one transaction (`START TRANSACTION WITH CONSISTENT SNAPSHOT`) whose view
/// matches a binlog position, each table read with a streaming `SELECT`, one row at a time, so memory stays the
/// same whatever the table's size.
final class MySQLSnapshot {
    /// A row read, with its table, marker and whether it ends the snapshot.
    struct Row {
        let table: MySQLTableSchema
        let row: MySQLTableSchema.Row
        let marker: SnapshotMarker
        let isLast: Bool
    }

    let connection: MySQLConnection
    let tables: [MySQLTableSchema]
    /// Where the stream starts once the tables are read.
    let offset: MySQLOffset
    let startedMicros: Int64
    private let estimates: [String: Int64]
    private let logger: Logger
    private var tableIndex = -1
    private var cursor: MySQLCursor?
    private var text: [ArraySlice<UInt8>?] = []
    private var held: (table: MySQLTableSchema, row: MySQLTableSchema.Row, firstInTable: Bool)?
    private var emitted = false
    private var firstOfTable = false
    private(set) var isFinished = false
    private var progress = TableProgress(table: "", estimatedRows: -1)
    private(set) var rowsTotal: Int64 = 0
    private let started = ContinuousClock.now

    init(
        connection: MySQLConnection, tables: [MySQLTableSchema], offset: MySQLOffset, estimates: [String: Int64],
        startedMicros: Int64, logger: Logger
    ) {
        self.connection = connection
        self.tables = tables
        self.offset = offset
        self.estimates = estimates
        self.startedMicros = startedMicros
        self.logger = logger
    }

    func close() {
        cursor?.close()
        cursor = nil
        connection.close()
    }

    /// Up to `limit` rows, in table order; none once the snapshot is finished.
    func next(limit: Int) throws -> [Row] {
        var rows: [Row] = []
        while rows.count < limit && !isFinished {
            guard let (table, row) = try pull() else {
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
            if let h = held { rows.append(make(h, lastInTable: h.table !== table, last: false)) }
            held = (table, row, firstOfTable)
            firstOfTable = false
        }
        return rows
    }

    private func make(
        _ h: (table: MySQLTableSchema, row: MySQLTableSchema.Row, firstInTable: Bool), lastInTable: Bool, last: Bool
    ) -> Row {
        defer { emitted = true }
        let marker = SnapshotMarker.snapshot(
            first: !emitted, last: last, firstInTable: h.firstInTable, lastInTable: lastInTable)
        return Row(table: h.table, row: h.row, marker: marker, isLast: last)
    }

    /// The next row in table order, opening each table's read as the one before ends.
    private func pull() throws -> (MySQLTableSchema, MySQLTableSchema.Row)? {
        while true {
            if let cursor, tableIndex < tables.count {
                if try cursor.next(into: &text) {
                    rowsTotal += 1
                    progress.add(1, logger: logger, "snapshot progress")
                    return (tables[tableIndex], try tables[tableIndex].row(text: text))
                }
                logger.info(
                    "snapshot of table done",
                    metadata: [
                        "table": "\(tables[tableIndex].table.qualifiedName)", "rows": "\(progress.rows)",
                        "seconds": "\(progress.seconds)",
                    ])
                self.cursor = nil
            }
            tableIndex += 1
            guard tableIndex < tables.count else { return nil }
            let table = tables[tableIndex].table
            progress = TableProgress(table: table.qualifiedName, estimatedRows: estimates[table.qualifiedName] ?? -1)
            firstOfTable = true
            let columns = table.columns.map { MySQLConnection.quote($0.name) }.joined(separator: ", ")
            cursor = try connection.open(
                "SELECT \(columns) FROM \(MySQLConnection.quote(table.database)).\(MySQLConnection.quote(table.name))")
        }
    }
}
