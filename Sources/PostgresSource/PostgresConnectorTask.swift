#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import TributaryCore

/// Streams row changes from a PostgreSQL logical replication slot (pgoutput) as Debezium change events.
///
/// Offsets hold Debezium's keys (`lsn`, `lsn_proc`, `lsn_commit`, `txId`, `ts_usec`). The slot is confirmed
/// only through `commit(offset:)`, i.e. once Kafka acknowledged everything before; after a restart the stream
/// resumes at the last fully delivered transaction and skips the changes of a partly delivered one that were
/// already delivered.
public final class PostgresConnectorTask: SourceTask {
    private let config: PostgresConnectorConfig
    private let logger: Logger
    private var metadata: PostgresConnection?
    private var stream: PostgresConnection?
    private var tables: [UInt32: PostgresTableSchema?] = [:]

    // Position in the stream.
    private var currentXid: UInt32?
    private var currentCommitTime: Int64 = 0
    /// LSN of the last commit message read (Debezium's `sequence` names it).
    private var lastCommitLSN: LSN?
    /// End of the last transaction read: streaming may resume there once its changes are in Kafka.
    private var lastCommitEnd: LSN?
    private var lastReceivedLSN = LSN.zero
    /// Records already delivered before a restart: skip those of transaction `xid` up to `position`.
    private var resumeSkip: (xid: UInt32, position: RecordPosition)?
    private var lastRecordInTransaction: RecordPosition?

    // Confirmation.
    private var confirmedLSN = LSN.zero
    /// Transactions whose commit was read and that the slot is not confirmed past, oldest first: their last
    /// record (nil if they produced none) and where the slot may move once they are in Kafka.
    private var completed: [(xid: UInt32, lastRecord: RecordPosition?, endLSN: LSN)] = []
    /// The newest record handed out, and the newest one Kafka acknowledged.
    private var lastEmitted: (xid: UInt32, position: RecordPosition)?
    private var lastCommitted: (xid: UInt32, position: RecordPosition)?
    private var everythingDelivered: Bool {
        lastEmitted?.xid == lastCommitted?.xid && lastEmitted?.position == lastCommitted?.position
    }
    private var lastStatusSent = ContinuousClock.now
    private let statusInterval = Duration.seconds(10)

    public let sourcePartition: OffsetMap

    public init(config: PostgresConnectorConfig, logger: Logger = Logger(label: "tributary.postgres")) {
        self.config = config
        self.logger = logger
        sourcePartition = ["server": .string(config.topicPrefix)]
    }

    // MARK: Start

    public func start(storedOffset: OffsetMap?) throws {
        let meta = try PostgresConnection(config.connection, replication: false)
        metadata = meta
        let walLevel = try meta.query("SHOW wal_level", purpose: "read wal_level").first?.first ?? nil
        guard walLevel == "logical" else {
            throw PostgresError("PostgreSQL at \(config.connection.address) has wal_level=\(walLevel ?? "?"); logical decoding needs wal_level = logical in postgresql.conf (then restart the server)")
        }
        try ensurePublication(meta)
        let repl = try PostgresConnection(config.connection, replication: true)
        stream = repl
        try ensureSlot(meta, repl)

        var startLSN = LSN.zero
        if let offset = storedOffset {
            if let commit = offset["lsn_commit"]?.int64 {
                startLSN = LSN(UInt64(commit))
                lastCommitLSN = startLSN
                lastCommitEnd = startLSN
            }
            if let xid = offset["txId"]?.int64, let position = RecordPosition(offset) {
                resumeSkip = (UInt32(truncatingIfNeeded: xid), position)
            }
            logger.info("resuming from stored offset", metadata: ["lsn_commit": "\(startLSN)", "lsn_proc": "\(resumeSkip.map { "\($0.position.lsn)" } ?? "-")"])
        }
        confirmedLSN = startLSN
        let command = "START_REPLICATION SLOT \(repl.quoteIdentifier(config.slotName)) LOGICAL \(startLSN) "
            + "(\"proto_version\" '1', \"publication_names\" \(repl.quoteLiteral(repl.quoteIdentifier(config.publicationName))))"
        try repl.startReplication(command)
        logger.info("streaming changes", metadata: [
            "server": "\(config.connection.address)", "slot": "\(config.slotName)", "publication": "\(config.publicationName)",
            "from": "\(startLSN)",
        ])
    }

    private func ensurePublication(_ meta: PostgresConnection) throws {
        let exists = try meta.query("SELECT 1 FROM pg_publication WHERE pubname = $1", [config.publicationName], purpose: "look up the publication")
        guard exists.isEmpty else { return }
        let name = meta.quoteIdentifier(config.publicationName)
        switch config.publicationAutocreateMode {
        case "disabled":
            throw PostgresError("publication \"\(config.publicationName)\" does not exist in \(config.connection.address) and publication.autocreate.mode=disabled: create it (CREATE PUBLICATION \(name) FOR ALL TABLES) or change publication.autocreate.mode")
        case "filtered":
            let rows = try meta.query(
                "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')",
                purpose: "list tables for the publication")
            let tables = rows.compactMap { r -> String? in
                guard let s = r[0], let t = r[1], config.tableFilter.includes(schema: s, table: t) else { return nil }
                return meta.quoteIdentifier(s) + "." + meta.quoteIdentifier(t)
            }
            guard !tables.isEmpty else {
                throw PostgresError("publication.autocreate.mode=filtered: no table of \(config.connection.address) matches table.include.list")
            }
            try meta.query("CREATE PUBLICATION \(name) FOR TABLE \(tables.joined(separator: ", "))", purpose: "create the publication")
        default:
            try meta.query("CREATE PUBLICATION \(name) FOR ALL TABLES", purpose: "create the publication (needs superuser for FOR ALL TABLES, or use publication.autocreate.mode=filtered)")
        }
        logger.info("created publication", metadata: ["publication": "\(config.publicationName)", "mode": "\(config.publicationAutocreateMode)"])
    }

    private func ensureSlot(_ meta: PostgresConnection, _ repl: PostgresConnection) throws {
        let rows = try meta.query(
            "SELECT plugin, active, active_pid FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database()",
            [config.slotName], purpose: "look up the replication slot")
        if let slot = rows.first {
            guard slot[0] == "pgoutput" else {
                throw PostgresError("replication slot \"\(config.slotName)\" uses plugin \(slot[0] ?? "?"), not pgoutput: drop it or choose another slot.name")
            }
            if slot[1] == "t" {
                // Often the walsender of a connection that just broke, still exiting: retried.
                throw PostgresError(
                    "replication slot \"\(config.slotName)\" is active for process \(slot[2] ?? "?"): another connector uses it; stop it or choose another slot.name",
                    evenAtStart: true)
            }
            return
        }
        try repl.query("CREATE_REPLICATION_SLOT \(repl.quoteIdentifier(config.slotName)) LOGICAL pgoutput NOEXPORT_SNAPSHOT",
                       purpose: "create replication slot \"\(config.slotName)\" (the user needs the REPLICATION attribute; max_replication_slots must leave room)")
        logger.info("created replication slot", metadata: ["slot": "\(config.slotName)"])
    }

    // MARK: Poll

    public func poll(timeoutMilliseconds: Int) throws -> [SourceRecord] {
        guard let repl = stream else { throw PostgresError("task not started") }
        var records: [SourceRecord] = []
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(timeoutMilliseconds)
        while records.count < config.maxBatchSize {
            switch try repl.readCopyData() {
            case .message(let pointer, let count):
                defer { repl.freeMessage(pointer) }
                let bytes = UnsafeRawBufferPointer(start: pointer, count: count)
                try handleCopyData(bytes, into: &records)
            case .wouldBlock:
                if !records.isEmpty || clock.now >= deadline {
                    try confirmIfIdle()
                    try sendStatusIfDue()
                    return records
                }
                let remaining = deadline - clock.now
                repl.waitReadable(timeoutMilliseconds: max(1, Int(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000)))
            case .finished:
                throw PostgresError("PostgreSQL at \(config.connection.address) ended the replication stream", retriable: true)
            }
        }
        try sendStatusIfDue()
        return records
    }

    private func handleCopyData(_ bytes: UnsafeRawBufferPointer, into records: inout [SourceRecord]) throws {
        guard let kind = bytes.first else { return }
        switch kind {
        case UInt8(ascii: "w"):
            guard bytes.count >= 25 else { throw PostgresError("short XLogData message") }
            let dataStart = LSN(bytes.loadBigEndianUInt64(at: 1))
            let walEnd = LSN(bytes.loadBigEndianUInt64(at: 9))
            lastReceivedLSN = max(lastReceivedLSN, walEnd)
            let message: PgOutputMessage
            do {
                message = try PgOutputDecoder.decode(Array(bytes[25...]))
            } catch {
                throw PostgresError("cannot decode pgoutput message at \(dataStart): \(error)")
            }
            try handle(message, lsn: dataStart, into: &records)
        case UInt8(ascii: "k"):
            guard bytes.count >= 18 else { throw PostgresError("short keepalive message") }
            lastReceivedLSN = max(lastReceivedLSN, LSN(bytes.loadBigEndianUInt64(at: 1)))
            if bytes[17] == 1 { try sendStatus() }
        default:
            logger.debug("ignoring replication message", metadata: ["type": "\(kind)"])
        }
    }

    private func handle(_ message: PgOutputMessage, lsn: LSN, into records: inout [SourceRecord]) throws {
        switch message {
        case .begin(_, let commitTime, let xid):
            currentXid = xid
            currentCommitTime = commitTime + PgOutputMessage.postgresEpochOffsetMicros
            lastRecordInTransaction = nil
        case .commit(_, _, let endLSN, _):
            if let xid = currentXid {
                completed.append((xid, lastRecordInTransaction, endLSN))
                if resumeSkip?.xid == xid { resumeSkip = nil }
            }
            // Debezium's `sequence` names the previous commit by the LSN its message carried (the end LSN).
            lastCommitLSN = lsn
            lastCommitEnd = endLSN
            currentXid = nil
        case .relation(let relation):
            tables[relation.id] = try buildTable(relation, replacing: tables[relation.id] ?? nil)
        case .insert(let id, let new):
            guard !config.skippedOperations.contains("c"), let table = try tableFor(id) else { return }
            let after = try table.row(new)
            emit(lsn, into: &records) { record(table, op: "c", before: nil, after: after, key: table.key(of: after), at: $0) }
        case .update(let id, let old, let oldIsKeyOnly, let new):
            guard !config.skippedOperations.contains("u"), let table = try tableFor(id) else { return }
            let after = try table.row(new)
            let before = try old.map { try table.row($0) }
            let newKey = table.key(of: after)
            if let before, let oldKey = table.key(of: before), let newKey, oldKey.values != newKey.values {
                // A key change: Debezium emits a delete of the old key, its tombstone, then a create.
                emit(lsn, into: &records) { record(table, op: "d", before: before, after: nil, key: oldKey, at: $0) }
                if config.tombstonesOnDelete { emit(lsn, part: 1, into: &records) { tombstone(table, key: oldKey, at: $0) } }
                emit(lsn, part: 2, into: &records) { record(table, op: "c", before: nil, after: after, key: newKey, at: $0) }
            } else {
                emit(lsn, into: &records) { record(table, op: "u", before: oldIsKeyOnly ? nil : before, after: after, key: newKey, at: $0) }
            }
        case .delete(let id, let old, _):
            guard !config.skippedOperations.contains("d"), let table = try tableFor(id) else { return }
            let before = try table.row(old)
            let key = table.key(of: before)
            emit(lsn, into: &records) { record(table, op: "d", before: before, after: nil, key: key, at: $0) }
            if config.tombstonesOnDelete, let key { emit(lsn, part: 1, into: &records) { tombstone(table, key: key, at: $0) } }
        case .truncate, .origin, .type, .message:
            break
        }
    }

    /// Makes and hands out the record at (`lsn`, `part`), unless it was delivered before a restart (same
    /// transaction, not past the stored position): skipped records are not even built.
    private func emit(_ lsn: LSN, part: Int = 0, into records: inout [SourceRecord], _ make: (RecordPosition) -> SourceRecord) {
        let position = RecordPosition(lsn: lsn, part: part)
        if let xid = currentXid {
            if let skip = resumeSkip, skip.xid == xid, position <= skip.position { return }
            lastRecordInTransaction = position
            lastEmitted = (xid, position)
        }
        records.append(make(position))
    }

    private func tableFor(_ id: UInt32) throws -> PostgresTableSchema? {
        guard let entry = tables[id] else {
            throw PostgresError("change for relation \(id) arrived before its description")
        }
        return entry
    }

    /// The schema for a Relation message. PostgreSQL repeats these after any cache invalidation, not only after
    /// DDL: when neither the relation nor the catalog facts changed, the current schema is kept, so that
    /// schemas (and their cached JSON) are not rebuilt and do not pile up.
    private func buildTable(_ relation: Relation, replacing current: PostgresTableSchema?) throws -> PostgresTableSchema? {
        guard config.tableFilter.includes(schema: relation.namespace, table: relation.name) else { return nil }
        guard let meta = metadata else { return nil }
        let columnRows = try meta.query("""
            SELECT a.attname, a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
            FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
            """, [String(relation.id)], purpose: "read the columns of \(relation.namespace).\(relation.name)")
        var catalog: [String: CatalogColumn] = [:]
        for r in columnRows {
            guard let name = r[0] else { continue }
            catalog[name] = CatalogColumn(name: name, notNull: r[1] == "t", defaultExpression: r[2])
        }
        let keyRows = try meta.query("""
            SELECT a.attname FROM pg_index i
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = $1::oid AND i.indisprimary ORDER BY k.ord
            """, [String(relation.id)], purpose: "read the primary key of \(relation.namespace).\(relation.name)")
        let primaryKey = keyRows.compactMap { $0[0] }
        if let current, current.relation == relation, current.catalog == catalog, current.primaryKey == primaryKey {
            return current
        }
        let table = PostgresTableSchema(
            relation: relation, catalog: catalog, primaryKey: primaryKey, topicPrefix: config.topicPrefix,
            converter: config.valueConverter, placeholder: config.unavailableValuePlaceholder
        ) { column, oid in
            logger.warning("column type not supported yet; column left out of events", metadata: [
                "table": "\(relation.namespace).\(relation.name)", "column": "\(column)", "type_oid": "\(oid)",
            ])
        }
        logger.info("captured table", metadata: ["table": "\(relation.namespace).\(relation.name)", "topic": "\(table.topic)", "columns": "\(table.columns.count)"])
        return table
    }

    // MARK: Records

    /// Debezium's offset keys, plus `lsn_part` for the second and third records one change produces.
    private func offset(at position: RecordPosition) -> OffsetMap {
        var offset: OffsetMap = [
            "lsn": .int(Int64(position.lsn.value)), "lsn_proc": .int(Int64(position.lsn.value)),
            "lsn_commit": lastCommitEnd.map { .int(Int64($0.value)) } ?? .null,
            "txId": currentXid.map { .int(Int64($0)) } ?? .null, "ts_usec": .int(currentCommitTime),
        ]
        if position.part > 0 { offset["lsn_part"] = .int(Int64(position.part)) }
        return offset
    }

    private func record(_ table: PostgresTableSchema, op: String, before: Struct?, after: Struct?, key: Struct?, at position: RecordPosition) -> SourceRecord {
        let lsn = position.lsn
        let now = Date().timeIntervalSince1970
        let nowMicros = Int64(now * 1_000_000)
        let commitMicros = currentCommitTime
        let sequence = "[" + (lastCommitLSN.map { "\"\($0.value)\"" } ?? "null") + ",\"\(lsn.value)\"]"
        let source = Struct(schema: PostgresSchemas.source, values: [
            .string(TributaryVersion.string), .string("postgresql"), .string(config.topicPrefix),
            .int64(commitMicros / 1000), .string("false"), .string(config.connection.database), .string(sequence),
            .int64(commitMicros), .int64(commitMicros * 1000), .string(table.relation.namespace), .string(table.relation.name),
            currentXid.map { .int64(Int64($0)) } ?? .null, .int64(Int64(lsn.value)), .null, .null, .null,
        ])
        let envelope = Struct(schema: table.envelopeSchema, values: [
            before.map { .struct($0) } ?? .null, after.map { .struct($0) } ?? .null, .struct(source), .null,
            .string(op), .int64(nowMicros / 1000), .int64(nowMicros), .int64(nowMicros * 1000),
        ])
        return SourceRecord(
            sourcePartition: sourcePartition, sourceOffset: offset(at: position), topic: table.topic,
            keySchema: key == nil ? nil : table.keySchema, key: key.map { .struct($0) } ?? .null,
            valueSchema: table.envelopeSchema, value: .struct(envelope), timestamp: nowMicros / 1000)
    }

    private func tombstone(_ table: PostgresTableSchema, key: Struct, at position: RecordPosition) -> SourceRecord {
        SourceRecord(
            sourcePartition: sourcePartition, sourceOffset: offset(at: position), topic: table.topic,
            keySchema: table.keySchema, key: .struct(key), valueSchema: nil, value: .null)
    }

    // MARK: Commit

    public func commit(offset: OffsetMap) throws {
        var target = offset["lsn_commit"]?.int64.map { LSN(UInt64($0)) } ?? confirmedLSN
        if let xid = offset["txId"]?.int64.map({ UInt32(truncatingIfNeeded: $0) }), let position = RecordPosition(offset) {
            lastCommitted = (xid, position)
            if let index = completed.firstIndex(where: { $0.xid == xid }) {
                if completed[index].lastRecord == position {
                    // The committed record closes its transaction: the whole transaction is in Kafka, and so are
                    // the transactions without records that directly follow it.
                    target = max(target, completed[index].endLSN)
                    completed.removeFirst(index + 1)
                    while let next = completed.first, next.lastRecord == nil {
                        target = max(target, next.endLSN)
                        completed.removeFirst()
                    }
                } else {
                    completed.removeFirst(index)
                }
            }
        }
        try confirm(target)
        try confirmIfIdle()
    }

    /// With every record in Kafka, every transaction read so far is done: the slot may move past all of them.
    /// This keeps the slot moving (and WAL from piling up) while the captured tables are quiet.
    private func confirmIfIdle() throws {
        guard everythingDelivered, let last = completed.last else { return }
        completed.removeAll(keepingCapacity: true)
        try confirm(last.endLSN)
    }

    private func confirm(_ target: LSN) throws {
        guard target > confirmedLSN else { return }
        confirmedLSN = target
        try sendStatus()
    }

    /// The position the slot is confirmed up to.
    public var confirmedPosition: LSN { confirmedLSN }

    private func sendStatusIfDue() throws {
        if ContinuousClock.now - lastStatusSent >= statusInterval { try sendStatus() }
    }

    /// Standby status update: received up to `lastReceivedLSN`, flushed (safe to discard) up to `confirmedLSN`.
    private func sendStatus() throws {
        guard let repl = stream else { return }
        var message: [UInt8] = [UInt8(ascii: "r")]
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000) - PgOutputMessage.postgresEpochOffsetMicros
        for v in [max(lastReceivedLSN, confirmedLSN).value, confirmedLSN.value, confirmedLSN.value, UInt64(bitPattern: now)] {
            withUnsafeBytes(of: v.bigEndian) { message.append(contentsOf: $0) }
        }
        message.append(0)
        try repl.sendCopyData(message)
        lastStatusSent = .now
    }

    public func stop() {
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
