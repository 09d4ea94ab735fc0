import DebeziumEvents
import TributaryCore

/// The offset keys of snapshot records (Debezium's names).
enum PostgresSnapshotOffset {
    static let snapshot = "snapshot"
    /// True on the snapshot's last record: once it is stored, the snapshot is complete.
    static let lastRecord = "last_snapshot_record"
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
        let candidates = try meta.query(
            """
            SELECT c.oid::text, n.nspname, c.relname, c.reltuples::bigint::text
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' ORDER BY n.nspname, c.relname
            """, purpose: "list the tables to snapshot"
        ).map { row in (rank: config.tableFilter.snapshotRank(schema: row[1] ?? "", table: row[2] ?? ""), row: row) }
            .enumerated().sorted { ($0.element.rank, $0.offset) < ($1.element.rank, $1.offset) }.map(\.element.row)
        var tables: [PostgresSnapshot.Table] = []
        var columns: [[String]] = []
        snapshotSchemas = []
        for row in candidates {
            guard let oidText = row[0], let oid = UInt32(oidText), let schema = row[1], let name = row[2],
                config.tableFilter.includes(schema: schema, table: name),
                config.snapshotTables.includes(schema: schema, table: name)
            else { continue }
            let relation = try catalogRelation(meta, oid: oid, schema: schema, name: name)
            let table = try buildTable(relation, replacing: nil, fromSnapshot: true)
            tablesByID[oid] = table
            snapshotSchemas.append(table)
            tables.append(
                .init(
                    oid: oid, schema: schema, name: name, estimatedRows: Int64(row[3] ?? "") ?? -1,
                    selectOverride: config.snapshotSelectOverrides[schema + "." + name]))
            columns.append(relation.columns.map(\.name))
        }
        if config.snapshotMaxThreads > 1 {
            logger.warning(
                "snapshot.max.threads is accepted, but this version reads the tables one at a time",
                metadata: ["snapshot.max.threads": "\(config.snapshotMaxThreads)", "tables": "\(tables.count)"])
        }
        snapshot = try PostgresSnapshot(
            connection: connection, exportedSnapshot: created?.snapshotName, tables: tables, columns: columns,
            fetchSize: config.snapshotFetchSize, startedMicros: Self.epochMicros(),
            logger: logger)
        progress = ReplicationProgressStateMachine(startingAt: created == nil ? nil : snapshotPosition)
        progress.holdsIdleConfirmation = true
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
            records.append(
                record(
                    table, op: .read, before: nil, after: after.value, key: after.key,
                    from: .snapshot(row.marker, isLast: row.isLast)))
        }
        if snapshot.isFinished {
            if !snapshot.emittedAny {
                // No record carries the snapshot's completion: store it on its own, or a restart would read the
                // tables again (and repeat, as reads, every row written since).
                offsetWithoutRecord = snapshotOffset(isLast: true)
                progress.holdsIdleConfirmation = false
            }
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

    /// The offset of a snapshot record: where the stream starts once the snapshot is complete.
    func snapshotOffset(isLast: Bool) -> OffsetMap {
        [
            "lsn": .int(Int64(snapshotPosition.value)), "lsn_commit": .int(Int64(snapshotPosition.value)),
            "ts_usec": .int(snapshot?.startedMicros ?? 0), PostgresSnapshotOffset.snapshot: .bool(true),
            PostgresSnapshotOffset.lastRecord: .bool(isLast),
        ]
    }
}
