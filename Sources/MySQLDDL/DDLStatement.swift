/// A table's name as a statement writes it; `database` is nil when the statement's default database applies.
public struct DDLTableName: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var database: String?
    public var name: String

    public init(database: String?, name: String) {
        self.database = database
        self.name = name
    }

    public var description: String { (database.map { $0 + "." } ?? "") + name }
}

/// Where ALTER TABLE puts a column.
public enum DDLColumnPosition: Equatable, Sendable {
    case first
    case after(String)
}

/// One change of an ALTER TABLE.
public enum DDLAlteration: Equatable, Sendable {
    case addColumns([MySQLColumn], position: DDLColumnPosition?)
    case dropColumn(String, ifExists: Bool)
    case modifyColumn(MySQLColumn, position: DDLColumnPosition?, ifExists: Bool)
    case changeColumn(from: String, to: MySQLColumn, position: DDLColumnPosition?, ifExists: Bool)
    case renameColumn(from: String, to: String)
    /// ALTER COLUMN … SET DEFAULT (a default) or DROP DEFAULT (nil).
    case setDefault(column: String, MySQLColumn.Default?)
    case addPrimaryKey([String])
    case dropPrimaryKey
    case renameTable(DDLTableName)
    /// CONVERT TO CHARACTER SET: every character column and the table's default.
    case convertCharset(String)
    /// [DEFAULT] CHARACTER SET: the default for columns added later.
    case defaultCharset(String)
}

/// A statement of a binlog QUERY event (or a `SHOW CREATE TABLE`), as far as it changes table schemas.
public enum DDLStatement: Equatable, Sendable {
    /// CREATE TABLE with its columns; `replace` for CREATE OR REPLACE.
    case createTable(DDLTableName, MySQLTable, ifNotExists: Bool, replace: Bool)
    case createTableLike(DDLTableName, like: DDLTableName, ifNotExists: Bool)
    case alterTable(DDLTableName, [DDLAlteration])
    case renameTables([DDLRename])
    case dropTables([DDLTableName])
    case truncateTable(DDLTableName)
    case createDatabase(String, charset: String?)
    case alterDatabase(String?, charset: String?)
    case dropDatabase(String)
    case use(String)
    /// Anything that leaves table schemas as they are: transactions, grants, views, routines, indexes, SET, …
    case other
}

/// One `a TO b` of RENAME TABLE.
public struct DDLRename: Equatable, Sendable {
    public var from: DDLTableName
    public var to: DDLTableName

    public init(from: DDLTableName, to: DDLTableName) {
        self.from = from
        self.to = to
    }
}
