import TributaryCore

/// PostgreSQL's side of the JDBC sink: the column type of each Connect schema (Debezium's logical and semantic
/// types included), each value in the text form PostgreSQL parses for that type, and the statements, with `$n`
/// parameters for every value and names quoted wherever they could be read as something else.
struct PostgresSinkDialect: Sendable {
    /// `quote.identifiers`: quote every name. Otherwise only names that are not plain (lower-case letters, digits,
    /// `_`) or are reserved words are quoted; plain ones fold to lower case, as PostgreSQL folds unquoted names.
    let quoteAll: Bool
    let placeholder: String

    // MARK: Names

    /// A table or column name as it goes into SQL.
    func identifier(_ name: String) -> String {
        if !quoteAll && Self.isPlain(name) { return name }
        return "\"" + name.replacing("\"", with: "\"\"") + "\""
    }

    /// The name as PostgreSQL stores it (unquoted names fold to lower case).
    func stored(_ name: String) -> String {
        !quoteAll && Self.isPlain(name) ? name.lowercased() : name
    }

    /// `schema.table` or `table` (split at the first dot) as it goes into SQL.
    func table(_ name: String) -> String {
        let (schema, table) = Self.split(name)
        guard let schema else { return identifier(table) }
        return identifier(schema) + "." + identifier(table)
    }

    static func split(_ name: String) -> (schema: String?, table: String) {
        guard let dot = name.firstIndex(of: ".") else { return (nil, name) }
        return (String(name[..<dot]), String(name[name.index(after: dot)...]))
    }

    private static func isPlain(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
        let plain = name.utf8.allSatisfy { isLetter($0) || $0 == UInt8(ascii: "_") || ($0 >= 48 && $0 <= 57) }
        return plain && !reserved.contains(name.lowercased())
    }

    private static func isLetter(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
    }

    /// PostgreSQL's reserved key words (those that cannot be column names unquoted).
    private static let reserved: Set<String> = [
        "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization", "binary",
        "both",
        "case", "cast", "check", "collate", "collation", "column", "concurrently", "constraint", "create", "cross",
        "current_catalog", "current_date", "current_role", "current_schema", "current_time", "current_timestamp",
        "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "false", "fetch",
        "for", "foreign", "freeze", "from", "full", "grant", "group", "having", "ilike", "in", "initially", "inner",
        "intersect", "into", "is", "isnull", "join", "lateral", "leading", "left", "like", "limit", "localtime",
        "localtimestamp", "natural", "not", "notnull", "null", "offset", "on", "only", "or", "order", "outer",
        "overlaps", "placing", "primary", "references", "returning", "right", "select", "session_user", "similar",
        "some", "symmetric", "system_user", "table", "tablesample", "then", "to", "trailing", "true", "union", "unique",
        "user", "using", "variadic", "verbose", "when", "where", "window", "with",
    ]

    // MARK: Types

    /// The column type for values of `schema`.
    func columnType(_ schema: Schema) throws(SinkTypeError) -> String {
        switch schema.name {
        case ConnectLogical.decimalName?:
            let precision = schema.parameter(ConnectLogical.precisionParameter)
            let scale = schema.parameter(ConnectLogical.scaleParameter) ?? "0"
            return precision.map { "decimal(\($0),\(scale))" } ?? "decimal"
        case ConnectLogical.dateName?, DebeziumSemantic.date?: return "date"
        case ConnectLogical.timeName?, DebeziumSemantic.time?: return "time(3)"
        case DebeziumSemantic.microTime?, DebeziumSemantic.nanoTime?: return "time(6)"
        case ConnectLogical.timestampName?, DebeziumSemantic.timestamp?: return "timestamp(3)"
        case DebeziumSemantic.microTimestamp?, DebeziumSemantic.nanoTimestamp?: return "timestamp(6)"
        case DebeziumSemantic.zonedTimestamp?: return "timestamptz"
        case DebeziumSemantic.zonedTime?: return "timetz"
        case DebeziumSemantic.microDuration?, DebeziumSemantic.interval?: return "interval"
        case DebeziumSemantic.json?: return "json"
        case DebeziumSemantic.xml?: return "xml"
        case DebeziumSemantic.uuid?: return "uuid"
        case DebeziumSemantic.variableScaleDecimal?: return "numeric"
        default: break
        }
        switch schema.type {
        case .int8, .int16: return "smallint"
        case .int32: return "integer"
        case .int64: return "bigint"
        case .float32: return "real"
        case .float64: return "double precision"
        case .boolean: return "boolean"
        case .string: return "text"
        case .bytes: return "bytea"
        case .array:
            guard let element = schema.valueSchema, element.type != .array, element.type != .struct,
                element.type != .map
            else { throw SinkTypeError("arrays of \(schema.valueSchema?.type.rawValue ?? "nothing")") }
            return try columnType(element) + "[]"
        case .map, .struct:
            throw SinkTypeError("\(schema.name ?? schema.type.rawValue) (a \(schema.type.rawValue))")
        }
    }

    // MARK: Values

    /// A value's text for a parameter of its column; nil for NULL.
    func text(_ value: Value, _ schema: Schema) throws(SinkTypeError) -> String? {
        switch value {
        case .null: return nil
        case .boolean(let v): return v ? "true" : "false"
        case .int8(let v): return String(v)
        case .int16(let v): return String(v)
        case .int32(let v):
            switch schema.name {
            case ConnectLogical.dateName?, DebeziumSemantic.date?: return Self.date(days: Int(v))
            case ConnectLogical.timeName?, DebeziumSemantic.time?: return Self.time(micros: Int64(v) * 1000)
            default: return String(v)
            }
        case .int64(let v):
            switch schema.name {
            case ConnectLogical.timestampName?, DebeziumSemantic.timestamp?: return Self.timestamp(micros: v * 1000)
            case DebeziumSemantic.microTimestamp?: return Self.timestamp(micros: v)
            case DebeziumSemantic.nanoTimestamp?: return Self.timestamp(micros: Self.floorDiv(v, 1000))
            case DebeziumSemantic.microTime?: return Self.time(micros: v)
            case DebeziumSemantic.nanoTime?: return Self.time(micros: v / 1000)
            case DebeziumSemantic.microDuration?: return "\(v) microseconds"
            default: return String(v)
            }
        case .float32(let v): return Self.float(Double(v), description: v.description)
        case .float64(let v): return Self.float(v, description: v.description)
        case .string(let v):
            guard !v.utf8.contains(0) else {
                throw SinkTypeError("text with a NUL character, which PostgreSQL refuses")
            }
            return v
        case .bytes(let v):
            var out: [UInt8] = Array("\\x".utf8)
            Hex.append(v, to: &out)
            return String(decoding: out, as: UTF8.self)
        case .decimal(let d): return d.description
        case .array(let items):
            guard let element = schema.valueSchema else { throw SinkTypeError("an array without an element schema") }
            var out = "{"
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                guard let text = try text(item, element) else {
                    out += "NULL"
                    continue
                }
                out += "\"" + text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
            }
            return out + "}"
        case .struct(let s) where schema.name == DebeziumSemantic.variableScaleDecimal:
            guard case .int32(let scale) = s["scale"], case .bytes(let unscaled) = s["value"] else {
                throw SinkTypeError("a VariableScaleDecimal without scale and value")
            }
            return BigDecimal(unscaled: unscaled.isEmpty ? [0] : unscaled, scale: scale).description
        case .map, .struct:
            throw SinkTypeError("\(schema.name ?? schema.type.rawValue) values")
        }
    }

    /// Whether the value is the source's placeholder for a value it did not send (unchanged TOAST).
    func isUnavailable(_ value: Value) -> Bool {
        switch value {
        case .string(let v): v == placeholder
        case .bytes(let v): v.elementsEqual(placeholder.utf8)
        default: false
        }
    }

    private static func float(_ v: Double, description: String) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "Infinity" : "-Infinity" }
        return description
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// `YYYY-MM-DD`, with ` BC` for years before 1 (PostgreSQL's proleptic Gregorian calendar, as the sources').
    static func date(days: Int) -> String {
        let (y, m, d) = CivilTime.civilFromDays(days)
        let year = y > 0 ? y : 1 - y
        return pad(year, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + (y > 0 ? "" : " BC")
    }

    static func time(micros: Int64) -> String {
        let seconds = Int(micros / 1_000_000), fraction = Int(micros % 1_000_000)
        return pad(seconds / 3600, 2) + ":" + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2) + "."
            + pad(fraction, 6)
    }

    static func timestamp(micros: Int64) -> String {
        let days = floorDiv(micros, 86_400_000_000)
        let date = self.date(days: Int(days))
        let time = self.time(micros: micros - days * 86_400_000_000)
        guard date.hasSuffix(" BC") else { return date + " " + time }
        return String(date.dropLast(3)) + " " + time + " BC"
    }

    private static func pad(_ v: Int, _ width: Int) -> String {
        let text = String(v)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    // MARK: Statements

    func createTable(
        _ table: String, key: [RowChange.Column], columns: [RowChange.Column]
    ) throws(SinkTypeError)
        -> String
    {
        var definitions: [String] = []
        for column in key {
            definitions.append(identifier(column.name) + " " + (try columnType(column.schema)) + " NOT NULL")
        }
        for column in columns {
            definitions.append(
                identifier(column.name) + " " + (try columnType(column.schema))
                    + (column.schema.isOptional ? " NULL" : " NOT NULL"))
        }
        if !key.isEmpty {
            definitions.append("PRIMARY KEY (" + key.map { identifier($0.name) }.joined(separator: ", ") + ")")
        }
        return "CREATE TABLE " + self.table(table) + " (" + definitions.joined(separator: ", ") + ")"
    }

    func addColumn(_ table: String, _ column: RowChange.Column) throws(SinkTypeError) -> String {
        "ALTER TABLE " + self.table(table) + " ADD COLUMN " + identifier(column.name) + " "
            + (try columnType(column.schema)) + " NULL"
    }

    func insert(_ table: String, columns: [String]) -> String {
        "INSERT INTO " + self.table(table) + " (" + columns.map(identifier).joined(separator: ",") + ") VALUES ("
            + (1...max(1, columns.count)).prefix(columns.count).map { "$\($0)" }.joined(separator: ",") + ")"
    }

    func upsert(_ table: String, key: [String], columns: [String]) -> String {
        let conflict = " ON CONFLICT (" + key.map(identifier).joined(separator: ",") + ")"
        let update =
            columns.isEmpty
            ? " DO NOTHING"
            : " DO UPDATE SET "
                + columns.map { identifier($0) + "=EXCLUDED." + identifier($0) }.joined(separator: ",")
        return insert(table, columns: key + columns) + conflict + update
    }

    func update(_ table: String, key: [String], columns: [String]) -> String {
        let set = columns.enumerated().map { identifier($0.element) + "=$\($0.offset + 1)" }
        return "UPDATE " + self.table(table) + " SET " + set.joined(separator: ",") + " WHERE "
            + condition(key, from: columns.count + 1)
    }

    func delete(_ table: String, key: [String]) -> String {
        "DELETE FROM " + self.table(table) + " WHERE " + condition(key, from: 1)
    }

    func truncate(_ table: String) -> String { "TRUNCATE TABLE " + self.table(table) }

    private func condition(_ key: [String], from first: Int) -> String {
        key.enumerated().map { identifier($0.element) + "=$\($0.offset + first)" }.joined(separator: " AND ")
    }
}

/// A Connect schema or value PostgreSQL has no column for.
struct SinkTypeError: Error, CustomStringConvertible {
    let what: String

    init(_ what: String) {
        self.what = what
    }

    var description: String { "cannot write \(what)" }
}
