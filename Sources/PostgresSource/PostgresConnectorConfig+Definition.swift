import DebeziumEvents
import TributaryCore

extension PostgresConnectorConfig {
    /// Every setting the PostgreSQL connector reads, documented (`docs/config-reference.md` is made of it).
    public static let definition = ConfigDefinition(
        "PostgreSQL connector (`\(className)`)",
        keys: ownKeys + DebeziumConfigKeys.shared(schemaLevel: "schema", defaultBatchSize: 512),
        openPrefixes: DebeziumConfigKeys.openPrefixes)

    private static let ownKeys: [ConfigKey] = [
        .string("database.hostname", required: true, .high, "The server's host."),
        .int("database.port", default: 5432, .high, range: 1...65535, "The server's port."),
        .string("database.user", required: true, .high, "The role; it needs REPLICATION (see `tributary validate`)."),
        .password("database.password", "The role's password."),
        .string("database.dbname", required: true, .high, "The database to capture."),
        .string(
            "database.sslmode", default: "prefer", .medium, allowed: SSLMode.allCases.map(\.rawValue),
            "libpq's `sslmode`."),
        .int("database.connect.timeout.ms", default: 30_000, .low, range: 1...3_600_000, "Connection timeout."),
        .string("plugin.name", default: "pgoutput", .medium, allowed: ["pgoutput"], "The logical decoding plugin."),
        .string("slot.name", default: "debezium", .high, "The logical replication slot, created if missing."),
        .string("publication.name", default: "dbz_publication", .high, "The publication, created if missing."),
        .string(
            "publication.autocreate.mode", default: "all_tables", .medium,
            allowed: PublicationAutocreateMode.allCases.map(\.rawValue),
            "How a missing publication is created: for all tables, for the captured ones, or not at all."),
        .string(
            "snapshot.mode", default: "initial", .high, allowed: SnapshotMode.allCases.map(\.rawValue),
            "When the tables are read before streaming."),
        .int("snapshot.fetch.size", default: 10_240, .low, range: 1...10_000_000, "Rows fetched from a table at once."),
        .int(
            "snapshot.max.threads", default: 1, .medium, range: 1...1024,
            "Connections reading snapshot tables in parallel."),
        .boolean(
            "tributary.pgoutput.streaming", default: true, .low,
            "Tributary's: large transactions streamed while in progress (protocol 2, PostgreSQL 14+)."),
        .boolean(
            "tributary.pgoutput.binary", default: false, .low,
            "Tributary's: binary values from pgoutput (PostgreSQL 14+), less work for the walsender."),
        .string(
            "time.precision.mode", default: "adaptive", .medium,
            allowed: ["adaptive", "adaptive_time_microseconds", "connect"], "How temporal columns are represented."),
        .string(
            "interval.handling.mode", default: "numeric", .low, allowed: ["numeric", "string"],
            "Intervals as microseconds or ISO-8601 text."),
        .string(
            "hstore.handling.mode", default: "json", .low, allowed: ["json", "map"], "hstore as JSON text or a map."),
        .int("money.fraction.digits", default: 2, .low, range: 0...100, "The scale of `money` values."),
        .boolean("include.unknown.datatypes", default: false, .low, "Columns of types without a Connect form as text."),
        .string(
            "unavailable.value.placeholder", default: "__debezium_unavailable_value", .low,
            "Stands for unchanged TOASTed values."),
        .list("message.prefix.include.list", .low, "Prefixes of logical decoding messages that become events."),
        .list("message.prefix.exclude.list", .low, "Prefixes of logical decoding messages left out."),
    ]
}
