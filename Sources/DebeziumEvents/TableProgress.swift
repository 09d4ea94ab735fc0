import Logging
import TributaryCore

/// Progress through one table's rows, for the log: rows done of the estimate (`pg_class.reltuples`, `information_schema.tables.table_rows`), rows/s and
/// the time left, said every few seconds. Shared by the snapshot and the incremental snapshot.
public struct TableProgress {
    public let table: String
    /// The catalog's estimate (-1: unknown); a paged read may refine it from the rows its pages hold.
    public var estimatedRows: Int64
    public private(set) var rows: Int64 = 0
    public let started = ContinuousClock.now
    private var lastReport = ContinuousClock.now

    public init(table: String, estimatedRows: Int64) {
        self.table = table
        self.estimatedRows = estimatedRows
    }

    /// The table's figures for `SnapshotStatus`.
    public var status: SnapshotStatus.Table { .init(name: table, rows: rows, estimatedRows: estimatedRows) }

    /// Seconds since the table's read began.
    public var seconds: Double { (ContinuousClock.now - started).inSeconds }

    /// Counts `count` more rows and, at most every 5 s, logs `message` with the figures.
    public mutating func add(_ count: Int64, logger: Logger, _ message: Logger.Message) {
        rows += count
        let now = ContinuousClock.now
        guard now - lastReport >= .seconds(5) else { return }
        lastReport = now
        let elapsed = (now - started).inSeconds
        let rate = elapsed > 0 ? Double(rows) / elapsed : 0
        let left = max(0, estimatedRows - rows)
        logger.info(
            message,
            metadata: [
                "table": "\(table)", "rows": "\(rows)", "estimated_rows": "\(max(estimatedRows, rows))",
                "percent": "\(estimatedRows > 0 ? min(100, Int(rows * 100 / estimatedRows)) : 0)",
                "rows_per_s": "\(Int(rate))", "eta_s": "\(rate > 0 ? Int(Double(left) / rate) : 0)",
            ])
    }
}
