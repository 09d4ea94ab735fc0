import DebeziumEvents
import Logging
import TributaryCore

/// One snapshot of the captured tables: a repeatable-read transaction (on the slot's exported snapshot when the
/// slot was just created, so that the stream continues exactly where the snapshot ends) that reads each table
/// through a cursor, `snapshot.fetch.size` rows at a time. Memory stays bounded by one fetch per table; records
/// carry Debezium's snapshot markers, which need one row of look-ahead.
final class PostgresSnapshot {
    /// A table to read, with the catalog's row estimate for progress.
    struct Table {
        var oid: UInt32
        var schema: String
        var name: String
        var estimatedRows: Int64
        /// `snapshot.select.statement.overrides.<schema>.<table>`: the statement whose rows stand for the table's.
        var selectOverride: String? = nil
        /// The table's storage (`pg_class.relfilenode`): a rewrite (VACUUM FULL, CLUSTER) changes it, and with it
        /// where rows lie.
        var fileNode: String = ""
        var qualifiedName: String { "\(schema).\(name)" }
    }

    /// A row read, with where it stands in the snapshot.
    struct Row {
        var table: Int
        var tuple: TupleData
        var marker: SnapshotMarker
        /// The last row of the whole snapshot: its offset says the snapshot is complete.
        var isLast: Bool
        /// The heap page the row lies on (nil for rows of a select override): where a resumed snapshot goes on.
        var page: UInt32?
    }

    let tables: [Table]
    /// The column list each table is read with (generated columns left out, as pgoutput leaves them out).
    private let selects: [String]
    private let connection: PostgresConnection
    private let fetchSize: Int
    private let logger: Logger
    /// When the snapshot started, in microseconds since the epoch (the `source.ts_ms` of its records).
    let startedMicros: Int64
    /// The oldest transaction the snapshot's view does not see (`source.txId` of its records).
    let transactionID: Int64?

    private var tableIndex = 0
    private var cursorOpen = false
    private var fetched: [TupleData] = []
    private var fetchedPages: [UInt32] = []
    private var fetchedPosition = 0
    private var held: (table: Int, tuple: TupleData, page: UInt32?, firstInTable: Bool)?
    private var lastPulledTable: Int?
    private var emitted = false
    /// True once a row was handed out.
    var emittedAny: Bool { emitted }
    private(set) var isFinished = false

    // Progress.
    private var tableProgress = TableProgress(table: "", estimatedRows: -1)
    private var rowsTotal: Int64 = 0

    /// Opens the transaction; `exportedSnapshot` is the name `CREATE_REPLICATION_SLOT … EXPORT_SNAPSHOT` gave.
    init(
        connection: PostgresConnection, exportedSnapshot: String?, tables: [Table], columns: [[String]],
        fetchSize: Int, startedMicros: Int64, logger: Logger
    ) throws {
        self.connection = connection
        self.tables = tables
        self.fetchSize = fetchSize
        self.logger = logger
        self.startedMicros = startedMicros
        selects = zip(tables, columns).map { table, columns in
            // An override is read by column name, so its columns may come in any order (Debezium maps them by
            // position); rows it leaves out are not read, as in Debezium. A table is read with each row's ctid,
            // whose page says where a resumed snapshot goes on.
            "SELECT "
                + (columns.map(connection.quoteIdentifier) + (table.selectOverride == nil ? ["ctid"] : []))
                .joined(separator: ", ") + " FROM "
                + (table.selectOverride.map { "(\($0)) AS tributary_override" }
                    ?? connection.quoteIdentifier(table.schema) + "." + connection.quoteIdentifier(table.name))
        }
        try connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", purpose: "begin the snapshot")
        // A scan that joins another one under way starts in the middle of the table; pages in order let a
        // resumed snapshot go on from the page it stopped at.
        try connection.query("SET LOCAL synchronize_seqscans = off", purpose: "read tables from their first page")
        if let exportedSnapshot {
            try connection.query(
                "SET TRANSACTION SNAPSHOT " + connection.quoteLiteral(exportedSnapshot),
                purpose: "use the replication slot's exported snapshot")
        }
        let xmin = try connection.query(
            "SELECT txid_snapshot_xmin(txid_current_snapshot())::text", purpose: "read the snapshot's horizon")
        transactionID = (xmin.first?.first ?? nil).flatMap { Int64($0) }
        logger.info(
            "snapshot started",
            metadata: [
                "tables": "\(tables.count)", "estimated_rows": "\(tables.reduce(0) { $0 + max(0, $1.estimatedRows) })",
                "consistent":
                    "\(exportedSnapshot == nil ? "no exported snapshot (slot existed): changes may repeat" : "with the slot")",
            ])
    }

    /// Up to `limit` rows, in table order; none once the snapshot is finished.
    func next(limit: Int) throws -> [Row] {
        var rows: [Row] = []
        while rows.count < limit && !isFinished {
            guard let item = try pull() else {
                if let h = held {
                    rows.append(row(h, lastInTable: true, last: true))
                    held = nil
                }
                isFinished = true
                logger.info("snapshot done", metadata: ["rows": "\(rowsTotal)", "tables": "\(tables.count)"])
                break
            }
            if let h = held { rows.append(row(h, lastInTable: h.table != item.table, last: false)) }
            held = (item.table, item.tuple, item.page, firstInTable: lastPulledTable != item.table)
            lastPulledTable = item.table
        }
        return rows
    }

    private func row(
        _ h: (table: Int, tuple: TupleData, page: UInt32?, firstInTable: Bool), lastInTable: Bool, last: Bool
    ) -> Row {
        defer { emitted = true }
        let marker = SnapshotMarker.snapshot(
            first: !emitted, last: last, firstInTable: h.firstInTable, lastInTable: lastInTable)
        return Row(table: h.table, tuple: h.tuple, marker: marker, isLast: last, page: h.page)
    }

    /// The next row of the current table, moving to the next table (through its cursor) when one ends.
    private func pull() throws -> (table: Int, tuple: TupleData, page: UInt32?)? {
        while tableIndex < tables.count {
            if !cursorOpen {
                try connection.query(
                    "DECLARE tributary_snapshot NO SCROLL CURSOR FOR " + selects[tableIndex],
                    purpose: "read \(tables[tableIndex].qualifiedName) for the snapshot"
                        + (tables[tableIndex].selectOverride == nil
                            ? ""
                            : " with snapshot.select.statement.overrides.\(tables[tableIndex].qualifiedName) "
                                + "(it must give every column of the table, by name)"),
                    ifDenied: """
                        GRANT SELECT ON \(connection.quoteIdentifier(tables[tableIndex].schema)).\
                        \(connection.quoteIdentifier(tables[tableIndex].name)) TO \
                        \(connection.quoteIdentifier(connection.settings.user)), or leave the table out of \
                        snapshot.include.collection.list
                        """)
                cursorOpen = true
                tableProgress = TableProgress(
                    table: tables[tableIndex].qualifiedName, estimatedRows: tables[tableIndex].estimatedRows)
            }
            if fetchedPosition < fetched.count {
                defer { fetchedPosition += 1 }
                rowsTotal += 1
                tableProgress.add(1, logger: logger, "snapshot progress")
                return (
                    tableIndex, fetched[fetchedPosition],
                    fetchedPosition < fetchedPages.count ? fetchedPages[fetchedPosition] : nil
                )
            }
            let fetch = "FETCH FORWARD \(fetchSize) FROM tributary_snapshot"
            let purpose = "read \(tables[tableIndex].qualifiedName) for the snapshot"
            if tables[tableIndex].selectOverride == nil {
                (fetched, fetchedPages) = try connection.tuplesWithPages(fetch, purpose: purpose)
            } else {
                fetched = try connection.tuples(fetch, purpose: purpose)
                fetchedPages = []
            }
            fetchedPosition = 0
            if fetched.isEmpty {
                try connection.query("CLOSE tributary_snapshot", purpose: "close the snapshot cursor")
                cursorOpen = false
                logger.info(
                    "snapshot of table done",
                    metadata: [
                        "table": "\(tables[tableIndex].qualifiedName)", "rows": "\(tableProgress.rows)",
                        "seconds": "\(tableProgress.seconds)",
                    ])
                tableIndex += 1
            }
        }
        return nil
    }

    /// Ends the transaction and the connection.
    func close() {
        _ = try? connection.query("COMMIT", purpose: "end the snapshot")
        connection.close()
    }
}
