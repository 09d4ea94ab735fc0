import DebeziumEvents
import TributaryCore

extension MySQLConnectorConfig {
    /// Every setting the MySQL and MariaDB connectors read, documented (`docs/config-reference.md` is made of it).
    public static func definition(_ flavor: Flavor) -> ConfigDefinition {
        ConfigDefinition(
            "\(flavor == .mysql ? "MySQL" : "MariaDB") connector (`\(flavor.className)`)",
            keys: ownKeys + DebeziumConfigKeys.shared(schemaLevel: "database", defaultBatchSize: 2048),
            openPrefixes: DebeziumConfigKeys.openPrefixes + [
                "schema.history.internal.producer.", "schema.history.internal.consumer.",
            ])
    }

    private static let ownKeys: [ConfigKey] = [
        .string("database.hostname", required: true, .high, "The server's host."),
        .int("database.port", default: 3306, .high, range: 1...65535, "The server's port."),
        .string(
            "database.user", required: true, .high,
            "The user; it needs REPLICATION SLAVE, REPLICATION CLIENT, SELECT (and RELOAD for locked snapshots)."),
        .password("database.password", "The user's password."),
        .int(
            "database.server.id", .high, range: 1...4_294_967_295,
            "The replica id the server sees; unique among its replicas (default: 5400–6399, stable per name)."),
        .int("connect.timeout.ms", default: 30_000, .low, range: 1...3_600_000, "Connection timeout."),
        .string(
            "snapshot.mode", default: "initial", .high, allowed: SnapshotMode.allCases.map(\.rawValue),
            "When tables and schemas are read before streaming."),
        .string(
            "snapshot.locking.mode", default: "minimal", .medium, allowed: SnapshotLockingMode.allCases.map(\.rawValue),
            "How long the snapshot holds the global read lock."),
        .boolean(
            "include.schema.changes", default: true, .medium, "Schema change events on the `<topic.prefix>` topic."),
        .boolean("include.query", default: false, .low, "`source.query`: the statement behind each change."),
        .string(
            "time.precision.mode", default: "adaptive_time_microseconds", .medium,
            allowed: ["adaptive_time_microseconds", "adaptive", "connect"], "How temporal columns are represented."),
        .string(
            "bigint.unsigned.handling.mode", default: "long", .low, allowed: ["long", "precise"],
            "BIGINT UNSIGNED as int64 or as a decimal."),
        .string(
            "schema.history.internal", .medium,
            allowed: [SchemaHistoryStorage.kafkaClass, SchemaHistoryStorage.fileClass],
            "The schema history's storage class (default: from the keys set)."),
        .string("schema.history.internal.kafka.topic", .high, "The schema history topic."),
        .string("schema.history.internal.kafka.bootstrap.servers", .high, "The schema history's brokers."),
        .int(
            "schema.history.internal.kafka.recovery.poll.interval.ms", default: 100, .low, range: 1...3_600_000,
            "How long recovery waits for the next history record."),
        .int(
            "schema.history.internal.kafka.recovery.attempts", default: 100, .low, range: 1...1_000_000,
            "Empty polls before recovery ends."),
        .int(
            "schema.history.internal.kafka.create.timeout.ms", default: 30_000, .low, range: 1...3_600_000,
            "How long creating the history topic may take."),
        .string(SchemaHistoryStorage.fileKey, .high, "The schema history in a file instead of a topic."),
        .list(
            "gtid.source.includes", .medium,
            "Regular expressions for the GTID sources (MySQL: server UUID; MariaDB: `domain-server`) whose row "
                + "changes become events."),
        .list(
            "gtid.source.excludes", .medium, "Regular expressions for the GTID sources whose row changes are left out."),
        .boolean(
            "gtid.source.filter.dml.events", default: true, .medium,
            "Whether the GTID source lists filter row changes (off: they have no effect)."),
    ]
}
