import Converters
import DebeziumEvents
import Logging
import TributaryCore

/// Starting: the checks that name what to fix, the publication, the slot, and `START_REPLICATION`.
extension PostgresConnectorTask {
    public func start(storedOffset: OffsetMap?) throws {
        let meta = try PostgresConnection(config.connection, replication: false)
        metadata = meta
        let walLevel = try meta.walLevel()
        guard walLevel == "logical" else {
            throw PostgresError(
                "PostgreSQL at \(config.connection.address) has wal_level=\(walLevel ?? "?"); "
                    + PostgresConnection.walLevelFix)
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
        incremental = IncrementalSnapshotStateMachine(storedOffset: storedOffset, logger: logger)
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

    /// Logical replication needs a role with the REPLICATION attribute (or a superuser): said before anything else
    /// fails for it.
    private func checkReplicationAttribute(_ meta: PostgresConnection) throws {
        guard let rights = try meta.replicationRights(), !rights.replication, !rights.superuser else { return }
        let role = meta.quoteIdentifier(config.connection.user)
        throw PostgresError(
            """
            role \(role) of \(config.connection.address) lacks the REPLICATION attribute that logical replication \
            needs. Fix: \(meta.replicationFix(user: config.connection.user))
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
}
