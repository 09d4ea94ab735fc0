import TributaryCore

extension WorkerConfig {
    /// The worker's settings (`tributary standalone worker.properties`), as Kafka Connect names them.
    public static let definition = ConfigDefinition(
        "Worker",
        keys: [
            .string("bootstrap.servers", required: true, .high, "The Kafka brokers."),
            .string("offset.storage.file.filename", .high, "Where offsets are stored (required in standalone mode)."),
            .int(
                "offset.flush.interval.ms", default: 60_000, .low, range: 1...86_400_000,
                "How often offsets are stored."),
            .int(
                "task.shutdown.graceful.timeout.ms", default: 5000, .low, range: 0...86_400_000,
                "How long a stopping task waits for Kafka to acknowledge records in flight."),
            .int(
                "task.send.immediately.below.records", default: 16, .low, range: 0...1_000_000,
                "Tributary's: a poll with fewer records is sent at once instead of after `linger.ms`."),
            .boolean("topic.creation.enable", default: true, .low, "Allow connectors to create their topics."),
            .string(
                "listeners", default: "http://127.0.0.1:8083", .medium,
                "The HTTP listener for `/`, `/health` and `/metrics`; empty turns it off."),
            .string("client.id", .low, "The producer's client id."),
            .list("config.providers", .medium, "Config providers (`file`, `env`, `dir`) for `${provider:…}` values."),
        ] + ConnectorCommonKeys.converters,
        openPrefixes: ["producer.", "kafka.", "security.", "sasl.", "ssl.", "config.providers."])
}

/// Settings every connector file has, whatever its class: name, class, transforms, converters, errors, restarts
/// and topic creation.
public enum ConnectorCommonKeys {
    static let converters: [ConfigKey] = [
        ConfigKey(
            "key.converter", .className, default: "org.apache.kafka.connect.json.JsonConverter", .low,
            "The converter of record keys."),
        ConfigKey(
            "value.converter", .className, default: "org.apache.kafka.connect.json.JsonConverter", .low,
            "The converter of record values."),
        ConfigKey(
            "header.converter", .className, default: "org.apache.kafka.connect.storage.SimpleHeaderConverter", .low,
            "The converter of headers (only SimpleHeaderConverter)."),
    ]

    public static let definition = ConfigDefinition(
        "Every connector",
        keys: [
            .string("name", required: true, .high, "The connector's name; offsets are stored under it."),
            ConfigKey("connector.class", .className, required: true, .high, "The connector's class."),
            .int("tasks.max", default: 1, .high, range: 1...1, "Tasks; Debezium's source connectors run one."),
            .list("transforms", .low, "Aliases of the transforms records go through, in order."),
            .list("predicates", .low, "Aliases of the predicates transforms may be applied under."),
            .string(
                "errors.tolerance", default: "none", .medium, allowed: ["none", "all"],
                "`none`: a record that fails a transform or converter stops the task; `all`: it is skipped."),
            ConfigKey(
                "errors.retry.timeout", .long, default: "0", .medium, range: -1...Int64(Int32.max),
                "ms to retry a failure that may pass before it counts as failed; -1 forever."),
            ConfigKey(
                "errors.retry.delay.max.ms", .long, default: "60000", .medium, range: 1...3_600_000,
                "Longest wait between retries of a record (restarts of the task use at most 10000 unless set)."),
            .boolean("errors.log.enable", default: false, .medium, "Accepted; a skipped record is always logged."),
            .boolean("errors.log.include.messages", default: false, .low, "Also log a skipped record's key and value."),
            .int(
                "errors.max.retries", default: -1, .medium, range: -1...Int64(Int32.max),
                "Restarts after errors that may pass; -1 without limit."),
            .int(
                "errors.retry.delay.initial.ms", default: 300, .low, range: 1...86_400_000,
                "First wait before a restart."),
            .string("errors.deadletterqueue.topic.name", .medium, "Sinks: the topic tolerated failed records go to."),
            .int(
                "errors.deadletterqueue.topic.replication.factor", default: 3, .low, range: -1...32_767,
                "Sinks: the dead letter queue topic's replication factor, when it is created."),
            .boolean(
                "errors.deadletterqueue.context.headers.enable", default: false, .low,
                "Sinks: add the `__connect.errors.*` headers saying where a dead letter came from and why."),
            .int(
                "topic.creation.default.partitions", .low, range: -1...100_000,
                "When set, topics are created with this many partitions before their first record."),
            .int(
                "topic.creation.default.replication.factor", default: -1, .low, range: -1...32_767,
                "Their replication factor."),
        ] + converters,
        openPrefixes: ["topic.creation."])
}
