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
    var stream: PostgresConnection?
    /// Table schemas by relation id (nil: not captured).
    var tablesByID: [UInt32: PostgresTableSchema?] = [:]
    var progress = ReplicationProgressStateMachine(storedOffset: nil)
    /// The snapshot being read, if any; the stream starts once it is done.
    var snapshot: PostgresSnapshot?
    /// The last snapshot's status once it ended (for metrics).
    var endedSnapshotStatus: SnapshotStatus?
    /// The schemas of the snapshot's tables, by the snapshot's table index.
    var snapshotSchemas: [PostgresTableSchema?] = []
    /// Where the snapshot's data stands in the WAL: the slot's consistent point (or its confirmed position).
    var snapshotPosition = LSN.zero
    /// An offset to store without a record (a snapshot that read no rows is complete all the same).
    var offsetWithoutRecord: OffsetMap?
    /// The current transaction's counts, from its first change on (transaction metadata).
    private var transactionCounts: TransactionCounts?
    /// The `transaction` block of the change being built.
    var currentTransactionBlock: Struct?
    /// The source block of the snapshot rows read last.
    var snapshotBlocks = LastBuilt<SnapshotBlockKey, Struct>()
    /// The offset of the snapshot rows read last (those of one heap page share it).
    var snapshotOffsets = LastBuilt<SnapshotOffsetKey, OffsetMap>()
    /// True while a blocking snapshot (asked for by a signal) holds the stream.
    var blockingSnapshot = false
    /// When the next heartbeat is due.
    var nextHeartbeat = ContinuousClock.now
    /// Tables already warned about for having no key.
    private var keylessTablesWarned = Set<UInt32>()
    /// True once `START_REPLICATION` was sent.
    var streaming = false
    /// Whether the stream was started with `binary` values.
    var streamingBinary = false
    /// Slots whose stream met a table with a type binary mode cannot read: restarted in text mode, and kept in it
    /// for the life of the process.
    static let textModeSlots = Locked<Set<String>>([])
    private var lastStatusSent = ContinuousClock.now
    private let statusInterval = Duration.seconds(10)
    let source = PostgresSchemas.SourceFields()
    /// Where the Begin message of the transaction being read stands in the stream: its first change, or 0 when an
    /// Origin message follows it (the server then sends the Begin without a position). Debezium's BEGIN record
    /// names the transaction by it.
    private var beginLSN = LSN.zero
    /// The replication origin of the transaction being read (name, LSN at the origin), from its Origin message;
    /// cleared at the next Begin, as Debezium clears it.
    var currentOrigin: (name: String, lsn: LSN)?
    /// The value schema of logical decoding message events (its content as `binary.handling.mode` says).
    let messageValueSchema: Schema
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

    /// A row with its binary values rendered as text. A value that cannot be rendered is not a stopped connector:
    /// the stream turns to text mode.
    private func textValues(_ table: PostgresTableSchema, _ tuple: TupleData) throws -> TupleData {
        do {
            return try table.withTextValues(tuple)
        } catch {
            throw turnToTextMode("\(error)")
        }
    }

    /// Keeps this slot in text mode for the life of the process, and the retriable error that restarts the stream
    /// in it, from where Kafka has everything.
    private func turnToTextMode(_ reason: String) -> PostgresError {
        Self.textModeSlots.withLock { _ = $0.insert(config.slotName) }
        return PostgresError("\(reason): the stream starts again in text mode", retriable: true)
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

    /// Applies one message; a row change that cannot become an event stops the task or is skipped, as
    /// `event.processing.failure.handling.mode` says (records it appended before failing are taken back).
    private func handle(_ message: PgOutputMessage, lsn: LSN, into records: inout [SourceRecord]) throws {
        switch message {
        case .insert, .update, .delete:
            let count = records.count
            do {
                try apply(message, lsn: lsn, into: &records)
            } catch {
                try config.eventProcessingFailureHandling.handle(error, at: "LSN \(lsn)", logger: logger)
                records.removeSubrange(count...)
            }
        default:
            try apply(message, lsn: lsn, into: &records)
        }
    }

    private func apply(_ message: PgOutputMessage, lsn: LSN, into records: inout [SourceRecord]) throws {
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
                // Its rows would come in binary that cannot be read.
                throw turnToTextMode(
                    "\(table.qualifiedName).\(relation.columns[index].name) (type oid \(relation.columns[index].typeOID)) "
                        + "has no binary reading here")
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
                offset: offset(at: begin), nowMillis: WallClock.epochMicros() / 1000))
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
                offset: offset(at: position), nowMillis: WallClock.epochMicros() / 1000))
    }

    private func tableFor(_ id: UInt32) throws -> PostgresTableSchema? {
        guard let entry = tablesByID[id] else {
            throw PostgresError("change for relation \(id) arrived before its description")
        }
        return entry
    }

    /// The `pg_type` rows of the types among `oids` that are not built in, and of the types they build on (domain
    /// bases, array elements).
    func userTypes(
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
            schemaNames: config.schemaNameAdjustment, fieldNames: config.fieldNameAdjustment,
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

    func sendStatus(confirming target: LSN) throws {
        logger.trace("confirming", metadata: ["lsn": "\(target)"])
        try sendStatus()
    }

    /// Standby status update: received up to the newest WAL position seen, flushed (safe to discard) up to the
    /// confirmed position.
    func sendStatus() throws {
        // Before START_REPLICATION (during a snapshot) there is no stream to report to: the confirmed position
        // is kept, and reported once streaming starts.
        guard streaming, let repl = stream else { return }
        let confirmed = progress.confirmedLSN
        var message: [UInt8] = [UInt8(ascii: "r")]
        let now = WallClock.epochMicros() - PgOutputMessage.postgresEpochOffsetMicros
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

    public func snapshotStatus() -> SnapshotStatus? {
        snapshot?.status(running: true) ?? incremental.status ?? endedSnapshotStatus
    }

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

extension UnsafeRawBufferPointer {
    func loadBigEndianUInt64(at offset: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(self[offset + i]) }
        return v
    }
}
