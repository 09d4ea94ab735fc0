import DebeziumEvents
import TributaryCore

/// The settings of `io.debezium.connector.postgresql.PostgresConnector`, read with Debezium's names and defaults.
public struct PostgresConnectorConfig: Sendable {
    public static let className = "io.debezium.connector.postgresql.PostgresConnector"

    public var name: String
    public var connection: PostgresConnectionSettings
    public var topicPrefix: String
    /// `schema.name.adjustment.mode`: how schema names derived from topics are made valid for Avro.
    public var schemaNameAdjustment: SchemaNameAdjustment
    /// `field.name.adjustment.mode`: how column names become valid Avro field names.
    public var fieldNameAdjustment: SchemaNameAdjustment
    public var slotName: String
    public var publicationName: String
    public var publicationAutocreateMode: PublicationAutocreateMode
    public var tableFilter: TableFilter
    public var tombstonesOnDelete: Bool
    public var unavailableValuePlaceholder: String
    public var maxBatchSize: Int
    /// Operations not emitted (`skipped.operations`: c, u, d, t; Debezium's default skips truncates).
    public var skippedOperations: Set<Operation>
    /// `event.processing.failure.handling.mode`: a change that cannot become an event stops the task or is skipped.
    public var eventProcessingFailureHandling: EventProcessingFailureHandlingMode
    var valueConverter: PostgresValueConverter
    /// `extended.headers.enabled`: Debezium's context headers on every change event.
    var extendedHeaders: Bool

    /// `snapshot.mode`: when the connector reads the captured tables whole before it streams.
    public enum SnapshotMode: String, Sendable, CaseIterable {
        /// When no offsets are stored (Debezium's default).
        case initial
        /// As `initial`, then stop streaming: the connector only copies the tables.
        case initialOnly = "initial_only"
        /// Never: stream changes only.
        case noData = "no_data"
        /// Debezium's older name for `no_data`.
        case never
        /// At every start.
        case always
        /// When no offsets are stored, or the stored position is no longer available in the slot.
        case whenNeeded = "when_needed"
    }

    /// `provide.transaction.metadata`: BEGIN/END records and the events' `transaction` block.
    public var provideTransactionMetadata: Bool
    /// The transaction topic: `<topic.prefix>.<topic.transaction>` (default `transaction`).
    public var transactionTopic: String

    /// `heartbeat.interval.ms` (0: no heartbeats).
    public var heartbeatIntervalMilliseconds: Int
    /// `heartbeat.topics.prefix`.
    public var heartbeatTopicsPrefix: String
    /// `heartbeat.action.query`: SQL run on the database before each heartbeat.
    public var heartbeatActionQuery: String?

    public var snapshotMode: SnapshotMode
    /// `snapshot.fetch.size`: rows fetched from a table at once.
    public var snapshotFetchSize: Int
    /// `snapshot.include.collection.list`: of the captured tables, those the snapshot reads (all when empty).
    public var snapshotTables: TableFilter
    /// `snapshot.select.statement.overrides` (a list of `schema.table`) and, for each,
    /// `snapshot.select.statement.overrides.<schema>.<table>`: the statement a snapshot reads the table with.
    public var snapshotSelectOverrides: [String: String]
    /// `snapshot.max.threads`: connections that read a snapshot's tables in parallel, by chunks of heap pages (one
    /// large table too), sharing one snapshot; rows go out in the order one connection gives them.
    public var snapshotMaxThreads: Int
    /// `message.prefix.include.list` / `message.prefix.exclude.list`: which logical decoding messages become
    /// events.
    public var messagePrefixes: NameFilter
    /// `column.include.list` / `column.exclude.list`, the column mappers and `message.key.columns`.
    var columnSelection: ColumnSelection
    /// `signal.data.collection`: the signal tables (`schema.table`), captured whatever the filters say. The first
    /// receives the incremental snapshot's watermarks.
    public var signalDataCollections: [String]
    /// Whether signals are read from the signal table (`signal.enabled.channels` lists `source`, the default).
    public var sourceSignalsEnabled: Bool
    /// `incremental.snapshot.chunk.size`: rows read per incremental snapshot chunk.
    public var incrementalSnapshotChunkSize: Int
    /// `incremental.snapshot.watermarking.strategy`: how a chunk's close watermark is written.
    public var watermarkingStrategy: WatermarkingStrategy

    public typealias WatermarkingStrategy = SignalSettings.WatermarkingStrategy
    /// `tributary.pgoutput.streaming` (PostgreSQL 14+): pgoutput protocol 2, which streams large transactions while
    /// they are in progress; the task keeps them on disk until they commit, instead of the server.
    public var pgoutputStreaming: Bool
    /// `tributary.pgoutput.binary` (PostgreSQL 14+): pgoutput sends values in binary, which spares the walsender
    /// their text formatting; the task renders them as the server's text, so the events do not change. Tables
    /// with a type the task cannot read in binary keep the stream in text mode.
    public var pgoutputBinary: Bool

    /// `publication.autocreate.mode`: what to do when the publication does not exist.
    public enum PublicationAutocreateMode: String, Sendable, CaseIterable {
        /// `CREATE PUBLICATION … FOR ALL TABLES` (needs a superuser).
        case allTables = "all_tables"
        /// `CREATE PUBLICATION … FOR TABLE` the tables the filters capture.
        case filtered
        /// Never create it: it must exist.
        case disabled
    }

    /// Reads and checks the configuration; errors name the key.
    public init(_ config: Config) throws {
        name = config.string("name") ?? "tributary-postgres"
        connection = PostgresConnectionSettings(
            host: try config.required("database.hostname"),
            port: try config.int("database.port", default: 5432, range: 1...65535),
            user: try config.required("database.user"),
            password: config["database.password"],
            database: try config.required("database.dbname"),
            sslMode: try config.enumeration("database.sslmode", default: SSLMode.prefer),
            connectTimeoutSeconds: try config.int("database.connect.timeout.ms", default: 30_000, range: 1...3_600_000)
                / 1000 + 1)
        topicPrefix = try TopicName.prefix(config)
        schemaNameAdjustment = try SchemaNameAdjustment(config)
        fieldNameAdjustment = try SchemaNameAdjustment(fieldNamesOf: config)
        slotName = config.string("slot.name") ?? "debezium"
        guard slotName.allSatisfy({ ($0.isLowercase && $0.isASCII) || $0.isNumber || $0 == "_" }), slotName.count <= 63
        else {
            throw ConfigError.invalid(
                key: "slot.name", value: slotName, expected: "at most 63 lower-case letters, digits or '_'")
        }
        publicationName = config.string("publication.name") ?? "dbz_publication"
        publicationAutocreateMode = try config.enumeration("publication.autocreate.mode", default: .allTables)
        _ = try config.choice("plugin.name", default: "pgoutput", allowed: ["pgoutput"])
        snapshotMode = try config.enumeration("snapshot.mode", default: .initial)
        provideTransactionMetadata = try config.bool("provide.transaction.metadata", default: false)
        transactionTopic = topicPrefix + "." + (config.string("topic.transaction") ?? "transaction")
        heartbeatIntervalMilliseconds = try config.int("heartbeat.interval.ms", default: 0, range: 0...86_400_000)
        heartbeatTopicsPrefix = config.string("heartbeat.topics.prefix") ?? Heartbeat.defaultTopicsPrefix
        heartbeatActionQuery = config.string("heartbeat.action.query")
        snapshotFetchSize = try config.int("snapshot.fetch.size", default: 10_240, range: 1...10_000_000)
        snapshotTables = try TableFilter(tablesListedIn: "snapshot.include.collection.list", config)
        var overrides: [String: String] = [:]
        for table in config.list("snapshot.select.statement.overrides") {
            let key = "snapshot.select.statement.overrides." + table
            guard let statement = config.string(key), !statement.trimmed.isEmpty else {
                throw ConfigError.other(
                    key: key,
                    message: "snapshot.select.statement.overrides names \(table), so this key must hold its SELECT")
            }
            overrides[table] = statement
        }
        snapshotSelectOverrides = overrides
        messagePrefixes = try NameFilter(
            include: "message.prefix.include.list", exclude: "message.prefix.exclude.list", config)
        columnSelection = ColumnSelection(
            filter: try NameFilter(include: "column.include.list", exclude: "column.exclude.list", config),
            mappers: try ColumnMappers(config), keyColumns: try MessageKeyColumns(config))
        snapshotMaxThreads = try config.int("snapshot.max.threads", default: 1, range: 1...1024)
        let signals = try SignalSettings(config, quote: "\"")
        signalDataCollections = signals.dataCollections
        sourceSignalsEnabled = signals.sourceChannelEnabled
        pgoutputStreaming = try config.bool("tributary.pgoutput.streaming", default: true)
        pgoutputBinary = try config.bool("tributary.pgoutput.binary", default: false)
        incrementalSnapshotChunkSize = signals.chunkSize
        watermarkingStrategy = signals.watermarking
        tableFilter = try TableFilter(config) { schema in
            schema == "pg_catalog" || schema == "information_schema" || schema.hasPrefix("pg_toast")
        }.including(signalDataCollections)
        skippedOperations = try Operation.skipped(config)
        eventProcessingFailureHandling = try EventProcessingFailureHandlingMode(config)
        tombstonesOnDelete = try config.bool("tombstones.on.delete", default: true)
        unavailableValuePlaceholder = config.string("unavailable.value.placeholder") ?? "__debezium_unavailable_value"
        maxBatchSize = try config.int("max.batch.size", default: 512, range: 1...1_000_000)
        extendedHeaders = try config.bool("extended.headers.enabled", default: true)
        valueConverter = PostgresValueConverter(
            decimalMode: .init(
                rawValue: try config.choice(
                    "decimal.handling.mode", default: "precise", allowed: ["precise", "double", "string"]))!,
            timePrecisionMode: .init(
                rawValue: try config.choice(
                    "time.precision.mode", default: "adaptive",
                    allowed: ["adaptive", "adaptive_time_microseconds", "connect"]))!,
            binaryMode: .init(
                rawValue: try config.choice(
                    "binary.handling.mode", default: "bytes", allowed: ["bytes", "base64", "base64-url-safe", "hex"]))!,
            intervalMode: .init(
                rawValue: try config.choice(
                    "interval.handling.mode", default: "numeric", allowed: ["numeric", "string"]))!,
            hstoreMode: try config.enumeration("hstore.handling.mode", default: .json),
            moneyFractionDigits: try config.int("money.fraction.digits", default: 2, range: 0...100),
            includeUnknownDatatypes: try config.bool("include.unknown.datatypes", default: false),
            unavailablePlaceholder: unavailableValuePlaceholder)
    }
}
