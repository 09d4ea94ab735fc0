/// A source connector's task: reads changes and hands them over as records (Kafka Connect's `SourceTask`).
///
/// A worker drives one task from one thread: `start`, then `poll` in a loop, `commit` whenever offsets were
/// stored, `stop` at the end. Implementations therefore need no locking of their own.
public protocol SourceTask: AnyObject {
    /// Connects and positions the task at `offset` (the last stored offset for its partition, if any).
    func start(storedOffset: OffsetMap?) throws
    /// The next records, or an empty array if none arrived within `timeoutMilliseconds`.
    func poll(timeoutMilliseconds: Int) throws -> [SourceRecord]
    /// Where the task's snapshot stands, for metrics: nil if it never ran one. Called on the task's thread between
    /// polls.
    func snapshotStatus() -> SnapshotStatus?
    /// Everything up to and including `offset` is acknowledged by Kafka and stored; the source may release it
    /// (Postgres confirms the LSN to its slot).
    func commit(offset: OffsetMap) throws
    /// Releases connections. Called once, also after a failure.
    func stop()
    /// The source partition whose offset `start` receives.
    var sourcePartition: OffsetMap { get }
    /// An offset to store without a record, once everything handed out before it is acknowledged (a snapshot
    /// of empty tables is complete all the same); nil if there is none. Asked after every `poll`.
    func takeOffsetWithoutRecord() -> OffsetMap?
}

extension SourceTask {
    public func takeOffsetWithoutRecord() -> OffsetMap? { nil }
    public func snapshotStatus() -> SnapshotStatus? { nil }
}

/// Creates source tasks from a connector configuration (Kafka Connect's `SourceConnector`).
public protocol SourceConnector: Sendable {
    /// Checks the configuration, throwing a `ConfigError` that names the offending key.
    func validate(_ config: Config) throws
    /// Connects to the database of a valid configuration and checks what the connector will need there, without
    /// changing anything.
    func checkEnvironment(_ config: Config) -> [EnvironmentCheck]
    /// The connector's documented settings; nil: none documented, its keys are not checked.
    var configDefinition: ConfigDefinition? { get }
    /// A task for the configuration. Tributary runs one task per source connector, as Debezium's
    /// Postgres and MySQL connectors do.
    func makeTask(_ config: Config) throws -> SourceTask
}

extension SourceConnector {
    public func checkEnvironment(_ config: Config) -> [EnvironmentCheck] { [] }
    public var configDefinition: ConfigDefinition? { nil }
}

/// A snapshot's progress, as Debezium's snapshot metrics report it: whether it runs, how many tables it reads, and
/// per table (those read and the one being read) the rows read and the catalog's estimate.
public struct SnapshotStatus: Sendable, Equatable {
    public struct Table: Sendable, Equatable {
        public var name: String
        public var rows: Int64
        /// -1 when the catalog gives no estimate.
        public var estimatedRows: Int64

        public init(name: String, rows: Int64, estimatedRows: Int64) {
            self.name = name
            self.rows = rows
            self.estimatedRows = estimatedRows
        }
    }

    public var running: Bool
    /// An incremental snapshot held back by `pause-snapshot`.
    public var paused: Bool
    public var totalTables: Int
    public var tables: [Table]

    public init(running: Bool, paused: Bool = false, totalTables: Int, tables: [Table]) {
        self.running = running
        self.paused = paused
        self.totalTables = totalTables
        self.tables = tables
    }
}
