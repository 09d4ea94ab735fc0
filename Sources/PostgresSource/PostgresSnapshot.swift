import DebeziumEvents
import Logging
import TributaryCore

/// One snapshot of the captured tables: a repeatable-read transaction (on the slot's exported snapshot when the
/// slot was just created, so that the stream continues exactly where the snapshot ends) whose snapshot
/// `snapshot.max.threads` readers share, reading the tables by chunks through cursors on connections of their own
/// (`PostgresSnapshotReaders`) while the task's thread converts what they read. Rows come out in table order, each
/// table in heap page order. Memory stays bounded by a few fetches; records carry Debezium's snapshot markers,
/// which need one row of look-ahead.
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

    /// The readers; nil when there is no table to read.
    private var readers: PostgresSnapshotReaders?
    private var fetchedTable = 0
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
    private var progressTable: Int?
    private var rowsTotal: Int64 = 0
    private var doneTables: [SnapshotStatus.Table] = []

    /// The tables read so far and the one being read, for metrics.
    func status(running: Bool) -> SnapshotStatus {
        SnapshotStatus(
            running: running, totalTables: tables.count,
            tables: doneTables + (progressTable == nil ? [] : [tableProgress.status]))
    }

    /// Opens the transaction; `exportedSnapshot` is the name `CREATE_REPLICATION_SLOT … EXPORT_SNAPSHOT` gave.
    /// `readers` is how many connections read the tables.
    init(
        connection: PostgresConnection, exportedSnapshot: String?, tables: [Table], columns: [[String]],
        fetchSize: Int, readers: Int = 1, startedMicros: Int64, logger: Logger
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
        if let exportedSnapshot {
            try connection.query(
                "SET TRANSACTION SNAPSHOT " + connection.quoteLiteral(exportedSnapshot),
                purpose: "use the replication slot's exported snapshot")
        }
        let xmin = try connection.query(
            "SELECT txid_snapshot_xmin(txid_current_snapshot())::text", purpose: "read the snapshot's horizon")
        transactionID = (xmin.first?.first ?? nil).flatMap { Int64($0) }
        if !tables.isEmpty { try startReaders(max(1, readers)) }
        logger.info(
            "snapshot started",
            metadata: [
                "tables": "\(tables.count)", "estimated_rows": "\(tables.reduce(0) { $0 + max(0, $1.estimatedRows) })",
                "consistent":
                    "\(exportedSnapshot == nil ? "no exported snapshot (slot existed): changes may repeat" : "with the slot")",
                "readers": "\(readers)",
            ])
    }

    /// Shares this transaction's snapshot with `count` readers and cuts the tables into chunks for them: by heap
    /// pages where the server scans TID ranges (PostgreSQL 14 and later), whole tables otherwise.
    private func startReaders(_ count: Int) throws {
        let exported = try connection.query("SELECT pg_export_snapshot()", purpose: "share the snapshot with readers")
        guard let name = exported.first?.first ?? nil else {
            throw PostgresError("PostgreSQL at \(connection.settings.address) exported no snapshot for the readers")
        }
        let sizes = try connection.query(
            """
            SELECT c.oid::text, (pg_relation_size(c.oid) / current_setting('block_size')::bigint)::text,
              c.relpages::text
            FROM pg_class c WHERE c.oid = ANY ($1::oid[])
            """, ["{" + tables.map { String($0.oid) }.joined(separator: ",") + "}"],
            purpose: "read the sizes of the tables to snapshot")
        var pagesByOID: [UInt32: (pages: Int64, statisticsPages: Int64)] = [:]
        for row in sizes {
            guard let oid = row[0].flatMap({ UInt32($0) }) else { continue }
            pagesByOID[oid] = (Int64(row[1] ?? "") ?? 0, Int64(row[2] ?? "") ?? 0)
        }
        let byPages = connection.serverVersion >= 140_000
        let plan = SnapshotChunkPlan.chunks(
            tables.map { table in
                let size = pagesByOID[table.oid] ?? (0, 0)
                return SnapshotChunkPlan.TableSize(
                    pages: size.pages,
                    rowsPerPage: size.statisticsPages > 0 && table.estimatedRows > 0
                        ? Double(table.estimatedRows) / Double(size.statisticsPages) : nil,
                    byPages: byPages && table.selectOverride == nil)
            }, rowsPerChunk: fetchSize * 4)
        readers = try PostgresSnapshotReaders(
            count: count, settings: connection.settings, exportedSnapshot: name, chunks: plan, tables: tables,
            selects: selects, fetchSize: fetchSize)
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

    /// The next row, in table order, moving to the next fetch as one is used up.
    private func pull() throws -> (table: Int, tuple: TupleData, page: UInt32?)? {
        while true {
            if fetchedPosition < fetched.count {
                defer { fetchedPosition += 1 }
                rowsTotal += 1
                tableProgress.add(1, logger: logger, "snapshot progress")
                return (
                    fetchedTable, fetched[fetchedPosition],
                    fetchedPosition < fetchedPages.count ? fetchedPages[fetchedPosition] : nil
                )
            }
            guard let batch = try readers?.next() else { return nil }
            switch batch {
            case .rows(let table, let rows, let pages):
                follow(table)
                (fetchedTable, fetched, fetchedPages, fetchedPosition) = (table, rows, pages, 0)
            case .tableDone(let table):
                follow(table)
                logger.info(
                    "snapshot of table done",
                    metadata: [
                        "table": "\(tables[table].qualifiedName)", "rows": "\(tableProgress.rows)",
                        "seconds": "\(tableProgress.seconds)",
                    ])
            }
        }
    }

    /// Starts the progress of `table` when its first rows (or its end, when it has none) come.
    private func follow(_ table: Int) {
        guard progressTable != table else { return }
        if progressTable != nil { doneTables.append(tableProgress.status) }
        progressTable = table
        tableProgress = TableProgress(table: tables[table].qualifiedName, estimatedRows: tables[table].estimatedRows)
    }

    /// What reading `table` is for, in errors: with an override, what the override must give.
    static func readPurpose(_ table: Table) -> String {
        "read \(table.qualifiedName) for the snapshot"
            + (table.selectOverride == nil
                ? ""
                : " with snapshot.select.statement.overrides.\(table.qualifiedName) "
                    + "(it must give every column of the table, by name)")
    }

    /// The fix to name when the server refuses to let `table` be read.
    static func deniedFix(_ table: Table, _ connection: PostgresConnection) -> String {
        """
        GRANT SELECT ON \(connection.quoteIdentifier(table.schema)).\(connection.quoteIdentifier(table.name)) TO \
        \(connection.quoteIdentifier(connection.settings.user)), or leave the table out of \
        snapshot.include.collection.list
        """
    }

    /// Ends the transaction and the connection.
    func close() {
        readers?.close()
        readers = nil
        _ = try? connection.query("COMMIT", purpose: "end the snapshot")
        connection.close()
    }
}
