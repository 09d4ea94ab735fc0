import CoreMetrics
import TributaryCore

/// A source task's snapshot metrics, named as Debezium's JMX snapshot metrics are in Prometheus form
/// (`debezium_metrics_rows_scanned{connector=…,context="snapshot",table=…}`, `…_snapshot_running`,
/// `…_snapshot_paused`, `…_snapshot_completed`, `…_total_table_count`, `…_remaining_table_count`), for initial,
/// blocking and incremental snapshots alike (the latest one), plus each table's estimated row count
/// (`tributary_snapshot_rows_estimated`), so that progress and ETA can be graphed.
///
/// Fed from `SourceTask.snapshotStatus()` on the task's thread; per-table gauges are made once per table.
final class SnapshotMetrics {
    private let connector: String
    private let factory: any MetricsFactory
    private let running: Gauge
    private let paused: Gauge
    private let completed: Gauge
    private let totalTables: Gauge
    private let remainingTables: Gauge
    private var tables: [String: (scanned: Gauge, estimated: Gauge)] = [:]
    private var last: SnapshotStatus?

    init(connector: String, factory: (any MetricsFactory)?) {
        self.connector = connector
        self.factory = factory ?? NOOPMetricsHandler.instance
        let labels = [("connector", connector), ("context", "snapshot")]
        running = Gauge(label: "debezium_metrics_snapshot_running", dimensions: labels, factory: self.factory)
        paused = Gauge(label: "debezium_metrics_snapshot_paused", dimensions: labels, factory: self.factory)
        completed = Gauge(label: "debezium_metrics_snapshot_completed", dimensions: labels, factory: self.factory)
        totalTables = Gauge(label: "debezium_metrics_total_table_count", dimensions: labels, factory: self.factory)
        remainingTables = Gauge(
            label: "debezium_metrics_remaining_table_count", dimensions: labels, factory: self.factory)
    }

    /// Records `status` (nothing when it did not change).
    func record(_ status: SnapshotStatus?) {
        guard let status, status != last else { return }
        last = status
        running.record(status.running ? 1 : 0)
        paused.record(status.paused ? 1 : 0)
        completed.record(status.running ? 0 : 1)
        totalTables.record(status.totalTables)
        // The table being read is not done yet while the snapshot runs.
        remainingTables.record(max(0, status.totalTables - status.tables.count + (status.running ? 1 : 0)))
        for table in status.tables {
            let gauges =
                tables[table.name]
                ?? {
                    let labels = [("connector", connector), ("context", "snapshot"), ("table", table.name)]
                    let made = (
                        Gauge(label: "debezium_metrics_rows_scanned", dimensions: labels, factory: factory),
                        Gauge(label: "tributary_snapshot_rows_estimated", dimensions: labels, factory: factory)
                    )
                    tables[table.name] = made
                    return made
                }()
            gauges.scanned.record(table.rows)
            gauges.estimated.record(max(table.estimatedRows, table.rows))
        }
    }
}
