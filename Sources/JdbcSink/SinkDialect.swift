import TributaryCore

/// One SQL statement for a sink's database: its text, and the text of each `$n` parameter (nil for NULL) for the
/// dialects that bind values as parameters.
public struct SinkStatement: Sendable, Equatable {
    public var sql: String
    public var parameters: [String?]

    public init(_ sql: String, _ parameters: [String?] = []) {
        self.sql = sql
        self.parameters = parameters
    }
}

/// What differs between the sink's target databases: how names are quoted and stored, the column type of each
/// Connect schema, how a value goes into a statement, and how an upsert and a table's columns are written.
///
/// A value is rendered once per row (`bound`) and placed by `bind`: dialects with parameters (PostgreSQL) keep
/// the value's text as a parameter; the others (MySQL/MariaDB) render a complete SQL literal, quoted and escaped
/// by the dialect, so that no value can end its literal.
protocol SinkDialect: Sendable {
    /// Whether values are `$n` parameters (true) or literals in the SQL text (false).
    var usesParameters: Bool { get }
    /// The most rows one statement carries.
    func maxRows(columns: Int) -> Int

    /// A table or column name as it goes into SQL.
    func identifier(_ name: String) -> String
    /// `schema.table` or `table` as it goes into SQL.
    func table(_ name: String) -> String
    /// How a column's name compares with the names the database lists (case folded where the database folds).
    func columnKey(_ name: String) -> String

    /// The column type for values of `schema`; key columns may need a type that can be indexed.
    func columnType(_ schema: Schema, isKey: Bool) throws(SinkTypeError) -> String
    /// A value as the statement carries it (parameter text or SQL literal); nil for NULL.
    func bound(_ value: Value, _ schema: Schema) throws(SinkTypeError) -> String?

    /// What follows `INSERT … VALUES …` to update rows whose key exists.
    func upsertClause(key: [String], columns: [String]) -> String
    /// The statement listing a table's columns (as `columnKey` compares them), no rows when it does not exist.
    func columnsQuery(_ table: String) -> SinkStatement
    /// The first statements of each session.
    var sessionSetup: [String] { get }
    /// The statements that set the session's time zone (`use.time.zone`), tried in order until one succeeds.
    var timeZoneSetup: [String] { get }
    /// What follows a created table's column list.
    var tableOptions: String { get }
    /// How long runs of rows are written through a staging table, where the database has a bulk load for it.
    var staging: PostgresStaging? { get }
}

extension SinkDialect {
    /// Appends `value` to `statement`: a `$n` parameter, or the literal itself.
    func bind(_ value: String?, into statement: inout SinkStatement) {
        if usesParameters {
            statement.parameters.append(value)
            statement.sql += "$\(statement.parameters.count)"
        } else {
            statement.sql += value ?? "NULL"
        }
    }

    private func list(_ names: [String]) -> String { names.map(identifier).joined(separator: ",") }

    private func tuple(_ values: ArraySlice<String?>, into statement: inout SinkStatement) {
        statement.sql += "("
        for (i, value) in values.enumerated() {
            if i > 0 { statement.sql += "," }
            bind(value, into: &statement)
        }
        statement.sql += ")"
    }

    /// `INSERT INTO t (columns) VALUES (…),(…)`, and the upsert clause when `upsertKey` is given.
    func insert(
        _ table: String, columns: [String], rows: [[String?]], upsertKey: [String]? = nil
    ) -> SinkStatement {
        var statement = SinkStatement("INSERT INTO " + self.table(table) + " (" + list(columns) + ") VALUES ")
        statement.parameters.reserveCapacity(usesParameters ? rows.count * columns.count : 0)
        for (i, row) in rows.enumerated() {
            if i > 0 { statement.sql += "," }
            tuple(row[...], into: &statement)
        }
        if let key = upsertKey { statement.sql += upsertClause(key: key, columns: Array(columns.dropFirst(key.count))) }
        return statement
    }

    /// `UPDATE t SET c=… WHERE k=…` for one row whose values are its columns' and then its key's.
    func update(_ table: String, key: [String], columns: [String], row: [String?]) -> SinkStatement {
        var statement = SinkStatement("UPDATE " + self.table(table) + " SET ")
        for (i, name) in columns.enumerated() {
            if i > 0 { statement.sql += "," }
            statement.sql += identifier(name) + "="
            bind(row[i], into: &statement)
        }
        statement.sql += " WHERE "
        for (i, name) in key.enumerated() {
            if i > 0 { statement.sql += " AND " }
            statement.sql += identifier(name) + "="
            bind(row[columns.count + i], into: &statement)
        }
        return statement
    }

    /// `DELETE FROM t WHERE k IN (…)`, or `(k1,k2) IN ((…),(…))` for a composite key.
    func delete(_ table: String, key: [String], rows: [[String?]]) -> SinkStatement {
        let composite = key.count > 1
        var statement = SinkStatement(
            "DELETE FROM " + self.table(table) + " WHERE " + (composite ? "(" + list(key) + ")" : list(key)) + " IN (")
        for (i, row) in rows.enumerated() {
            if i > 0 { statement.sql += "," }
            if composite { tuple(row[...], into: &statement) } else { bind(row[0], into: &statement) }
        }
        statement.sql += ")"
        return statement
    }

    func truncate(_ table: String) -> SinkStatement { SinkStatement("TRUNCATE TABLE " + self.table(table)) }

    func createTable(
        _ table: String, key: [RowChange.Column], columns: [RowChange.Column]
    ) throws(SinkTypeError) -> String {
        var definitions: [String] = []
        for column in key {
            definitions.append(
                identifier(column.name) + " " + (try columnType(column.schema, isKey: true)) + " NOT NULL")
        }
        for column in columns {
            definitions.append(
                identifier(column.name) + " " + (try columnType(column.schema, isKey: false))
                    + (column.schema.isOptional ? " NULL" : " NOT NULL"))
        }
        if !key.isEmpty { definitions.append("PRIMARY KEY (" + list(key.map(\.name)) + ")") }
        return "CREATE TABLE " + self.table(table) + " (" + definitions.joined(separator: ", ") + ")" + tableOptions
    }

    func addColumn(_ table: String, _ column: RowChange.Column) throws(SinkTypeError) -> String {
        "ALTER TABLE " + self.table(table) + " ADD COLUMN " + identifier(column.name) + " "
            + (try columnType(column.schema, isKey: false)) + " NULL"
    }
}

/// `schema.table` split at its first dot.
public func splitTableName(_ name: String) -> (schema: String?, table: String) {
    guard let dot = name.firstIndex(of: ".") else { return (nil, name) }
    return (String(name[..<dot]), String(name[name.index(after: dot)...]))
}

/// A Connect schema or value the target database has no column for.
struct SinkTypeError: Error, CustomStringConvertible {
    let what: String

    init(_ what: String) {
        self.what = what
    }

    var description: String { "cannot write \(what)" }
}
