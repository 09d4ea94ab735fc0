import BinlogProtocol
import DebeziumEvents
import Logging
import MySQLDDL
import TributaryCore

#if canImport(Glibc)
import Glibc
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Captures row changes of MySQL or MariaDB from the binlog as Debezium change events, after an optional
/// snapshot of the tables.
///
/// Table schemas come from DDL: a schema snapshot (`SHOW CREATE TABLE`) when the connector first starts, then
/// every DDL statement of the binlog, kept in the schema history so that a restart rebuilds the schemas as they
/// were at the stored offset. Offsets follow Debezium's (`file`, `pos`, `gtids`, `event`, `row`): a restart in
/// the middle of a transaction goes back to its first event and skips the rows already delivered.
public final class MySQLConnectorTask: SourceTask {
    let config: MySQLConnectorConfig
    let logger: Logger
    public let sourcePartition: OffsetMap
    let source: MySQLSchemas.SourceFields
    let headers: ChangeEventHeaders
    let schemaChange: MySQLSchemaChange
    let history: MySQLSchemaHistory
    var catalog = MySQLSchemaCatalog()
    /// Schemas of the tables changes were seen for, by `database.table`; nil for tables not captured.
    var tableSchemas: [String: MySQLTableSchema?] = [:]
    var binlog: BinlogConnection?
    var decoder = BinlogDecoder()
    /// The snapshot being read, if any; the stream starts (or, after a blocking snapshot, goes on) once it is
    /// done.
    var snapshot: MySQLSnapshot?
    /// The source block of the snapshot rows read last.
    var snapshotBlocks = LastBuilt<SnapshotBlockKey, Struct>()
    /// The last snapshot's status once it ended (for metrics).
    var endedSnapshotStatus: SnapshotStatus?
    /// While a blocking snapshot holds the stream: the offset of its records, where the stream goes on after it.
    var blockingOffset: OffsetMap?
    /// A blocking snapshot a signal asked for, started once the signal's rows event is out.
    var blockingRequest: Signal.ExecuteSnapshot?
    /// An offset to store without a record: after transactions with nothing captured, and snapshots of empty
    /// tables.
    var offsetWithoutRecord: OffsetMap?
    /// Nothing left to read (`initial_only` after its snapshot).
    var finished = false
    /// Records to hand out before anything else (a schema snapshot's schema change events).
    var pending: [SourceRecord] = []

    // Stream state.
    /// The binlog file being read.
    var file = ""
    /// Where the stream resumes, and the state it resumes with.
    var committed: MySQLOffset
    /// The transaction being read: where it began, its GTID, its rows events so far.
    var transaction: TransactionState?
    /// Rows events and rows of the first transaction to skip after a restart (delivered before it).
    var skip: (events: Int, rows: Int)?
    /// The GTIDs of the transactions done, in the server's notation (only one of the two is used).
    var gtidState = MariaDBGTIDState()
    var mysqlGTIDs = MySQLGTIDSet()
    /// The statement of the rows events that follow (ANNOTATE_ROWS / ROWS_QUERY), for `include.query`.
    var rowsQuery: String?
    var nextHeartbeat = ContinuousClock.now
    /// The signal tables (`database.table`, lower case) whose rows are signals.
    let signalTables: Set<String>
    /// The incremental snapshot (signalled through the signal table), and the table its chunk was read from.
    var incremental = IncrementalSnapshotStateMachine<MySQLTableSchema.Row>()
    var incrementalRead: MySQLIncrementalRead?
    /// The connection of the incremental snapshot's reads and watermarks and of `heartbeat.action.query`, opened when
    /// first needed.
    var queries: MySQLConnection?
    private var tablesWarned = Set<String>()

    struct TransactionState {
        var begin: BinlogPosition
        var gtid: BinlogEvent.MariaDBGTID?
        var gtidText: String?
        var rowsEvents = 0
        var thread: UInt32?
        /// Whether its GTID's source is left out by `gtid.source.includes`/`excludes`: its row changes are not
        /// emitted (signal rows are still acted on, so that watermarks written here always arrive).
        var sourceExcluded = false
        /// The transaction's events so far, once its BEGIN record went out (`provide.transaction.metadata`).
        var counts: TransactionCounts?

        /// Debezium's transaction id: the GTID, or where the transaction began.
        var id: String { gtidText ?? "file=\(begin.file),pos=\(begin.position)" }
    }

    public init(config: MySQLConnectorConfig, logger: Logger = Logger(label: "tributary.mysql")) throws {
        self.config = config
        self.logger = logger
        sourcePartition = ["server": .string(config.topicPrefix)]
        source = MySQLSchemas.SourceFields(config.flavor)
        headers = ChangeEventHeaders(
            enabled: config.extendedHeaders, logicalName: config.topicPrefix, connectorName: config.flavor.rawValue,
            runID: UUID().uuidString.lowercased())
        let store: SchemaHistoryStore =
            switch config.schemaHistory {
            case .file(let path): FileSchemaHistoryStore(path: path)
            case .kafka(let settings):
                KafkaSchemaHistoryStore(settings, clientID: config.name + "-schemahistory", logger: logger)
            }
        history = MySQLSchemaHistory(store: store, server: config.topicPrefix)
        schemaChange = MySQLSchemaChange(flavor: config.flavor, source: source.layout)
        committed = MySQLOffset(position: BinlogPosition(file: "", position: 4))
        signalTables = Set(config.signals.dataCollections.map { $0.lowercased() })
    }

    // MARK: Start

    public func start(storedOffset: OffsetMap?) throws {
        let stored = storedOffset.flatMap(MySQLOffset.init)
        try history.recover()
        let connection = try MySQLConnection(config.connection)
        defer { connection.close() }
        try checkBinlogSettings(connection)
        try checkSignalTables(connection)
        catalog.serverCharset =
            try connection.query("SELECT @@character_set_server").first?.first??.lowercased()
            ?? "utf8mb4"
        var mode = config.snapshotMode
        // Stored offsets of a finished snapshot resume, in every mode but `always`.
        if let stored, !stored.snapshotInProgress, mode != .always {
            if try !binlogHolds(stored, connection) {
                let what =
                    stored.gtidPosition(config.flavor) != nil
                    ? "transactions after the stored GTID position \(stored.gtids ?? "")"
                    : "the binlog file \(stored.position.file) that the stored offsets resume from"
                guard mode == .whenNeeded else {
                    throw MySQLError(
                        "\(what) are no longer on \(config.connection.address) (purged): the changes since are lost "
                            + "to the connector; set snapshot.mode=when_needed to take a new snapshot")
                }
                logger.warning(
                    "the binlog of the stored offsets was purged: taking a new snapshot",
                    metadata: ["file": "\(stored.position.file)", "gtids": "\(stored.gtids ?? "")"])
                mode = .always
            } else if mode == .initialOnly {
                logger.info("the snapshot of initial_only is complete: nothing more to read")
                finished = true
                return
            } else {
                if mode == .recovery || mode == .schemaOnlyRecovery {
                    try recordSchemas(
                        connection, at: stored.position, gtids: stored.gtids, events: .none)
                }
                incremental = IncrementalSnapshotStateMachine(storedOffset: storedOffset, logger: logger)
                try startStreaming(from: stored)
                if let current = incremental.current {
                    logger.info(
                        "resuming the incremental snapshot",
                        metadata: [
                            "table": "\(current.id)",
                            "after_key": "\(incremental.context?.lastKey.map { $0.map { $0 ?? "null" } } ?? [])",
                        ])
                    try readIncrementalChunk(after: [])
                }
                return
            }
        }
        if let stored, stored.snapshotInProgress, mode == .initial || mode == .whenNeeded,
            try resumeSnapshot(stored, connection)
        {
            return
        }
        switch mode {
        case .noData, .schemaOnly, .never:
            let position = try currentPosition(connection)
            try recordSchemas(
                connection, at: position.position, gtids: position.gtids, events: .stream)
            try startStreaming(from: position)
        case .recovery, .schemaOnlyRecovery:
            throw ConfigError.other(
                key: "snapshot.mode", message: "\(mode.rawValue) needs stored offsets to recover the history for")
        case .initial, .initialOnly, .always, .whenNeeded:
            try beginSnapshot()
        }
    }

    /// Row-based binlogs with full row images are what change events are built from; other settings would give
    /// events without their rows, so they are refused with the setting to change.
    private func checkBinlogSettings(_ connection: MySQLConnection) throws {
        guard let unmet = try connection.binlogRequirements().first(where: { !$0.met }) else { return }
        throw MySQLError(
            "\(config.connection.address) has \(unmet.setting)=\(unmet.found): change events need \(unmet.need); "
                + unmet.fix)
    }

    /// The end of the binlog now, with the GTID state that goes with it.
    func currentPosition(_ connection: MySQLConnection) throws -> MySQLOffset {
        guard let row = try connection.query("SHOW MASTER STATUS").first, row.count >= 2, let file = row[0],
            let pos = row[1].flatMap({ UInt64($0) })
        else { throw MySQLError("\(config.connection.address) reports no binlog position (SHOW MASTER STATUS)") }
        let position = BinlogPosition(file: file, position: pos)
        switch config.flavor {
        case .mariadb: return MySQLOffset(position: position, gtids: try mariaDBGTIDs(at: position, connection))
        case .mysql:
            // Executed_Gtid_Set, in Debezium's form (MySQL breaks its lines after the commas).
            let executed = row.count >= 5 ? row[4].flatMap(MySQLGTIDSet.init) : nil
            return MySQLOffset(position: position, gtids: executed.flatMap { $0.isEmpty ? nil : $0.description })
        }
    }

    /// MariaDB's GTID state at a binlog position (`BINLOG_GTID_POS`): exact for that position, where
    /// `@@gtid_binlog_pos` read beside it could already count a later transaction. Nil when it has none.
    func mariaDBGTIDs(at position: BinlogPosition, _ connection: MySQLConnection) throws -> String? {
        let gtids =
            try connection.query(
                "SELECT BINLOG_GTID_POS('\(Self.escape(position.file))', \(position.position))"
            ).first?.first ?? nil
        return gtids.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The signal tables must exist, or signals (and incremental snapshots, which wait for their watermarks)
    /// would never arrive: said in the log.
    private func checkSignalTables(_ connection: MySQLConnection) throws {
        for table in config.signals.dataCollections {
            let parts = table.split(separator: ".", maxSplits: 1).map(String.init)
            let exists = try parts.count == 2 && estimatedRows(database: parts[0], table: parts[1], connection) != nil
            if !exists {
                logger.error(
                    "signal.data.collection names a table that does not exist: no signals or incremental snapshots",
                    metadata: ["table": "\(table)", "expected": "database.table"])
            }
        }
    }

    /// The server's estimate of a table's rows (`information_schema.tables.table_rows`; -1 when it has none), or
    /// nil when there is no such table.
    func estimatedRows(database: String, table: String, _ connection: MySQLConnection) throws -> Int64? {
        let rows = try connection.query(
            "SELECT table_rows FROM information_schema.tables WHERE table_schema = '\(Self.escape(database))' "
                + "AND table_name = '\(Self.escape(table))'")
        guard let row = rows.first else { return nil }
        return row.first.flatMap { $0 }.flatMap { Int64($0) } ?? -1
    }

    /// Whether the binlog still holds everything after `offset`. By GTIDs when the offset resumes by them: on
    /// MariaDB the server's first binlog file lists in its GTID_LIST event what was purged before it, MySQL says it
    /// in `@@gtid_purged`. By file otherwise.
    func binlogHolds(_ offset: MySQLOffset, _ connection: MySQLConnection) throws -> Bool {
        let files = try connection.query("SHOW BINARY LOGS").compactMap { $0.first ?? nil }
        switch offset.gtidPosition(config.flavor) {
        case nil:
            return files.contains(offset.position.file)
        case .mariadb(let stored):
            guard let first = files.first else { return false }
            let events = try connection.query("SHOW BINLOG EVENTS IN '\(Self.escape(first))' LIMIT 5")
            guard let list = events.first(where: { $0.count > 5 && $0[2] == "Gtid_list" })?[5] else { return false }
            let purged = MariaDBGTIDState(list.filter { $0 != "[" && $0 != "]" }) ?? MariaDBGTIDState()
            return stored.covers(purged)
        case .mysql(let stored):
            let text = try connection.query("SELECT @@GLOBAL.gtid_purged").first?.first ?? nil
            guard let purged = MySQLGTIDSet(text ?? "") else {
                throw MySQLError(
                    "\(config.connection.address) reports a gtid_purged that is not a GTID set: \(text ?? "")")
            }
            return stored.isSuperset(of: purged)
        }
    }

    /// Reads the schemas of every table of the databases the filters capture (`SHOW CREATE TABLE`), records them
    /// in the history at `position` (a new generation of it), and makes them the catalog.
    ///
    /// `events` says whether schema change events go out for them, and with which offset: one that makes a
    /// restart take the snapshot again (`.snapshot`, data follows), or the stream's start (`.stream`).
    func recordSchemas(
        _ connection: MySQLConnection, at position: BinlogPosition, gtids: String?, events: SchemaSnapshotEvents
    ) throws {
        // The first entry marks the schema snapshot: a history of no tables is still a history, and what came
        // before no longer counts.
        var entries: [MySQLSchemaHistory.Entry] = [.snapshotStart(at: position, gtids: gtids)]
        var fresh = MySQLSchemaCatalog(serverCharset: catalog.serverCharset)
        let databases = try connection.query(
            "SELECT schema_name, default_character_set_name FROM information_schema.schemata ORDER BY schema_name")
        for row in databases {
            guard let database = row[0], let charset = row[1] else { continue }
            guard !["mysql", "sys", "performance_schema", "information_schema"].contains(database.lowercased())
            else { continue }
            let tables = try connection.query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = '\(Self.escape(database))' "
                    + "AND table_type = 'BASE TABLE' ORDER BY table_name"
            ).compactMap { $0.first ?? nil }
            guard tables.contains(where: { config.tableFilter.includes(schema: database, table: $0) }) else { continue }
            let create = "CREATE DATABASE \(MySQLConnection.quote(database)) CHARACTER SET \(charset)"
            entries.append(.init(position: position, snapshot: true, database: database, ddl: create, gtids: gtids))
            let databaseChanges = try fresh.apply(try DDLParser.parse(create), database: database)
            if events != .none {
                pending +=
                    schemaChangeRecord(
                        ddl: create, database: database, changes: databaseChanges, marker: .true, position: position,
                        header: nil, offset: schemaSnapshotOffset(position, gtids, events)
                    ).map { [$0] } ?? []
            }
            for table in tables {
                let quoted = MySQLConnection.quote(database) + "." + MySQLConnection.quote(table)
                guard let ddl = try connection.query("SHOW CREATE TABLE \(quoted)").first?.last ?? nil else { continue }
                do {
                    let changes = try fresh.apply(try DDLParser.parse(ddl), database: database)
                    if events != .none {
                        pending +=
                            schemaChangeRecord(
                                ddl: ddl, database: database, changes: changes, marker: .true, position: position,
                                header: nil, offset: schemaSnapshotOffset(position, gtids, events)
                            ).map { [$0] } ?? []
                    }
                } catch {
                    guard config.tableFilter.includes(schema: database, table: table) else {
                        logger.warning(
                            "cannot read the schema of a table that is not captured",
                            metadata: ["table": "\(database).\(table)", "error": "\(error)"])
                        continue
                    }
                    throw MySQLError("cannot read the schema of \(database).\(table): \(error)\n\(ddl)")
                }
                entries.append(.init(position: position, snapshot: true, database: database, ddl: ddl, gtids: gtids))
            }
        }
        try history.append(entries)
        catalog = fresh
        tableSchemas = [:]
        logger.info(
            "recorded the schemas of the captured databases",
            metadata: ["tables": "\(fresh.tables.count)", "position": "\(position)", "history": "\(history.store)"])
    }

    /// Whether a schema snapshot emits schema change events, and where a restart after them goes.
    enum SchemaSnapshotEvents {
        case none
        /// Rows follow: a restart before they are all in Kafka takes the snapshot again.
        case snapshot
        /// The stream follows from the snapshot's position.
        case stream
    }

    private func schemaSnapshotOffset(
        _ position: BinlogPosition, _ gtids: String?, _ events: SchemaSnapshotEvents
    ) -> OffsetMap {
        var offset = MySQLOffset(position: position, gtids: gtids)
        offset.snapshotInProgress = events == .snapshot
        return offset.map
    }

    /// Rebuilds the schemas the history holds for `offset` and starts the binlog there.
    func startStreaming(from offset: MySQLOffset) throws {
        try rebuildSchemas(at: offset)
        try openBinlog(at: offset)
    }

    /// The schemas the history holds for `offset`: those the rows streamed from there are read with.
    func rebuildSchemas(at offset: MySQLOffset) throws {
        guard !history.isEmpty else {
            throw MySQLError(
                "the schema history in \(history.store) is empty or missing, so the schemas at the stored offsets are "
                    + "unknown: set snapshot.mode=recovery once to rebuild it from the current schemas")
        }
        var rebuilt = MySQLSchemaCatalog(serverCharset: catalog.serverCharset)
        for entry in history.entries(before: offset.position, gtids: offset.gtidPosition(config.flavor)) {
            _ = try rebuilt.apply(try DDLParser.parse(entry.ddl), database: entry.database)
        }
        catalog = rebuilt
        tableSchemas = [:]
    }

    /// Starts the binlog at `offset`, with the stream's state from there.
    func openBinlog(at offset: MySQLOffset) throws {
        committed = offset
        let byGTID = offset.gtidPosition(config.flavor)
        switch byGTID {
        case .mariadb(let state)?: gtidState = state
        case .mysql(let set)?: mysqlGTIDs = set
        case nil: break
        }
        skip = offset.eventsToSkip > 0 || offset.rowsToSkip > 0 ? (offset.eventsToSkip, offset.rowsToSkip) : nil
        file = offset.position.file
        var settings = BinlogConnection.Settings(
            host: config.connection.host, port: config.connection.port, user: config.connection.user,
            password: config.connection.password, serverID: config.serverID)
        // Heartbeats when idle bound how long a poll blocks.
        settings.heartbeatSeconds = 0.5
        // Offsets with GTIDs resume by them, as Debezium's connectors do: they hold on another server of the
        // replication topology, after a fail-over. The file and position say where on this one.
        let start: BinlogConnection.Start =
            switch byGTID {
            case .mariadb(let state)?: .mariaDBGTID(state.text)
            case .mysql(let set)?: .mysqlGTID(set)
            case nil: .file(offset.position.file, position: offset.position.position)
            }
        let connection = try BinlogConnection(settings, from: start)
        decoder = BinlogDecoder(checksumsBeforeFormat: connection.checksums)
        binlog = connection
        logger.info(
            "streaming the binlog",
            metadata: [
                "position": "\(offset.position)", "gtids": "\(offset.gtids ?? "")",
                "by": "\(byGTID == nil ? "position" : "gtid")",
                "skip_events": "\(offset.eventsToSkip)", "skip_rows": "\(offset.rowsToSkip)",
            ])
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            if c == "'" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    // MARK: Poll

    public func poll(timeoutMilliseconds: Int) throws -> [SourceRecord] {
        if !pending.isEmpty {
            defer { pending = [] }
            return pending
        }
        if snapshot != nil { return try pollSnapshot() }
        guard !finished else {
            usleep(UInt32(min(timeoutMilliseconds, 1000)) * 1000)
            return []
        }
        guard binlog != nil else { throw MySQLError("task not started") }
        var records: [SourceRecord] = []
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(timeoutMilliseconds)
        while records.count < config.maxBatchSize {
            guard let connection = binlog else { break }
            // Events in hand go out as soon as the server has nothing more right now.
            if !records.isEmpty && !connection.readable(timeoutMilliseconds: 0) { break }
            guard let bytes = try connection.next() else {
                throw MySQLError("\(config.connection.address) ended the binlog stream", retriable: true)
            }
            try handle(bytes, into: &records)
            // A blocking snapshot holds the stream until it is done.
            if clock.now >= deadline || snapshot != nil { break }
        }
        try heartbeatIfDue(into: &records)
        return records
    }

    public func commit(offset: OffsetMap) throws {}

    public func takeOffsetWithoutRecord() -> OffsetMap? {
        defer { offsetWithoutRecord = nil }
        return offsetWithoutRecord
    }

    public func snapshotStatus() -> SnapshotStatus? {
        snapshot?.status(running: true) ?? incremental.status ?? endedSnapshotStatus
    }

    public func stop() {
        snapshot?.close()
        snapshot = nil
        binlog?.close()
        binlog = nil
        queries?.close()
        queries = nil
    }

    /// Warns once per table that a column was left out.
    func warnSkippedColumn(_ table: String, _ column: String, _ typeName: String) {
        guard tablesWarned.insert(table + "." + column).inserted else { return }
        logger.warning(
            "a column's type has no mapping: it is left out of the events",
            metadata: ["table": "\(table)", "column": "\(column)", "type": "\(typeName)"])
    }

    /// The schema of a captured table (built once per table version); nil for tables not captured.
    func tableSchema(database: String, table: String) throws -> MySQLTableSchema? {
        let key = database + "." + table
        if let known = tableSchemas[key] { return known }
        guard config.tableFilter.includes(schema: database, table: table) else {
            tableSchemas[key] = .some(nil)
            return nil
        }
        guard let definition = catalog.table(database: database, name: table) else {
            throw MySQLError(
                "changes of \(key) arrived, but the schema history holds no schema for it: the history does not "
                    + "match the binlog (set snapshot.mode=recovery to rebuild it)")
        }
        let schema = try MySQLTableSchema(
            table: definition, topicPrefix: config.topicPrefix, converter: config.valueConverter,
            source: source.layout, columnFilter: config.columnFilter, keyColumns: config.keyColumns,
            mappers: config.mappers, schemaNames: config.schemaNameAdjustment, fieldNames: config.fieldNameAdjustment
        ) { column, typeName in warnSkippedColumn(key, column, typeName) }
        tableSchemas[key] = schema
        return schema
    }
}
