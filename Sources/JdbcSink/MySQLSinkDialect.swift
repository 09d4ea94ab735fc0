import MySQLSource
import TributaryCore

/// MySQL's and MariaDB's side of the JDBC sink: column types, values as SQL literals, `ON DUPLICATE KEY UPDATE`.
///
/// Values are literals, not parameters, so that a batch of rows is one multi-row statement. They cannot end their
/// quotes: the session runs with `NO_BACKSLASH_ESCAPES` (`sessionSetup`), so a quote doubled is the only escape
/// there is, and bytes are hexadecimal (`X'…'`). Strict mode makes a value the column cannot hold an error, never
/// a silent truncation.
///
/// Names are always quoted (`` `a``b` ``), so that reserved words and any character work; `quote.identifiers`
/// changes nothing here.
struct MySQLSinkDialect: SinkDialect {
    /// MariaDB has a binary collation without padding; MySQL 5.7's binary one pads.
    let isMariaDB: Bool
    /// `use.time.zone`: zoned values are written as its wall-clock time, since `DATETIME` and `TIME` hold no
    /// offset.
    var timeZone: SinkTimeZone = .utc

    var usesParameters: Bool { false }

    var sessionSetup: [String] {
        [
            "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_BACKSLASH_ESCAPES,NO_ENGINE_SUBSTITUTION,"
                + "ERROR_FOR_DIVISION_BY_ZERO'"
        ]
    }

    /// A region's name needs the server's time zone tables (`mariadb-tzinfo-to-sql`); without them the session
    /// stays in UTC.
    var timeZoneSetup: [String] {
        let utc = "SET SESSION time_zone = '+00:00'"
        switch timeZone.kind {
        case .fixed(let seconds): return ["SET SESSION time_zone = '\(SinkTimeZone.offsetText(seconds))'"]
        case .region(let name): return ["SET SESSION time_zone = " + MySQLConnection.literal(name), utc]
        }
    }

    /// Text in UTF-8 whatever the database's default, compared byte for byte as PostgreSQL and the sources do:
    /// keys `a` and `A` (and, on MariaDB, `a` and `a `) are different rows, as they were in the source.
    var tableOptions: String {
        " DEFAULT CHARSET=utf8mb4 COLLATE=" + (isMariaDB ? "utf8mb4_nopad_bin" : "utf8mb4_bin")
    }

    /// Rows per statement; statements stay well under `max_allowed_packet` (the writer also caps their bytes).
    func maxRows(columns: Int) -> Int { 1000 }
    var staging: PostgresStaging? { nil }

    // MARK: Names

    func identifier(_ name: String) -> String { MySQLConnection.quote(name) }

    /// `database.table` or `table` (the connection's database).
    func table(_ name: String) -> String {
        let (schema, table) = splitTableName(name)
        guard let schema else { return identifier(table) }
        return identifier(schema) + "." + identifier(table)
    }

    /// MySQL compares column names without regard to case.
    func columnKey(_ name: String) -> String { name.lowercased() }

    // MARK: Types

    func columnType(_ schema: Schema, isKey: Bool) throws(SinkTypeError) -> String {
        switch schema.name {
        case ConnectLogical.decimalName?:
            let scale = Int(schema.parameter(ConnectLogical.scaleParameter) ?? "0") ?? 0
            guard let precision = schema.parameter(ConnectLogical.precisionParameter).flatMap({ Int($0) }),
                precision <= 65, scale <= 30, scale <= precision
            else {
                guard scale <= 30 else { throw SinkTypeError("decimals of scale \(scale) (MySQL allows 30)") }
                return "decimal(65,\(max(scale, 0)))"
            }
            return "decimal(\(precision),\(max(scale, 0)))"
        case DebeziumSemantic.variableScaleDecimal?: return "decimal(65,30)"
        case ConnectLogical.dateName?, DebeziumSemantic.date?: return "date"
        case ConnectLogical.timeName?, DebeziumSemantic.time?: return "time(3)"
        case DebeziumSemantic.microTime?, DebeziumSemantic.nanoTime?, DebeziumSemantic.zonedTime?: return "time(6)"
        case ConnectLogical.timestampName?, DebeziumSemantic.timestamp?: return "datetime(3)"
        // DATETIME, not TIMESTAMP, whose range ends in 2038; zoned values are use.time.zone's wall-clock time.
        case DebeziumSemantic.microTimestamp?, DebeziumSemantic.nanoTimestamp?, DebeziumSemantic.zonedTimestamp?:
            return "datetime(6)"
        case DebeziumSemantic.microDuration?: return "bigint"
        case DebeziumSemantic.json?: return "json"
        case DebeziumSemantic.uuid?: return "char(36)"
        // MySQL's BIT holds at most 64 bits; wider ones stay bytes (Debezium's, little-endian).
        case DebeziumSemantic.bits? where BitString.width(schema) <= 64:
            return "bit(\(BitString.width(schema)))"
        case DebeziumSemantic.point?: return "point"
        case DebeziumSemantic.geometry?: return "geometry"
        default: break
        }
        switch schema.type {
        case .int8: return "tinyint"
        case .int16: return "smallint"
        case .int32: return "int"
        case .int64: return "bigint"
        case .float32: return "float"
        case .float64: return "double"
        case .boolean: return "boolean"
        // Key columns need a length to be indexed.
        case .string: return isKey ? "varchar(255)" : "longtext"
        case .bytes: return isKey ? "varbinary(255)" : "longblob"
        case .array: throw SinkTypeError("arrays (MySQL and MariaDB have no array type)")
        case .map, .struct:
            throw SinkTypeError("\(schema.name ?? schema.type.rawValue) (a \(schema.type.rawValue))")
        }
    }

    // MARK: Values

    /// A value as a SQL literal; nil for NULL.
    func bound(_ value: Value, _ schema: Schema) throws(SinkTypeError) -> String? {
        if let temporal = SinkTemporalText.text(value, schema) {
            guard !temporal.hasSuffix(" BC") else { throw SinkTypeError("the date \(temporal) (before year 1)") }
            return "'" + temporal + "'"
        }
        switch value {
        case .null: return nil
        case .boolean(let v): return v ? "TRUE" : "FALSE"
        case .int8(let v): return String(v)
        case .int16(let v): return String(v)
        case .int32(let v): return String(v)
        case .int64(let v): return String(v)
        case .float32(let v):
            guard v.isFinite else { throw SinkTypeError("the float \(v) (MySQL has no NaN or infinity)") }
            return v.description
        case .float64(let v):
            guard v.isFinite else { throw SinkTypeError("the double \(v) (MySQL has no NaN or infinity)") }
            return v.description
        case .string(let v):
            switch schema.name {
            case DebeziumSemantic.zonedTimestamp?:
                // DATETIME holds the years 1000 to 9999; before year 1 is an error here, the rest the server's.
                guard let (micros, _) = SinkTemporalText.zonedTimestamp(v, in: timeZone),
                    case let local = SinkTemporalText.timestamp(micros: micros), !local.hasSuffix(" BC"),
                    micros < Self.year10000
                else { throw SinkTypeError("the timestamp \(v)") }
                return "'" + local + "'"
            case DebeziumSemantic.zonedTime?:
                guard let micros = SinkTemporalText.zonedTime(v, offset: timeZone.currentOffset) else {
                    throw SinkTypeError("the time \(v)")
                }
                return "'" + SinkTemporalText.time(micros: micros) + "'"
            default: return MySQLConnection.literal(v)
            }
        case .bytes(let v) where schema.name == DebeziumSemantic.bits && BitString.width(schema) <= 64:
            return "b'" + (try BitString.text(v, schema)) + "'"
        case .bytes(let v):
            var out: [UInt8] = Array("X'".utf8)
            Hex.append(v, to: &out)
            out.append(UInt8(ascii: "'"))
            return String(decoding: out, as: UTF8.self)
        case .decimal(let d): return d.description
        case .struct(let s) where schema.name == DebeziumSemantic.variableScaleDecimal:
            guard case .int32(let scale) = s["scale"], case .bytes(let unscaled) = s["value"] else {
                throw SinkTypeError("a VariableScaleDecimal without scale and value")
            }
            return BigDecimal(unscaled: unscaled.isEmpty ? [0] : unscaled, scale: scale).description
        case .array: throw SinkTypeError("arrays (MySQL and MariaDB have no array type)")
        case .struct(let s) where schema.name == DebeziumSemantic.point || schema.name == DebeziumSemantic.geometry:
            return try Self.geometry(s)
        case .map, .struct:
            throw SinkTypeError("\(schema.name ?? schema.type.rawValue) values")
        }
    }

    /// Debezium's `Geometry` or `Point` as the server builds it from its well-known binary and SRID; a point
    /// without a WKB from its coordinates.
    static func geometry(_ s: Struct) throws(SinkTypeError) -> String {
        let srid: String
        switch s["srid"] {
        case .int32(let v): srid = "," + String(v)
        default: srid = ""
        }
        if case .bytes(let wkb) = s["wkb"] {
            var out: [UInt8] = Array("ST_GeomFromWKB(X'".utf8)
            Hex.append(wkb, to: &out)
            return String(decoding: out, as: UTF8.self) + "'" + srid + ")"
        }
        guard case .float64(let x) = s["x"], case .float64(let y) = s["y"], x.isFinite, y.isFinite else {
            throw SinkTypeError("a geometry without a WKB or finite coordinates")
        }
        return "ST_GeomFromText('POINT(\(x) \(y))'" + srid + ")"
    }

    /// 10000-01-01T00:00Z in microseconds since 1970: where MySQL's years end.
    static let year10000: Int64 = 253_402_300_800_000_000

    // MARK: Statements

    func upsertClause(key: [String], columns: [String]) -> String {
        // With nothing but the key, a duplicate leaves the row as it is.
        let updated = columns.isEmpty ? [key[0]] : columns
        return " ON DUPLICATE KEY UPDATE "
            + updated.map { identifier($0) + "=VALUES(" + identifier($0) + ")" }.joined(separator: ",")
    }

    func columnsQuery(_ table: String) -> SinkStatement {
        let (schema, name) = splitTableName(table)
        return SinkStatement(
            "SELECT LOWER(column_name) FROM information_schema.columns WHERE table_name = "
                + MySQLConnection.literal(name) + " AND table_schema = "
                + (schema.map(MySQLConnection.literal) ?? "DATABASE()"))
    }
}
