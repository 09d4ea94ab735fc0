import CoreMetrics
import Prometheus

/// The worker's metrics: one Prometheus registry, written to through swift-metrics with a factory handed to the
/// tasks (no global bootstrap, so tests and several workers in one process keep their own), and rendered in
/// Prometheus' text format for `/metrics`.
public final class WorkerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

    public init() {}

    /// The swift-metrics factory that records into this registry.
    public var factory: any MetricsFactory { PrometheusMetricsFactory(registry: registry) }

    /// Everything recorded, in Prometheus' text exposition format.
    public func prometheusText() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
