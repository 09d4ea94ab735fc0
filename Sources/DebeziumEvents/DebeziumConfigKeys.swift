import TributaryCore

/// The settings both Debezium source connectors share, documented once (`ConfigDefinition`s of the PostgreSQL and
/// MySQL/MariaDB connectors add their own).
public enum DebeziumConfigKeys {
    /// Filters, column rules, event shape, snapshots, signals, heartbeats and failure handling.
    public static func shared(schemaLevel: String, defaultBatchSize: Int64) -> [ConfigKey] {
        [
            .string(
                "topic.prefix", required: true, .high,
                "Prefix of every topic (`<prefix>.<schema>.<table>`); also `source.name`."),
            .string(
                "schema.name.adjustment.mode", default: "none", .low, allowed: ["none", "avro", "avro_unicode"],
                "How schema names derived from topic names are made valid Avro names."),
            .string(
                "field.name.adjustment.mode", default: "none", .low, allowed: ["none", "avro", "avro_unicode"],
                "How column names are made valid Avro field names."),
            .list("\(schemaLevel).include.list", .high, "Regular expressions on \(schemaLevel) names to capture."),
            .list("\(schemaLevel).exclude.list", .high, "Regular expressions on \(schemaLevel) names not to capture."),
            .list("table.include.list", .high, "Regular expressions on `\(schemaLevel).table` names to capture."),
            .list("table.exclude.list", .high, "Regular expressions on `\(schemaLevel).table` names not to capture."),
            .list(
                "column.include.list", .medium,
                "Regular expressions on `\(schemaLevel).table.column`: the columns of values."),
            .list(
                "column.exclude.list", .medium,
                "Regular expressions on `\(schemaLevel).table.column` left out of values."),
            .string(
                "message.key.columns", .medium,
                "`<table regex>:<column>,…;…`: the key columns instead of the primary key."),
            .list(
                "column.propagate.source.type", .low,
                "Columns whose fields carry their source type as schema parameters."),
            .list(
                "datatype.propagate.source.type", .low,
                "Type names whose columns carry their source type as schema parameters."),
            .list(
                "snapshot.include.collection.list", .medium,
                "Of the captured tables, those the snapshot reads (default: all)."),
            .list(
                "snapshot.select.statement.overrides", .low,
                "Tables whose snapshot reads `snapshot.select.statement.overrides.<table>` instead."),
            .string(
                "decimal.handling.mode", default: "precise", .medium, allowed: ["precise", "double", "string"],
                "How decimal columns are represented."),
            .string(
                "binary.handling.mode", default: "bytes", .low, allowed: ["bytes", "base64", "base64-url-safe", "hex"],
                "How binary columns are represented."),
            .boolean("tombstones.on.delete", default: true, .medium, "A null-valued record after each delete."),
            .list("skipped.operations", default: "t", .low, "Operations not emitted: `c`, `u`, `d`, `t`, or `none`."),
            .int(
                "max.batch.size", default: defaultBatchSize, .low, range: 1...1_000_000,
                "Changes handed to the worker per poll."),
            .int(
                "heartbeat.interval.ms", default: 0, .medium, range: 0...86_400_000,
                "Heartbeat records this often (0: none)."),
            .string(
                "heartbeat.topics.prefix", default: "__debezium-heartbeat", .low,
                "Heartbeat topic prefix (`<prefix>.<topic.prefix>`)."),
            .string("heartbeat.action.query", .low, "SQL run before each heartbeat."),
            .boolean(
                "extended.headers.enabled", default: true, .low,
                "Debezium's `__debezium.context.*` headers on change events."),
            .boolean(
                "provide.transaction.metadata", default: false, .medium,
                "BEGIN/END records and each event's `transaction` block."),
            .string(
                "topic.transaction", default: "transaction", .low,
                "The transaction topic's suffix (`<prefix>.<topic.transaction>`)."),
            .list(
                "signal.data.collection", .medium,
                "The signal table (incremental and blocking snapshots, resumable snapshots)."),
            .list(
                "signal.enabled.channels", default: "source", .low,
                "Signal channels; only `source` (the signal table) is read."),
            .int(
                "incremental.snapshot.chunk.size", default: 1024, .medium, range: 1...10_000_000,
                "Rows per incremental snapshot chunk."),
            .string(
                "incremental.snapshot.watermarking.strategy", default: "insert_insert", .low,
                allowed: ["insert_insert", "insert_delete"], "How the open and close watermarks are written."),
            .string(
                EventProcessingFailureHandlingMode.key, default: "fail", .medium,
                allowed: EventProcessingFailureHandlingMode.allCases.map(\.rawValue),
                "A streamed change that cannot become an event stops the task (`fail`) or is skipped."),
        ]
    }

    /// Column rules keyed by pattern (`column.truncate.to.20.chars`, `column.mask.hash.SHA-256.with.salt.x`) and
    /// per-table snapshot statements.
    public static let openPrefixes = [
        "column.truncate.to.", "column.mask.with.", "column.mask.hash.", "snapshot.select.statement.overrides.",
    ]
}
