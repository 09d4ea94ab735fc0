import TributaryCore

/// Debezium's heartbeat records (`heartbeat.interval.ms`): on the topic `<heartbeat.topics.prefix>.<topic.prefix>`,
/// keyed by the server name, carrying the time. They let offsets (and so the source's position) move while the
/// captured tables are quiet, and show consumers the connector is alive.
public enum Heartbeat {
    /// `io.debezium.connector.common.ServerNameKey`.
    public static let keySchema: Schema = .struct(
        name: "io.debezium.connector.common.ServerNameKey", version: 1, fields: [("serverName", .string)])
    /// `io.debezium.connector.common.Heartbeat`.
    public static let valueSchema: Schema = .struct(
        name: "io.debezium.connector.common.Heartbeat", version: 1, fields: [("ts_ms", .int64)])

    /// Debezium's default `heartbeat.topics.prefix`.
    public static let defaultTopicsPrefix = "__debezium-heartbeat"

    /// A heartbeat record carrying the connector's current offset.
    public static func record(
        topicsPrefix: String, serverName: String, partition: OffsetMap, offset: OffsetMap, nowMillis: Int64
    ) -> SourceRecord {
        SourceRecord(
            sourcePartition: partition, sourceOffset: offset, topic: topicsPrefix + "." + serverName,
            keySchema: keySchema, key: .struct(Struct(schema: keySchema, values: [.string(serverName)])),
            valueSchema: valueSchema, value: .struct(Struct(schema: valueSchema, values: [.int64(nowMillis)])),
            timestamp: nowMillis)
    }
}
