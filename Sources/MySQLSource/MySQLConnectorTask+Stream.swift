import BinlogProtocol
import DebeziumEvents
import MySQLDDL
import TributaryCore

/// Reading the binlog: transactions, DDL, rows.
extension MySQLConnectorTask {
    func handle(_ bytes: [UInt8], into records: inout [SourceRecord]) throws {
        let header: BinlogEventHeader
        let event: BinlogEvent
        do {
            (header, event) = try decoder.decode(bytes[...])
        } catch {
            let position = "\(file):\(committed.position.position)"
            let failure = MySQLError("cannot decode the binlog event after \(position): \(error)")
            // A checksum that does not match means damaged bytes, never an event to skip.
            if (error as? BinlogError)?.code == .checksumMismatch { throw failure }
            try config.eventProcessingFailureHandling.handle(
                failure,
                at: "binlog \(position) (mysqlbinlog --start-position=\(committed.position.position) --verbose \(file) "
                    + "shows it)", logger: logger)
            return
        }
        if case .transactionPayload(let payload) = event {
            var inner: [(BinlogEventHeader, BinlogEvent)] = []
            try decoder.decodePayload(payload) { inner.append(($0, $1)) }
            for (h, e) in inner { try handle(h, e, at: header, into: &records) }
            return
        }
        try handle(header, event, at: header, into: &records)
    }

    /// `outer` is the event that carried this one (itself, or a compressed transaction's payload event): its
    /// place in the binlog is the position.
    private func handle(
        _ header: BinlogEventHeader, _ event: BinlogEvent, at outer: BinlogEventHeader,
        into records: inout [SourceRecord]
    ) throws {
        // Artificial events (the rotate and format description that open a stream) have no position.
        let start = outer.nextPosition >= outer.eventSize ? UInt64(outer.nextPosition - outer.eventSize) : 0
        let here = BinlogPosition(file: file, position: start)
        if header.timestamp != 0 {
            committed.timestampSeconds = Int64(header.timestamp)
            committed.serverID = header.serverID
        }
        switch event {
        case .rotate(_, let next):
            file = next
        case .mariaDBGTID(let gtid, _):
            transaction = TransactionState(begin: here, gtid: gtid, gtidText: gtid.description)
            transaction!.sourceExcluded = excludesGTIDSource("\(gtid.domain)-\(gtid.server)")
        case .gtid(let gtid):
            transaction = TransactionState(begin: here, gtid: nil, gtidText: gtid)
            if let source = gtid?.split(separator: ":").first {
                transaction!.sourceExcluded = excludesGTIDSource(String(source))
            }
        case .query(let query):
            try handle(query, header: header, at: here, into: &records)
        case .rowsQuery(let text):
            rowsQuery = text
        case .rows(let rows):
            try handle(rows, header: header, at: here, into: &records)
        case .xid:
            commit(after: outer, into: &records)
        case .other(.partialUpdateRows):
            // Updates whose JSON columns hold only the change: skipping them would lose the updates.
            throw MySQLError(
                "the binlog at \(here) holds a PARTIAL_UPDATE_ROWS event (binlog_row_value_options=PARTIAL_JSON), "
                    + "which this version cannot read: set binlog_row_value_options='' on the server")
        default:
            break
        }
    }

    /// Whether `gtid.source.includes`/`excludes` leave out the row changes of transactions from `source`.
    private func excludesGTIDSource(_ source: String) -> Bool {
        config.gtidSourceFiltersDML && !config.gtidSources.isEmpty && !config.gtidSources.includes(source)
    }

    private func handle(
        _ query: BinlogEvent.Query, header: BinlogEventHeader, at here: BinlogPosition,
        into records: inout [SourceRecord]
    ) throws {
        let sql = query.sql.trimmed
        switch sql.uppercased() {
        case "BEGIN", "START TRANSACTION":
            if transaction == nil { transaction = TransactionState(begin: here) }
            transaction?.thread = query.threadID
            return
        case "COMMIT":
            // Tables without transactions (MyISAM, Aria) end their event group with a COMMIT query.
            commit(after: header, into: &records)
            return
        default: break
        }
        if sql.uppercased().hasPrefix("XA ") || sql.uppercased().hasPrefix("SAVEPOINT") {
            return
        }
        let changes = try applyDDL(sql, database: query.database, at: here)
        for case .truncated(let database, let table) in changes ?? [] {
            incremental.truncated(collection: database + "." + table)
        }
        // A DDL statement is its own transaction.
        commit(after: header, into: &records)
        if let changes,
            let record = schemaChangeRecord(
                ddl: sql, database: query.database, changes: changes, marker: .false, position: here, header: header,
                offset: streamOffset(committed))
        {
            records.append(record)
            offsetWithoutRecord = nil
        }
    }

    /// Applies a DDL statement to the schemas and records it in the history (once: a statement read again after
    /// a restart is recorded already). A statement that cannot be read stops the connector when it touches a
    /// captured table, rather than leaving it with wrong columns. Returns the tables it changed; nil for
    /// statements that change no schema.
    private func applyDDL(
        _ sql: String, database: String, at here: BinlogPosition
    ) throws -> [MySQLSchemaCatalog.Change]? {
        let statement: DDLStatement
        do {
            statement = try DDLParser.parse(sql)
        } catch {
            let table = error.table.map { ($0.database ?? database, $0.name) }
            if let table, config.tableFilter.includes(schema: table.0, table: table.1) {
                throw MySQLError(
                    "cannot read a DDL statement on the captured table \(table.0).\(table.1) at \(here): "
                        + "\(error); its rows could not be read correctly after it. Statement: \(sql.prefix(500))")
            }
            logger.warning(
                "skipping a statement the DDL parser cannot read",
                metadata: ["position": "\(here)", "error": "\(error)", "statement": "\(sql.prefix(200))"])
            return nil
        }
        switch statement {
        case .other, .use: return nil
        default: break
        }
        let changes: [MySQLSchemaCatalog.Change]
        do {
            changes = try catalog.apply(statement, database: database)
        } catch {
            let table = error.table.map { ($0.database ?? database, $0.name) }
            if let table, config.tableFilter.includes(schema: table.0, table: table.1) {
                throw MySQLError(
                    "the DDL statement at \(here) does not fit the schema of \(table.0).\(table.1): \(error)")
            }
            logger.warning("a DDL statement does not fit the known schemas", metadata: ["error": "\(error)"])
            return nil
        }
        tableSchemas = [:]
        // The statement is in force from the GTIDs that include its own.
        var gtids: String?
        switch config.flavor {
        case .mariadb:
            if let own = transaction?.gtid {
                var after = gtidState
                after.commit(own)
                gtids = after.text
            }
        case .mysql:
            if let own = transaction?.gtidText {
                var after = mysqlGTIDs
                after.insert(own)
                gtids = after.description
            }
        }
        if !history.contains(binlogStatementAt: here, gtids: gtids) {
            try history.append([.init(position: here, snapshot: false, database: database, ddl: sql, gtids: gtids)])
        }
        if !changes.isEmpty {
            logger.info("schema changed", metadata: ["position": "\(here)", "statement": "\(sql.prefix(200))"])
        }
        return changes
    }

    /// The transaction (or DDL statement) ending with the event `header` is done: a restart begins after it. Its
    /// END record follows, when transaction metadata is on and it had changes.
    private func commit(after header: BinlogEventHeader, into records: inout [SourceRecord]) {
        let ended = transaction
        if header.nextPosition > 0 {
            committed.position = BinlogPosition(file: file, position: UInt64(header.nextPosition))
        }
        committed.eventsToSkip = 0
        committed.rowsToSkip = 0
        switch config.flavor {
        case .mariadb:
            if let gtid = transaction?.gtid { gtidState.commit(gtid) }
            if !gtidState.isEmpty { committed.gtids = gtidState.text }
        case .mysql:
            if let gtid = transaction?.gtidText, mysqlGTIDs.insert(gtid) { committed.gtids = mysqlGTIDs.description }
        }
        transaction = nil
        skip = nil
        rowsQuery = nil
        offsetWithoutRecord = streamOffset(committed)
        if let ended, let counts = ended.counts {
            records.append(
                TransactionMetadata.end(
                    topic: config.transactionTopic, id: ended.id, counts: counts,
                    commitMillis: Int64(header.timestamp) * 1000, partition: sourcePartition,
                    offset: streamOffset(committed),
                    nowMillis: WallClock.epochMicros() / 1000))
            offsetWithoutRecord = nil
        }
    }

    private func handle(
        _ rows: RowsEvent, header: BinlogEventHeader, at here: BinlogPosition, into records: inout [SourceRecord]
    ) throws {
        if transaction == nil { transaction = TransactionState(begin: here) }
        let eventIndex = transaction!.rowsEvents
        transaction!.rowsEvents += 1
        guard let map = decoder.tables[rows.tableID] else { return }
        var firstRow = 0
        if let skip {
            if eventIndex < skip.events { return }
            if eventIndex == skip.events { firstRow = skip.rows }
        }
        let operation: Operation =
            switch rows.kind {
            case .write: .create
            case .update: .update
            case .delete: .delete
            }
        guard let table = try tableSchema(database: map.database, table: map.table) else { return }
        let count = rows.rows.count
        // The offset keys every row of the event shares, built once; each row's copy adds its `event` and `row`.
        var base = committed
        if let transaction { base.position = transaction.begin }
        base.eventsToSkip = 0
        base.rowsToSkip = 0
        // Signals act before their records (a window they close goes out first); a chunk they ask for is read
        // once the event's records are out.
        var readChunk = false
        if firstRow < count, isSignalTable(table) {
            var at = base
            at.eventsToSkip = eventIndex
            readChunk = try signals(rows, firstRow: firstRow, header: header, here: here, at: at, into: &records)
        }
        guard !config.skippedOperations.contains(operation), transaction?.sourceExcluded != true else {
            try afterSignals(readChunk: readChunk, at: base, eventIndex: eventIndex, into: records)
            return
        }
        // Records follow the last commit's offset: storing that offset after them would move the stored
        // position back.
        if firstRow < count { offsetWithoutRecord = nil }
        var shared = streamOffset(base)
        // Room for `event` and `row`: each row's copy then copies the table as it is instead of rehashing every key
        // into a larger one.
        shared.reserveCapacity(shared.count + 2)
        func offset(nextRow: Int) -> OffsetMap {
            var map = shared
            if nextRow >= count {
                map["event"] = .int(Int64(eventIndex + 1))
            } else {
                if eventIndex != 0 { map["event"] = .int(Int64(eventIndex)) }
                if nextRow != 0 { map["row"] = .int(Int64(nextRow)) }
            }
            return map
        }
        if config.provideTransactionMetadata, transaction?.counts == nil, firstRow < count, let t = transaction {
            transaction!.counts = TransactionCounts()
            records.append(
                TransactionMetadata.begin(
                    topic: config.transactionTopic, id: t.id, commitMillis: Int64(header.timestamp) * 1000,
                    partition: sourcePartition, offset: offset(nextRow: firstRow),
                    nowMillis: WallClock.epochMicros() / 1000
                ))
        }
        for i in firstRow..<count {
            // The offset of a row's last record resumes after it; of its others, at it.
            let after = offset(nextRow: i + 1)
            var at: OffsetMap { offset(nextRow: i) }
            let info = RowInfo(
                header: header, position: here, row: i, gtid: transaction?.gtidText, thread: transaction?.thread)
            // The row images, converted before anything is emitted, so that a row that fails is skipped whole
            // when event.processing.failure.handling.mode allows it.
            let image: MySQLTableSchema.Row, afterImage: MySQLTableSchema.Row?
            do {
                image = try convert(table, rows.rows[i], at: here)
                afterImage = rows.kind == .update ? try convert(table, rows.after[i], at: here) : nil
            } catch {
                try config.eventProcessingFailureHandling.handle(error, at: "binlog \(here), row \(i)", logger: logger)
                continue
            }
            switch rows.kind {
            case .write:
                let row = image
                if incremental.windowOpen { incrementalChanged(table, row) }
                records.append(record(table, .create, before: nil, after: row, info, offset: after))
            case .delete:
                let row = image
                if incremental.windowOpen { incrementalChanged(table, row) }
                records.append(record(table, .delete, before: row, after: nil, info, offset: at))
                if config.tombstonesOnDelete, let key = row.key {
                    records.append(tombstone(table, key: key, offset: after))
                }
                if !config.tombstonesOnDelete { records[records.count - 1].sourceOffset = after }
            case .update:
                let before = image
                let row = afterImage!
                if incremental.windowOpen {
                    incrementalChanged(table, before)
                    incrementalChanged(table, row)
                }
                if let oldKey = before.key, let newKey = row.key, oldKey.values != newKey.values {
                    appendKeyChange(table, before: before, after: row, info, at: at, after: after, into: &records)
                } else {
                    records.append(record(table, .update, before: before, after: row, info, offset: after))
                }
            }
        }
        try afterSignals(readChunk: readChunk, at: base, eventIndex: eventIndex, into: records)
    }

    /// What the signals of a rows event asked for, once its records are out: the next incremental snapshot chunk,
    /// or a blocking snapshot whose records resume after the event (`base`: the transaction's offset).
    private func afterSignals(
        readChunk: Bool, at base: MySQLOffset, eventIndex: Int, into records: [SourceRecord]
    ) throws {
        if readChunk { try readIncrementalChunk(after: records) }
        if let request = blockingRequest {
            blockingRequest = nil
            var after = base
            after.eventsToSkip = eventIndex + 1
            try startBlockingSnapshot(request, resumingAt: after)
        }
    }

    /// A row image as value and key; a value that cannot be converted is an error naming where it is.
    private func convert(
        _ table: MySQLTableSchema, _ image: [BinlogValue?], at here: BinlogPosition
    ) throws -> MySQLTableSchema.Row {
        do {
            return try table.row(image)
        } catch {
            throw MySQLError("binlog \(here): \(error)")
        }
    }
}
