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
            let names = catalog.tables.values.filter {
                config.tableFilter.includes(schema: $0.database, table: $0.name)
                    && config.snapshotTables.includes(schema: $0.database, table: $0.name)
            }.sorted {
                let a = config.tableFilter.snapshotRank(schema: $0.database, table: $0.name)
                let b = config.tableFilter.snapshotRank(schema: $1.database, table: $1.name)
                return (a, $0.qualifiedName) < (b, $1.qualifiedName)
            }
            for table in names {
                if let schema = try tableSchema(database: table.database, table: table.name) { tables.append(schema) }
            }
            logger.info(
                "snapshot started",
                metadata: [
                    "position": "\(position.position)", "gtids": "\(position.gtids ?? "")",
                    "tables": "\(tables.map(\.table.qualifiedName).joined(separator: ","))",
                ])
            snapshot = MySQLSnapshot(
                connection: connection, tables: tables, offset: position, estimates: estimates,
                startedMicros: WallClock.epochMicros(), logger: logger)
            if tables.isEmpty { offsetWithoutRecord = position.map }
        } catch {
            if locked { try? connection.execute("UNLOCK TABLES") }
            connection.close()
            throw error
        }
    }

    /// The next snapshot rows as records; once they are all read, the stream starts at the snapshot's position.
    func pollSnapshot() throws -> [SourceRecord] {
        guard let snapshot else { return [] }
        let rows = try snapshot.next(limit: config.maxBatchSize)
        var records: [SourceRecord] = []
        records.reserveCapacity(rows.count)
        var inProgress = snapshot.offset
        inProgress.snapshotInProgress = true
        let during = inProgress.map
        let done = snapshot.offset.map
        let nowMicros = WallClock.epochMicros()
        for row in rows {
            let block = sourceBlock(
                database: row.table.table.database, table: row.table.table.name, commitMicros: snapshot.startedMicros,
                marker: row.marker, serverID: 0, gtid: nil,
                position: snapshot.offset.position, row: 0, thread: nil, query: nil)
            let envelope = ChangeEvent.envelope(
                schema: row.table.envelopeSchema, op: .read, before: nil, after: row.row.value, source: block,
                nowMicros: nowMicros)
            records.append(
                ChangeEvent.record(
                    partition: sourcePartition, offset: row.isLast ? done : during, topic: row.table.topic,
                    keySchema: row.table.keySchema, key: row.row.key, envelope: envelope, nowMicros: nowMicros))
        }
        if snapshot.isFinished {
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
