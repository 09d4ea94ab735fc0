import TributaryCore

/// PostgreSQL's side of the JDBC sink: the column type of each Connect schema (Debezium's logical and semantic
/// types included), each value in the text form PostgreSQL parses for that type, and the statements, with `$n`
/// parameters for every value and names quoted wherever they could be read as something else.
struct PostgresSinkDialect: SinkDialect {
    /// `quote.identifiers`: quote every name. Otherwise only names that are not plain (lower-case letters, digits,
    /// `_`) or are reserved words are quoted; plain ones fold to lower case, as PostgreSQL folds unquoted names.
    let quoteAll: Bool
    /// `use.time.zone`: the session's zone, in which PostgreSQL reads a wall-clock time into a `timestamptz`.
    var timeZone: SinkTimeZone = .utc

    var usesParameters: Bool { true }
    var sessionSetup: [String] { [] }

    /// PostgreSQL has its own zone data, so a region it does not know is an error at the start.
    var timeZoneSetup: [String] {
        switch timeZone.kind {
        case .fixed(let seconds): ["SET TIME ZONE INTERVAL '\(SinkTimeZone.offsetText(seconds))' HOUR TO MINUTE"]
        case .region(let name): ["SET TIME ZONE '" + name.replacing("'", with: "''") + "'"]
        }
    }

    var tableOptions: String { "" }
    var staging: PostgresStaging? { PostgresStaging(dialect: self) }

    /// PostgreSQL binds at most 65,535 parameters per statement.
    func maxRows(columns: Int) -> Int { max(1, min(1000, 65535 / max(1, columns))) }

    // MARK: Names

    /// A table or column name as it goes into SQL.
    func identifier(_ name: String) -> String {
        if !quoteAll && Self.isPlain(name) { return name }
        return "\"" + name.replacing("\"", with: "\"\"") + "\""
    }

    /// The name as PostgreSQL stores it (unquoted names fold to lower case).
    func columnKey(_ name: String) -> String {
        !quoteAll && Self.isPlain(name) ? name.lowercased() : name
    }

    /// `schema.table` or `table` (split at the first dot) as it goes into SQL.
    func table(_ name: String) -> String {
        let (schema, table) = splitTableName(name)
        guard let schema else { return identifier(table) }
        return identifier(schema) + "." + identifier(table)
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

    /// The column type for values of `schema` (any type can be a key column in PostgreSQL).
    func columnType(_ schema: Schema, isKey: Bool = false) throws(SinkTypeError) -> String {
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
        case DebeziumSemantic.bits?:
            let length = BitString.width(schema)
            if BitString.isUnbounded(length) { return "bit varying" }
            let varying = schema.parameter("__debezium.source.column.type")?.uppercased() == "VARBIT"
            return (varying ? "bit varying(" : "bit(") + String(length) + ")"
        case DebeziumSemantic.point?: return "point"
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
    func bound(_ value: Value, _ schema: Schema) throws(SinkTypeError) -> String? {
        if let micros = SinkTemporalText.timeMicros(value, schema), !(0...86_400_000_000).contains(micros) {
            throw SinkTypeError(
                "the time \(SinkTemporalText.time(micros: micros)) (PostgreSQL's times run from 00:00 to 24:00)")
        }
        if let temporal = SinkTemporalText.text(value, schema) { return temporal }
        switch value {
        case .null: return nil
        case .boolean(let v): return v ? "true" : "false"
        case .int8(let v): return String(v)
        case .int16(let v): return String(v)
        case .int32(let v): return String(v)
        case .int64(let v) where schema.name == DebeziumSemantic.microDuration: return "\(v) microseconds"
        case .int64(let v): return String(v)
        case .float32(let v): return Self.float(Double(v), description: v.description)
        case .float64(let v): return Self.float(v, description: v.description)
        case .string(let v):
            var text = v
            guard !text.withUTF8({ $0.contains(0) }) else {
                throw SinkTypeError("text with a NUL character, which PostgreSQL refuses")
            }
            // In UTC, only years PostgreSQL reads in another form (`-0043-…` as `0044-… BC`, `+10000-…`) are
            // rewritten.
            if schema.name == DebeziumSemantic.zonedTimestamp,
                !timeZone.isUTC || v.utf8.first.map({ $0 < UInt8(ascii: "1") || $0 > UInt8(ascii: "9") }) == true,
                let (micros, offset) = SinkTemporalText.zonedTimestamp(v, in: timeZone)
            {
                return Self.zoned(SinkTemporalText.timestamp(micros: micros), offset: offset)
            }
            return v
        case .bytes(let v) where schema.name == DebeziumSemantic.bits:
            return try BitString.text(v, schema)
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
                guard let text = try bound(item, element) else {
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
        // PostgreSQL's own point (other geometries would need PostGIS); an SRID has no place in it.
        case .struct(let s) where schema.name == DebeziumSemantic.point:
            guard case .float64(let x) = s["x"], case .float64(let y) = s["y"] else {
                throw SinkTypeError("a Point without x and y")
            }
            return "(" + Self.float(x, description: x.description) + "," + Self.float(y, description: y.description)
                + ")"
        case .map, .struct:
            throw SinkTypeError("\(schema.name ?? schema.type.rawValue) values")
        }
    }

    /// A wall-clock time and its offset, which a `timestamptz` reads as the same instant and a `timestamp` as
    /// that wall-clock time (it ignores offsets): `use.time.zone` for both.
    private static func zoned(_ wallClock: String, offset: Int) -> String {
        let offsetText = SinkTimeZone.offsetText(offset)
        guard wallClock.hasSuffix(" BC") else { return wallClock + offsetText }
        return String(wallClock.dropLast(3)) + offsetText + " BC"
    }

    private static func float(_ v: Double, description: String) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "Infinity" : "-Infinity" }
        return description
    }

    // MARK: Statements

    func upsertClause(key: [String], columns: [String]) -> String {
        let conflict = " ON CONFLICT (" + key.map(identifier).joined(separator: ",") + ")"
        guard !columns.isEmpty else { return conflict + " DO NOTHING" }
        return conflict + " DO UPDATE SET "
            + columns.map { identifier($0) + "=EXCLUDED." + identifier($0) }.joined(separator: ",")
    }

    func columnsQuery(_ table: String) -> SinkStatement {
        let (schema, name) = splitTableName(table)
        return SinkStatement(
            """
            SELECT column_name FROM information_schema.columns
            WHERE table_name = $1 AND table_schema = COALESCE($2, current_schema())
            """, [columnKey(name), schema.map(columnKey)])
    }
}
