import CoreMetrics
import TributaryCore

/// A source task's metrics, named as Kafka Connect's and Debezium's JMX metrics are in Prometheus form
/// (`kafka_connect_source_task_metrics_source_record_poll_total{connector=…,task="0"}`, …), recorded through
/// swift-metrics into the factory the worker gives (none: not recorded).
public struct SourceTaskMetrics: Sendable {
    let polled: Counter
    let written: Counter
    let active: Gauge
    let failures: Counter
    let skipped: Counter
    let retries: Counter
    /// From handing a record to the producer until Kafka acknowledged it (a sample of records).
    let produceLatency: Timer
    /// Debezium's `MilliSecondsBehindSource`: now minus the source time (`source.ts_ms`) of the last event read.
    let behindSource: Gauge

    public init(connector: String, factory: (any MetricsFactory)?) {
        let factory = factory ?? NOOPMetricsHandler.instance
        let labels = [("connector", connector), ("task", "0")]
        let task = "kafka_connect_source_task_metrics_"
        let errors = "kafka_connect_task_error_metrics_"
        polled = Counter(label: task + "source_record_poll_total", dimensions: labels, factory: factory)
        written = Counter(label: task + "source_record_write_total", dimensions: labels, factory: factory)
        active = Gauge(label: task + "source_record_active_count", dimensions: labels, factory: factory)
        produceLatency = Timer(label: task + "produce_latency_seconds", dimensions: labels, factory: factory)
        failures = Counter(label: errors + "total_record_failures", dimensions: labels, factory: factory)
        skipped = Counter(label: errors + "total_records_skipped", dimensions: labels, factory: factory)
        retries = Counter(label: errors + "total_retries", dimensions: labels, factory: factory)
        behindSource = Gauge(
            label: "debezium_metrics_milli_seconds_behind_source",
            dimensions: [("connector", connector), ("context", "streaming")], factory: factory)
    }

    /// `source.ts_ms` of a Debezium change event, if the record is one.
    static func sourceMillis(of record: SourceRecord) -> Int64? {
        guard case .struct(let envelope) = record.value, let field = envelope.schema.field(named: "source"),
            case .struct(let source) = envelope.values[field.index], let ts = source.schema.field(named: "ts_ms"),
            case .int64(let millis) = source.values[ts.index]
        else { return nil }
        return millis
    }
}
