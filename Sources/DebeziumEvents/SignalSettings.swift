import TributaryCore

/// Debezium's signal and incremental snapshot settings, under the same keys for every source connector.
public struct SignalSettings: Sendable {
    /// Debezium's watermarking strategies for incremental snapshots.
    public enum WatermarkingStrategy: String, Sendable, CaseIterable {
        /// The close watermark is a second row (`<chunk>-close`).
        case insertInsert = "insert_insert"
        /// The close watermark deletes the open one, so the signal table does not grow.
        case insertDelete = "insert_delete"
    }

    /// `signal.data.collection`: the signal tables (`schema.table`, or `database.table`), captured whatever the
    /// filters say. The first receives the incremental snapshot's watermarks.
    public var dataCollections: [String]
    /// Whether signals are read from the signal table (`signal.enabled.channels` lists `source`, the default).
    public var sourceChannelEnabled: Bool
    /// `incremental.snapshot.chunk.size`: rows read per incremental snapshot chunk.
    public var chunkSize: Int
    /// `incremental.snapshot.watermarking.strategy`: how a chunk's close watermark is written.
    public var watermarking: WatermarkingStrategy

    /// `quote`: the character that may quote each part of a signal table's name (`"` for PostgreSQL, `` ` `` for
    /// MySQL).
    public init(_ config: Config, quote: Character) throws(ConfigError) {
        dataCollections = config.list("signal.data.collection").map { name in
            name.split(separator: ".", maxSplits: 1).map { part in
                let text = String(part).trimmed
                return text.count >= 2 && text.first == quote && text.last == quote
                    ? String(text.dropFirst().dropLast()) : text
            }.joined(separator: ".")
        }
        let channels = config.list("signal.enabled.channels")
        sourceChannelEnabled = channels.isEmpty || channels.contains("source")
        chunkSize = try config.int("incremental.snapshot.chunk.size", default: 1024, range: 1...10_000_000)
        watermarking = try config.enumeration("incremental.snapshot.watermarking.strategy", default: .insertInsert)
    }
}
