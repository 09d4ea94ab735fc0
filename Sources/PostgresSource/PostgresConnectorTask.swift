import Converters
import DebeziumEvents
import Logging
import TributaryCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Streams row changes from a PostgreSQL logical replication slot (pgoutput) as Debezium change events.
///
/// Offsets hold Debezium's keys (`lsn`, `lsn_proc`, `lsn_commit`, `txId`, `ts_usec`). The slot is confirmed
/// only through `commit(offset:)`, i.e. once Kafka acknowledged everything before; after a restart the stream
/// resumes at the last fully delivered transaction and skips the changes of a partly delivered one that were
/// already delivered.
public final class PostgresConnectorTask: SourceTask {
    let config: PostgresConnectorConfig
    let logger: Logger
    var metadata: PostgresConnection?
    private var stream: PostgresConnection?
    /// Table schemas by relation id (nil: not captured).
    var tablesByID: [UInt32: PostgresTableSchema?] = [:]
    var progress = ReplicationProgressStateMachine(storedOffset: nil)
    /// The snapshot being read, if any; the stream starts once it is done.
    var snapshot: PostgresSnapshot?
    /// The schemas of the snapshot's tables, by the snapshot's table index.
    var snapshotSchemas: [PostgresTableSchema?] = []
    /// Where the snapshot's data stands in the WAL: the slot's consistent point (or its confirmed position).
    var snapshotPosition = LSN.zero
    /// An offset to store without a record (a snapshot that read no rows is complete all the same).
    var offsetWithoutRecord: OffsetMap?
    /// The current transaction's counts, from its first change on (transaction metadata).
    private var transactionCounts: TransactionCounts?
    /// The `transaction` block of the change being built.
    private var currentTransactionBlock: Struct?
    /// True while a blocking snapshot (asked for by a signal) holds the stream.
    var blockingSnapshot = false
    /// When the next heartbeat is due.
    private var nextHeartbeat = ContinuousClock.now
    /// Tables already warned about for having no key.
    private var keylessTablesWarned = Set<UInt32>()
    /// True once `START_REPLICATION` was sent.
    private var streaming = false
    /// Whether the stream was started with `binary` values.
    private var streamingBinary = false
    /// Slots whose stream met a table with a type binary mode cannot read: restarted in text mode, and kept in it
    /// for the life of the process.
    private static let textModeSlots = Locked<Set<String>>([])
    private var lastStatusSent = ContinuousClock.now
    private let statusInterval = Duration.seconds(10)
    private let source = PostgresSchemas.SourceFields()
    /// Where the Begin message of the transaction being read stands in the stream: its first change, or 0 when an
    /// Origin message follows it (the server then sends the Begin without a position). Debezium's BEGIN record
    /// names the transaction by it.
    private var beginLSN = LSN.zero
    /// The replication origin of the transaction being read (name, LSN at the origin), from its Origin message;
    /// cleared at the next Begin, as Debezium clears it.
    private var currentOrigin: (name: String, lsn: LSN)?
    /// The value schema of logical decoding message events (its content as `binary.handling.mode` says).
    private let messageValueSchema: Schema
    /// The signal tables (`schema.table`, lower case) whose inserted rows are signals.
    let signalTables: Set<String>
    /// The incremental snapshot (signalled through the signal table), and the table its chunk was read from.
    var incremental = IncrementalSnapshotStateMachine<TupleData>()
    var incrementalRead: IncrementalSnapshotRead?
    /// Large transactions streamed while in progress (protocol 2), kept until they commit.
    lazy var spill = StreamedTransactionSpill(
        directory: FileManager.default.temporaryDirectory.path + "/tributary-\(config.slotName)-\(getpid())")
    /// The transaction whose stream block is being read, if any.
    var streamBlockXid: UInt32?
    /// Where each streamed transaction's first block began (Debezium's BEGIN record names it).
    var streamBegins: [UInt32: LSN] = [:]
    /// The committed streamed transaction being handed out.
    var replay: StreamedTransactionReplay?

    public let sourcePartition: OffsetMap
    /// Debezium's context headers (a new run id per task instance) and key-change headers.
    let headers: ChangeEventHeaders

    public init(config: PostgresConnectorConfig, logger: Logger = Logger(label: "tributary.postgres")) {
        self.config = config
        self.logger = logger
        sourcePartition = ["server": .string(config.topicPrefix)]
        headers = ChangeEventHeaders(
            enabled: config.extendedHeaders, logicalName: config.topicPrefix, connectorName: "postgresql",
            runID: UUID().uuidString.lowercased())
        messageValueSchema = PostgresSchemas.messageValue(content: config.valueConverter.binary([]).schema)
        signalTables = Set(config.signalDataCollections.map { $0.lowercased() })
    }

    // MARK: Start

    public func start(storedOffset: OffsetMap?) throws {
        let meta = try PostgresConnection(config.connection, replication: false)
        metadata = meta
        let walLevel = try meta.query("SHOW wal_level", purpose: "read wal_level").first?.first ?? nil
        guard walLevel == "logical" else {
            throw PostgresError(
                "PostgreSQL at \(config.connection.address) has wal_level=\(walLevel ?? "?"); logical decoding needs wal_level = logical in postgresql.conf (then restart the server)"
            )
        }
        try checkReplicationAttribute(meta)
        try ensurePublication(meta)
        try checkSignalTables(meta)
        let repl = try PostgresConnection(config.connection, replication: true)
        stream = repl
        let created = try ensureSlot(meta, repl, exportSnapshot: config.snapshotMode.mayNeedSnapshot)

        if config.snapshotMode.wantsSnapshot(storedOffset: storedOffset, slotCreated: created != nil) {
            if try resumeSnapshot(meta, storedOffset: storedOffset, slotCreated: created != nil) { return }
            try startSnapshot(meta, created: created)
            return
        }
        progress = ReplicationProgressStateMachine(storedOffset: storedOffset)
        if storedOffset != nil {
            logger.info(
                "resuming from stored offset",
                metadata: [
                    "lsn_commit": "\(progress.startLSN)",
                    "lsn_proc": "\(progress.resumePosition.map { "\($0.lsn)" } ?? "-")",
                ])
        }
        if config.snapshotMode == .initialOnly {
            logger.info("snapshot.mode=initial_only: the snapshot is done; not streaming")
            return
        }
        do {
            incremental = try IncrementalSnapshotStateMachine(storedOffset: storedOffset)
        } catch {
            logger.warning(
                "the stored offset's incremental snapshot context is unreadable; that snapshot is not resumed",
                metadata: ["error": "\(error)"])
        }
        try startStreaming()
        if let current = incremental.current {
            logger.info(
                "resuming the incremental snapshot",
                metadata: [
                    "table": "\(current.id)",
                    "after_key": "\(incremental.context?.lastKey.map(Self.keyText) ?? "start")",
                ])
            try readIncrementalChunk()
        }
    }

    /// Sends `START_REPLICATION` from where the progress state machine says the stream resumes.
    func startStreaming() throws {
        guard let repl = stream else { throw PostgresError("task not started") }
        let startLSN = progress.startLSN
        let streamLarge = config.pgoutputStreaming && repl.serverVersion >= 140_000
        spill.removeAll()
        streamBlockXid = nil
        streamBegins.removeAll()
        replay = nil
        streamingBinary = try binaryValuesReadable(serverVersion: repl.serverVersion)
        let command =
            "START_REPLICATION SLOT \(repl.quoteIdentifier(config.slotName)) LOGICAL \(startLSN) "
            + "(\"proto_version\" '\(streamLarge ? 2 : 1)', \"publication_names\" \(repl.quoteLiteral(repl.quoteIdentifier(config.publicationName)))"
            + (streamLarge ? ", \"streaming\" 'on'" : "")
            + (streamingBinary ? ", \"binary\" 'true'" : "")
            // Logical decoding messages (pg_logical_emit_message), as Debezium asks for them from PostgreSQL 14 on.
            + (repl.serverVersion >= 140_000 ? ", \"messages\" 'true')" : ")")
        try repl.startReplication(command)
        streaming = true
        try sendStatus()
        logger.info(
            "streaming changes",
            metadata: [
                "server": "\(config.connection.address)", "slot": "\(config.slotName)",
                "publication": "\(config.publicationName)", "from": "\(startLSN)",
                "values": "\(streamingBinary ? "binary" : "text")",
            ])
    }

    /// Whether to ask pgoutput for binary values (`tributary.pgoutput.binary`): only from PostgreSQL 14 on, and
    /// only while every column of the publication's tables has a type `BinaryValueText` renders.
    private func binaryValuesReadable(serverVersion: Int) throws -> Bool {
        guard config.pgoutputBinary, let meta = metadata else { return false }
        guard serverVersion >= 140_000 else {
            logger.warning("tributary.pgoutput.binary needs PostgreSQL 14 or later: streaming in text mode")
            return false
        }
        if Self.textModeSlots.withLock({ $0.contains(config.slotName) }) { return false }
        let columns = try meta.query(
            """
            SELECT a.atttypid::text, n.nspname, c.relname, a.attname
            FROM pg_publication_tables p
            JOIN pg_namespace n ON n.nspname = p.schemaname
            JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE p.pubname = $1
            """, [config.publicationName], purpose: "read the column types of the publication's tables")
        let captured = columns.compactMap { row -> (oid: UInt32, column: String)? in
            guard let oid = row[0].flatMap({ UInt32($0) }), let schema = row[1], let table = row[2],
                config.tableFilter.includes(schema: schema, table: table)
            else { return nil }
            return (oid, "\(schema).\(table).\(row[3] ?? "")")
        }
        let types = try userTypes(captured.map(\.oid), meta: meta)
        for column in captured where !BinaryValueText.renders(PostgresType.resolve(column.oid, rows: types)) {
            logger.warning(
                "tributary.pgoutput.binary: a column's type has no binary reading here; streaming in text mode",
                metadata: ["column": "\(column.column)", "type_oid": "\(column.oid)"])
            return false
        }
        return true
    }

    /// A row with its binary values rendered as text. A value that cannot be rendered is not a stopped connector:
    /// the stream starts again in text mode, from where Kafka has everything.
    private func textValues(_ table: PostgresTableSchema, _ tuple: TupleData) throws -> TupleData {
        do {
            return try table.withTextValues(tuple)
        } catch {
            Self.textModeSlots.withLock { _ = $0.insert(config.slotName) }
            throw PostgresError("\(error); the stream starts again in text mode", retriable: true)
        }
    }

    /// Logical replication needs a role with the REPLICATION attribute (or a superuser): said before anything else
    /// fails for it.
    private func checkReplicationAttribute(_ meta: PostgresConnection) throws {
        let row = try meta.query(
            "SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user",
            purpose: "read the role's attributes"
        ).first
        guard row?.first == "f" else { return }
        let role = meta.quoteIdentifier(config.connection.user)
        throw PostgresError(
            """
            role \(role) of \(config.connection.address) lacks the REPLICATION attribute that logical replication \
            needs. Fix: ALTER ROLE \(role) REPLICATION (as a superuser)
            """)
    }

    private func ensurePublication(_ meta: PostgresConnection) throws {
        let exists = try meta.query(
            "SELECT 1 FROM pg_publication WHERE pubname = $1", [config.publicationName],
            purpose: "look up the publication")
        guard exists.isEmpty else { return }
        let name = meta.quoteIdentifier(config.publicationName)
        switch config.publicationAutocreateMode {
        case .disabled:
            throw PostgresError(
                "publication \"\(config.publicationName)\" does not exist in \(config.connection.address) and publication.autocreate.mode=disabled: create it (CREATE PUBLICATION \(name) FOR ALL TABLES) or change publication.autocreate.mode"
            )
        case .filtered:
            let rows = try meta.query(
                "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')",
                purpose: "list tables for the publication")
            let tables = rows.compactMap { r -> String? in
                guard let s = r[0], let t = r[1], config.tableFilter.includes(schema: s, table: t) else { return nil }
                return meta.quoteIdentifier(s) + "." + meta.quoteIdentifier(t)
            }
            guard !tables.isEmpty else {
                throw PostgresError(
                    "publication.autocreate.mode=filtered: no table of \(config.connection.address) matches table.include.list"
                )
            }
            try meta.query(
                "CREATE PUBLICATION \(name) FOR TABLE \(tables.joined(separator: ", "))",
                purpose: "create the publication",
                ifDenied: """
                    creating a publication needs CREATE on the database and ownership of its tables: \
                    GRANT CREATE ON DATABASE \(meta.quoteIdentifier(config.connection.database)) TO \
                    \(meta.quoteIdentifier(config.connection.user)) and make the role own the tables, or have a \
                    superuser create the publication (CREATE PUBLICATION \(name) FOR TABLE …) and set \
                    publication.autocreate.mode=disabled
                    """)
        case .allTables:
            try meta.query(
                "CREATE PUBLICATION \(name) FOR ALL TABLES",
                purpose:
                    "create the publication (needs superuser for FOR ALL TABLES, or use publication.autocreate.mode=filtered)"
            )
        }
        logger.info(
            "created publication",
            metadata: [
                "publication": "\(config.publicationName)", "mode": "\(config.publicationAutocreateMode.rawValue)",
            ])
    }

    /// The signal tables must exist and be published, or signals (and incremental snapshots, which wait for
    /// their watermarks) never arrive: a filtered publication gains them, otherwise the log says what to do.
    private func checkSignalTables(_ meta: PostgresConnection) throws {
        for table in config.signalDataCollections {
            let parts = table.split(separator: ".", maxSplits: 1).map(String.init)
            let quoted = meta.quoteQualifiedName(table)
            guard parts.count == 2,
                try !meta.query(
                    """
                    SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = $1 AND c.relname = $2
                    """, parts, purpose: "look up signal table \(table)"
                ).isEmpty
            else {
                logger.error(
                    """
                    signal.data.collection names a table that does not exist: no signals or incremental snapshots \
                    until it does. Fix: CREATE TABLE \(quoted) (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, \
                    data varchar(2048))
                    """, metadata: ["table": "\(table)"])
                continue
            }
            let published = try meta.query(
                "SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND schemaname = $2 AND tablename = $3",
                [config.publicationName] + parts, purpose: "check that the publication has \(table)")
            guard published.isEmpty else { continue }
            let publication = meta.quoteIdentifier(config.publicationName)
            if config.publicationAutocreateMode == .filtered {
                try meta.query(
                    "ALTER PUBLICATION \(publication) ADD TABLE \(quoted)", purpose: "add \(table) to the publication")
                logger.info("added the signal table to the publication", metadata: ["table": "\(table)"])
            } else {
                logger.error(
                    "the publication does not publish the signal table: no signals until it does. Fix: ALTER PUBLICATION \(publication) ADD TABLE \(quoted)",
                    metadata: ["table": "\(table)"])
            }
        }
    }

    /// Makes sure the slot exists. A slot created now returns its consistent point and, with `exportSnapshot`,
    /// the name of the snapshot it exported (valid until the next command on `repl`).
    private func ensureSlot(
        _ meta: PostgresConnection, _ repl: PostgresConnection, exportSnapshot: Bool
    ) throws -> (consistentPoint: LSN, snapshotName: String?)? {
        let rows = try meta.query(
            "SELECT plugin, active, active_pid FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database()",
            [config.slotName], purpose: "look up the replication slot")
        if let slot = rows.first {
            guard slot[0] == "pgoutput" else {
                throw PostgresError(
                    "replication slot \"\(config.slotName)\" uses plugin \(slot[0] ?? "?"), not pgoutput: drop it or choose another slot.name"
                )
            }
            if slot[1] == "t" {
                // Often the walsender of a connection that just broke, still exiting: retried.
                throw PostgresError(
                    "replication slot \"\(config.slotName)\" is active for process \(slot[2] ?? "?"): another connector uses it; stop it or choose another slot.name",
                    evenAtStart: true)
            }
            return nil
        }
        let created = try repl.query(
            "CREATE_REPLICATION_SLOT \(repl.quoteIdentifier(config.slotName)) LOGICAL pgoutput "
                + (exportSnapshot ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT"),
            purpose:
                "create replication slot \"\(config.slotName)\" (the user needs the REPLICATION attribute; max_replication_slots must leave room)"
        )
        guard let row = created.first, row.count >= 3, let point = row[1].flatMap(LSN.init) else {
            throw PostgresError("CREATE_REPLICATION_SLOT \"\(config.slotName)\" returned no consistent point")
        }
        logger.info(
            "created replication slot", metadata: ["slot": "\(config.slotName)", "consistent_point": "\(point)"])
        return (point, exportSnapshot ? row[2] : nil)
    }

    // MARK: Poll

    /// Reads until `maxBatchSize` records, until the stream has nothing more for now, or until the deadline,
    /// which is checked after every message: a long stretch of WAL without captured changes must not hold back
    /// stops, offset flushes and slot confirmation.
    public func poll(timeoutMilliseconds: Int) throws -> [SourceRecord] {
        if let snapshot { return try pollSnapshot(snapshot) }
        guard streaming else {
            // initial_only after its snapshot: nothing more to read.
            usleep(UInt32(min(timeoutMilliseconds, 1000)) * 1000)
            return []
        }
        guard let repl = stream else { throw PostgresError("task not started") }
        var records: [SourceRecord] = []
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(timeoutMilliseconds)
        while records.count < config.maxBatchSize {
            if replay != nil {
                // A committed large transaction is handed out before anything after it is read.
                try continueReplay(into: &records, until: deadline)
                if clock.now >= deadline || snapshot != nil { break }
                continue
            }
            switch try repl.readCopyData() {
            case .message(let pointer, let count):
                defer { repl.freeMessage(pointer) }
                let bytes = UnsafeRawBufferPointer(start: pointer, count: count)
                try handleCopyData(bytes, into: &records)
                // A blocking snapshot holds the stream until it is done.
                if clock.now >= deadline || snapshot != nil { break }
                continue
            case .wouldBlock:
                if records.isEmpty && clock.now < deadline {
                    repl.waitReadable(timeoutMilliseconds: max(1, Int((deadline - clock.now).wholeMilliseconds)))
                    continue
                }
            case .finished:
                throw PostgresError(
                    "PostgreSQL at \(config.connection.address) ended the replication stream", retriable: true)
            }
            break
        }
        if let target = progress.idle() { try sendStatus(confirming: target) }
        try sendStatusIfDue()
        try heartbeatIfDue(into: &records)
        return records
    }

    private func handleCopyData(_ bytes: UnsafeRawBufferPointer, into records: inout [SourceRecord]) throws {
        guard let kind = bytes.first else { return }
        switch kind {
        case UInt8(ascii: "w"):
            guard bytes.count >= 25 else { throw PostgresError("short XLogData message") }
            let dataStart = LSN(bytes.loadBigEndianUInt64(at: 1))
            progress.received(walEnd: LSN(bytes.loadBigEndianUInt64(at: 9)))
            if let xid = streamBlockXid, bytes.count > 25, bytes[25] != UInt8(ascii: "E") {
                // A change of a transaction in progress: kept until it commits.
                let payload = UnsafeRawBufferPointer(rebasing: bytes[25...])
                try spill.append(
                    lsn: dataStart, subxid: PgOutputDecoder.streamedXid(bytes[25...]) ?? xid, message: payload)
                return
            }
            let message: PgOutputMessage
            do {
                message = try PgOutputDecoder.decode(Array(bytes[25...]))
            } catch {
                throw PostgresError("cannot decode pgoutput message at \(dataStart): \(error)")
            }
            try handle(message, lsn: dataStart, into: &records)
        case UInt8(ascii: "k"):
            guard bytes.count >= 18 else { throw PostgresError("short keepalive message") }
            progress.keepalive(walEnd: LSN(bytes.loadBigEndianUInt64(at: 1)))
            if bytes[17] == 1 { try sendStatus() }
        default:
            logger.debug("ignoring replication message", metadata: ["type": "\(kind)"])
        }
    }

    private func handle(_ message: PgOutputMessage, lsn: LSN, into records: inout [SourceRecord]) throws {
        switch message {
        case .begin(_, let commitTime, let xid):
            transactionCounts = nil
            currentOrigin = nil
            beginLSN = lsn
            progress.begin(xid: xid, commitMicros: commitTime + PgOutputMessage.postgresEpochOffsetMicros)
        case .commit(_, _, let endLSN, _):
            endTransaction(at: lsn, into: &records)
            progress.commit(commitLSN: lsn, endLSN: endLSN)
        case .relation(let relation):
            let table = try buildTable(relation, replacing: tablesByID[relation.id] ?? nil)
            if streamingBinary, let table,
                let index = table.columnTypes.firstIndex(where: { !BinaryValueText.renders($0) })
            {
                // Its rows would come in binary that cannot be read: the stream starts again, in text mode, from
                // where Kafka has everything.
                Self.textModeSlots.withLock { _ = $0.insert(config.slotName) }
                throw PostgresError(
                    "\(table.qualifiedName).\(relation.columns[index].name) (type oid \(relation.columns[index].typeOID)) "
                        + "has no binary reading here: the stream starts again in text mode", retriable: true)
            }
            tablesByID[relation.id] = table
        case .insert(let id, let sent):
            guard let table = try tableFor(id) else { return }
            let new = try textValues(table, sent)
            // A signal acts before its own record; what it asks for (a chunk, a blocking snapshot) follows it.
            let followUp = isSignalTable(table) ? try signal(new, at: lsn, into: &records) : .none
            if !config.skippedOperations.contains(.create) {
                incrementalChanged(table, new)
                let after = try table.row(new)
                emit(lsn, change: table, into: &records) {
                    record(table, op: .create, before: nil, after: after.value, key: after.key, at: $0)
                }
            }
            switch followUp {
            case .none: break
            case .readChunk: try readIncrementalChunk()
            case .blockingSnapshot(let request): try startBlockingSnapshot(request, at: lsn)
            }
        case .update(let id, let sentOld, let oldIsKeyOnly, let sent):
            guard !config.skippedOperations.contains(.update), let table = try tableFor(id) else { return }
            let new = try textValues(table, sent)
            let old = try sentOld.map { try textValues(table, $0) }
            incrementalChanged(table, new)
            incrementalChanged(table, old)
            let after = try table.row(new, unchangedFrom: oldIsKeyOnly ? nil : old)
            let before = try old.map { try table.row($0) }
            let newKey = after.key
            if let before, let oldKey = before.key, let newKey, oldKey.values != newKey.values {
                // A key change: Debezium emits a delete of the old key, its tombstone, then a create.
                // The delete and its tombstone name the new key in a header, the create the old key.
                let toNew = headers.keyChange(ChangeEventHeaders.newKey, key: SimpleHeaderFormat.bytes(.struct(newKey)))
                let fromOld = headers.keyChange(
                    ChangeEventHeaders.oldKey, key: SimpleHeaderFormat.bytes(.struct(oldKey)))
                emit(lsn, change: table, into: &records) {
                    record(
                        table, op: .delete, before: before.value, after: nil, key: oldKey, from: .stream($0),
                        headers: toNew)
                }
                if config.tombstonesOnDelete {
                    emit(lsn, part: 1, into: &records) { tombstone(table, key: oldKey, at: $0, headers: toNew) }
                }
                emit(lsn, part: 2, change: table, into: &records) {
                    record(
                        table, op: .create, before: nil, after: after.value, key: newKey, from: .stream($0),
                        headers: fromOld)
                }
            } else {
                emit(lsn, change: table, into: &records) {
                    record(
                        table, op: .update, before: oldIsKeyOnly ? nil : before?.value, after: after.value, key: newKey,
                        at: $0)
                }
            }
        case .delete(let id, let sentOld, _):
            guard let table = try tableFor(id) else { return }
            let old = try textValues(table, sentOld)
            // A close watermark (insert_delete) acts before its own record; the next chunk is read after it.
            let readChunk = isSignalTable(table) ? try watermarkDeleted(old, at: lsn, into: &records) : false
            if !config.skippedOperations.contains(.delete) {
                incrementalChanged(table, old)
                let before = try table.row(old)
                let key = before.key
                emit(lsn, change: table, into: &records) {
                    record(table, op: .delete, before: before.value, after: nil, key: key, at: $0)
                }
                if config.tombstonesOnDelete, let key {
                    emit(lsn, part: 1, into: &records) { tombstone(table, key: key, at: $0) }
                }
            }
            if readChunk { try readIncrementalChunk() }
        case .truncate(let relationIDs, _):
            // One event per captured table, as Debezium emits them: no key, no row images. The tables of one
            // TRUNCATE share its LSN; their place in the message tells their records apart.
            // Rows of a window read before a truncate must not come back after it, skipped or not.
            for id in relationIDs {
                if let table = try tableFor(id) { incremental.truncated(collection: table.qualifiedName) }
            }
            guard !config.skippedOperations.contains(.truncate) else { return }
            for (part, id) in relationIDs.enumerated() {
                guard let table = try tableFor(id) else { continue }
                emit(lsn, part: part, change: table, into: &records) {
                    record(table, op: .truncate, before: nil, after: nil, key: nil, at: $0)
                }
            }
        case .message(_, let messageLSN, let prefix, let content):
            if prefix == Self.watermarkPrefix {
                if try watermark(content, at: messageLSN, into: &records) { try readIncrementalChunk() }
                return
            }
            guard config.messagePrefixes.includes(prefix) else { return }
            // A transactional message arrives inside its transaction (between Begin and Commit), any other outside
            // every transaction: where it arrives says which it is.
            if progress.currentXid != nil {
                emit(messageLSN, collection: Self.messageCollection, into: &records) {
                    messageRecord(prefix: prefix, content: content, lsn: messageLSN, at: $0, standalone: false)
                }
            } else if progress.standalone(at: messageLSN) {
                // Outside any transaction: a record of its own, whose offset says it is done once in Kafka.
                records.append(
                    messageRecord(
                        prefix: prefix, content: content, lsn: messageLSN,
                        at: RecordPosition(lsn: messageLSN, part: 0), standalone: true))
            }
        case .origin(let originLSN, let name):
            // The transaction was replicated from elsewhere (a replication origin): its events name where from.
            currentOrigin = (name, originLSN)
        case .type:
            break
        case .streamStart(let xid, let first):
            try spill.startBlock(xid: xid, first: first)
            streamBlockXid = xid
            if first { streamBegins[xid] = lsn }
        case .streamStop:
            spill.endBlock()
            streamBlockXid = nil
        case .streamAbort(let xid, let subxid):
            spill.abort(xid: xid, subxid: subxid)
            if xid == subxid { streamBegins[xid] = nil }
        case .streamCommit(let xid, let commitLSN, let endLSN, let commitTime):
            try handle(
                .begin(finalLSN: commitLSN, commitTime: commitTime, xid: xid), lsn: streamBegins[xid] ?? commitLSN,
                into: &records)
            streamBegins[xid] = nil
            replay = StreamedTransactionReplay(
                reader: try spill.reader(xid: xid),
                commit: .commit(
                    flags: 0, commitLSN: commitLSN, endLSN: endLSN, commitTime: commitTime), commitPosition: lsn)
        }
    }

    /// Hands out the next changes of the committed streamed transaction, as if they had come now (its Relation
    /// messages describe tables for this transaction only: the tables are as before once it is done). Stops at a
    /// full batch or at `deadline`, checked after every change, as the stream's reading does.
    private func continueReplay(into records: inout [SourceRecord], until deadline: ContinuousClock.Instant) throws {
        guard var current = replay else { return }
        defer { replay = current.finished ? nil : current }
        // (A blocking snapshot asked for by one of its changes holds the rest, as it holds the stream.)
        while records.count < config.maxBatchSize && ContinuousClock.now < deadline && snapshot == nil {
            guard let record = try current.reader.next() else {
                current.finished = true
                for (id, saved) in current.savedTables {
                    // (`updateValue`: an entry of nil, a table not captured, stays an entry.)
                    if let saved {
                        tablesByID.updateValue(saved, forKey: id)
                    } else {
                        tablesByID.removeValue(forKey: id)
                    }
                }
                try handle(current.commit, lsn: current.commitPosition, into: &records)
                return
            }
            let message: PgOutputMessage
            do {
                message = try PgOutputDecoder.decode(record.message, inStream: true)
            } catch {
                throw PostgresError("cannot decode streamed pgoutput message at \(record.lsn): \(error)")
            }
            if case .relation(let relation) = message, current.savedTables.index(forKey: relation.id) == nil {
                current.savedTables.updateValue(tablesByID[relation.id], forKey: relation.id)
            }
            try handle(message, lsn: record.lsn, into: &records)
        }
    }

    /// Makes and hands out the record at (`lsn`, `part`), unless it was delivered before a restart: skipped
    /// records are not even built.
    /// `change`: the record is a change of that table, which transaction metadata counts (the transaction's
    /// BEGIN record goes out before its first change, at part -1 of that change's LSN, so that a resume skips
    /// or repeats it exactly as the change).
    private func emit(
        _ lsn: LSN, part: Int = 0, change table: PostgresTableSchema? = nil, into records: inout [SourceRecord],
        _ make: (RecordPosition) -> SourceRecord
    ) {
        emit(lsn, part: part, collection: table?.qualifiedName, into: &records, make)
    }

    /// `collection`: the data collection the record counts for in transaction metadata (nil: none, as for
    /// tombstones).
    func emit(
        _ lsn: LSN, part: Int = 0, collection: String?, into records: inout [SourceRecord],
        _ make: (RecordPosition) -> SourceRecord
    ) {
        let position = RecordPosition(lsn: lsn, part: part)
        currentTransactionBlock = nil
        if let collection, config.provideTransactionMetadata, let xid = progress.currentXid {
            beginTransactionIfNeeded(at: lsn, into: &records)
            let order = transactionCounts!.count(collection)
            currentTransactionBlock = TransactionMetadata.block(
                id: "\(xid):\(lsn.value)", totalOrder: order.total, collectionOrder: order.inCollection)
        }
        if progress.emit(position) { records.append(make(position)) }
    }

    /// With transaction metadata, the transaction's BEGIN record, before the first of its records that counts
    /// (at the LSN of that record, before everything else there, so that a resume skips or repeats it exactly as
    /// that record).
    func beginTransactionIfNeeded(at lsn: LSN, into records: inout [SourceRecord]) {
        guard config.provideTransactionMetadata, transactionCounts == nil, let xid = progress.currentXid else { return }
        transactionCounts = TransactionCounts()
        let begin = RecordPosition(lsn: lsn, part: RecordPosition.beginPart)
        guard progress.emit(begin) else { return }
        records.append(
            TransactionMetadata.begin(
                topic: config.transactionTopic, id: "\(xid):\(beginLSN.value)",
                commitMillis: progress.currentCommitMicros / 1000, partition: sourcePartition,
                offset: offset(at: begin), nowMillis: Self.epochMicros() / 1000))
    }

    /// The transaction's END record (with its counts) at the Commit message's LSN, if it had changes.
    private func endTransaction(at lsn: LSN, into records: inout [SourceRecord]) {
        defer { transactionCounts = nil }
        guard let counts = transactionCounts, let xid = progress.currentXid else { return }
        let position = RecordPosition(lsn: lsn, part: 0)
        guard progress.emit(position) else { return }
        records.append(
            TransactionMetadata.end(
                topic: config.transactionTopic, id: "\(xid):\(lsn.value)", counts: counts,
                commitMillis: progress.currentCommitMicros / 1000, partition: sourcePartition,
                offset: offset(at: position), nowMillis: Self.epochMicros() / 1000))
    }

    private func tableFor(_ id: UInt32) throws -> PostgresTableSchema? {
        guard let entry = tablesByID[id] else {
            throw PostgresError("change for relation \(id) arrived before its description")
        }
        return entry
    }

    /// The `pg_type` rows of the types among `oids` that are not built in, and of the types they build on (domain
    /// bases, array elements).
    private func userTypes(
        _ oids: [UInt32], meta: PostgresConnection
    ) throws -> [UInt32: PostgresType.CatalogRow] {
        var rows: [UInt32: PostgresType.CatalogRow] = [:]
        for _ in 0..<16 {
            let missing = PostgresType.missing(oids, rows: rows)
            if missing.isEmpty { break }
            let list = "{" + missing.map(String.init).joined(separator: ",") + "}"
            let found = try meta.query(PostgresType.catalogQuery, [list], purpose: "read column types")
                .compactMap(PostgresType.catalogRow)
            if found.isEmpty { break }
            for row in found { rows[row.oid] = row }
        }
        return rows
    }

    /// The schema for a Relation message. PostgreSQL repeats these after any cache invalidation, not only after
    /// DDL: when neither the relation nor the catalog facts changed, the current schema is kept, so that
    /// schemas (and their cached JSON) are not rebuilt and do not pile up.
    /// `fromSnapshot`: the relation was read from the catalog for a snapshot (as Debezium reads it through the
    /// driver's metadata).
    func buildTable(
        _ relation: Relation, replacing current: PostgresTableSchema?, fromSnapshot: Bool = false
    ) throws -> PostgresTableSchema? {
        guard config.tableFilter.includes(schema: relation.namespace, table: relation.name) else { return nil }
        guard let meta = metadata else { return nil }
        let columnRows = try meta.query(
            """
            SELECT a.attname, a.attnotnull, pg_get_expr(d.adbin, d.adrelid), format_type(a.atttypid, a.atttypmod),
              upper(t.typname)
            FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            LEFT JOIN pg_type t ON t.oid = a.atttypid
            WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
            """, [String(relation.id)], purpose: "read the columns of \(relation.namespace).\(relation.name)")
        let types = try userTypes(relation.columns.map(\.typeOID), meta: meta)
        var catalog: [String: CatalogColumn] = [:]
        for r in columnRows {
            guard let name = r[0] else { continue }
            let oid = relation.columns.first { $0.name == name }?.typeOID ?? 0
            catalog[name] = CatalogColumn(
                name: name, notNull: r[1] == "t", defaultExpression: r[2], typeName: r[3] ?? "",
                type: PostgresType.resolve(oid, rows: types), sourceTypeName: r[4] ?? "")
        }
        let keyRows = try meta.query(
            """
            SELECT a.attname FROM pg_index i
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = $1::oid AND i.indisprimary ORDER BY k.ord
            """, [String(relation.id)], purpose: "read the primary key of \(relation.namespace).\(relation.name)")
        let primaryKey = keyRows.compactMap { $0[0] }
        if let current, current.relation == relation, current.catalog == catalog, current.primaryKey == primaryKey,
            current.fromSnapshot == fromSnapshot
        {
            return current
        }
        let table = PostgresTableSchema(
            relation: relation, catalog: catalog, primaryKey: primaryKey, topicPrefix: config.topicPrefix,
            converter: config.valueConverter,
            selection: config.columnSelection, fromSnapshot: fromSnapshot
        ) { column, typeName in
            logger.warning(
                """
                column type has no Connect form (as in Debezium); column left out of events. \
                include.unknown.datatypes=true emits its text as bytes
                """,
                metadata: [
                    "table": "\(relation.namespace).\(relation.name)", "column": "\(column)", "type": "\(typeName)",
                ])
        } onLostValue: { [logger] column, reason in
            logger.warning(
                "value has no form in this handling mode and is emitted as Debezium emits it (said once per column)",
                metadata: [
                    "table": "\(relation.namespace).\(relation.name)", "column": "\(column)", "reason": "\(reason)",
                ])
        }
        logger.info(
            "captured table",
            metadata: [
                "table": "\(relation.namespace).\(relation.name)", "topic": "\(table.topic)",
                "columns": "\(table.columns.count)",
            ])
        if table.keySchema == nil && keylessTablesWarned.insert(relation.id).inserted {
            logger.warning(
                "table has no primary key (nor replica identity index): its events have a null key, as Debezium's do, so Kafka cannot keep one key's changes together or compact them",
                metadata: ["table": "\(relation.namespace).\(relation.name)"])
        }
        return table
    }

    // MARK: Records

    /// Debezium's offset keys, plus `lsn_part` for the second and third records one change produces.
    private func offset(at position: RecordPosition) -> OffsetMap {
        var offset: OffsetMap = [
            "lsn": .int(Int64(position.lsn.value)), "lsn_proc": .int(Int64(position.lsn.value)),
            "lsn_commit": progress.lastCommitEnd.map { .int(Int64($0.value)) } ?? .null,
            "txId": progress.currentXid.map { .int(Int64($0)) } ?? .null, "ts_usec": .int(progress.currentCommitMicros),
        ]
        if position.part != 0 { offset["lsn_part"] = .int(Int64(position.part)) }
        incremental.addOffsetEntries(to: &offset)
        return offset
    }

    /// Where a record comes from: the stream (its position), the snapshot (its marker, and whether it is the
    /// snapshot's last record), or an incremental snapshot's window (emitted at a position in the stream).
    enum Origin {
        case stream(RecordPosition)
        case snapshot(SnapshotMarker, isLast: Bool, resume: SnapshotResumePoint? = nil)
        case incremental(RecordPosition)

        var isStream: Bool { if case .stream = self { true } else { false } }
    }

    func record(
        _ table: PostgresTableSchema, op: Operation, before: Struct?, after: Struct?, key: Struct?,
        at position: RecordPosition
    ) -> SourceRecord {
        record(table, op: op, before: before, after: after, key: key, from: .stream(position))
    }

    /// `headers`: nil for the context headers alone (none for snapshot rows: Debezium's snapshot path adds none).
    func record(
        _ table: PostgresTableSchema, op: Operation, before: Struct?, after: Struct?, key: Struct?, from origin: Origin,
        headers recordHeaders: [Header]? = nil
    ) -> SourceRecord {
        let nowMicros = Self.epochMicros()
        let lsn: LSN
        let offset: OffsetMap
        let info: (commitMicros: Int64, txId: Int64?, marker: SnapshotMarker)
        switch origin {
        case .stream(let position):
            lsn = position.lsn
            offset = self.offset(at: position)
            info = (progress.currentCommitMicros, progress.currentXid.map { Int64($0) }, .false)
        case .snapshot(let marker, let isLast, let resume):
            lsn = snapshotPosition
            if blockingSnapshot {
                // Where the stream stands (the signal): a restart streams on from there, as Debezium's does.
                offset = positionOffset()
                info = (snapshot?.startedMicros ?? nowMicros, progress.currentXid.map { Int64($0) }, marker)
            } else {
                offset = snapshotOffset(isLast: isLast, resume: resume)
                info = (snapshot?.startedMicros ?? nowMicros, snapshot?.transactionID, marker)
            }
        case .incremental(let position):
            // Debezium's incremental reads: read now, outside any transaction, at no LSN of their own (the
            // sequence names where the stream stands).
            lsn = position.lsn
            offset = self.offset(at: position)
            info = (nowMicros, nil, .incremental)
        }
        var isIncremental: Bool { if case .incremental = origin { true } else { false } }
        let block = sourceBlock(
            schema: table.relation.namespace, table: table.relation.name, txId: info.txId, lsn: lsn,
            lsnInBlock: !isIncremental, commitMicros: info.commitMicros, marker: info.marker,
            withOrigin: origin.isStream)
        let envelope = ChangeEvent.envelope(
            schema: table.envelopeSchema, op: op, before: before, after: after, source: block,
            transaction: origin.isStream ? currentTransactionBlock : nil, nowMicros: nowMicros)
        return ChangeEvent.record(
            partition: sourcePartition, offset: offset, topic: table.topic, keySchema: table.keySchema,
            key: key, envelope: envelope, nowMicros: nowMicros,
            headers: recordHeaders ?? (origin.isStream ? headers.context : []))
    }

    /// The `source` block of a record at `lsn`: Debezium's common fields (with `sequence`, the last commit and
    /// this LSN), PostgreSQL's (`lsn` unless `lsnInBlock` is false), and (`withOrigin`) the replication origin of
    /// the transaction being read.
    private func sourceBlock(
        schema: String, table: String, txId: Int64?, lsn: LSN, lsnInBlock: Bool = true, commitMicros: Int64,
        marker: SnapshotMarker, withOrigin: Bool
    ) -> Struct {
        let sequence = "[" + (progress.lastCommitLSN.map { "\"\($0.value)\"" } ?? "null") + ",\"\(lsn.value)\"]"
        var block = SourceBlock(
            source.layout,
            CommonSourceInfo(
                version: TributaryVersion.string, connector: "postgresql", serverName: config.topicPrefix,
                commitMicros: commitMicros, snapshot: marker, database: config.connection.database,
                sequence: sequence))
        block[position: source.schema] = .string(schema)
        block[position: source.table] = .string(table)
        block[position: source.txId] = txId.map { .int64($0) } ?? .null
        if lsnInBlock { block[position: source.lsn] = .int64(Int64(lsn.value)) }
        if withOrigin, let currentOrigin {
            block[position: source.origin] = .string(currentOrigin.name)
            block[position: source.originLSN] = .int64(Int64(currentOrigin.lsn.value))
        }
        return block.value
    }

    /// The data collection logical decoding messages count for in transaction metadata (Debezium's
    /// `LogicalDecodingMessageId`).
    static let messageCollection = "LOGICAL_DECODING_MESSAGE"

    /// A logical decoding message event (`op: "m"`) on `<topic.prefix>.message`, as Debezium's
    /// `LogicalDecodingMessageMonitor` writes it: empty source schema and table, no headers. A transactional
    /// message carries its transaction's id (and block); a standalone one neither, and its source time is that of
    /// the last commit read.
    private func messageRecord(
        prefix: String, content: [UInt8], lsn: LSN, at position: RecordPosition, standalone: Bool
    ) -> SourceRecord {
        let nowMicros = Self.epochMicros()
        let block = sourceBlock(
            schema: "", table: "", txId: standalone ? nil : progress.currentXid.map { Int64($0) }, lsn: lsn,
            commitMicros: progress.currentCommitMicros == 0 ? nowMicros : progress.currentCommitMicros, marker: .false,
            withOrigin: true)
        let valueSchema = messageValueSchema
        let message = Struct(
            schema: valueSchema.fields[4].schema,
            values: [.string(prefix), config.valueConverter.binary(content).value])
        let value = Struct(
            schema: valueSchema,
            values: [
                .string("m"), .int64(nowMicros / 1000), .struct(block),
                (standalone ? nil : currentTransactionBlock).map { .struct($0) } ?? .null, .struct(message),
            ])
        var offset = offset(at: position)
        if standalone { offset["messageType"] = .string(ReplicationProgressStateMachine.standaloneMessageType) }
        return SourceRecord(
            sourcePartition: sourcePartition, sourceOffset: offset, topic: config.topicPrefix + ".message",
            keySchema: PostgresSchemas.messageKey,
            key: .struct(Struct(schema: PostgresSchemas.messageKey, values: [.string(prefix)])),
            valueSchema: valueSchema, value: .struct(value), timestamp: nowMicros / 1000)
    }

    private func tombstone(
        _ table: PostgresTableSchema, key: Struct, at position: RecordPosition, headers recordHeaders: [Header]? = nil
    ) -> SourceRecord {
        ChangeEvent.tombstone(
            partition: sourcePartition, offset: offset(at: position), topic: table.topic, keySchema: table.keySchema!,
            key: key, headers: recordHeaders ?? headers.context)
    }

    // MARK: Heartbeats

    /// Every `heartbeat.interval.ms`, between transactions: runs `heartbeat.action.query`, then adds a heartbeat
    /// record whose offset says where the stream stands (`positionOffset`).
    private func heartbeatIfDue(into records: inout [SourceRecord]) throws {
        guard config.heartbeatIntervalMilliseconds > 0, progress.currentXid == nil else { return }
        let now = ContinuousClock.now
        guard now >= nextHeartbeat else { return }
        nextHeartbeat = now + .milliseconds(config.heartbeatIntervalMilliseconds)
        if let query = config.heartbeatActionQuery, let meta = metadata {
            try meta.query(query, purpose: "run heartbeat.action.query")
        }
        records.append(
            Heartbeat.record(
                topicsPrefix: config.heartbeatTopicsPrefix, serverName: config.topicPrefix, partition: sourcePartition,
                offset: positionOffset(), nowMillis: Self.epochMicros() / 1000))
    }

    /// An offset for where the stream stands, without a record of its own: that of the newest record handed out
    /// (so that acknowledging it acknowledges that record too), with the end of the last transaction read.
    func positionOffset() -> OffsetMap {
        var offset: OffsetMap = [
            "lsn_commit": progress.lastCommitEnd.map { .int(Int64($0.value)) } ?? .int(Int64(progress.startLSN.value)),
            "ts_usec": .int(progress.currentCommitMicros),
        ]
        if let last = progress.lastEmitted {
            offset["txId"] = .int(Int64(last.xid))
            offset["lsn"] = .int(Int64(last.position.lsn.value))
            offset["lsn_proc"] = .int(Int64(last.position.lsn.value))
            if last.position.part != 0 { offset["lsn_part"] = .int(Int64(last.position.part)) }
        }
        incremental.addOffsetEntries(to: &offset)
        return offset
    }

    // MARK: Commit

    public func takeOffsetWithoutRecord() -> OffsetMap? {
        defer { offsetWithoutRecord = nil }
        return offsetWithoutRecord
    }

    public func commit(offset: OffsetMap) throws {
        // Until the snapshot's last record is in Kafka the slot must not follow the stream: a crash before then
        // repeats the snapshot, and the stream must still hold what changed since it began.
        if offset[PostgresSnapshotOffset.lastRecord] == .bool(true) { progress.holdsIdleConfirmation = false }
        if let target = progress.acknowledged(offset) { try sendStatus(confirming: target) }
    }

    /// The position the slot is confirmed up to.
    public var confirmedPosition: LSN { progress.confirmedLSN }

    func sendStatusIfDue() throws {
        if ContinuousClock.now - lastStatusSent >= statusInterval { try sendStatus() }
    }

    private func sendStatus(confirming target: LSN) throws {
        logger.trace("confirming", metadata: ["lsn": "\(target)"])
        try sendStatus()
    }

    /// Standby status update: received up to the newest WAL position seen, flushed (safe to discard) up to the
    /// confirmed position.
    private func sendStatus() throws {
        // Before START_REPLICATION (during a snapshot) there is no stream to report to: the confirmed position
        // is kept, and reported once streaming starts.
        guard streaming, let repl = stream else { return }
        let confirmed = progress.confirmedLSN
        var message: [UInt8] = [UInt8(ascii: "r")]
        let now = Self.epochMicros() - PgOutputMessage.postgresEpochOffsetMicros
        for v in [
            max(progress.lastReceivedLSN, confirmed).value, confirmed.value, confirmed.value, UInt64(bitPattern: now),
        ] {
            withUnsafeBytes(of: v.bigEndian) { message.append(contentsOf: $0) }
        }
        message.append(0)
        try repl.sendCopyData(message)
        lastStatusSent = .now
    }

    /// Now, in microseconds since the Unix epoch.
    static func epochMicros() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }

    public func stop() {
        replay = nil
        spill.removeAll()
        snapshot?.close()
        snapshot = nil
        try? sendStatus()
        stream?.close()
        metadata?.close()
        stream = nil
        metadata = nil
    }
}

/// A committed streamed transaction being handed out: its kept changes, then its commit.
struct StreamedTransactionReplay {
    let reader: StreamedTransactionSpill.Reader
    let commit: PgOutputMessage
    /// Where the Stream Commit message lies in the stream.
    let commitPosition: LSN
    /// The table entries its Relation messages replaced (nil: there was none), restored once it is done.
    var savedTables: [UInt32: PostgresTableSchema??] = [:]
    var finished = false
}

extension UnsafeRawBufferPointer {
    func loadBigEndianUInt64(at offset: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(self[offset + i]) }
        return v
    }
}
