import TributaryCore

/// Where a worker keeps source offsets, as Kafka Connect's `OffsetBackingStore`: a local file in standalone
/// mode (`FileOffsetStore`); a compacted Kafka topic for distributed workers later.
///
/// Implementations are safe to use from several connectors' threads at once, and a `store` that returned has
/// made the offset durable: a crash after it keeps it.
public protocol OffsetBackingStore: Sendable {
    /// The stored offset for a connector's source partition.
    func offset(connector: String, partition: OffsetMap) -> OffsetMap?
    /// Stores an offset durably, replacing the partition's earlier one.
    func store(connector: String, partition: OffsetMap, offset: OffsetMap) throws
}
