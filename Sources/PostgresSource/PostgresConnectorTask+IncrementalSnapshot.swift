import DebeziumEvents
import TributaryCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The table an incremental snapshot reads, as the current chunk read it, with its progress.
struct IncrementalSnapshotRead {
    /// The schema the chunk's rows were read with (their columns are its relation's).
    var table: PostgresTableSchema
    /// The columns chunks are read by (the primary key, or the signal's `surrogate-key`).
    var keyColumns: [String]
    /// Their places in the table's rows.
    var keyIndexes: [Int]
    var estimatedRows: Int64
    var rows: Int64 = 0
    var started = ContinuousClock.now
    var lastReport = ContinuousClock.now
}

/// Signals from the signal table (`signal.data.collection`) and Debezium's incremental snapshots: chunks of
/// `incremental.snapshot.chunk.size` rows read between two watermarks that this task writes into the signal
/// table, and emitted when the stream reaches the second, minus the rows the stream changed meanwhile.
extension PostgresConnectorTask {
    /// Whether `table` is a signal table whose rows are signals to act on.
    func isSignalTable(_ table: PostgresTableSchema) -> Bool {
        !signalTables.isEmpty && config.sourceSignalsEnabled && signalTables.contains(table.qualifiedName.lowercased())
    }

    /// Acts on a row inserted into the signal table at `lsn`, before its own record. Returns true when a chunk
    /// is to be read once that record is out. A signal whose record reached Kafka before a restart was acted on
    /// then (its effect is in the stored offset), and is not acted on again.
    func signal(_ row: TupleData, at lsn: LSN, into records: inout [SourceRecord]) throws -> Bool {
        guard !progress.delivered(RecordPosition(lsn: lsn, part: 0)) else { return false }
        func text(_ i: Int) -> String? {
            i < row.count && row.kinds[i] == .text ? String(decoding: row.value(i), as: UTF8.self) : nil
        }
        guard let id = text(0), let type = text(1) else {
            logger.warning("signal row without id or type ignored", metadata: ["lsn": "\(lsn)"])
            return false
        }
        let signal: Signal
        do {
            signal = try Signal(id: id, type: type, data: text(2))
        } catch {
            logger.warning("signal ignored", metadata: ["id": "\(id)", "reason": "\(error)"])
            return false
        }
        switch signal.action {
        case .executeSnapshot(let request):
            guard request.kind == .incremental else {
                logger.warning(
                    "execute-snapshot of type blocking is not supported by this version; send type incremental",
                    metadata: ["id": "\(id)"])
                return false
            }
            let collections = try expand(request)
            logger.info(
                "incremental snapshot requested",
                metadata: ["id": "\(id)", "data_collections": "\(collections.map(\.id).joined(separator: ","))"])
            return incremental.execute(collections, correlationID: id)
        case .stopSnapshot(let collections):
            logger.info(
                "incremental snapshot stop requested",
                metadata: [
                    "id": "\(id)",
                    "data_collections": "\(collections.isEmpty ? "all" : collections.joined(separator: ","))",
                ])
            incremental.requestStop(collections)
            return false
        case .pauseSnapshot:
            logger.info("incremental snapshot paused", metadata: ["id": "\(id)"])
            incremental.pause()
            return false
        case .resumeSnapshot:
            logger.info("incremental snapshot resumed", metadata: ["id": "\(id)"])
            return incremental.resume()
        case .openWindow:
            _ = incremental.open(signalID: id)
            return false
        case .closeWindow:
            guard let rows = incremental.close(signalID: id) else { return false }
            try emitWindow(rows, at: lsn, into: &records)
            return true
        case .log(let message):
            logger.info("signal: \(message)", metadata: ["id": "\(id)"])
            return false
        }
    }

    /// The rows of the closed window as reads (`op: "r"`, `source.snapshot` = `incremental`), in key order,
    /// between the transaction's BEGIN record and the close watermark's own record, as Debezium emits them.
    private func emitWindow(
        _ rows: [IncrementalSnapshotStateMachine<TupleData>.WindowRow], at lsn: LSN, into records: inout [SourceRecord]
    ) throws {
        defer { incremental.windowEmitted() }
        guard var read = incrementalRead, !rows.isEmpty else { return }
        if !config.skippedOperations.contains(.create) { beginTransactionIfNeeded(at: lsn, into: &records) }
        for (i, row) in rows.enumerated() {
            incremental.handedOut(row)
            let after = try read.table.row(row.row, fromSnapshot: true)
            emit(lsn, part: RecordPosition.windowPart(i), collection: nil, into: &records) { position in
                record(
                    read.table, op: .read, before: nil, after: after.value, key: after.key,
                    from: .incremental(position))
            }
        }
        read.rows += Int64(rows.count)
        reportProgress(&read)
        incrementalRead = read
    }

    /// A streamed change of `table` (its new row, or its old one): inside an open window it supersedes the
    /// window's row with the same chunk key.
    func incrementalChanged(_ table: PostgresTableSchema, _ row: TupleData?) {
        guard incremental.windowOpen, let row, let read = incrementalRead,
            table.qualifiedName == read.table.qualifiedName
        else { return }
        let indexes =
            table === read.table
            ? read.keyIndexes
            : read.keyColumns.compactMap { name in table.relation.columns.firstIndex { $0.name == name } }
        guard indexes.count == read.keyColumns.count, let fingerprint = Self.fingerprint(row, indexes) else { return }
        incremental.changed(collection: table.qualifiedName, fingerprint: fingerprint)
    }

    /// The chunk key's values as bytes (kind, length, text), the same for a row read and a row streamed; nil
    /// when a key value is an unchanged TOASTed one that the stream did not send.
    static func fingerprint(_ row: TupleData, _ indexes: [Int]) -> [UInt8]? {
        var bytes: [UInt8] = []
        for i in indexes {
            guard i < row.count, row.kinds[i] != .unchangedToast else { return nil }
            bytes.append(row.kinds[i].rawValue)
            let value = row.value(i)
            withUnsafeBytes(of: UInt32(value.count).bigEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: value)
        }
        return bytes
    }

    // MARK: Reading chunks

    /// Starts the next chunk: writes its open watermark, reads up to `incremental.snapshot.chunk.size` rows of the
    /// current table after the last key (moving to the next table when one is done), and writes the close
    /// watermark. A table the database refuses to read is given up with an error in the log; streaming goes on.
    func readIncrementalChunk() throws {
        guard let meta = metadata, let signalTable = config.signalDataCollections.first else { return }
        let chunkID = UUID().uuidString.lowercased()
        let wasRunning = incremental.isRunning
        guard incremental.beginChunk(id: chunkID, matches: Self.collection(_:matches:)) else {
            if wasRunning && !incremental.isRunning {
                // Over (stopped, or the last table done): records still in flight carry the context, so store an
                // offset without it after them, or a restart would take the snapshot up again.
                incrementalRead = nil
                offsetWithoutRecord = positionOffset()
                logger.info("incremental snapshot done")
            }
            return
        }
        let opened = TemporalText.isoUTC(micros: Self.epochMicros(), fractionDigits: 6)
        do {
            try insertSignal(
                meta, into: signalTable, id: chunkID + "-open", type: .openWindow,
                data: "{\"openWindowTimestamp\": \"\(opened)\"}")
            while let collection = incremental.current {
                guard let read = try incrementalTarget(collection, meta) else {
                    incremental.finishCollection()
                    continue
                }
                if incremental.context?.maximumKey == nil {
                    let maximum = try meta.query(
                        chunkQuery(read, collection, meta, maximum: true),
                        purpose: "read the largest key of \(collection.id)"
                    ).first
                    incremental.maximumKeyRead(maximum)
                    guard maximum != nil else {
                        logger.info("incremental snapshot: table empty", metadata: ["table": "\(collection.id)"])
                        continue
                    }
                    logger.info(
                        "incremental snapshot of table started",
                        metadata: [
                            "table": "\(collection.id)", "estimated_rows": "\(read.estimatedRows)",
                            "chunk_size": "\(config.incrementalSnapshotChunkSize)",
                            "from_key": "\(incremental.context?.lastKey.map { "\($0)" } ?? "start")",
                        ])
                }
                let context = incremental.context
                let parameters = (context?.lastKey ?? []) + (context?.maximumKey ?? [])
                let tuples = try meta.tuples(
                    chunkQuery(read, collection, meta, maximum: false), parameters,
                    purpose: "read a chunk of \(collection.id) for the incremental snapshot")
                let rows = tuples.map { tuple in
                    IncrementalSnapshotStateMachine<TupleData>.WindowRow(
                        fingerprint: Self.fingerprint(tuple, read.keyIndexes) ?? [],
                        chunkKey: read.keyIndexes.map { i in
                            tuple.kinds[i] == .null ? nil : String(decoding: tuple.value(i), as: UTF8.self)
                        }, row: tuple)
                }
                incrementalRead = read
                if incremental.chunkRead(rows) { break }
                logger.info(
                    "incremental snapshot of table done",
                    metadata: [
                        "table": "\(collection.id)", "rows": "\(read.rows)",
                        "seconds": "\((ContinuousClock.now - read.started).inSeconds)",
                    ])
            }
            let closed = TemporalText.isoUTC(micros: Self.epochMicros(), fractionDigits: 6)
            try insertSignal(
                meta, into: signalTable, id: chunkID + "-close", type: .closeWindow,
                data: "{\"openWindowTimestamp\": \"\(opened)\", \"closeWindowTimestamp\": \"\(closed)\"}")
        } catch {
            logger.error(
                "incremental snapshot: table given up, streaming goes on",
                metadata: ["table": "\(incremental.current?.id ?? "-")", "error": "\(error)"])
            incremental.abandonChunk()
            try readIncrementalChunk()
        }
    }

    /// The current table's schema and chunk key, or nil (said in the log) when it cannot be snapshotted.
    private func incrementalTarget(
        _ collection: IncrementalSnapshotCollection, _ meta: PostgresConnection
    ) throws -> IncrementalSnapshotRead? {
        let parts = collection.id.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2,
            let found = try meta.query(
                """
                SELECT c.oid::text, c.reltuples::bigint::text FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
                """, parts, purpose: "look up \(collection.id)"
            ).first, let oid = found[0].flatMap({ UInt32($0) })
        else {
            logger.warning(
                "incremental snapshot: no such table, skipped (name it schema.table)",
                metadata: ["table": "\(collection.id)"])
            return nil
        }
        let table: PostgresTableSchema?
        if let known = tablesByID[oid] {
            table = known
        } else {
            table = try buildTable(
                catalogRelation(meta, oid: oid, schema: parts[0], name: parts[1]), replacing: nil, fromSnapshot: true)
            tablesByID[oid] = table
        }
        guard let table else {
            logger.warning(
                "incremental snapshot: table not captured (table.include.list and the other filters), skipped",
                metadata: ["table": "\(collection.id)"])
            return nil
        }
        let keyColumns = collection.surrogateKey.map { [$0] } ?? table.primaryKey
        let keyIndexes = keyColumns.compactMap { name in table.relation.columns.firstIndex { $0.name == name } }
        guard !keyColumns.isEmpty, keyIndexes.count == keyColumns.count else {
            logger.warning(
                keyColumns.isEmpty
                    ? "incremental snapshot: table has no primary key, skipped; name a column in the signal's surrogate-key"
                    : "incremental snapshot: surrogate-key is not a column of the table, skipped",
                metadata: ["table": "\(collection.id)"])
            return nil
        }
        if var read = incrementalRead, read.table.qualifiedName == table.qualifiedName {
            read.table = table
            read.keyColumns = keyColumns
            read.keyIndexes = keyIndexes
            return read
        }
        return IncrementalSnapshotRead(
            table: table, keyColumns: keyColumns, keyIndexes: keyIndexes,
            estimatedRows: Int64(found[1] ?? "") ?? -1)
    }

    /// The chunk's SELECT: the table's columns (as its relation lists them) after the last key (`$1…`) up to the
    /// maximum key (the next parameters), with the signal's condition, in key order; or (`maximum`) the
    /// largest key.
    private func chunkQuery(
        _ read: IncrementalSnapshotRead, _ collection: IncrementalSnapshotCollection, _ meta: PostgresConnection,
        maximum: Bool
    ) -> String {
        let q = meta.quoteIdentifier
        let key = read.keyColumns.map(q)
        let tuple = "(" + key.joined(separator: ", ") + ")"
        var conditions: [String] = []
        var parameter = 0
        func placeholders() -> String {
            "("
                + key.map { _ in
                    parameter += 1; return "$\(parameter)"
                }.joined(separator: ", ") + ")"
        }
        if !maximum, let context = incremental.context {
            if context.lastKey != nil { conditions.append(tuple + " > " + placeholders()) }
            if context.maximumKey != nil { conditions.append(tuple + " <= " + placeholders()) }
        }
        if let condition = collection.additionalCondition { conditions.append("(" + condition + ")") }
        let columns = maximum ? key : read.table.relation.columns.map { q($0.name) }
        return "SELECT " + columns.joined(separator: ", ") + " FROM " + q(read.table.relation.namespace) + "."
            + q(read.table.relation.name)
            + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY " + key.map { maximum ? $0 + " DESC" : $0 }.joined(separator: ", ")
            + " LIMIT \(maximum ? 1 : config.incrementalSnapshotChunkSize)"
    }

    private func insertSignal(
        _ meta: PostgresConnection, into table: String, id: String, type: Signal.Kind, data: String
    ) throws {
        let parts = table.split(separator: ".", maxSplits: 1).map { meta.quoteIdentifier(String($0)) }
        try meta.query(
            "INSERT INTO \(parts.joined(separator: ".")) VALUES ($1, $2, $3)", [id, type.rawValue, data],
            purpose: "write the incremental snapshot's watermark into \(table)",
            ifDenied:
                "GRANT INSERT ON \(parts.joined(separator: ".")) TO \(meta.quoteIdentifier(config.connection.user))")
    }

    /// The captured tables `request` names (its data collections are regular expressions over `schema.table`;
    /// one that matches none stays as written and is reported when its turn comes).
    private func expand(_ request: Signal.ExecuteSnapshot) throws -> [IncrementalSnapshotCollection] {
        guard let meta = metadata else { return [] }
        let captured = try meta.query(
            """
            SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') ORDER BY 1, 2
            """, purpose: "list the tables to snapshot"
        ).compactMap { row -> String? in
            guard let schema = row[0], let name = row[1], config.tableFilter.includes(schema: schema, table: name)
            else { return nil }
            return schema + "." + name
        }
        var ids: [String] = []
        for pattern in request.dataCollections {
            let matched = captured.filter { Self.collection($0, matches: pattern) }
            for id in matched.isEmpty ? [pattern] : matched where !ids.contains(id) { ids.append(id) }
        }
        return ids.map { id in
            IncrementalSnapshotCollection(
                id: id,
                additionalCondition: request.additionalConditions.first { Self.collection(id, matches: $0.key) }?.value,
                surrogateKey: request.surrogateKey)
        }
    }

    /// Whether a data collection id matches a signal's pattern: a regular expression matched whole and
    /// case-insensitively, as Debezium matches it (or the same name, when the pattern is not one).
    static func collection(_ id: String, matches pattern: String) -> Bool {
        guard let regex = try? Regex(pattern).ignoresCase() else { return id == pattern }
        return (try? regex.wholeMatch(in: id)) != nil
    }

    /// Every few seconds: the table, rows done of the estimate, rows/s and the time left.
    private func reportProgress(_ read: inout IncrementalSnapshotRead) {
        let now = ContinuousClock.now
        guard now - read.lastReport >= .seconds(5) else { return }
        read.lastReport = now
        let elapsed = (now - read.started).inSeconds
        let rate = elapsed > 0 ? Double(read.rows) / elapsed : 0
        let left = max(0, read.estimatedRows - read.rows)
        logger.info(
            "incremental snapshot progress",
            metadata: [
                "table": "\(read.table.qualifiedName)", "rows": "\(read.rows)",
                "estimated_rows": "\(max(read.estimatedRows, read.rows))",
                "percent":
                    "\(read.estimatedRows > 0 ? min(100, Int(read.rows * 100 / read.estimatedRows)) : 0)",
                "rows_per_s": "\(Int(rate))", "eta_s": "\(rate > 0 ? Int(Double(left) / rate) : 0)",
            ])
    }
}
