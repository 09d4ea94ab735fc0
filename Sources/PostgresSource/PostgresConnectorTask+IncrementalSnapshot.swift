import DebeziumEvents
import TributaryCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The table an incremental snapshot reads, as the current chunk read it, with its progress.
struct IncrementalSnapshotRead {
    /// How chunks are cut: by key (the primary key or the signal's `surrogate-key`, rows in key order), or by
    /// heap pages (a resumed snapshot, or `surrogate-key` `ctid`; any table, with or without a key).
    enum Chunking {
        case key(columns: [String], indexes: [Int])
        case pages(perChunk: Int)
    }

    /// The schema the chunk's rows were read with (their columns are its relation's).
    var table: PostgresTableSchema
    var chunking: Chunking
    /// The columns that identify a row among the stream's changes, and their places in the table's rows (none:
    /// the table has no key, and streamed changes cannot supersede its rows).
    var identityColumns: [String]
    var identityIndexes: [Int]
    var progress: TableProgress
}

/// Signals from the signal table (`signal.data.collection`) and Debezium's incremental snapshots: chunks of
/// `incremental.snapshot.chunk.size` rows read between two watermarks that this task writes into the signal
/// table, and emitted when the stream reaches the second, minus the rows the stream changed meanwhile.
extension IncrementalSnapshotRead {
    var isPaged: Bool { if case .pages = chunking { true } else { false } }

    func chunkDescription(_ rows: Int) -> String {
        switch chunking {
        case .key(let columns, _): "\(rows) rows by \(columns.joined(separator: ","))"
        case .pages(let perChunk): "\(perChunk) pages"
        }
    }
}

extension PostgresConnectorTask {
    /// Whether `table` is a signal table whose rows are signals to act on.
    func isSignalTable(_ table: PostgresTableSchema) -> Bool {
        !signalTables.isEmpty && config.sourceSignalsEnabled && signalTables.contains(table.qualifiedName.lowercased())
    }

    /// What a signal asks for once its own record is out.
    enum SignalFollowUp {
        case none
        /// Read the next incremental snapshot chunk.
        case readChunk
        /// Pause the stream for a blocking snapshot of these tables.
        case blockingSnapshot(Signal.ExecuteSnapshot)
    }

    /// Acts on a row inserted into the signal table at `lsn`, before its own record, and says what follows once
    /// that record is out. A signal whose record reached Kafka before a restart was acted on then (its effect is
    /// in the stored offset), and is not acted on again.
    func signal(_ row: TupleData, at lsn: LSN, into records: inout [SourceRecord]) throws -> SignalFollowUp {
        guard !progress.delivered(RecordPosition(lsn: lsn, part: 0)) else { return .none }
        func text(_ i: Int) -> String? {
            i < row.count && row.kinds[i] == .text ? String(decoding: row.value(i), as: UTF8.self) : nil
        }
        guard let id = text(0), let type = text(1) else {
            logger.warning("signal row without id or type ignored", metadata: ["lsn": "\(lsn)"])
            return .none
        }
        let signal: Signal
        do {
            signal = try Signal(id: id, type: type, data: text(2))
        } catch {
            logger.warning("signal ignored", metadata: ["id": "\(id)", "reason": "\(error)"])
            return .none
        }
        switch signal.action {
        case .executeSnapshot(let request):
            guard request.kind == .incremental else {
                logger.info("blocking snapshot requested", metadata: ["id": "\(id)"])
                return .blockingSnapshot(request)
            }
            let collections = try expand(request)
            logger.info(
                "incremental snapshot requested",
                metadata: ["id": "\(id)", "data_collections": "\(collections.map(\.id).joined(separator: ","))"])
            return incremental.execute(collections, correlationID: id) ? .readChunk : .none
        case .stopSnapshot(let collections):
            logger.info(
                "incremental snapshot stop requested",
                metadata: [
                    "id": "\(id)",
                    "data_collections": "\(collections.isEmpty ? "all" : collections.joined(separator: ","))",
                ])
            incremental.requestStop(collections)
            return .none
        case .pauseSnapshot:
            logger.info("incremental snapshot paused", metadata: ["id": "\(id)"])
            incremental.pause()
            return .none
        case .resumeSnapshot:
            logger.info("incremental snapshot resumed", metadata: ["id": "\(id)"])
            return incremental.resume() ? .readChunk : .none
        case .openWindow:
            _ = incremental.open(signalID: id)
            return .none
        case .closeWindow:
            guard let rows = incremental.close(signalID: id) else { return .none }
            try emitWindow(rows, at: lsn, withBegin: !config.skippedOperations.contains(.create), into: &records)
            return .readChunk
        case .log(let message):
            logger.info("signal: \(message)", metadata: ["id": "\(id)"])
            return .none
        }
    }

    /// A row deleted from the signal table at `lsn` (`old`: its key) closes the window its id names, with
    /// `incremental.snapshot.watermarking.strategy=insert_delete` (Debezium takes any such delete for a close
    /// watermark, with `open` in its id read as `close`). True when a chunk is to be read once the delete's own
    /// record is out.
    func watermarkDeleted(_ old: TupleData, at lsn: LSN, into records: inout [SourceRecord]) throws -> Bool {
        guard config.watermarkingStrategy == .insertDelete, !progress.delivered(RecordPosition(lsn: lsn, part: 0)),
            old.count > 0, old.kinds[0] == .text
        else { return false }
        let id = String(decoding: old.value(0), as: UTF8.self).replacing("open", with: "close")
        guard let rows = incremental.close(signalID: id) else { return false }
        try emitWindow(rows, at: lsn, withBegin: !config.skippedOperations.contains(.delete), into: &records)
        return true
    }

    /// The rows of the closed window as reads (`op: "r"`, `source.snapshot` = `incremental`), in key order,
    /// between the transaction's BEGIN record and the close watermark's own record, as Debezium emits them.
    /// `withBegin`: the watermark's own record follows (a change of the signal table), so the transaction's BEGIN
    /// record goes first.
    private func emitWindow(
        _ rows: [IncrementalSnapshotStateMachine<TupleData>.WindowRow], at lsn: LSN, withBegin: Bool,
        into records: inout [SourceRecord]
    ) throws {
        defer { incremental.windowEmitted() }
        guard var read = incrementalRead, !rows.isEmpty else { return }
        if withBegin { beginTransactionIfNeeded(at: lsn, into: &records) }
        for (i, row) in rows.enumerated() {
            incremental.handedOut(row)
            let after = try read.table.row(row.row, fromSnapshot: true)
            emit(lsn, part: RecordPosition.windowPart(i), collection: nil, into: &records) { position in
                record(
                    read.table, op: .read, before: nil, after: after.value, key: after.key,
                    from: .incremental(position))
            }
        }
        read.progress.add(Int64(rows.count), logger: logger, "incremental snapshot progress")
        incrementalRead = read
    }

    /// A streamed change of `table` (its new row, or its old one): inside an open window it supersedes the
    /// window's row with the same identity.
    func incrementalChanged(_ table: PostgresTableSchema, _ row: TupleData?) {
        guard incremental.windowOpen, let row, let read = incrementalRead, !read.identityIndexes.isEmpty,
            table.qualifiedName == read.table.qualifiedName
        else { return }
        let indexes =
            table === read.table
            ? read.identityIndexes
            : read.identityColumns.compactMap { name in table.relation.columns.firstIndex { $0.name == name } }
        guard indexes.count == read.identityColumns.count, let fingerprint = Self.fingerprint(row, indexes) else {
            return
        }
        incremental.changed(collection: table.qualifiedName, fingerprint: fingerprint)
    }

    /// The values of a row's identity columns as bytes (kind, length, text), the same for a row read and a row
    /// streamed; nil when one is an unchanged TOASTed value that the stream did not send.
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

    /// `surrogate-key` that reads a table by heap pages: how a resumed snapshot reads the rest of its tables.
    static let pageChunking = "ctid"

    /// The prefix of the logical decoding messages that serve as watermarks when no signal table is configured
    /// (a resumed snapshot): never events.
    static let watermarkPrefix = "__tributary.watermark"

    /// Starts the next chunk: writes its open watermark, reads up to `incremental.snapshot.chunk.size` rows of the
    /// current table after the last key (moving to the next table when one is done), and writes the close
    /// watermark. A table the database refuses to read is given up with an error in the log; streaming goes on.
    /// When the snapshot is over, records still in flight carry its context: an offset without it follows them,
    /// or a restart would take the snapshot up again.
    func readIncrementalChunk() throws {
        let wasRunning = incremental.isRunning
        defer {
            if wasRunning && !incremental.isRunning {
                incrementalRead = nil
                offsetWithoutRecord = positionOffset()
                logger.info("incremental snapshot done")
            }
        }
        try readChunk()
    }

    private func readChunk() throws {
        guard let meta = metadata else { return }
        let chunkID = UUID().uuidString.lowercased()
        guard incremental.beginChunk(id: chunkID, matches: IncrementalSnapshotCollection.id(_:matches:)) else { return }
        let opened = CivilTime.isoUTC(micros: WallClock.epochMicros(), fractionDigits: 6)
        do {
            try writeWatermark(
                meta, id: chunkID + "-open", type: .openWindow, data: "{\"openWindowTimestamp\": \"\(opened)\"}")
            while let collection = incremental.current {
                guard let read = try incrementalTarget(collection, meta) else {
                    incremental.finishCollection()
                    continue
                }
                incrementalRead = read
                if incremental.context?.maximumKey == nil {
                    let maximum = try meta.query(
                        maximumQuery(read, collection, meta), purpose: "read the largest key of \(collection.id)"
                    ).first.flatMap { $0 == ["0"] && read.isPaged ? nil : $0 }
                    incremental.maximumKeyRead(maximum)
                    guard maximum != nil else {
                        logger.info("incremental snapshot: table empty", metadata: ["table": "\(collection.id)"])
                        continue
                    }
                    logger.info(
                        "incremental snapshot of table started",
                        metadata: [
                            "table": "\(collection.id)", "estimated_rows": "\(read.progress.estimatedRows)",
                            "chunk": "\(read.chunkDescription(config.incrementalSnapshotChunkSize))",
                            "from": "\(incremental.context?.lastKey.map(Self.keyText) ?? "start")",
                        ])
                }
                if try readRows(read, collection, meta) { break }
                logger.info(
                    "incremental snapshot of table done",
                    metadata: [
                        "table": "\(collection.id)", "rows": "\(incrementalRead?.progress.rows ?? 0)",
                        "seconds": "\(read.progress.seconds)",
                    ])
            }
            let closed = CivilTime.isoUTC(micros: WallClock.epochMicros(), fractionDigits: 6)
            if config.watermarkingStrategy == .insertDelete, let table = config.signalDataCollections.first {
                let quoted = meta.quoteQualifiedName(table)
                try meta.query(
                    "DELETE FROM \(quoted) WHERE id = $1", [chunkID + "-open"],
                    purpose: "delete the incremental snapshot's open watermark from \(table)",
                    ifDenied: "GRANT DELETE ON \(quoted) TO \(meta.quoteIdentifier(config.connection.user))")
            } else {
                try writeWatermark(
                    meta, id: chunkID + "-close", type: .closeWindow,
                    data: "{\"openWindowTimestamp\": \"\(opened)\", \"closeWindowTimestamp\": \"\(closed)\"}")
            }
        } catch {
            logger.error(
                "incremental snapshot: table given up, streaming goes on",
                metadata: ["table": "\(incremental.current?.id ?? "-")", "error": "\(error)"])
            incremental.abandonChunk()
            try readChunk()
        }
    }

    /// Reads the next chunk of the current table into the window: true when it holds rows, false when the table
    /// is done.
    private func readRows(
        _ read: IncrementalSnapshotRead, _ collection: IncrementalSnapshotCollection, _ meta: PostgresConnection
    ) throws -> Bool {
        let purpose = "read a chunk of \(collection.id) for the incremental snapshot"
        typealias WindowRow = IncrementalSnapshotStateMachine<TupleData>.WindowRow
        switch read.chunking {
        case .key(_, let indexes):
            let context = incremental.context
            let tuples = try meta.tuples(
                chunkQuery(read, collection, meta), (context?.lastKey ?? []) + (context?.maximumKey ?? []),
                purpose: purpose)
            return incremental.chunkRead(
                tuples.map { tuple in
                    WindowRow(
                        fingerprint: Self.fingerprint(tuple, read.identityIndexes) ?? [],
                        chunkKey: indexes.map { i in
                            tuple.kinds[i] == .null ? nil : String(decoding: tuple.value(i), as: UTF8.self)
                        }, row: tuple)
                })
        case .pages:
            // Page ranges without live rows are passed over within the same window.
            let pages = incremental.context?.maximumKey?.first.flatMap { $0 }.flatMap { Int($0) } ?? 0
            while true {
                guard case .pages(let perChunk) = incrementalRead?.chunking ?? read.chunking else { return false }
                let start = incremental.context?.lastKey?.first.flatMap { $0 }.flatMap { Int($0) } ?? 0
                guard start < pages else { return incremental.chunkRead([]) }
                let end = min(start + perChunk, pages)
                let tuples = try meta.tuples(
                    chunkQuery(read, collection, meta), ["(\(start),0)", "(\(end),0)"], purpose: purpose)
                // The next chunk spans as many pages as should hold `incremental.snapshot.chunk.size` rows.
                let rowsPerPage = max(1, tuples.count / (end - start))
                if let estimate = incrementalRead?.progress.estimatedRows, estimate <= 0 {
                    incrementalRead?.progress.estimatedRows = Int64(pages * rowsPerPage)
                }
                incrementalRead?.chunking = .pages(
                    perChunk: max(1, min(perChunk * 8, config.incrementalSnapshotChunkSize / rowsPerPage)))
                guard !tuples.isEmpty else {
                    incremental.skip(to: [String(end)])
                    continue
                }
                // A crash while the window goes out reads the chunk again from its first page.
                return incremental.chunkRead(
                    tuples.enumerated().map { i, tuple in
                        WindowRow(
                            fingerprint: read.identityIndexes.isEmpty
                                ? Self.uniqueFingerprint(i) : Self.fingerprint(tuple, read.identityIndexes) ?? [],
                            chunkKey: [String(start)], row: tuple)
                    }, end: [String(end)])
            }
        }
    }

    /// A chunk key for the log.
    static func keyText(_ key: [String?]) -> String {
        key.map { $0 ?? "null" }.joined(separator: ",")
    }

    /// A fingerprint no streamed change has (rows of a table without a key).
    private static func uniqueFingerprint(_ i: Int) -> [UInt8] {
        [0xFF] + withUnsafeBytes(of: i.bigEndian, Array.init)
    }

    /// A table a signal names, with its catalog facts and the schema its rows are read with (the stream's when
    /// the stream described it, else one built from the catalog; nil when the filters leave it out).
    struct SignalledTable {
        var oid: UInt32
        var schema: String
        var name: String
        var estimatedRows: Int64
        var pages: Int
        var fileNode: String
        var table: PostgresTableSchema?
    }

    /// The table `id` (`schema.table`) names, or nil (said in the log, for `purpose`) when there is none.
    func signalledTable(_ id: String, _ meta: PostgresConnection, for purpose: String) throws -> SignalledTable? {
        let parts = id.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2,
            let row = try meta.query(
                """
                SELECT c.oid::text, c.reltuples::bigint::text, c.relpages::text, c.relfilenode::text FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
                """, parts, purpose: "look up \(id)"
            ).first, let oid = row[0].flatMap({ UInt32($0) })
        else {
            logger.warning("\(purpose): no such table, skipped (name it schema.table)", metadata: ["table": "\(id)"])
            return nil
        }
        let known = tablesByID[oid]
        let table =
            try known
            ?? buildTable(
                catalogRelation(meta, oid: oid, schema: parts[0], name: parts[1]), replacing: nil, fromSnapshot: true)
        // (`updateValue`: a table the filters leave out stays an entry, of nil.)
        if known == nil { tablesByID.updateValue(table, forKey: oid) }
        return SignalledTable(
            oid: oid, schema: parts[0], name: parts[1], estimatedRows: Int64(row[1] ?? "") ?? -1,
            pages: Int(row[2] ?? "") ?? 0, fileNode: row[3] ?? "", table: table)
    }

    /// The current table's schema and chunking, or nil (said in the log) when it cannot be snapshotted.
    private func incrementalTarget(
        _ collection: IncrementalSnapshotCollection, _ meta: PostgresConnection
    ) throws -> IncrementalSnapshotRead? {
        guard let found = try signalledTable(collection.id, meta, for: "incremental snapshot") else { return nil }
        let table = found.table
        guard let table else {
            logger.warning(
                "incremental snapshot: table not captured (table.include.list and the other filters), skipped",
                metadata: ["table": "\(collection.id)"])
            return nil
        }
        func indexes(_ names: [String]) -> [Int] {
            names.compactMap { name in table.relation.columns.firstIndex { $0.name == name } }
        }
        let estimatedRows = found.estimatedRows
        let chunking: IncrementalSnapshotRead.Chunking
        if collection.surrogateKey == Self.pageChunking {
            // From the statistics when there are some (a table never analyzed has none); each chunk read corrects
            // it with the rows it found.
            let pages = found.pages
            let rowsPerPage = pages > 0 && estimatedRows > 0 ? max(1, Int(estimatedRows) / pages) : 100
            chunking = .pages(perChunk: max(1, config.incrementalSnapshotChunkSize / rowsPerPage))
        } else {
            let keyColumns = collection.surrogateKey.map { [$0] } ?? table.primaryKey
            let keyIndexes = indexes(keyColumns)
            guard !keyColumns.isEmpty, keyIndexes.count == keyColumns.count else {
                logger.warning(
                    keyColumns.isEmpty
                        ? "incremental snapshot: table has no primary key, skipped; name a column in the signal's surrogate-key (ctid reads it by pages)"
                        : "incremental snapshot: surrogate-key is not a column of the table, skipped",
                    metadata: ["table": "\(collection.id)"])
                return nil
            }
            chunking = .key(columns: keyColumns, indexes: keyIndexes)
        }
        let identity: [String]
        if case .key(let columns, _) = chunking { identity = columns } else { identity = table.primaryKey }
        var read = IncrementalSnapshotRead(
            table: table, chunking: chunking, identityColumns: identity, identityIndexes: indexes(identity),
            progress: TableProgress(table: table.qualifiedName, estimatedRows: estimatedRows))
        if let previous = incrementalRead, previous.table.qualifiedName == table.qualifiedName {
            read.progress = previous.progress
            if previous.isPaged && read.isPaged { read.chunking = previous.chunking }
        }
        return read
    }

    /// The chunk's SELECT: the table's columns (as its relation lists them), after the last key (`$1…`) up to
    /// the maximum key (the next parameters) in key order, or within a range of heap pages (`$1`, `$2`), with
    /// the signal's condition.
    private func chunkQuery(
        _ read: IncrementalSnapshotRead, _ collection: IncrementalSnapshotCollection, _ meta: PostgresConnection
    ) -> String {
        let q = meta.quoteIdentifier
        var conditions: [String] = []
        var order = ""
        switch read.chunking {
        case .key(let columns, _):
            let key = columns.map(q)
            let tuple = "(" + key.joined(separator: ", ") + ")"
            var parameter = 0
            func placeholders() -> String {
                "("
                    + key.map { _ in
                        parameter += 1
                        return "$\(parameter)"
                    }.joined(separator: ", ") + ")"
            }
            if incremental.context?.lastKey != nil { conditions.append(tuple + " > " + placeholders()) }
            if incremental.context?.maximumKey != nil { conditions.append(tuple + " <= " + placeholders()) }
            order = " ORDER BY " + key.joined(separator: ", ") + " LIMIT \(config.incrementalSnapshotChunkSize)"
        case .pages:
            conditions.append("ctid >= $1::tid AND ctid < $2::tid")
        }
        if let condition = collection.additionalCondition { conditions.append("(" + condition + ")") }
        return "SELECT " + read.table.relation.columns.map { q($0.name) }.joined(separator: ", ") + " FROM "
            + q(read.table.relation.namespace) + "." + q(read.table.relation.name)
            + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) + order
    }

    /// Where the current table's snapshot ends: its largest key (with the signal's condition), or its number of
    /// heap pages.
    private func maximumQuery(
        _ read: IncrementalSnapshotRead, _ collection: IncrementalSnapshotCollection, _ meta: PostgresConnection
    ) -> String {
        let q = meta.quoteIdentifier
        let table = q(read.table.relation.namespace) + "." + q(read.table.relation.name)
        switch read.chunking {
        case .key(let columns, _):
            let key = columns.map(q)
            return "SELECT " + key.joined(separator: ", ") + " FROM " + table
                + (collection.additionalCondition.map { " WHERE (" + $0 + ")" } ?? "")
                + " ORDER BY " + key.map { $0 + " DESC" }.joined(separator: ", ") + " LIMIT 1"
        case .pages:
            return "SELECT (pg_relation_size(\(meta.quoteLiteral(table))::regclass) / "
                + "current_setting('block_size')::bigint)::text"
        }
    }

    /// Writes a watermark: a row of the signal table as Debezium writes it, or (without a signal table) a
    /// transactional logical decoding message, which needs no table and no privilege beyond replication.
    private func writeWatermark(_ meta: PostgresConnection, id: String, type: Signal.Kind, data: String) throws {
        guard let table = config.signalDataCollections.first else {
            try meta.query(
                "SELECT pg_logical_emit_message(true, $1, $2)", [Self.watermarkPrefix, id],
                purpose: "write the incremental snapshot's watermark")
            return
        }
        let quoted = meta.quoteQualifiedName(table)
        try meta.query(
            "INSERT INTO \(quoted) VALUES ($1, $2, $3)", [id, type.rawValue, data],
            purpose: "write the incremental snapshot's watermark into \(table)",
            ifDenied: "GRANT INSERT ON \(quoted) TO \(meta.quoteIdentifier(config.connection.user))")
    }

    /// A watermark written as a logical decoding message arrived at `lsn`. Returns true when a chunk is to be
    /// read next.
    func watermark(_ content: [UInt8], at lsn: LSN, into records: inout [SourceRecord]) throws -> Bool {
        let id = String(decoding: content, as: UTF8.self)
        if incremental.open(signalID: id) { return false }
        guard let rows = incremental.close(signalID: id) else { return false }
        try emitWindow(rows, at: lsn, withBegin: false, into: &records)
        return true
    }

    /// The captured tables `request` names (its data collections are regular expressions over `schema.table`).
    func expand(_ request: Signal.ExecuteSnapshot) throws -> [IncrementalSnapshotCollection] {
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
        return IncrementalSnapshotCollection.expand(request, captured: captured)
    }
}
