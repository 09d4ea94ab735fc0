import DebeziumEvents
import MySQLDDL
import TributaryCore

/// The initial snapshot: schemas and rows at one binlog position.
extension MySQLConnectorTask {
    /// Locks (as `snapshot.locking.mode` says) just long enough to fix a binlog position and read the schemas
    /// that go with it, inside a transaction whose consistent snapshot is the tables' rows at that position.
    func beginSnapshot() throws {
        let connection = try MySQLConnection(config.connection)
        var locked = false
        do {
            if config.snapshotLockingMode != .none {
                do {
                    try connection.execute("FLUSH TABLES WITH READ LOCK")
                    locked = true
                } catch {
                    throw MySQLError(
                        "cannot take the global read lock for the snapshot (\(error)): grant the RELOAD privilege, "
                            + "or set snapshot.locking.mode=none if no DDL runs during the snapshot")
                }
            }
            try connection.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            try connection.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
            var position = try currentPosition(connection)
            if config.flavor == .mariadb, !locked {
                // MariaDB names the binlog position of a consistent snapshot, lock or not.
                let status = try connection.query("SHOW STATUS LIKE 'binlog_snapshot_%'")
                let values = Dictionary(status.compactMap { row in row[0].map { ($0.lowercased(), row[1] ?? "") } }) {
                    a, _ in a
                }
                if let file = values["binlog_snapshot_file"],
                    let pos = values["binlog_snapshot_position"].flatMap({ UInt64($0) })
                {
                    position.position = BinlogPosition(file: file, position: pos)
                    position.gtids = try mariaDBGTIDs(at: position.position, connection)
                }
            }
            try recordSchemas(
                connection, at: position.position, gtids: position.gtids, events: .snapshot)
            let estimates = try connection.query(
                "SELECT table_schema, table_name, table_rows FROM information_schema.tables "
                    + "WHERE table_type = 'BASE TABLE'"
            ).reduce(into: [String: Int64]()) { result, row in
                if let d = row[0], let t = row[1] { result[d + "." + t] = row[2].flatMap { Int64($0) } ?? -1 }
            }
            if locked && config.snapshotLockingMode == .minimal {
                try connection.execute("UNLOCK TABLES")
                locked = false
            }
            var tables: [MySQLTableSchema] = []
            for table in snapshotTableOrder() {
                if let schema = try tableSchema(database: table.database, table: table.name) { tables.append(schema) }
            }
            // With a signal table for watermarks, an interrupted snapshot can go on by key: tables with a primary
            // key are read in its order.
            let keys = tables.map { table in
                signalTables.isEmpty ? nil : MySQLChunkKey(table.table, columns: table.table.primaryKey)
            }
            logger.info(
                "snapshot started",
                metadata: [
                    "position": "\(position.position)", "gtids": "\(position.gtids ?? "")",
                    "tables": "\(tables.map(\.table.qualifiedName).joined(separator: ","))",
                ])
            snapshot = MySQLSnapshot(
                connection: connection, tables: tables, keys: keys, resumeEvery: config.signals.chunkSize,
                offset: position, estimates: estimates, startedMicros: WallClock.epochMicros(), logger: logger)
            if tables.isEmpty { offsetWithoutRecord = position.map }
        } catch {
            if locked { try? connection.execute("UNLOCK TABLES") }
            connection.close()
            throw error
        }
    }

    /// A blocking snapshot (`execute-snapshot` of type `blocking`), as Debezium runs it: the stream pauses after
    /// the signal's rows event, the tables are read in a fresh consistent snapshot (the signal's
    /// `additional-conditions` narrow them), their rows go out with the snapshot markers and an offset after the
    /// signal, and the stream goes on. A restart in the middle streams on from the signal without finishing it
    /// (Debezium's behaviour too).
    func startBlockingSnapshot(_ request: Signal.ExecuteSnapshot, resumingAt offset: MySQLOffset) throws {
        var tables: [MySQLTableSchema] = []
        var conditions: [String?] = []
        for collection in expand(request) {
            let parts = collection.id.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, catalog.table(database: parts[0], name: parts[1]) != nil,
                let table = try tableSchema(database: parts[0], table: parts[1])
            else {
                logger.warning(
                    "blocking snapshot: no such captured table, skipped", metadata: ["table": "\(collection.id)"])
                continue
            }
            tables.append(table)
            conditions.append(collection.additionalCondition)
        }
        guard !tables.isEmpty else { return }
        let connection = try MySQLConnection(config.connection)
        do {
            try connection.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            try connection.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        } catch {
            connection.close()
            throw error
        }
        logger.info(
            "blocking snapshot started: the stream waits",
            metadata: ["tables": "\(tables.map(\.table.qualifiedName).joined(separator: ","))"])
        snapshot = MySQLSnapshot(
            connection: connection, tables: tables, keys: tables.map { _ in nil }, resumeEvery: 1,
            conditions: conditions, offset: committed, estimates: [:], startedMicros: WallClock.epochMicros(),
            logger: logger)
        blockingOffset = streamOffset(offset)
    }

    /// Goes on with a snapshot a crash or a stop interrupted, instead of taking it again (Debezium starts over):
    /// streams from the snapshot's binlog position, and reads the rest of its tables as an incremental snapshot
    /// does, by key after the stored resume point, between watermarks, with streamed changes winning. Rows the
    /// snapshot read are as of its position and every change since comes through the stream, so nothing is lost
    /// or left stale. False (the snapshot starts over) without a resume point or a signal table, when a table
    /// left to read has no primary key or is gone, or when the binlog since the snapshot began was purged.
    func resumeSnapshot(_ stored: MySQLOffset, _ connection: MySQLConnection) throws -> Bool {
        guard let resume = stored.snapshotResume, !signalTables.isEmpty else { return false }
        var start = stored
        start.snapshotInProgress = false
        start.snapshotResume = nil
        guard try binlogHolds(start, connection) else {
            logger.info("the interrupted snapshot starts over: the binlog since it began was purged")
            return false
        }
        // The schemas at the snapshot's position say which tables it reads and which have a key.
        try rebuildSchemas(at: start)
        let tables = snapshotTableOrder()
        func startOver(_ reason: String, _ table: String) -> Bool {
            logger.info("the interrupted snapshot starts over: \(reason)", metadata: ["table": "\(table)"])
            return false
        }
        guard let index = tables.firstIndex(where: { $0.qualifiedName == resume.table }) else {
            return startOver("the table it was reading is no longer captured", resume.table)
        }
        let rest = tables[index...]
        if let keyless = rest.first(where: { $0.primaryKey.isEmpty }) {
            return startOver("a table left to read has no primary key to go on by", keyless.qualifiedName)
        }
        try openBinlog(at: start)
        incremental = IncrementalSnapshotStateMachine(
            resuming: rest.map { IncrementalSnapshotCollection(id: $0.qualifiedName) }, lastKey: resume.key)
        logger.info(
            "resuming the interrupted snapshot: streaming from where it began, the rest read by key",
            metadata: [
                "table": "\(resume.table)", "after_key": "\(resume.key.map { $0 ?? "null" })",
                "tables_left": "\(rest.count)", "stream_from": "\(start.position)",
            ])
        try readIncrementalChunk(after: [])
        return true
    }

    /// The captured tables the snapshot reads, in its order (`table.include.list` order, then by name).
    func snapshotTableOrder() -> [MySQLTable] {
        catalog.tables.values.filter {
            config.tableFilter.includes(schema: $0.database, table: $0.name)
                && config.snapshotTables.includes(schema: $0.database, table: $0.name)
        }.sorted {
            let a = config.tableFilter.snapshotRank(schema: $0.database, table: $0.name)
            let b = config.tableFilter.snapshotRank(schema: $1.database, table: $1.name)
            return (a, $0.qualifiedName) < (b, $1.qualifiedName)
        }
    }

    /// What a snapshot row's source block is built from.
    struct SnapshotBlockKey: Equatable {
        var database: String
        var table: String
        var commitMicros: Int64
        var marker: SnapshotMarker
        var position: BinlogPosition
    }

    /// The next snapshot rows as records; once they are all read, the stream starts at the snapshot's position.
    func pollSnapshot() throws -> [SourceRecord] {
        guard let snapshot else { return [] }
        let rows = try snapshot.next(limit: config.maxBatchSize)
        var records: [SourceRecord] = []
        records.reserveCapacity(rows.count)
        let done = snapshot.offset.map
        let nowMicros = WallClock.epochMicros()
        for row in rows {
            if let resume = row.resume { snapshot.resumeAt(resume) }
            let key = SnapshotBlockKey(
                database: row.table.table.database, table: row.table.table.name, commitMicros: snapshot.startedMicros,
                marker: row.marker, position: snapshot.offset.position)
            let block = snapshotBlocks.value(for: key) {
                sourceBlock(
                    database: key.database, table: key.table, commitMicros: key.commitMicros, marker: key.marker,
                    serverID: 0, gtid: nil, position: key.position, row: 0, thread: nil, query: nil)
            }
            let envelope = ChangeEvent.envelope(
                schema: row.table.envelopeSchema, op: .read, before: nil, after: row.row.value, source: block,
                nowMicros: nowMicros)
            records.append(
                ChangeEvent.record(
                    partition: sourcePartition,
                    offset: blockingOffset ?? (row.isLast ? done : snapshot.inProgressOffset),
                    topic: row.table.topic,
                    keySchema: row.table.keySchema, key: row.row.key, envelope: envelope, nowMicros: nowMicros))
        }
        if snapshot.isFinished, blockingOffset != nil {
            endedSnapshotStatus = snapshot.status(running: false)
            snapshot.close()
            self.snapshot = nil
            blockingOffset = nil
            logger.info("blocking snapshot done; streaming goes on")
        } else if snapshot.isFinished {
            endedSnapshotStatus = snapshot.status(running: false)
            snapshot.close()
            self.snapshot = nil
            if rows.isEmpty { offsetWithoutRecord = done }
            if config.snapshotMode == .initialOnly {
                finished = true
            } else {
                try startStreaming(from: snapshot.offset)
            }
        }
        return records
    }
}
