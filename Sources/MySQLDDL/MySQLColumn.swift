/// A column as its table's DDL defines it: what Debezium's `Column` knows of a MySQL/MariaDB column.
public struct MySQLColumn: Equatable, Sendable {
    /// A column's default: none, NULL, a literal as MySQL reads it, or an expression (`current_timestamp(6)`).
    public enum Default: Equatable, Sendable {
        case null
        case literal(String)
        case expression(String)
    }

    public var name: String
    /// The type's name in upper case as written, without length or attributes (`INT`, `VARCHAR`, `DOUBLE
    /// PRECISION` as `DOUBLE`, `BOOL` as `BOOLEAN`).
    public var typeName: String
    /// `(M)` or `(M,D)`'s first number: display width, length, precision or fractional seconds.
    public var length: Int?
    /// `(M,D)`'s second number.
    public var scale: Int?
    public var unsigned = false
    public var zerofill = false
    public var nullable = true
    public var autoIncrement = false
    public var defaultValue: Default?
    /// The column's own `CHARACTER SET` (or the one its `COLLATE` implies), if it names one.
    public var charset: String?
    public var collation: String?
    /// ENUM and SET members, in order.
    public var members: [String] = []
    /// Generated columns (`AS (…)`): present in rows, computed by the server.
    public var generated = false
    public var comment: String?

    public init(name: String, typeName: String) {
        self.name = name
        self.typeName = typeName
    }

    /// Whether values are character strings, whose bytes are in the column's character set.
    public var isCharacter: Bool {
        switch typeName {
        case "CHAR", "VARCHAR", "TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT", "NCHAR", "NVARCHAR", "ENUM", "SET",
            "LONG":
            true
        default: false
        }
    }

    /// The type as Debezium's `column.type` names it: the name with `UNSIGNED` / `ZEROFILL` (`INT UNSIGNED`).
    public var fullTypeName: String {
        typeName + (unsigned ? " UNSIGNED" : "") + (zerofill ? " ZEROFILL" : "")
    }
}

/// A table as its DDL defines it.
public struct MySQLTable: Equatable, Sendable {
    public var database: String
    public var name: String
    public var columns: [MySQLColumn]
    /// Primary key column names, in key order.
    public var primaryKey: [String]
    /// The table's default character set (`DEFAULT CHARSET=`), if it names one.
    public var charset: String?
    public var comment: String?

    public init(database: String, name: String, columns: [MySQLColumn], primaryKey: [String], charset: String? = nil) {
        self.database = database
        self.name = name
        self.columns = columns
        self.primaryKey = primaryKey
        self.charset = charset
    }

    /// `database.table`.
    public var qualifiedName: String { database + "." + name }

    /// The column named `name`, compared as MySQL compares column names (case-insensitively).
    public func columnIndex(_ name: String) -> Int? {
        let lower = name.lowercased()
        return columns.firstIndex { $0.name.lowercased() == lower }
    }
}
