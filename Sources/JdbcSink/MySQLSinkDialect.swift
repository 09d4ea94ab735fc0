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

    var usesParameters: Bool { false }

    var sessionSetup: [String] {
        [
            "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_BACKSLASH_ESCAPES,NO_ENGINE_SUBSTITUTION,"
                + "ERROR_FOR_DIVISION_BY_ZERO'",
            "SET SESSION time_zone = '+00:00'",
        ]
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
        // DATETIME, not TIMESTAMP, whose range ends in 2038; zoned values are stored in UTC.
        case DebeziumSemantic.microTimestamp?, DebeziumSemantic.nanoTimestamp?, DebeziumSemantic.zonedTimestamp?:
            return "datetime(6)"
        case DebeziumSemantic.microDuration?: return "bigint"
        case DebeziumSemantic.json?: return "json"
        case DebeziumSemantic.uuid?: return "char(36)"
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
                guard let utc = Self.utcDateTime(v) else { throw SinkTypeError("the timestamp \(v)") }
                return "'" + utc + "'"
            case DebeziumSemantic.zonedTime?:
                guard let utc = Self.utcTime(v) else { throw SinkTypeError("the time \(v)") }
                return "'" + utc + "'"
            default: return MySQLConnection.literal(v)
            }
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
        case .map, .struct:
            throw SinkTypeError("\(schema.name ?? schema.type.rawValue) values")
        }
    }

    /// An ISO-8601 timestamp with `Z` or an offset (`2024-05-06T05:08:09.123456Z`) as a UTC `DATETIME` text.
    static func utcDateTime(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
            let year = number(bytes[0..<4]), let month = number(bytes[5..<7]), let day = number(bytes[8..<10]),
            let (micros, offsetSeconds) = timeOfDay(bytes[11...])
        else { return nil }
        let days = Int64(CivilTime.daysFromCivil(year: year, month: month, day: day))
        let utc = days * 86_400_000_000 + micros - Int64(offsetSeconds) * 1_000_000
        let result = SinkTemporalText.timestamp(micros: utc)
        return result.hasSuffix(" BC") ? nil : result
    }

    /// An ISO-8601 time with `Z` or an offset (`07:08:09.5Z`) as a UTC `TIME` text.
    static func utcTime(_ text: String) -> String? {
        guard let (micros, offsetSeconds) = timeOfDay(Array(text.utf8)[...]) else { return nil }
        let day: Int64 = 86_400_000_000
        let utc = ((micros - Int64(offsetSeconds) * 1_000_000) % day + day) % day
        return SinkTemporalText.time(micros: utc)
    }

    /// `HH:MM:SS[.fraction](Z|±HH:MM)`: microseconds of the day and the offset in seconds.
    private static func timeOfDay(_ bytes: ArraySlice<UInt8>) -> (Int64, Int)? {
        let b = Array(bytes)
        guard b.count >= 9, let h = number(b[0..<2]), let m = number(b[3..<5]), let s = number(b[6..<8]) else {
            return nil
        }
        var i = 8
        var fraction = 0, digits = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 6 {
                    fraction = fraction * 10 + Int(b[i] - 48)
                    digits += 1
                }
                i += 1
            }
        }
        while digits < 6 {
            fraction *= 10
            digits += 1
        }
        var offset = 0
        if i < b.count, b[i] == UInt8(ascii: "Z") {
            i += 1
        } else if i + 6 <= b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"),
            let oh = number(b[(i + 1)..<(i + 3)]), let om = number(b[(i + 4)..<(i + 6)])
        {
            offset = (b[i] == UInt8(ascii: "-") ? -1 : 1) * (oh * 3600 + om * 60)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        return (Int64(h * 3600 + m * 60 + s) * 1_000_000 + Int64(fraction), offset)
    }

    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for d in digits {
            guard d >= 48, d <= 57 else { return nil }
            value = value * 10 + Int(d - 48)
        }
        return digits.isEmpty ? nil : value
    }

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
