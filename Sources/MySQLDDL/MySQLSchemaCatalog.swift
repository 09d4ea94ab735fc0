/// The table schemas of a server as its DDL made them: started from `SHOW CREATE TABLE` (or a stored history)
/// and kept current by applying each DDL statement of the binlog in order, as Debezium's schema history does.
public struct MySQLSchemaCatalog: Equatable, Sendable {
    /// A table a statement created, changed or removed.
    public enum Change: Equatable, Sendable {
        case created(MySQLTable)
        case altered(MySQLTable)
        case renamed(from: String, to: MySQLTable)
        case dropped(database: String, table: String)
        case truncated(database: String, table: String)
    }

    /// Tables by `database.table`.
    public private(set) var tables: [String: MySQLTable] = [:]
    /// Default character sets by database.
    public private(set) var databaseCharsets: [String: String] = [:]
    /// `character_set_server`: the default of databases that name none.
    public var serverCharset: String

    public init(serverCharset: String = "utf8mb4") {
        self.serverCharset = serverCharset
    }

    public func table(database: String, name: String) -> MySQLTable? { tables[database + "." + name] }

    /// Records a database's default character set (from `information_schema` at a schema snapshot).
    public mutating func setCharset(_ charset: String, database: String) {
        databaseCharsets[database] = charset.lowercased()
    }

    /// Applies a statement run with `database` as its default database; the tables it changed. Statements about
    /// tables the catalog does not know (dropped before, or never read) change nothing.
    public mutating func apply(_ statement: DDLStatement, database: String) throws(DDLError) -> [Change] {
        func qualified(_ name: DDLTableName) -> DDLTableName {
            DDLTableName(database: name.database ?? database, name: name.name)
        }
        func key(_ name: DDLTableName) -> String { (name.database ?? database) + "." + name.name }
        switch statement {
        case .createTable(let name, var table, let ifNotExists, _):
            let name = qualified(name)
            if ifNotExists, tables[key(name)] != nil { return [] }
            table.database = name.database!
            table.name = name.name
            table.charset = table.charset ?? charset(of: table.database)
            for i in table.columns.indices { resolveCharset(&table.columns[i], table: table) }
            tables[key(name)] = table
            return [.created(table)]
        case .createTableLike(let name, let like, let ifNotExists):
            let name = qualified(name)
            if ifNotExists, tables[key(name)] != nil { return [] }
            guard var table = tables[key(like)] else {
                throw DDLError("CREATE TABLE \(name) LIKE \(like): \(like) is not known", table: name)
            }
            table.database = name.database!
            table.name = name.name
            tables[key(name)] = table
            return [.created(table)]
        case .alterTable(let name, let alterations):
            guard var table = tables[key(name)] else { return [] }
            let oldKey = key(name)
            for alteration in alterations { try alter(&table, alteration) }
            tables[oldKey] = nil
            tables[table.qualifiedName] = table
            return [table.qualifiedName == oldKey ? .altered(table) : .renamed(from: oldKey, to: table)]
        case .renameTables(let renames):
            var changes: [Change] = []
            for rename in renames {
                guard var table = tables.removeValue(forKey: key(rename.from)) else { continue }
                let to = qualified(rename.to)
                table.database = to.database!
                table.name = to.name
                tables[table.qualifiedName] = table
                changes.append(.renamed(from: key(rename.from), to: table))
            }
            return changes
        case .dropTables(let names):
            return names.compactMap { name in
                let name = qualified(name)
                guard tables.removeValue(forKey: key(name)) != nil else { return nil }
                return .dropped(database: name.database!, table: name.name)
            }
        case .truncateTable(let name):
            let name = qualified(name)
            return tables[key(name)] == nil ? [] : [.truncated(database: name.database!, table: name.name)]
        case .createDatabase(let name, let charset):
            databaseCharsets[name] = charset ?? serverCharset
            return []
        case .alterDatabase(let name, let charset):
            if let charset { databaseCharsets[name ?? database] = charset }
            return []
        case .dropDatabase(let name):
            databaseCharsets[name] = nil
            let dropped = tables.values.filter { $0.database == name }.sorted { $0.name < $1.name }
            for table in dropped { tables[table.qualifiedName] = nil }
            return dropped.map { .dropped(database: $0.database, table: $0.name) }
        case .use, .other:
            return []
        }
    }

    /// Replaces or adds a table as read from the server (`SHOW CREATE TABLE`).
    public mutating func put(_ table: MySQLTable) {
        var table = table
        table.charset = table.charset ?? charset(of: table.database)
        for i in table.columns.indices { resolveCharset(&table.columns[i], table: table) }
        tables[table.qualifiedName] = table
    }

    private func charset(of database: String) -> String { databaseCharsets[database] ?? serverCharset }

    /// A character column without its own character set has its table's.
    private func resolveCharset(_ column: inout MySQLColumn, table: MySQLTable) {
        if column.isCharacter, column.charset == nil { column.charset = table.charset ?? charset(of: table.database) }
    }

    private func alter(_ table: inout MySQLTable, _ alteration: DDLAlteration) throws(DDLError) {
        let name = DDLTableName(database: table.database, name: table.name)
        func index(_ column: String) throws(DDLError) -> Int {
            guard let i = table.columnIndex(column) else {
                throw DDLError("ALTER TABLE \(name): no column \(column)", table: name)
            }
            return i
        }
        func insert(_ column: MySQLColumn, at position: DDLColumnPosition?, default end: Int) throws(DDLError) {
            var column = column
            resolveCharset(&column, table: table)
            switch position {
            case .first: table.columns.insert(column, at: 0)
            case .after(let other): table.columns.insert(column, at: try index(other) + 1)
            case nil: table.columns.insert(column, at: end)
            }
        }
        switch alteration {
        case .addColumns(let columns, let position):
            for column in columns {
                if table.columnIndex(column.name) != nil { continue }
                try insert(column, at: position, default: table.columns.count)
            }
        case .dropColumn(let column, let ifExists):
            guard let i = table.columnIndex(column) else {
                if ifExists { return }
                throw DDLError("ALTER TABLE \(name): no column \(column) to drop", table: name)
            }
            table.columns.remove(at: i)
            table.primaryKey.removeAll { $0.lowercased() == column.lowercased() }
        case .modifyColumn(let column, let position, let ifExists):
            guard let i = table.columnIndex(column.name) else {
                if ifExists { return }
                throw DDLError("ALTER TABLE \(name): no column \(column.name) to modify", table: name)
            }
            table.columns.remove(at: i)
            try insert(column, at: position, default: i)
        case .changeColumn(let from, let column, let position, let ifExists):
            guard let i = table.columnIndex(from) else {
                if ifExists { return }
                throw DDLError("ALTER TABLE \(name): no column \(from) to change", table: name)
            }
            table.columns.remove(at: i)
            try insert(column, at: position, default: i)
            table.primaryKey = table.primaryKey.map { $0.lowercased() == from.lowercased() ? column.name : $0 }
        case .renameColumn(let from, let to):
            let i = try index(from)
            table.columns[i].name = to
            table.primaryKey = table.primaryKey.map { $0.lowercased() == from.lowercased() ? to : $0 }
        case .setDefault(let column, let value):
            table.columns[try index(column)].defaultValue = value
        case .addPrimaryKey(let columns):
            table.primaryKey = try columns.map { (c: String) throws(DDLError) -> String in
                table.columns[try index(c)].name
            }
            for c in columns { table.columns[try index(c)].nullable = false }
        case .dropPrimaryKey:
            table.primaryKey = []
        case .renameTable(let to):
            table.database = to.database ?? table.database
            table.name = to.name
        case .convertCharset(let charset):
            table.charset = charset
            for i in table.columns.indices where table.columns[i].isCharacter && table.columns[i].charset != "binary" {
                table.columns[i].charset = charset
                table.columns[i].collation = nil
            }
        case .defaultCharset(let charset):
            table.charset = charset
        }
    }
}
