import DebeziumEvents
import TributaryCore

/// The settings of Debezium's `MySqlConnector` and `MariaDbConnector`, read with Debezium's names and defaults.
public struct MySQLConnectorConfig: Sendable {
    /// Which of Debezium's two binlog connectors the configuration names: the `source.connector` value, the
    /// source schema's name and the GTID flavour follow it.
    public enum Flavor: String, Sendable {
        case mysql
        case mariadb

        public var className: String {
            switch self {
            case .mysql: "io.debezium.connector.mysql.MySqlConnector"
            case .mariadb: "io.debezium.connector.mariadb.MariaDbConnector"
            }
        }
    }

    /// `snapshot.mode`.
    public enum SnapshotMode: String, Sendable, CaseIterable {
        /// Tables and schemas when no offsets are stored (Debezium's default).
        case initial
        /// As `initial`, then stop: the connector only copies the tables.
        case initialOnly = "initial_only"
        /// Schemas only, then stream.
        case noData = "no_data"
        /// Debezium's older name for `no_data`.
        case schemaOnly = "schema_only"
        /// Debezium's older name for `no_data`.
        case never
        /// Tables and schemas at every start.
        case always
        /// When no offsets are stored, or the stored position is no longer in the binlog.
        case whenNeeded = "when_needed"
        /// Rebuild a lost schema history from the current schemas, then stream from the stored offsets.
        case recovery
        /// Debezium's older name for `recovery`.
        case schemaOnlyRecovery = "schema_only_recovery"
    }

    /// `snapshot.locking.mode`.
    public enum SnapshotLockingMode: String, Sendable, CaseIterable {
        /// A global read lock only while the schemas and the binlog position are read.
        case minimal
        /// The lock for the whole snapshot.
        case extended
        /// No lock: safe only when no DDL runs during the snapshot.
        case none
    }

    public var flavor: Flavor
    public var name: String
    public var connection: MySQLConnection.Settings
    /// `database.server.id`.
    public var serverID: UInt32
    public var topicPrefix: String
    /// `schema.name.adjustment.mode`: how schema names derived from topics are made valid for Avro.
    public var schemaNameAdjustment: SchemaNameAdjustment
    /// `field.name.adjustment.mode`: how column names become valid Avro field names.
    public var fieldNameAdjustment: SchemaNameAdjustment
    public var tableFilter: TableFilter
    public var columnFilter: NameFilter
    public var keyColumns: MessageKeyColumns
    /// The column mappers (`column.truncate.to.N.chars`, `column.mask.*`, `column.propagate.source.type`, …).
    public var mappers: ColumnMappers
    public var snapshotMode: SnapshotMode
    public var snapshotLockingMode: SnapshotLockingMode
    /// `snapshot.include.collection.list`: of the captured tables, those the snapshot reads (all when empty).
    public var snapshotTables: TableFilter
    /// `include.schema.changes`: schema change events to the `topic.prefix` topic.
    public var includeSchemaChanges: Bool
    /// `include.query`: the statement behind each change in `source.query` (from ANNOTATE_ROWS/ROWS_QUERY).
    public var includeQuery: Bool
    /// Where the DDL history is kept.
    var schemaHistory: SchemaHistoryStorage
    public var tombstonesOnDelete: Bool
    public var skippedOperations: Set<Operation>
    /// `event.processing.failure.handling.mode`: a change that cannot become an event stops the task or is skipped.
    public var eventProcessingFailureHandling: EventProcessingFailureHandlingMode
    public var maxBatchSize: Int
    /// `heartbeat.interval.ms` (0: none) and `heartbeat.topics.prefix`.
    public var heartbeatIntervalMilliseconds: Int
    public var heartbeatTopicsPrefix: String
    /// `heartbeat.action.query`: SQL run on the database before each heartbeat, for example an insert into a captured
    /// table, so that a connector whose tables are quiet still sees events and moves its offsets on.
    public var heartbeatActionQuery: String?
    /// `gtid.source.includes` / `gtid.source.excludes`: the GTID sources (MySQL: the server UUID; MariaDB:
    /// `domain-server`) whose transactions' row changes become events, when `gtid.source.filter.dml.events` is on.
    public var gtidSources: NameFilter
    public var gtidSourceFiltersDML: Bool
    /// `provide.transaction.metadata`: BEGIN/END records on `<topic.prefix>.<topic.transaction>` and the events'
    /// `transaction` block.
    public var provideTransactionMetadata: Bool
    public var transactionTopic: String
    /// `extended.headers.enabled`.
    public var extendedHeaders: Bool
    /// `signal.data.collection` (`database.table`, captured whatever the filters say), the channels, and the
    /// incremental snapshot's chunk size and watermarking.
    public var signals: SignalSettings
    var valueConverter: MySQLValueConverter

    /// `schema.history.internal`: Debezium's history classes, by the keys they read.
    enum SchemaHistoryStorage: Sendable, Equatable {
        /// `FileSchemaHistory`: `schema.history.internal.file.filename`.
        case file(path: String)
        /// `KafkaSchemaHistory` (Debezium's default): `schema.history.internal.kafka.*`.
        case kafka(KafkaSchemaHistoryStore.Settings)

        static let key = "schema.history.internal"
        static let fileClass = "io.debezium.storage.file.history.FileSchemaHistory"
        static let kafkaClass = "io.debezium.storage.kafka.history.KafkaSchemaHistory"
        static let fileKey = "schema.history.internal.file.filename"

        /// The class named, or else the storage whose keys are set: Kafka's when both are.
        init(_ config: Config) throws(ConfigError) {
            switch config.string(Self.key) {
            case Self.fileClass?:
                self = .file(path: try config.required(Self.fileKey))
            case Self.kafkaClass?:
                self = .kafka(try KafkaSchemaHistoryStore.Settings(config))
            case let other?:
                throw ConfigError.invalid(
                    key: Self.key, value: other, expected: "\(Self.kafkaClass) or \(Self.fileClass)")
            case nil:
                if config.string("schema.history.internal.kafka.topic") == nil, let path = config.string(Self.fileKey) {
                    self = .file(path: path)
                } else if config.string("schema.history.internal.kafka.topic") == nil {
                    throw ConfigError.other(
                        key: "schema.history.internal.kafka.topic",
                        message: "is required: MySQL/MariaDB connectors keep the DDL history of the captured tables in "
                            + "a Kafka topic (with schema.history.internal.kafka.bootstrap.servers), or in a file "
                            + "(\(Self.fileKey))")
                } else {
                    self = .kafka(try KafkaSchemaHistoryStore.Settings(config))
                }
            }
        }
    }

    public init(_ config: Config, flavor: Flavor) throws {
        self.flavor = flavor
        name = config.string("name") ?? "tributary-\(flavor.rawValue)"
        var connection = MySQLConnection.Settings(
            host: try config.required("database.hostname"),
            port: try config.int("database.port", default: 3306, range: 1...65535),
            user: try config.required("database.user"), password: config["database.password"])
        connection.connectTimeoutSeconds =
            UInt32(try config.int("connect.timeout.ms", default: 30_000, range: 1...3_600_000) / 1000 + 1)
        self.connection = connection
        // Debezium picks a random id in 5400…6400 by default; this one is stable per connector name.
        let nameHash = name.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }
        serverID = UInt32(
            try config.int("database.server.id", default: 5400 + Int(nameHash % 1000), range: 1...4_294_967_295))
        topicPrefix = try TopicName.prefix(config)
        schemaNameAdjustment = try SchemaNameAdjustment(config)
        fieldNameAdjustment = try SchemaNameAdjustment(fieldNamesOf: config)
        signals = try SignalSettings(config, quote: "`")
        tableFilter = try TableFilter(config, schemaLists: "database") { database in
            ["mysql", "sys", "performance_schema", "information_schema"].contains(database.lowercased())
        }.including(signals.dataCollections)
        columnFilter = try NameFilter(include: "column.include.list", exclude: "column.exclude.list", config)
        keyColumns = try MessageKeyColumns(config)
        mappers = try ColumnMappers(config)
        snapshotMode = try config.enumeration("snapshot.mode", default: .initial)
        snapshotLockingMode = try config.enumeration("snapshot.locking.mode", default: .minimal)
        snapshotTables = try TableFilter(tablesListedIn: "snapshot.include.collection.list", config)
        includeSchemaChanges = try config.bool("include.schema.changes", default: true)
        includeQuery = try config.bool("include.query", default: false)
        schemaHistory = try SchemaHistoryStorage(config)
        tombstonesOnDelete = try config.bool("tombstones.on.delete", default: true)
        skippedOperations = try Operation.skipped(config)
        eventProcessingFailureHandling = try EventProcessingFailureHandlingMode(config)
        maxBatchSize = try config.int("max.batch.size", default: 2048, range: 1...1_000_000)
        heartbeatIntervalMilliseconds = try config.int("heartbeat.interval.ms", default: 0, range: 0...86_400_000)
        heartbeatTopicsPrefix = config.string("heartbeat.topics.prefix") ?? Heartbeat.defaultTopicsPrefix
        heartbeatActionQuery = config.string("heartbeat.action.query")
        gtidSources = try NameFilter(include: "gtid.source.includes", exclude: "gtid.source.excludes", config)
        gtidSourceFiltersDML = try config.bool("gtid.source.filter.dml.events", default: true)
        extendedHeaders = try config.bool("extended.headers.enabled", default: true)
        provideTransactionMetadata = try config.bool("provide.transaction.metadata", default: false)
        transactionTopic = topicPrefix + "." + (config.string("topic.transaction") ?? "transaction")
        valueConverter = MySQLValueConverter(
            decimalMode: try config.enumeration("decimal.handling.mode", default: .precise),
            timePrecisionMode: try config.enumeration("time.precision.mode", default: .adaptiveTimeMicroseconds),
            bigIntUnsignedMode: try config.enumeration("bigint.unsigned.handling.mode", default: .long),
            binaryMode: try config.enumeration("binary.handling.mode", default: .bytes), binaryJSON: flavor == .mysql)
    }
}
