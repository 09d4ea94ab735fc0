import Logging
import TributaryCore

/// Writes row changes into the target database, a batch per transaction. Consecutive changes of one table with the
/// same columns become one multi-row statement (`INSERT … VALUES (…),(…)` with the dialect's upsert clause, or
/// `DELETE … WHERE key IN (…)`), or in PostgreSQL, for many rows, a COPY into a staging table and one statement
/// from there; a key seen twice starts a new statement, so each row's changes apply in order.
/// Tables are created and columns added as `schema.evolution=basic` allows. A column holding the source's
/// placeholder for an unchanged TOAST value is left out of that row's statement, so the stored value stays.
public final class SinkWriter {
    public let config: JdbcSinkConfig
    private let dialect: any SinkDialect
    private let database: any SinkDatabase
    private let logger: Logger
    /// The columns (by `columnKey`) of each table seen, by table name as records give it.
    private var tables: [String: Set<String>] = [:]
    /// The most bytes of values one statement carries (MySQL's `max_allowed_packet` is 16 MB by default).
    private let maxStatementBytes = 4 << 20
    /// The staging table (`PostgresStaging`) of each table and column list, by their names joined with NULs.
    private var stages: [String: String] = [:]
    /// The staging tables known to exist in the session.
    private var createdStages: Set<String> = []
    /// Rows written through a staging table (PostgreSQL's COPY), since the writer was made.
    public private(set) var stagedRows = 0

    public init(config: JdbcSinkConfig, logger: Logger = Logger(label: "tributary.jdbc-sink")) throws {
        self.config = config
        self.logger = logger
        switch config.url.dialect {
        case .postgresql:
            dialect = PostgresSinkDialect(quoteAll: config.quoteIdentifiers, timeZone: config.timeZone)
            database = try PostgresSinkDatabase(config.url, user: config.user, password: config.password)
        case .mysql, .mariadb:
            dialect = MySQLSinkDialect(isMariaDB: config.url.dialect == .mariadb, timeZone: config.timeZone)
            database = try MySQLSinkDatabase(config.url, user: config.user, password: config.password)
        }
        for statement in dialect.sessionSetup {
            try database.execute(SinkStatement(statement), purpose: "set up the sink's session")
        }
        try setTimeZone()
    }

    public func close() { database.close() }

    /// Sets the session's zone by the first of the dialect's statements the database accepts; the last one's
    /// error, if none is accepted. A fallback taken is a warning, once per connection.
    private func setTimeZone() throws {
        let statements = dialect.timeZoneSetup
        for (index, statement) in statements.enumerated() {
            do {
                try database.execute(SinkStatement(statement), purpose: "set the session's time zone (use.time.zone)")
                if index > 0 {
                    logger.warning(
                        """
                        the target database does not know the time zone \(config.timeZone) (use.time.zone); its \
                        session runs in UTC, so MySQL TIMESTAMP columns read the zone's wall-clock times as UTC. \
                        Load the server's time zone tables (mariadb-tzinfo-to-sql) to fix it
                        """)
                }
                return
            } catch  where index + 1 < statements.count {
                logger.debug("the session's time zone was refused: \(error)")
            }
        }
    }

    /// Whether a transaction is open: a write with `commit: false` left it so, and the next write continues it.
    public private(set) var isInTransaction = false

    /// Writes `changes` in one transaction: all of them, or (on an error) none. With `commit: false` the transaction
    /// stays open for the next write. Any error rolls the whole transaction back, but with `isolatable` a write into
    /// an open transaction that fails on a record (a `SinkError`) rolls back only itself, to a savepoint set before
    /// it, and the transaction stays open with what was written in it before, for `writeIsolating` to find the
    /// record. (A savepoint only when asked: PostgreSQL slows down every session's snapshots while a transaction has
    /// more than 64 subtransactions.)
    public func write(_ changes: [RowChange], commit: Bool = true, isolatable: Bool = false) throws {
        guard !changes.isEmpty || (commit && isInTransaction) else { return }
        let savepoint = isInTransaction && isolatable
        if savepoint {
            try setSavepoint("tributary_batch")
        } else if !isInTransaction {
            try begin()
        }
        do {
            var next = 0
            while next < changes.count { next = try writeRun(changes[...], from: next) }
            if commit { try end("COMMIT") }
        } catch let error as SinkError where savepoint {
            try rollbackToSavepoint("tributary_batch")
            throw error
        } catch {
            rollback()
            throw error
        }
    }

    private func begin() throws {
        try database.execute(SinkStatement("BEGIN"), purpose: "begin the sink's transaction")
        isInTransaction = true
    }

    private func setSavepoint(_ name: String) throws {
        try database.execute(SinkStatement("SAVEPOINT \(name)"), purpose: "set a savepoint")
    }

    /// Ends the transaction by `statement` (COMMIT or ROLLBACK).
    private func end(_ statement: String) throws {
        try database.execute(SinkStatement(statement), purpose: "end the sink's transaction")
        isInTransaction = false
    }

    /// Rolls back to the savepoint `name`; the whole transaction when that fails.
    private func rollbackToSavepoint(_ name: String) throws {
        do {
            try database.execute(SinkStatement("ROLLBACK TO SAVEPOINT \(name)"), purpose: "roll records back")
        } catch {
            rollback()
            throw error
        }
        // Tables (and staging tables) created or altered since the savepoint may be gone again.
        forgetTables()
    }

    /// Writes `changes` a row at a time in one transaction (or the one open), each behind a savepoint, and returns
    /// those the database (or the dialect) refused, with why: how a batch that failed finds its records. The others
    /// are kept (and committed, unless `commit` is false) when nothing was refused or `keepingTheOthers`; otherwise
    /// the transaction is rolled back, with what was written in it before. Errors that are not a record's (a lost
    /// connection) are thrown, with everything rolled back.
    public func writeIsolating(
        _ changes: [RowChange], keepingTheOthers: Bool, commit: Bool = true
    ) throws -> [(index: Int, error: SinkError)] {
        var refused: [(index: Int, error: SinkError)] = []
        if !isInTransaction { try begin() }
        do {
            for index in changes.indices {
                try setSavepoint("tributary_row")
                do {
                    _ = try writeRun(changes[index...index], from: index)
                } catch let error as SinkError {
                    try rollbackToSavepoint("tributary_row")
                    refused.append((index, error))
                }
            }
            if !refused.isEmpty && !keepingTheOthers {
                try end("ROLLBACK")
            } else if commit {
                try end("COMMIT")
            }
        } catch {
            rollback()
            throw error
        }
        return refused
    }

    private func rollback() {
        _ = try? database.execute(SinkStatement("ROLLBACK"), purpose: "roll the sink's transaction back")
        isInTransaction = false
        forgetTables()
    }

    /// After a rollback: tables (and staging tables) created or altered in the transaction may be gone again.
    private func forgetTables() {
        tables.removeAll()
        createdStages.removeAll()
    }

    /// Writes the changes from `start` that one statement can carry; returns the index of the first one left.
    private func writeRun(_ changes: ArraySlice<RowChange>, from start: Int) throws -> Int {
        let first = changes[start]
        let keyNames = first.key.map(\.name)
        switch first.operation {
        case .truncate:
            if try columns(of: first.table) != nil { try run(dialect.truncate(first.table), changes[start...start]) }
            return start + 1
        case .delete:
            var end = start
            var rows: [[String?]] = []
            let limit = dialect.maxRows(columns: keyNames.count)
            while end < changes.endIndex, rows.count < limit, changes[end].operation == .delete,
                changes[end].table == first.table, changes[end].key.map(\.name) == keyNames
            {
                rows.append(try bound(changes[end].key, changes[end]))
                end += 1
            }
            guard try columns(of: first.table) != nil else { return end }
            try run(dialect.delete(first.table, key: keyNames, rows: rows), changes[start..<end])
            return end
        case .write:
            try ensureTable(first)
            let available = first.columns.filter { !isUnavailable($0.value) }
            let names = available.map(\.name)
            if config.insertMode == .update {
                guard !names.isEmpty else { return start + 1 }
                let row = try bound(available + first.key, first)
                try run(dialect.update(first.table, key: keyNames, columns: names, row: row), changes[start...start])
                return start + 1
            }
            var end = start
            var rows: [[String?]] = []
            var keys: Set<ArraySlice<String?>> = []
            var bytes = 0
            let columns = keyNames + names
            let upsertKey = config.insertMode == .upsert ? keyNames : nil
            let limit = dialect.maxRows(columns: columns.count)
            let staging = dialect.staging
            while end < changes.endIndex, staging != nil || rows.count < limit, bytes < maxStatementBytes,
                sameShape(changes[end], table: first.table, key: keyNames, columns: names)
            {
                let change = changes[end]
                let row = try bound(change.key + change.columns.filter { !isUnavailable($0.value) }, change)
                if !keyNames.isEmpty, !keys.insert(row[..<keyNames.count]).inserted { break }
                for value in row { bytes += value?.utf8.count ?? 0 }
                rows.append(row)
                end += 1
            }
            if let staging, rows.count >= PostgresStaging.minimumRows {
                try writeStaged(
                    staging, first.table, columns: columns, rows: rows, upsertKey: upsertKey, bytes: bytes,
                    changes[start..<end])
                return end
            }
            if rows.count > limit {
                rows.removeSubrange(limit...)
                end = start + limit
            }
            let statement = dialect.insert(first.table, columns: columns, rows: rows, upsertKey: upsertKey)
            try run(statement, changes[start..<end])
            return end
        }
    }

    /// Writes `rows` (of `bytes` bytes of values) into `table` by COPY into its staging table and one statement
    /// from there.
    private func writeStaged(
        _ staging: PostgresStaging, _ table: String, columns: [String], rows: [[String?]], upsertKey: [String]?,
        bytes: Int, _ changes: ArraySlice<RowChange>
    ) throws {
        let key = ([table] + columns).joined(separator: "\u{0}")
        let stage = stages[key] ?? "tributary_stage_\(stages.count + 1)"
        stages[key] = stage
        if !createdStages.contains(stage) {
            try database.execute(
                staging.create(stage, of: table, columns: columns), purpose: "create the staging table of \(table)")
            createdStages.insert(stage)
        }
        var data: [UInt8] = []
        // Each value's bytes, escapes aside, and a separator (or the row's end) after each.
        data.reserveCapacity(bytes + rows.count * columns.count * 3)
        for row in rows { PostgresStaging.append(row, to: &data) }
        try attributed(changes) {
            try database.copy(staging.copy(into: stage, columns: columns), data: data, purpose: $0)
        }
        try run(staging.insert(from: stage, into: table, columns: columns, upsertKey: upsertKey), changes)
        stagedRows += rows.count
    }

    /// Whether `change` writes `table` with these key and column names (its unavailable columns left out).
    private func sameShape(_ change: RowChange, table: String, key: [String], columns: [String]) -> Bool {
        guard change.operation == .write, change.table == table, change.key.count == key.count else { return false }
        for (column, name) in zip(change.key, key) where column.name != name { return false }
        var i = 0
        for column in change.columns where !isUnavailable(column.value) {
            guard i < columns.count, column.name == columns[i] else { return false }
            i += 1
        }
        return i == columns.count
    }

    /// Whether the value is the source's placeholder for a value it did not send (unchanged TOAST).
    private func isUnavailable(_ value: Value) -> Bool {
        switch value {
        case .string(let v): v == config.unavailableValuePlaceholder
        case .bytes(let v): v.elementsEqual(config.unavailableValuePlaceholder.utf8)
        default: false
        }
    }

    private func bound(_ columns: [RowChange.Column], _ change: RowChange) throws(SinkError) -> [String?] {
        var out: [String?] = []
        out.reserveCapacity(columns.count)
        for column in columns {
            do {
                out.append(try dialect.bound(column.value, column.schema))
            } catch {
                throw SinkError(
                    .unsupportedType, position: change.position, "column \(column.name) of \(change.table): \(error)")
            }
        }
        return out
    }

    private func run(_ statement: SinkStatement, _ changes: ArraySlice<RowChange>) throws {
        try attributed(changes) { try database.execute(statement, purpose: $0) }
    }

    /// Runs `body` with its purpose (writing `changes`); an error that is the records' (not a lost connection)
    /// becomes a `SinkError` naming the first record's position.
    private func attributed(_ changes: ArraySlice<RowChange>, _ body: (String) throws -> Void) throws {
        let first = changes[changes.startIndex]
        do {
            try body("write \(first.position) into \(first.table)")
        } catch let error as RetriableError where !error.isRetriable {
            let more = changes.count > 1 ? " (or one of the \(changes.count - 1) records after it)" : ""
            throw SinkError(.database, position: first.position + more, "\(first.table): \(error)")
        }
    }

    /// The table's columns (by `columnKey`); nil when it does not exist.
    private func columns(of table: String) throws -> Set<String>? {
        if let known = tables[table] { return known }
        let rows = try database.execute(dialect.columnsQuery(table), purpose: "read the columns of \(table)")
        guard !rows.isEmpty else { return nil }
        let columns = Set(rows.compactMap { $0[0] })
        tables[table] = columns
        return columns
    }

    /// Creates the table, or adds the columns it lacks, as `schema.evolution` allows.
    private func ensureTable(_ change: RowChange) throws {
        let all = change.key + change.columns
        guard let existing = try columns(of: change.table) else {
            guard config.schemaEvolution == .basic else {
                throw SinkError(
                    .database, position: change.position,
                    "table \(change.table) does not exist: create it, or set schema.evolution=basic")
            }
            let sql: String
            do {
                sql = try dialect.createTable(change.table, key: change.key, columns: change.columns)
            } catch {
                throw SinkError(.unsupportedType, position: change.position, "table \(change.table): \(error)")
            }
            try database.execute(SinkStatement(sql), purpose: "create table \(change.table)")
            logger.info("table created", metadata: ["table": "\(change.table)", "columns": "\(all.count)"])
            tables[change.table] = Set(all.map { dialect.columnKey($0.name) })
            return
        }
        let missing = all.filter { !existing.contains(dialect.columnKey($0.name)) }
        guard !missing.isEmpty else { return }
        guard config.schemaEvolution == .basic else {
            throw SinkError(
                .database, position: change.position,
                "table \(change.table) has no column \(missing.map(\.name).joined(separator: ", ")): add it, or set "
                    + "schema.evolution=basic")
        }
        for column in missing {
            let sql: String
            do {
                sql = try dialect.addColumn(change.table, column)
            } catch {
                throw SinkError(.unsupportedType, position: change.position, "column \(column.name): \(error)")
            }
            try database.execute(SinkStatement(sql), purpose: "add column \(column.name) to \(change.table)")
            logger.info("column added", metadata: ["table": "\(change.table)", "column": "\(column.name)"])
        }
        tables[change.table] = existing.union(missing.map { dialect.columnKey($0.name) })
    }
}
