import Converters
import DebeziumEvents
import Logging
import TributaryCore

/// Building records: offsets, the source block, change, message and tombstone records, heartbeats.
extension PostgresConnectorTask {
    /// Debezium's offset keys, plus `lsn_part` for the second and third records one change produces.
    func offset(at position: RecordPosition) -> OffsetMap {
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
        let nowMicros = WallClock.epochMicros()
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
        func makeBlock() -> Struct {
            sourceBlock(
                schema: table.relation.namespace, table: table.relation.name, txId: info.txId, lsn: lsn,
                lsnInBlock: !isIncremental, commitMicros: info.commitMicros, marker: info.marker,
                withOrigin: origin.isStream)
        }
        let block: Struct
        if case .snapshot = origin {
            let key = SnapshotBlockKey(
                schema: table.relation.namespace, table: table.relation.name, txId: info.txId, lsn: lsn,
                lastCommit: progress.lastCommitLSN, commitMicros: info.commitMicros, marker: info.marker)
            block = snapshotBlocks.value(for: key, make: makeBlock)
        } else {
            block = makeBlock()
        }
        let envelope = ChangeEvent.envelope(
            schema: table.envelopeSchema, op: op, before: before, after: after, source: block,
            transaction: origin.isStream ? currentTransactionBlock : nil, nowMicros: nowMicros)
        return ChangeEvent.record(
            partition: sourcePartition, offset: offset, topic: table.topic, keySchema: table.keySchema,
            key: key, envelope: envelope, nowMicros: nowMicros,
            headers: recordHeaders ?? (origin.isStream ? headers.context : []))
    }

    /// What a snapshot row's source block is built from (`sourceBlock`, without an origin).
    struct SnapshotBlockKey: Equatable {
        var schema: String
        var table: String
        var txId: Int64?
        var lsn: LSN
        var lastCommit: LSN?
        var commitMicros: Int64
        var marker: SnapshotMarker
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
    func messageRecord(
        prefix: String, content: [UInt8], lsn: LSN, at position: RecordPosition, standalone: Bool
    ) -> SourceRecord {
        let nowMicros = WallClock.epochMicros()
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

    func tombstone(
        _ table: PostgresTableSchema, key: Struct, at position: RecordPosition, headers recordHeaders: [Header]? = nil
    ) -> SourceRecord {
        ChangeEvent.tombstone(
            partition: sourcePartition, offset: offset(at: position), topic: table.topic, keySchema: table.keySchema!,
            key: key, headers: recordHeaders ?? headers.context)
    }

    // MARK: Heartbeats

    /// Every `heartbeat.interval.ms`, between transactions: runs `heartbeat.action.query`, then adds a heartbeat
    /// record whose offset says where the stream stands (`positionOffset`).
    func heartbeatIfDue(into records: inout [SourceRecord]) throws {
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
                offset: positionOffset(), nowMillis: WallClock.epochMicros() / 1000))
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
}
