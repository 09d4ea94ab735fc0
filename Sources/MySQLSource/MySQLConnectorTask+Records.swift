import BinlogProtocol
import Converters
import DebeziumEvents
import MySQLDDL
import TributaryCore

/// Building records: the source block, change and tombstone records, heartbeats.
extension MySQLConnectorTask {
    /// Where a row came from: its binlog event, its number in the event, its transaction's GTID and thread.
    struct RowInfo {
        var header: BinlogEventHeader
        var position: BinlogPosition
        var row: Int
        var gtid: String?
        var thread: UInt32?
    }

    /// `incremental`: a row an incremental snapshot read (`op: "r"`), emitted where the stream stands: read now,
    /// in no transaction, without the context headers, as Debezium emits them.
    func record(
        _ table: MySQLTableSchema, _ op: Operation, before: MySQLTableSchema.Row?, after: MySQLTableSchema.Row?,
        _ info: RowInfo, offset: OffsetMap, headers recordHeaders: [Header]? = nil, incremental: Bool = false
    ) -> SourceRecord {
        let nowMicros = WallClock.epochMicros()
        let block = sourceBlock(
            database: table.table.database, table: table.table.name,
            commitMicros: incremental ? nowMicros : Int64(info.header.timestamp) * 1_000_000,
            marker: incremental ? .incremental : .false, serverID: info.header.serverID, gtid: info.gtid,
            position: info.position, row: incremental ? 0 : info.row, thread: info.thread,
            query: config.includeQuery && !incremental ? rowsQuery : nil)
        var transactionBlock: Struct?
        if transaction?.counts != nil, !incremental {
            let order = transaction!.counts!.count(table.table.qualifiedName)
            transactionBlock = TransactionMetadata.block(
                id: transaction!.id, totalOrder: order.total, collectionOrder: order.inCollection)
        }
        let envelope = ChangeEvent.envelope(
            schema: table.envelopeSchema, op: op, before: before?.value, after: after?.value, source: block,
            transaction: transactionBlock, nowMicros: nowMicros)
        return ChangeEvent.record(
            partition: sourcePartition, offset: offset, topic: table.topic, keySchema: table.keySchema,
            key: (after ?? before)?.key, envelope: envelope, nowMicros: nowMicros,
            headers: recordHeaders ?? (incremental ? [] : headers.context))
    }

    func tombstone(
        _ table: MySQLTableSchema, key: Struct, offset: OffsetMap, headers recordHeaders: [Header]? = nil
    ) -> SourceRecord {
        ChangeEvent.tombstone(
            partition: sourcePartition, offset: offset, topic: table.topic, keySchema: table.keySchema!, key: key,
            headers: recordHeaders ?? headers.context)
    }

    /// A key change: Debezium emits a delete of the old key (and its tombstone) naming the new key in a header,
    /// then a create naming the old key.
    func appendKeyChange(
        _ table: MySQLTableSchema, before: MySQLTableSchema.Row, after: MySQLTableSchema.Row, _ info: RowInfo,
        at: OffsetMap, after afterOffset: OffsetMap, into records: inout [SourceRecord]
    ) {
        guard let oldKey = before.key, let newKey = after.key else { return }
        let toNew = headers.keyChange(ChangeEventHeaders.newKey, key: SimpleHeaderFormat.bytes(.struct(newKey)))
        let fromOld = headers.keyChange(ChangeEventHeaders.oldKey, key: SimpleHeaderFormat.bytes(.struct(oldKey)))
        records.append(record(table, .delete, before: before, after: nil, info, offset: at, headers: toNew))
        if config.tombstonesOnDelete { records.append(tombstone(table, key: oldKey, offset: at, headers: toNew)) }
        records.append(record(table, .create, before: nil, after: after, info, offset: afterOffset, headers: fromOld))
    }

    /// The `source` block: Debezium's common fields and the binlog's.
    func sourceBlock(
        database: String, table: String?, commitMicros: Int64, marker: SnapshotMarker, serverID: UInt32,
        gtid: String?, position: BinlogPosition, row: Int, thread: UInt32?, query: String?
    ) -> Struct {
        var block = SourceBlock(
            source.layout,
            CommonSourceInfo(
                version: TributaryVersion.string, connector: config.flavor.rawValue, serverName: config.topicPrefix,
                commitMicros: commitMicros, snapshot: marker, database: database, sequence: nil))
        block[position: source.table] = table.map { .string($0) } ?? .null
        block[position: source.serverID] = .int64(Int64(serverID))
        block[position: source.gtid] = gtid.map { .string($0) } ?? .null
        block[position: source.file] = .string(position.file)
        block[position: source.pos] = .int64(Int64(position.position))
        block[position: source.row] = .int32(Int32(row))
        block[position: source.thread] = thread.map { .int64(Int64($0)) } ?? .null
        block[position: source.query] = query.map { .string($0) } ?? .null
        return block.value
    }

    /// A schema change record of a DDL statement, when `include.schema.changes` is on and it concerns a captured
    /// table (or, changing no table, an included database).
    func schemaChangeRecord(
        ddl: String, database: String, changes: [MySQLSchemaCatalog.Change], marker: SnapshotMarker,
        position: BinlogPosition, header: BinlogEventHeader?, offset: OffsetMap
    ) -> SourceRecord? {
        guard config.includeSchemaChanges else { return nil }
        let tables = changes.compactMap { change -> (String, String)? in
            switch change {
            case .created(let t), .altered(let t), .renamed(_, let t): (t.database, t.name)
            case .dropped(let d, let t): (d, t)
            case .truncated: nil
            }
        }
        let captured = tables.filter { config.tableFilter.includes(schema: $0.0, table: $0.1) }
        if tables.isEmpty {
            guard !database.isEmpty, config.tableFilter.includes(schema: database) else { return nil }
        } else if captured.isEmpty {
            return nil
        }
        let millis = header.map { Int64($0.timestamp) * 1000 } ?? WallClock.epochMicros() / 1000
        let block = sourceBlock(
            database: database, table: captured.isEmpty ? nil : captured.map(\.1).joined(separator: ","),
            commitMicros: millis * 1000, marker: marker, serverID: header?.serverID ?? 0,
            gtid: transaction?.gtidText, position: position, row: 0, thread: nil, query: nil)
        return schemaChange.record(
            partition: sourcePartition, offset: offset, topic: config.topicPrefix, database: database, ddl: ddl,
            changes: changes.filter { change in
                switch change {
                case .created(let t), .altered(let t), .renamed(_, let t):
                    config.tableFilter.includes(schema: t.database, table: t.name)
                case .dropped(let d, let t): config.tableFilter.includes(schema: d, table: t)
                case .truncated: false
                }
            }, source: block, timestampMillis: millis)
    }

    /// A heartbeat record when `heartbeat.interval.ms` has passed, carrying the last committed offset; before it,
    /// `heartbeat.action.query` runs on the task's query connection.
    func heartbeatIfDue(into records: inout [SourceRecord]) throws {
        guard config.heartbeatIntervalMilliseconds > 0, ContinuousClock.now >= nextHeartbeat, transaction == nil
        else { return }
        nextHeartbeat = ContinuousClock.now + .milliseconds(config.heartbeatIntervalMilliseconds)
        if let query = config.heartbeatActionQuery { try runHeartbeatAction(query) }
        records.append(
            Heartbeat.record(
                topicsPrefix: config.heartbeatTopicsPrefix, serverName: config.topicPrefix, partition: sourcePartition,
                offset: streamOffset(committed), nowMillis: WallClock.epochMicros() / 1000))
    }

    /// Runs `heartbeat.action.query`. A failure stops the task, as Debezium's does, naming the setting; the
    /// connection is dropped first, so that a lost one is opened again when the task retries.
    private func runHeartbeatAction(_ query: String) throws {
        do {
            try queryConnection().execute(query)
        } catch {
            queries?.close()
            queries = nil
            let cause = error as? MySQLError
            throw MySQLError(
                "heartbeat.action.query failed: \(cause?.message ?? "\(error)")", errorNumber: cause?.errorNumber,
                retriable: cause?.isRetriable ?? false)
        }
    }
}
