import BinlogProtocol
import Converters
import DebeziumEvents
import MySQLDDL
import TributaryCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The table an incremental snapshot reads, as the current chunk read it, with its progress.
struct MySQLIncrementalRead {
    var table: MySQLTableSchema
    /// The columns chunks are cut by: the primary key, or the signal's `surrogate-key`.
    var key: MySQLChunkKey
    var progress: TableProgress
}

/// Signals from the signal table (`signal.data.collection`) and Debezium's incremental snapshots: chunks of
/// `incremental.snapshot.chunk.size` rows read between two watermarks that this task writes into the signal
/// table, and emitted when the binlog reaches the second, minus the rows the binlog changed meanwhile (their
/// change is as new as the read, or newer).
extension MySQLConnectorTask {
    typealias WindowRow = IncrementalSnapshotStateMachine<MySQLTableSchema.Row>.WindowRow

    /// Whether `table`'s rows are signals to act on.
    func isSignalTable(_ table: MySQLTableSchema) -> Bool {
        !signalTables.isEmpty && config.signals.sourceChannelEnabled
            && signalTables.contains(table.table.qualifiedName.lowercased())
    }

    /// An offset as the stream stores it: with the incremental snapshot's context while one runs.
    func streamOffset(_ offset: MySQLOffset) -> OffsetMap {
        var map = offset.map
        incremental.addOffsetEntries(to: &map)
        return map
    }

    /// Acts on the signal table's rows of one rows event (from `firstRow`), before their own records: inserted
    /// rows are signals; with `insert_delete` watermarking a deleted row closes the window its id names. A window
    /// that closes goes out into `records`, with offsets at the row that closed it (`at`: the transaction's
    /// begin, the event's place in it). True when a chunk is to be read once the event's records are out.
    func signals(
        _ rows: RowsEvent, firstRow: Int, header: BinlogEventHeader, here: BinlogPosition, at: MySQLOffset,
        into records: inout [SourceRecord]
    ) throws -> Bool {
        var readChunk = false
        for i in firstRow..<rows.rows.count {
            let values = rows.rows[i]
            func text(_ column: Int) -> String? {
                guard column < values.count, case .bytes(let bytes)? = values[column] else { return nil }
                return String(decoding: bytes, as: UTF8.self)
            }
            var rowOffset = at
            rowOffset.rowsToSkip = i
            let info = RowInfo(
                header: header, position: here, row: i, gtid: transaction?.gtidText, thread: transaction?.thread)
            switch rows.kind {
            case .write:
                guard let id = text(0), let type = text(1) else {
                    logger.warning("signal row without id or type ignored", metadata: ["position": "\(here)"])
                    continue
                }
                readChunk = try signal(id: id, type: type, data: text(2), info, rowOffset, into: &records) || readChunk
            case .delete:
                guard config.signals.watermarking == .insertDelete, let id = text(0) else { continue }
                if let window = incremental.close(signalID: id.replacing("open", with: "close")) {
                    emitWindow(window, info, rowOffset, into: &records)
                    readChunk = true
                }
            case .update:
                continue
            }
        }
        return readChunk
    }

    /// One signal. True when a chunk is to be read next.
    private func signal(
        id: String, type: String, data: String?, _ info: RowInfo, _ at: MySQLOffset, into records: inout [SourceRecord]
    ) throws -> Bool {
        let signal: Signal
        do {
            signal = try Signal(id: id, type: type, data: data)
        } catch {
            logger.warning("signal ignored", metadata: ["id": "\(id)", "reason": "\(error)"])
            return false
        }
        switch signal.action {
        case .executeSnapshot(let request):
            guard request.kind == .incremental else {
                logger.info("blocking snapshot requested", metadata: ["id": "\(id)"])
                blockingRequest = request
                return false
            }
            let collections = expand(request)
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
            guard let window = incremental.close(signalID: id) else { return false }
            emitWindow(window, info, at, into: &records)
            return true
        case .log(let message):
            logger.info("signal: \(message)", metadata: ["id": "\(id)"])
            return false
        }
    }

    /// The captured tables `request` names (its data collections are regular expressions over `database.table`).
    func expand(_ request: Signal.ExecuteSnapshot) -> [IncrementalSnapshotCollection] {
        let captured = catalog.tables.values.filter {
            config.tableFilter.includes(schema: $0.database, table: $0.name)
        }.map(\.qualifiedName).sorted()
        return IncrementalSnapshotCollection.expand(request, captured: captured)
    }

    /// The rows of the closed window as reads (`op: "r"`, `source.snapshot` = `incremental`), in key order. Each
    /// record's offset resumes at the watermark that closed the window, after the rows handed out so far.
    private func emitWindow(
        _ rows: [WindowRow], _ info: RowInfo, _ at: MySQLOffset, into records: inout [SourceRecord]
    ) {
        defer { incremental.windowEmitted() }
        guard var read = incrementalRead, !rows.isEmpty else { return }
        offsetWithoutRecord = nil
        for row in rows {
            incremental.handedOut(row)
            records.append(
                record(
                    read.table, .read, before: nil, after: row.row, info, offset: streamOffset(at), incremental: true))
        }
        read.progress.add(Int64(rows.count), logger: logger, "incremental snapshot progress")
        incrementalRead = read
    }

    /// A change of `table`'s row streamed inside an open window: it supersedes the window's row with that key.
    func incrementalChanged(_ table: MySQLTableSchema, _ row: MySQLTableSchema.Row) {
        guard incremental.windowOpen, let read = incrementalRead,
            read.table.table.qualifiedName == table.table.qualifiedName,
            let fingerprint = Self.fingerprint(row)
        else { return }
        incremental.changed(collection: table.table.qualifiedName, fingerprint: fingerprint)
    }

    /// A row's identity among the changes of its table: its record key, as bytes.
    static func fingerprint(_ row: MySQLTableSchema.Row) -> [UInt8]? {
        row.key.flatMap { SimpleHeaderFormat.bytes(.struct($0)) }
    }

    // MARK: Reading chunks

    /// Starts the next chunk: writes its open watermark, reads up to `incremental.snapshot.chunk.size` rows of the
    /// current table after the last key (going on with the next table when one is done), and writes the close
    /// watermark. A table that cannot be read is given up with an error in the log; streaming goes on. When the
    /// snapshot is over, an offset without its context follows the records in flight.
    func readIncrementalChunk(after records: [SourceRecord]) throws {
        let wasRunning = incremental.isRunning
        defer {
            if wasRunning && !incremental.isRunning {
                incrementalRead = nil
                var last = records.last?.sourceOffset ?? committed.map
                IncrementalSnapshotContext.removeEntries(from: &last)
                offsetWithoutRecord = last
                logger.info("incremental snapshot done")
            }
        }
        try readChunk()
    }

    private func readChunk() throws {
        let chunkID = UUID().uuidString.lowercased()
        guard incremental.beginChunk(id: chunkID, matches: IncrementalSnapshotCollection.id(_:matches:)) else { return }
        let opened = CivilTime.isoUTC(micros: WallClock.epochMicros(), fractionDigits: 6)
        do {
            let connection = try queryConnection()
            try writeWatermark(
                connection, id: chunkID + "-open", type: .openWindow,
                data: "{\"openWindowTimestamp\": \"\(opened)\"}")
            while let collection = incremental.current {
                guard let read = try incrementalTarget(collection, connection) else {
                    incremental.finishCollection()
                    continue
                }
                incrementalRead = read
                if incremental.context?.maximumKey == nil {
                    let maximum = try keys(connection, maximumQuery(read, collection), read).first
                    incremental.maximumKeyRead(maximum)
                    guard maximum != nil else {
                        logger.info("incremental snapshot: table empty", metadata: ["table": "\(collection.id)"])
                        continue
                    }
                    logger.info(
                        "incremental snapshot of table started",
                        metadata: [
                            "table": "\(collection.id)", "estimated_rows": "\(read.progress.estimatedRows)",
                            "chunk": "\(config.signals.chunkSize) rows by \(read.key.columns.joined(separator: ","))",
                        ])
                }
                if try readRows(read, collection, connection) { break }
                logger.info(
                    "incremental snapshot of table done",
                    metadata: [
                        "table": "\(collection.id)", "rows": "\(incrementalRead?.progress.rows ?? 0)",
                        "seconds": "\(read.progress.seconds)",
                    ])
            }
            if config.signals.watermarking == .insertDelete, let table = config.signals.dataCollections.first {
                try connection.execute(
                    "DELETE FROM \(Self.quoteQualified(table)) WHERE id = '\(Self.escape(chunkID + "-open"))'")
            } else {
                let closed = CivilTime.isoUTC(micros: WallClock.epochMicros(), fractionDigits: 6)
                try writeWatermark(
                    connection, id: chunkID + "-close", type: .closeWindow,
                    data: "{\"openWindowTimestamp\": \"\(opened)\", \"closeWindowTimestamp\": \"\(closed)\"}")
            }
        } catch let error as RetriableError where error.isRetriable {
            // A lost connection: the task starts again and resumes the snapshot from the stored offsets.
            queries?.close()
            queries = nil
            throw error
        } catch {
            logger.error(
                "incremental snapshot: table given up, streaming goes on",
                metadata: ["table": "\(incremental.current?.id ?? "-")", "error": "\(error)"])
            queries?.close()
            queries = nil
            incremental.abandonChunk()
            try readChunk()
        }
    }

    /// Reads the next chunk of the current table into the window: true when it holds rows, false when the table
    /// is done.
    private func readRows(
        _ read: MySQLIncrementalRead, _ collection: IncrementalSnapshotCollection, _ connection: MySQLConnection
    ) throws -> Bool {
        var rows: [WindowRow] = []
        try connection.stream(chunkQuery(read, collection)) { text in
            let row = try read.table.row(text: text)
            rows.append(
                WindowRow(
                    fingerprint: Self.fingerprint(row) ?? [],
                    chunkKey: read.key.text(ofRow: text), row: row))
        }
        return incremental.chunkRead(rows)
    }

    /// The key columns' texts of each row `sql` returns (the key columns of `read`, in order).
    private func keys(_ connection: MySQLConnection, _ sql: String, _ read: MySQLIncrementalRead) throws -> [[String?]]
    {
        var keys: [[String?]] = []
        try connection.stream(sql) { text in
            keys.append(read.key.text(ofKeyRow: text))
        }
        return keys
    }

    /// The connection for the incremental snapshot's reads and watermarks and for `heartbeat.action.query`, opened
    /// when first needed.
    func queryConnection() throws -> MySQLConnection {
        if let queries { return queries }
        let connection = try MySQLConnection(config.connection)
        queries = connection
        return connection
    }

    /// The current table's schema and chunk key, or nil (said in the log) when it cannot be snapshotted.
    private func incrementalTarget(
        _ collection: IncrementalSnapshotCollection, _ connection: MySQLConnection
    ) throws -> MySQLIncrementalRead? {
        let parts = collection.id.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, catalog.table(database: parts[0], name: parts[1]) != nil else {
            logger.warning(
                "incremental snapshot: no such table, skipped (name it database.table)",
                metadata: ["table": "\(collection.id)"])
            return nil
        }
        guard let table = try tableSchema(database: parts[0], table: parts[1]) else {
            logger.warning(
                "incremental snapshot: table not captured (table.include.list and the other filters), skipped",
                metadata: ["table": "\(collection.id)"])
            return nil
        }
        let columns = collection.surrogateKey.map { [$0] } ?? table.table.primaryKey
        guard let key = MySQLChunkKey(table.table, columns: columns), table.keySchema != nil else {
            logger.warning(
                columns.isEmpty || table.keySchema == nil
                    ? "incremental snapshot: table has no primary key, skipped"
                    : "incremental snapshot: surrogate-key is not a column of the table, skipped",
                metadata: ["table": "\(collection.id)"])
            return nil
        }
        var read = MySQLIncrementalRead(
            table: table, key: key, progress: TableProgress(table: collection.id, estimatedRows: -1))
        if let previous = incrementalRead, previous.table.table.qualifiedName == table.table.qualifiedName {
            read.progress = previous.progress
        } else {
            read.progress.estimatedRows = try estimatedRows(database: parts[0], table: parts[1], connection) ?? -1
        }
        return read
    }

    /// The chunk's SELECT: every column of the table (as its rows are converted), after the last key, up to the
    /// maximum key, in key order, with the signal's condition.
    private func chunkQuery(_ read: MySQLIncrementalRead, _ collection: IncrementalSnapshotCollection) -> String {
        var conditions: [String] = []
        if let last = incremental.context?.lastKey { conditions.append(read.key.condition(last, after: true)) }
        if let maximum = incremental.context?.maximumKey {
            conditions.append(read.key.condition(maximum, after: false))
        }
        if let condition = collection.additionalCondition { conditions.append("(" + condition + ")") }
        let table = read.table.table
        return "SELECT " + table.columns.map { MySQLConnection.quote($0.name) }.joined(separator: ", ") + " FROM "
            + MySQLConnection.quote(table.database) + "." + MySQLConnection.quote(table.name)
            + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + read.key.orderBy() + " LIMIT \(config.signals.chunkSize)"
    }

    /// The current table's largest key (with the signal's condition).
    private func maximumQuery(_ read: MySQLIncrementalRead, _ collection: IncrementalSnapshotCollection) -> String {
        let table = read.table.table
        return "SELECT " + read.key.columns.map(MySQLConnection.quote).joined(separator: ", ") + " FROM "
            + MySQLConnection.quote(table.database) + "." + MySQLConnection.quote(table.name)
            + (collection.additionalCondition.map { " WHERE (" + $0 + ")" } ?? "") + read.key.orderBy(descending: true)
            + " LIMIT 1"
    }

    /// Writes a watermark: a row of the signal table as Debezium writes it (`id`, `type`, `data`).
    private func writeWatermark(_ connection: MySQLConnection, id: String, type: Signal.Kind, data: String) throws {
        guard let table = config.signals.dataCollections.first else { return }
        do {
            try connection.execute(
                "INSERT INTO \(Self.quoteQualified(table)) VALUES ('\(Self.escape(id))', '\(type.rawValue)', "
                    + "'\(Self.escape(data))')")
        } catch let error as MySQLError {
            throw MySQLError(
                "cannot write the incremental snapshot's watermark into \(table) (\(error)): grant INSERT on it to "
                    + config.connection.user, errorNumber: error.errorNumber)
        }
    }

    /// `database.table`, each part quoted.
    static func quoteQualified(_ name: String) -> String {
        name.split(separator: ".", maxSplits: 1).map { MySQLConnection.quote(String($0)) }.joined(separator: ".")
    }
}
