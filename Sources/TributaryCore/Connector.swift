/// A source connector's task: reads changes and hands them over as records (Kafka Connect's `SourceTask`).
///
/// A worker drives one task from one thread: `start`, then `poll` in a loop, `commit` whenever offsets were
/// stored, `stop` at the end. Implementations therefore need no locking of their own.
public protocol SourceTask: AnyObject {
    /// Connects and positions the task at `offset` (the last stored offset for its partition, if any).
    func start(storedOffset: OffsetMap?) throws
    /// The next records, or an empty array if none arrived within `timeoutMilliseconds`.
    func poll(timeoutMilliseconds: Int) throws -> [SourceRecord]
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
}

/// Creates source tasks from a connector configuration (Kafka Connect's `SourceConnector`).
public protocol SourceConnector: Sendable {
    /// Checks the configuration, throwing a `ConfigError` that names the offending key.
    func validate(_ config: Config) throws
    /// A task for the configuration. Tributary runs one task per source connector, as Debezium's
    /// Postgres and MySQL connectors do.
    func makeTask(_ config: Config) throws -> SourceTask
}
