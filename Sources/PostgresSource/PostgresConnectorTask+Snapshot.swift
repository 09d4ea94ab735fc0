import DebeziumEvents
import TributaryCore

/// The offset keys of snapshot records (Debezium's names).
enum PostgresSnapshotOffset {
    static let snapshot = "snapshot"
    /// True on the snapshot's last record: once it is stored, the snapshot is complete.
    static let lastRecord = "last_snapshot_record"
    /// Where an interrupted snapshot goes on: the table being read, the heap page of the record's row, and the
    /// table's storage (`relfilenode`) then.
    static let resumeTable = "snapshot_resume_table"
    static let resumePage = "snapshot_resume_page"
    static let resumeFileNode = "snapshot_resume_filenode"
}

/// The table and heap page a snapshot record's row came from: an interrupted snapshot goes on from there.
struct SnapshotResumePoint: Equatable {
    var table: String
    var page: UInt32
    var fileNode: String

    init(table: String, page: UInt32, fileNode: String) {
        self.table = table
        self.page = page
        self.fileNode = fileNode
    }

    /// The point stored in an interrupted snapshot's offset, if any.
    init?(_ offset: OffsetMap?) {
        guard let offset, offset[PostgresSnapshotOffset.snapshot] == .bool(true),
            offset[PostgresSnapshotOffset.lastRecord] != .bool(true),
            let table = offset[PostgresSnapshotOffset.resumeTable]?.stringValue,
            let page = offset[PostgresSnapshotOffset.resumePage]?.int64,
            let fileNode = offset[PostgresSnapshotOffset.resumeFileNode]?.stringValue
        else { return nil }
        self.init(table: table, page: UInt32(clamping: page), fileNode: fileNode)
    }
}

extension PostgresConnectorConfig.SnapshotMode {
    /// Whether a slot created now should export its snapshot.
    var mayNeedSnapshot: Bool { self != .noData && self != .never }

    /// Whether to read the tables before streaming, given the stored offset and whether the slot was created now.
    /// A snapshot that did not complete (its last record's offset was never stored) is read again.
    func wantsSnapshot(storedOffset: OffsetMap?, slotCreated: Bool) -> Bool {
        let incomplete =
            storedOffset?[PostgresSnapshotOffset.snapshot] == .bool(true)
            && storedOffset?[PostgresSnapshotOffset.lastRecord] != .bool(true)
        switch self {
        case .noData, .never: return false
        case .always: return true
        case .initial, .initialOnly: return storedOffset == nil || incomplete
        case .whenNeeded: return storedOffset == nil || incomplete || slotCreated
        }
    }
}

extension PostgresConnectorTask {
    /// Prepares the snapshot of the captured tables (`snapshot.include.collection.list` narrows them), on the
    /// snapshot the slot exported when it was created now; otherwise on a fresh one, streaming afterwards from
    /// where the slot is confirmed, so that changes made meanwhile may repeat but are never lost.
    func startSnapshot(_ meta: PostgresConnection, created: (consistentPoint: LSN, snapshotName: String?)?) throws {
        let connection = try PostgresConnection(config.connection, replication: false)
        if let created {
            snapshotPosition = created.consistentPoint
        } else {
            let confirmed = try meta.query(
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1", [config.slotName],
                purpose: "read the slot's position")
            snapshotPosition = (confirmed.first?.first ?? nil).flatMap(LSN.init) ?? .zero
            logger.warning(
                "the replication slot existed already, so the snapshot cannot start exactly where the slot does: changes made since the slot's position may be emitted twice",
                metadata: ["slot": "\(config.slotName)"])
        }
        let tables = try snapshotTables(meta)
        var columns: [[String]] = []
        snapshotSchemas = []
        for t in tables {
            let relation = try catalogRelation(meta, oid: t.oid, schema: t.schema, name: t.name)
            let table = try buildTable(relation, replacing: nil, fromSnapshot: true)
            tablesByID[t.oid] = table
            snapshotSchemas.append(table)
            columns.append(relation.columns.map(\.name))
        }
        snapshot = try PostgresSnapshot(
            connection: connection, exportedSnapshot: created?.snapshotName, tables: tables, columns: columns,
            fetchSize: config.snapshotFetchSize, readers: config.snapshotMaxThreads,
            startedMicros: WallClock.epochMicros(),
            logger: logger)
        progress = ReplicationProgressStateMachine(startingAt: created == nil ? nil : snapshotPosition)
        progress.holdsIdleConfirmation = true
    }

    /// A blocking snapshot (`execute-snapshot` of type `blocking`), as Debezium runs it: the stream pauses after
    /// the signal's record, the tables are read on a fresh snapshot (the signal's `additional-conditions` narrow
    /// them), their rows go out with the snapshot markers and the signal's position, and the stream goes on. A
    /// restart in the middle streams on from the signal without finishing it (Debezium's behaviour too).
    func startBlockingSnapshot(_ request: Signal.ExecuteSnapshot, at lsn: LSN) throws {
        guard let meta = metadata else { return }
        let q = meta.quoteIdentifier
        var tables: [PostgresSnapshot.Table] = []
        var columns: [[String]] = []
        snapshotSchemas = []
        for collection in try expand(request) {
            guard let found = try signalledTable(collection.id, meta, for: "blocking snapshot") else { continue }
            guard let schema = found.table else {
                logger.warning(
                    "blocking snapshot: table not captured, skipped", metadata: ["table": "\(collection.id)"])
                continue
            }
            snapshotSchemas.append(schema)
            columns.append(schema.relation.columns.map(\.name))
            tables.append(
                PostgresSnapshot.Table(
                    oid: found.oid, schema: found.schema, name: found.name, estimatedRows: found.estimatedRows,
                    selectOverride: collection.additionalCondition.map {
                        "SELECT * FROM \(q(found.schema)).\(q(found.name)) WHERE (\($0))"
                    }, fileNode: found.fileNode))
        }
        guard !tables.isEmpty else { return }
        snapshot = try PostgresSnapshot(
            connection: try PostgresConnection(config.connection, replication: false), exportedSnapshot: nil,
            tables: tables, columns: columns, fetchSize: config.snapshotFetchSize, readers: config.snapshotMaxThreads,
            startedMicros: WallClock.epochMicros(), logger: logger)
        snapshotPosition = lsn
        blockingSnapshot = true
    }

    /// The tables a snapshot reads, in its order: as `table.include.list` names them, alphabetically within one
    /// pattern.
    private func snapshotTables(_ meta: PostgresConnection) throws -> [PostgresSnapshot.Table] {
        try meta.query(
            """
            SELECT c.oid::text, n.nspname, c.relname, c.reltuples::bigint::text, c.relfilenode::text
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' ORDER BY n.nspname, c.relname
            """, purpose: "list the tables to snapshot"
        ).map { row in (rank: config.tableFilter.snapshotRank(schema: row[1] ?? "", table: row[2] ?? ""), row: row) }
            .enumerated().sorted { ($0.element.rank, $0.offset) < ($1.element.rank, $1.offset) }.map(\.element.row)
            .compactMap { row in
                guard let oid = row[0].flatMap({ UInt32($0) }), let schema = row[1], let name = row[2],
                    config.tableFilter.includes(schema: schema, table: name),
                    config.snapshotTables.includes(schema: schema, table: name)
                else { return nil }
                return PostgresSnapshot.Table(
                    oid: oid, schema: schema, name: name, estimatedRows: Int64(row[3] ?? "") ?? -1,
                    selectOverride: config.snapshotSelectOverrides[schema + "." + name], fileNode: row[4] ?? "")
            }
    }

    /// Goes on with an interrupted snapshot instead of reading every table again, when it can: the slot still
    /// holds every change since the snapshot began, so the stream starts there, and the table being read (from
    /// the page of the last row in Kafka) and the tables after it are read as an incremental snapshot reads them,
    /// by heap pages between watermarks, with streamed changes winning. Nothing committed is lost: a row changed
    /// since the snapshot began comes through the stream, one unchanged is still on its page. False when the
    /// snapshot has to start over (the offset has no resume point, PostgreSQL is older than 14, a table of the
    /// rest has a select override, or the table being read is gone).
    func resumeSnapshot(
        _ meta: PostgresConnection, storedOffset: OffsetMap?, slotCreated: Bool
    ) throws -> Bool {
        guard let point = SnapshotResumePoint(storedOffset), !slotCreated,
            config.snapshotMode == .initial || config.snapshotMode == .whenNeeded
        else { return false }
        guard meta.serverVersion >= 140_000 else {
            logger.info("the interrupted snapshot starts over: going on by pages needs PostgreSQL 14 or later")
            return false
        }
        let tables = try snapshotTables(meta)
        guard let index = tables.firstIndex(where: { $0.qualifiedName == point.table }) else {
            logger.info("the interrupted snapshot starts over: the table it was reading is gone")
            return false
        }
        let rest = tables[index...]
        if let overridden = rest.first(where: { $0.selectOverride != nil }) {
            logger.info(
                "the interrupted snapshot starts over: a table left to read has a select override",
                metadata: ["table": "\(overridden.qualifiedName)"])
            return false
        }
        let rewritten = rest.first?.fileNode != point.fileNode
        incremental = IncrementalSnapshotStateMachine(
            resuming: rest.map { IncrementalSnapshotCollection(id: $0.qualifiedName, surrogateKey: Self.pageChunking) },
            lastKey: rewritten ? nil : [String(point.page)])
        progress = ReplicationProgressStateMachine(storedOffset: storedOffset)
        logger.info(
            "resuming the interrupted snapshot: streaming from where it began, the rest read by pages",
            metadata: [
                "table": "\(point.table)", "from_page": "\(rewritten ? 0 : point.page)",
                "tables_left": "\(rest.count)", "stream_from": "\(progress.startLSN)",
            ])
        if rewritten {
            logger.warning(
                "the table was rewritten (VACUUM FULL, CLUSTER) since the snapshot stopped: it is read again whole",
                metadata: ["table": "\(point.table)"])
        }
        try startStreaming()
        try readIncrementalChunk()
        return true
    }

    /// A table's description as a Relation message would give it, from the catalog: columns in order (without
    /// generated ones, which pgoutput leaves out), and the replica identity's columns as key columns.
    func catalogRelation(
        _ meta: PostgresConnection, oid: UInt32, schema: String, name: String
    ) throws -> Relation {
        let rows = try meta.query(
            """
            SELECT a.attname, a.atttypid::text, a.atttypmod::text, c.relreplident::text,
              CASE c.relreplident
                WHEN 'f' THEN true
                WHEN 'd' THEN EXISTS (SELECT 1 FROM pg_index i
                                      WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY (i.indkey))
                WHEN 'i' THEN EXISTS (SELECT 1 FROM pg_index i
                                      WHERE i.indrelid = c.oid AND i.indisreplident AND a.attnum = ANY (i.indkey))
                ELSE false END
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
            ORDER BY a.attnum
            """, [String(oid)], purpose: "read the columns of \(schema).\(name)")
        let columns = rows.map { r in
            Relation.Column(
                isKey: r[4] == "t", name: r[0] ?? "", typeOID: UInt32(r[1] ?? "") ?? 0,
                typeModifier: Int32(r[2] ?? "") ?? -1)
        }
        let identity = rows.first?[3]?.utf8.first ?? UInt8(ascii: "d")
        return Relation(id: oid, namespace: schema, name: name, replicaIdentity: identity, columns: columns)
    }

    /// The next snapshot records (`op: "r"`); when the snapshot is done, streaming starts (unless `initial_only`).
    func pollSnapshot(_ snapshot: PostgresSnapshot) throws -> [SourceRecord] {
        let rows = try snapshot.next(limit: config.maxBatchSize)
        var records: [SourceRecord] = []
        records.reserveCapacity(rows.count)
        for row in rows {
            guard let table = snapshotSchemas[row.table] else { continue }
            let after = try table.row(row.tuple, fromSnapshot: true)
            let resume = row.page.map { page in
                SnapshotResumePoint(
                    table: table.qualifiedName, page: page, fileNode: snapshot.tables[row.table].fileNode)
            }
            records.append(
                record(
                    table, op: .read, before: nil, after: after.value, key: after.key,
                    from: .snapshot(row.marker, isLast: row.isLast, resume: resume)))
        }
        if blockingSnapshot {
            // The stream waits: its server must still hear from it.
            try sendStatusIfDue()
            if snapshot.isFinished {
                endedSnapshotStatus = snapshot.status(running: false)
                snapshot.close()
                self.snapshot = nil
                blockingSnapshot = false
                logger.info("blocking snapshot done; streaming goes on")
            }
            return records
        }
        if snapshot.isFinished {
            if !snapshot.emittedAny {
                // No record carries the snapshot's completion: store it on its own, or a restart would read the
                // tables again (and repeat, as reads, every row written since).
                offsetWithoutRecord = snapshotOffset(isLast: true)
                progress.holdsIdleConfirmation = false
            }
            endedSnapshotStatus = snapshot.status(running: false)
            snapshot.close()
            self.snapshot = nil
            if config.snapshotMode == .initialOnly {
                logger.info("snapshot.mode=initial_only: the snapshot is done; not streaming")
            } else {
                try startStreaming()
            }
        }
        return records
    }

    /// The offset of a snapshot record: where the stream starts once the snapshot is complete, and where the
    /// snapshot goes on if it is interrupted.
    func snapshotOffset(isLast: Bool, resume: SnapshotResumePoint? = nil) -> OffsetMap {
        let key = SnapshotOffsetKey(
            lsn: snapshotPosition, startedMicros: snapshot?.startedMicros ?? 0, isLast: isLast,
            resume: isLast ? nil : resume)
        return snapshotOffsets.value(for: key) { buildSnapshotOffset(key) }
    }

    /// What a snapshot record's offset is built from.
    struct SnapshotOffsetKey: Equatable {
        var lsn: LSN
        var startedMicros: Int64
        var isLast: Bool
        var resume: SnapshotResumePoint?
    }

    private func buildSnapshotOffset(_ key: SnapshotOffsetKey) -> OffsetMap {
        // Sized for all eight keys up front: a literal's table is full at five, and growing it rehashes each key.
        var offset = OffsetMap(minimumCapacity: 8)
        offset["lsn"] = .int(Int64(key.lsn.value))
        offset["lsn_commit"] = .int(Int64(key.lsn.value))
        offset["ts_usec"] = .int(key.startedMicros)
        offset[PostgresSnapshotOffset.snapshot] = .bool(true)
        offset[PostgresSnapshotOffset.lastRecord] = .bool(key.isLast)
        if let resume = key.resume {
            offset[PostgresSnapshotOffset.resumeTable] = .string(resume.table)
            offset[PostgresSnapshotOffset.resumePage] = .int(Int64(resume.page))
            offset[PostgresSnapshotOffset.resumeFileNode] = .string(resume.fileNode)
        }
        return offset
    }
}
