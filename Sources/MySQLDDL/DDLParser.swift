/// A recursive-descent reader of the MySQL/MariaDB statements that change table schemas: CREATE/ALTER/DROP/
/// RENAME/TRUNCATE TABLE and CREATE/ALTER/DROP DATABASE, with every column attribute and table option they may
/// carry. Other statements are `.other`. What it cannot read is a `DDLError` naming the table, never a guess.
public struct DDLParser {
    private var tokens: [DDLToken]
    private var i = 0
    /// The table the statement changes, once its name was read.
    private var table: DDLTableName?

    public static func parse(_ sql: String) throws(DDLError) -> DDLStatement {
        var parser = DDLParser(tokens: try DDLTokenizer.tokenize(sql))
        do {
            return try parser.statement()
        } catch {
            var e = error
            e.table = e.table ?? parser.table
            throw e
        }
    }

    private init(tokens: [DDLToken]) {
        // A trailing `;` ends the statement.
        var tokens = tokens
        while tokens.last == .symbol(";") { tokens.removeLast() }
        self.tokens = tokens
    }

    // MARK: Statements

    private mutating func statement() throws(DDLError) -> DDLStatement {
        if accept("CREATE") {
            _ = accept("OR") ? try expect("REPLACE") : ()
            let replace = i >= 2 && tokens[i - 1].isKeyword("REPLACE")
            if accept("DATABASE") || accept("SCHEMA") {
                let ifNotExists = accept("IF", "NOT", "EXISTS")
                _ = ifNotExists
                let name = try identifier()
                return .createDatabase(name, charset: databaseOptions())
            }
            if accept("TEMPORARY") { return .other }
            guard accept("TABLE") else { return .other }
            return try createTable(replace: replace)
        }
        if accept("ALTER") {
            if accept("DATABASE") || accept("SCHEMA") {
                let name = at(end: true) || isOption() ? nil : try identifier()
                return .alterDatabase(name, charset: databaseOptions())
            }
            _ = accept("ONLINE")
            _ = accept("IGNORE")
            guard accept("TABLE") else { return .other }
            _ = accept("IF", "EXISTS")
            let name = try tableName()
            table = name
            return .alterTable(name, try alterations())
        }
        if accept("DROP") {
            if accept("DATABASE") || accept("SCHEMA") {
                _ = accept("IF", "EXISTS")
                return .dropDatabase(try identifier())
            }
            if accept("TEMPORARY") { return .other }
            guard accept("TABLE") || accept("TABLES") else { return .other }
            _ = accept("IF", "EXISTS")
            _ = accept("NOWAIT") || accept("WAIT") && (try? number()) != nil
            var names = [try tableName()]
            while accept(symbol: ",") { names.append(try tableName()) }
            return .dropTables(names)
        }
        if accept("RENAME") {
            guard accept("TABLE") || accept("TABLES") else { return .other }
            var renames: [DDLRename] = []
            repeat {
                let from = try tableName()
                table = from
                _ = accept("WAIT") && (try? number()) != nil || accept("NOWAIT")
                try expect("TO")
                renames.append(DDLRename(from: from, to: try tableName()))
            } while accept(symbol: ",")
            return .renameTables(renames)
        }
        if accept("TRUNCATE") {
            _ = accept("TABLE")
            return .truncateTable(try tableName())
        }
        if accept("USE") { return .use(try identifier()) }
        return .other
    }

    private mutating func createTable(replace: Bool) throws(DDLError) -> DDLStatement {
        let ifNotExists = accept("IF", "NOT", "EXISTS")
        let name = try tableName()
        table = name
        if accept("LIKE") { return .createTableLike(name, like: try tableName(), ifNotExists: ifNotExists) }
        if peek == .symbol("("), tokens.indices.contains(i + 1), tokens[i + 1].isKeyword("LIKE") {
            i += 2
            let like = try tableName()
            try expect(symbol: ")")
            return .createTableLike(name, like: like, ifNotExists: ifNotExists)
        }
        guard accept(symbol: "(") else {
            throw DDLError("CREATE TABLE \(name) without a column list (CREATE … SELECT) cannot be read")
        }
        var result = MySQLTable(database: name.database ?? "", name: name.name, columns: [], primaryKey: [])
        repeat {
            if let key = try tableConstraint() {
                if !key.isEmpty { result.primaryKey = key }
            } else {
                let column = try columnDefinition(primaryKey: &result.primaryKey)
                result.columns.append(column)
            }
        } while accept(symbol: ",")
        try expect(symbol: ")")
        // Table options, then partitioning; a SELECT after them defines rows we cannot see.
        while !at(end: true) {
            if peek?.isKeyword("SELECT") == true || peek?.isKeyword("AS") == true && !isOption() {
                throw DDLError("CREATE TABLE \(name) … SELECT cannot be read")
            }
            if accept("PARTITION") {
                i = tokens.count
                break
            }
            if accept(symbol: ",") { continue }
            if let (key, value) = try tableOption() {
                switch key {
                case "CHARSET": result.charset = value
                case "COLLATE": if result.charset == nil { result.charset = Self.charset(ofCollation: value) }
                case "COMMENT": result.comment = value
                default: break
                }
            }
        }
        return .createTable(name, result, ifNotExists: ifNotExists, replace: replace)
    }

    /// A `PRIMARY KEY (…)` (its columns), another index or constraint (empty), or nil when a column follows.
    private mutating func tableConstraint() throws(DDLError) -> [String]? {
        let start = i
        try constraintName()
        if let columns = try primaryKey() { return columns }
        for keyword in ["UNIQUE", "INDEX", "KEY", "FULLTEXT", "SPATIAL", "FOREIGN", "CHECK", "PERIOD"]
        where peek?.isKeyword(keyword) == true {
            // A column may be named like a keyword only when quoted; bare, these start an index or constraint.
            skipToListEnd()
            return []
        }
        if i != start {
            skipToListEnd()
            return []
        }
        return nil
    }

    /// `CONSTRAINT [name]` before a key or a check, when written.
    private mutating func constraintName() throws(DDLError) {
        guard accept("CONSTRAINT") else { return }
        let kinds = ["PRIMARY", "UNIQUE", "FOREIGN", "CHECK"]
        if !kinds.contains(where: { peek?.isKeyword($0) == true }) { _ = try identifier() }
    }

    /// The columns of a `PRIMARY KEY (…)` that comes next, or nil.
    private mutating func primaryKey() throws(DDLError) -> [String]? {
        guard accept("PRIMARY") else { return nil }
        try expect("KEY")
        let columns = try keyColumns()
        skipToListEnd()
        return columns
    }

    /// `[name] [USING …] (col [(len)] [ASC|DESC], …)`: the column names.
    private mutating func keyColumns() throws(DDLError) -> [String] {
        if !(peek == .symbol("(")) && !(peek?.isKeyword("USING") ?? false) { _ = try identifier() }
        if accept("USING") { _ = try identifier() }
        try expect(symbol: "(")
        var columns: [String] = []
        repeat {
            columns.append(try identifier())
            if peek == .symbol("(") { skipBalanced() }
            _ = accept("ASC") || accept("DESC")
        } while accept(symbol: ",")
        try expect(symbol: ")")
        return columns
    }

    // MARK: Columns

    private mutating func columnDefinition(primaryKey: inout [String]) throws(DDLError) -> MySQLColumn {
        let name = try identifier()
        var column = try dataType(name: name)
        while !at(end: false), !(peek?.isKeyword("FIRST") ?? false), !(peek?.isKeyword("AFTER") ?? false) {
            if accept("NOT") {
                try expect("NULL")
                column.nullable = false
            } else if accept("NULL") {
                column.nullable = true
            } else if accept("DEFAULT") {
                column.defaultValue = try defaultValue()
            } else if accept("AUTO_INCREMENT") {
                column.autoIncrement = true
            } else if accept("PRIMARY") {
                try expect("KEY")
                primaryKey = [name]
                column.nullable = false
            } else if accept("KEY") {
                // A column's KEY attribute is PRIMARY KEY.
                primaryKey = [name]
                column.nullable = false
            } else if accept("UNIQUE") {
                _ = accept("KEY")
            } else if accept("COMMENT") {
                column.comment = try string()
            } else if accept("ON") {
                try expect("UPDATE")
                _ = try defaultValue()
            } else if accept("GENERATED") {
                try expect("ALWAYS")
                try expect("AS")
                skipBalanced()
                column.generated = true
            } else if accept("AS") {
                skipBalanced()
                column.generated = true
            } else if accept("VIRTUAL") || accept("STORED") || accept("PERSISTENT") || accept("INVISIBLE")
                || accept("VISIBLE") || accept("COMPRESSED") || accept("SERIAL")
            {
                if tokens[i - 1].isKeyword("COMPRESSED"), accept(symbol: "=") { _ = try identifier() }
                if tokens[i - 1].isKeyword("SERIAL") {
                    try expect("DEFAULT")
                    try expect("VALUE")
                }
            } else if accept("CHECK") {
                skipBalanced()
            } else if accept("CONSTRAINT") {
                if !(peek?.isKeyword("CHECK") ?? false) { _ = try identifier() }
            } else if accept("REFERENCES") {
                _ = try tableName()
                if peek == .symbol("(") { skipBalanced() }
                while accept("MATCH") || accept("ON") {
                    if tokens[i - 1].isKeyword("MATCH") {
                        _ = try identifier()
                        continue
                    }
                    _ = accept("DELETE") || accept("UPDATE")
                    if accept("SET") {
                        _ = try identifier()
                    } else if accept("NO") {
                        try expect("ACTION")
                    } else {
                        _ = try identifier()
                    }
                }
            } else if accept("COLUMN_FORMAT") || accept("STORAGE") || accept("SRID") || accept("ENGINE_ATTRIBUTE")
                || accept("SECONDARY_ENGINE_ATTRIBUTE")
            {
                _ = accept(symbol: "=")
                i += 1
            } else if accept("WITH") || accept("WITHOUT") {
                try expect("SYSTEM")
                try expect("VERSIONING")
            } else if accept("COLLATE") {
                let collation = try identifier()
                column.collation = collation
                if column.charset == nil { column.charset = Self.charset(ofCollation: collation) }
            } else if accept("CHARACTER") || accept("CHARSET") {
                if tokens[i - 1].isKeyword("CHARACTER") { try expect("SET") }
                column.charset = try identifier().lowercased()
            } else if accept("BINARY") || accept("ASCII") || accept("UNICODE") || accept("BYTE") {
                if tokens[i - 1].isKeyword("ASCII") { column.charset = "latin1" }
                if tokens[i - 1].isKeyword("UNICODE") { column.charset = "ucs2" }
            } else {
                throw DDLError("unexpected \(peek?.sql ?? "end") in the definition of column \(name)")
            }
        }
        return column
    }

    /// A type with its length, members and the attributes written right after it (UNSIGNED, ZEROFILL, …).
    private mutating func dataType(name: String) throws(DDLError) -> MySQLColumn {
        guard let first = next()?.identifier else { throw DDLError("column \(name) has no type") }
        var type = first.uppercased()
        var implied: (unsigned: Bool, notNull: Bool, autoIncrement: Bool, charset: String?) = (false, false, false, nil)
        switch type {
        case "DOUBLE": _ = accept("PRECISION")
        case "CHARACTER", "CHAR":
            type = accept("VARYING") ? "VARCHAR" : "CHAR"
        case "NATIONAL":
            if accept("VARCHAR") {
                type = "VARCHAR"
            } else {
                _ = accept("CHAR") || accept("CHARACTER")
                type = accept("VARYING") ? "VARCHAR" : "CHAR"
            }
            implied.charset = "utf8mb3"
        case "NCHAR":
            type = accept("VARCHAR") || accept("VARYING") ? "VARCHAR" : "CHAR"
            implied.charset = "utf8mb3"
        case "NVARCHAR":
            type = "VARCHAR"
            implied.charset = "utf8mb3"
        case "LONG":
            if accept("VARBINARY") {
                type = "MEDIUMBLOB"
            } else {
                _ = accept("VARCHAR")
                type = "MEDIUMTEXT"
            }
        case "SERIAL":
            type = "BIGINT"
            implied = (true, true, true, nil)
        default: break
        }
        type = Self.aliases[type] ?? type
        var column = MySQLColumn(name: name, typeName: type)
        column.unsigned = implied.unsigned
        column.nullable = !implied.notNull
        column.autoIncrement = implied.autoIncrement
        column.charset = implied.charset
        if accept(symbol: "(") {
            if type == "ENUM" || type == "SET" {
                repeat { column.members.append(try string()) } while accept(symbol: ",")
            } else {
                column.length = try number()
                if accept(symbol: ",") { column.scale = try number() }
            }
            try expect(symbol: ")")
        }
        while true {
            if accept("UNSIGNED") {
                column.unsigned = true
            } else if accept("SIGNED") {
                column.unsigned = false
            } else if accept("ZEROFILL") {
                column.zerofill = true
                column.unsigned = true
            } else {
                break
            }
        }
        return column
    }

    /// Other names of types, as MySQL stores them.
    private static let aliases: [String: String] = [
        "INTEGER": "INT", "INT1": "TINYINT", "INT2": "SMALLINT", "INT3": "MEDIUMINT", "MIDDLEINT": "MEDIUMINT",
        "INT4": "INT", "INT8": "BIGINT", "DEC": "DECIMAL", "FIXED": "DECIMAL", "NUMERIC": "DECIMAL", "FLOAT4": "FLOAT",
        "FLOAT8": "DOUBLE", "BOOL": "BOOLEAN", "GEOMCOLLECTION": "GEOMETRYCOLLECTION",
    ]

    private mutating func defaultValue() throws(DDLError) -> MySQLColumn.Default {
        guard let token = next() else { throw DDLError("DEFAULT without a value") }
        switch token {
        case .string(let s): return .literal(s)
        case .number(let n): return .literal(n)
        case .symbol("-"), .symbol("+"):
            guard case .number(let n) = next() else { throw DDLError("DEFAULT with a sign but no number") }
            return .literal(token == .symbol("-") ? "-" + n : n)
        case .symbol("("):
            i -= 1
            let start = i
            skipBalanced()
            return .expression(tokens[start..<i].map(\.sql).joined(separator: " "))
        case .word(let w):
            if w.uppercased() == "NULL" { return .null }
            if w.uppercased() == "TRUE" { return .literal("1") }
            if w.uppercased() == "FALSE" { return .literal("0") }
            // A character set introducer before a string: `_utf8mb4'x'`.
            if w.hasPrefix("_"), case .string(let s) = peek {
                i += 1
                return .literal(s)
            }
            var text = w
            if peek == .symbol("(") {
                let start = i
                skipBalanced()
                text += tokens[start..<i].map(\.sql).joined()
            }
            return .expression(text)
        default:
            throw DDLError("unexpected \(token.sql) as a default")
        }
    }

    // MARK: ALTER TABLE

    private mutating func alterations() throws(DDLError) -> [DDLAlteration] {
        var result: [DDLAlteration] = []
        repeat {
            if let alteration = try alteration() { result.append(alteration) }
        } while accept(symbol: ",")
        guard at(end: true) else { throw DDLError("unexpected \(peek?.sql ?? "end") in ALTER TABLE") }
        return result
    }

    private mutating func alteration() throws(DDLError) -> DDLAlteration? {
        if accept("ADD") {
            try constraintName()
            if let columns = try primaryKey() { return .addPrimaryKey(columns) }
            for keyword in [
                "UNIQUE", "INDEX", "KEY", "FULLTEXT", "SPATIAL", "FOREIGN", "CHECK", "PERIOD", "SYSTEM",
                "PARTITION", "CONSTRAINT",
            ]
            where peek?.isKeyword(keyword) == true {
                skipToListEnd()
                return nil
            }
            _ = accept("COLUMN")
            _ = accept("IF", "NOT", "EXISTS")
            var ignored: [String] = []
            if accept(symbol: "(") {
                var columns: [MySQLColumn] = []
                repeat {
                    if try tableConstraint() == nil { columns.append(try columnDefinition(primaryKey: &ignored)) }
                } while accept(symbol: ",")
                try expect(symbol: ")")
                return .addColumns(columns, position: nil)
            }
            let column = try columnDefinition(primaryKey: &ignored)
            return .addColumns([column], position: try columnPosition())
        }
        if accept("DROP") {
            if accept("PRIMARY") {
                try expect("KEY")
                return .dropPrimaryKey
            }
            for keyword in ["INDEX", "KEY", "FOREIGN", "CONSTRAINT", "CHECK", "PARTITION", "SYSTEM", "PERIOD"]
            where peek?.isKeyword(keyword) == true {
                skipToListEnd()
                return nil
            }
            _ = accept("COLUMN")
            let ifExists = accept("IF", "EXISTS")
            let name = try identifier()
            _ = accept("RESTRICT") || accept("CASCADE")
            return .dropColumn(name, ifExists: ifExists)
        }
        if accept("MODIFY") {
            _ = accept("COLUMN")
            let ifExists = accept("IF", "EXISTS")
            var ignored: [String] = []
            let column = try columnDefinition(primaryKey: &ignored)
            return .modifyColumn(column, position: try columnPosition(), ifExists: ifExists)
        }
        if accept("CHANGE") {
            _ = accept("COLUMN")
            let ifExists = accept("IF", "EXISTS")
            let old = try identifier()
            var ignored: [String] = []
            let column = try columnDefinition(primaryKey: &ignored)
            return .changeColumn(from: old, to: column, position: try columnPosition(), ifExists: ifExists)
        }
        if accept("RENAME") {
            if accept("COLUMN") {
                let from = try identifier()
                try expect("TO")
                return .renameColumn(from: from, to: try identifier())
            }
            if peek?.isKeyword("INDEX") == true || peek?.isKeyword("KEY") == true {
                skipToListEnd()
                return nil
            }
            _ = accept("TO") || accept("AS")
            return .renameTable(try tableName())
        }
        if accept("ALTER") {
            if peek?.isKeyword("INDEX") == true || peek?.isKeyword("CHECK") == true
                || peek?.isKeyword("CONSTRAINT") == true
            {
                skipToListEnd()
                return nil
            }
            _ = accept("COLUMN")
            _ = accept("IF", "EXISTS")
            let name = try identifier()
            if accept("SET") {
                if accept("DEFAULT") { return .setDefault(column: name, try defaultValue()) }
                skipToListEnd()
                return nil
            }
            if accept("DROP") {
                try expect("DEFAULT")
                return .setDefault(column: name, nil)
            }
            throw DDLError("unexpected \(peek?.sql ?? "end") in ALTER COLUMN \(name)")
        }
        if accept("CONVERT") {
            try expect("TO")
            if !accept("CHARSET") {
                try expect("CHARACTER")
                try expect("SET")
            }
            let charset = try identifier().lowercased()
            skipToListEnd()
            return .convertCharset(charset)
        }
        if let (key, value) = try tableOption() {
            switch key {
            case "CHARSET": return .defaultCharset(value)
            case "COLLATE": return Self.charset(ofCollation: value).map { .defaultCharset($0) }
            default: return nil
            }
        }
        return nil
    }

    private mutating func columnPosition() throws(DDLError) -> DDLColumnPosition? {
        if accept("FIRST") { return .first }
        if accept("AFTER") { return .after(try identifier()) }
        return nil
    }

    // MARK: Options

    private func isOption() -> Bool {
        guard let word = peek?.identifier?.uppercased(), case .word = peek else { return false }
        return ["DEFAULT", "CHARACTER", "CHARSET", "COLLATE", "COMMENT", "ENCRYPTION", "READ"].contains(word)
    }

    /// One table option (`ENGINE=InnoDB`, `DEFAULT CHARSET=utf8mb4`, `COMMENT 'x'`): its name (CHARSET for
    /// every spelling of the character set) and value; nil for options that only look like one (a lone keyword).
    private mutating func tableOption() throws(DDLError) -> (String, String)? {
        _ = accept("DEFAULT")
        guard let word = next()?.identifier?.uppercased() else {
            throw DDLError("unexpected \(tokens[i - 1].sql) among table options")
        }
        var key = word
        if word == "CHARACTER" || word == "CHAR" {
            try expect("SET")
            key = "CHARSET"
        } else if word == "UNION" {
            _ = accept(symbol: "=")
            skipBalanced()
            return nil
        }
        // Options without a value: FORCE, ORDER BY …, DISCARD TABLESPACE, ALGORITHM handled with '=' below.
        if key == "FORCE" || key == "ENABLE" || key == "DISABLE" { skipToListEnd(); return nil }
        if key == "ORDER" || key == "DISCARD" || key == "IMPORT" || key == "REMOVE" || key == "WITH"
            || key == "WITHOUT"
        {
            skipToListEnd()
            return nil
        }
        _ = accept(symbol: "=")
        guard let value = next() else { return nil }
        let text: String
        switch value {
        case .word(let w), .quoted(let w), .string(let w), .number(let w): text = w
        case .symbol("("):
            i -= 1
            skipBalanced()
            return nil
        case .symbol: text = value.sql
        }
        return (key, key == "CHARSET" || key == "COLLATE" ? text.lowercased() : text)
    }

    /// `[DEFAULT] CHARACTER SET [=] x`, `COLLATE …` and other database options: the character set, if given.
    private mutating func databaseOptions() -> String? {
        var charset: String?
        while !at(end: true) {
            guard let (key, value) = try? tableOption() else { break }
            if key == "CHARSET" { charset = value }
            if key == "COLLATE", charset == nil { charset = Self.charset(ofCollation: value) }
        }
        return charset
    }

    /// The character set a collation belongs to (`utf8mb4_bin` → `utf8mb4`, `utf8mb4_uca1400_ai_ci` too).
    static func charset(ofCollation collation: String) -> String? {
        let lower = collation.lowercased()
        if lower == "binary" { return "binary" }
        guard let underscore = lower.firstIndex(of: "_") else { return nil }
        let charset = String(lower[..<underscore])
        return charset == "utf8" ? "utf8mb3" : charset
    }

    // MARK: Tokens

    private var peek: DDLToken? { i < tokens.count ? tokens[i] : nil }

    private mutating func next() -> DDLToken? {
        defer { i += 1 }
        return peek
    }

    /// Whether the statement (or, unless `statement`, the current list item) ended.
    private func at(end statement: Bool) -> Bool {
        guard let token = peek else { return true }
        return !statement && (token == .symbol(",") || token == .symbol(")"))
    }

    /// Consumes the keywords (upper case) if they all come next.
    private mutating func accept(_ keywords: String...) -> Bool {
        for (n, keyword) in keywords.enumerated() {
            guard i + n < tokens.count, tokens[i + n].isKeyword(keyword) else { return false }
        }
        i += keywords.count
        return true
    }

    private mutating func accept(symbol: Character) -> Bool {
        guard peek == .symbol(symbol) else { return false }
        i += 1
        return true
    }

    private mutating func expect(_ keyword: String) throws(DDLError) {
        guard accept(keyword) else { throw DDLError("expected \(keyword), found \(peek?.sql ?? "the end")") }
    }

    private mutating func expect(symbol: Character) throws(DDLError) {
        guard accept(symbol: symbol) else { throw DDLError("expected '\(symbol)', found \(peek?.sql ?? "the end")") }
    }

    private mutating func identifier() throws(DDLError) -> String {
        guard let name = peek?.identifier else { throw DDLError("expected a name, found \(peek?.sql ?? "the end")") }
        i += 1
        return name
    }

    private mutating func string() throws(DDLError) -> String {
        guard case .string(let s) = peek else { throw DDLError("expected a string, found \(peek?.sql ?? "the end")") }
        i += 1
        return s
    }

    private mutating func number() throws(DDLError) -> Int {
        guard case .number(let n) = peek, let v = Int(n) else {
            throw DDLError("expected a number, found \(peek?.sql ?? "the end")")
        }
        i += 1
        return v
    }

    /// `[db.]table`.
    private mutating func tableName() throws(DDLError) -> DDLTableName {
        let first = try identifier()
        if accept(symbol: ".") { return DDLTableName(database: first, name: try identifier()) }
        return DDLTableName(database: nil, name: first)
    }

    /// Skips a parenthesized group (from its `(`), or one token if none starts here.
    private mutating func skipBalanced() {
        guard peek == .symbol("(") else {
            i += 1
            return
        }
        var depth = 0
        while let token = next() {
            if token == .symbol("(") { depth += 1 }
            if token == .symbol(")") {
                depth -= 1
                if depth == 0 { return }
            }
        }
    }

    /// Skips to the `,` or `)` that ends the current list item (at this nesting level).
    private mutating func skipToListEnd() {
        while let token = peek, token != .symbol(","), token != .symbol(")") {
            if token == .symbol("(") { skipBalanced() } else { i += 1 }
        }
    }
}
