/// What a column holds, as far as comparing it across databases goes: the same data stored in PostgreSQL and in
/// MySQL/MariaDB under different types (`boolean` and `tinyint(1)`, `timestamptz` and `datetime(6)`, `numeric`
/// and `decimal(65,30)`, `json` and `longtext`) normalizes to the same text.
public enum ColumnKind: Sendable, Equatable {
    case integer, decimal, float32, float64, boolean, date, time, timestamp, bytes, bits, json, uuid, geometry, text

    /// The kind of a PostgreSQL column from `information_schema.columns.data_type`.
    public init(postgres dataType: String) {
        switch dataType {
        case "smallint", "integer", "bigint": self = .integer
        case "numeric": self = .decimal
        case "real": self = .float32
        case "double precision": self = .float64
        case "boolean": self = .boolean
        case "date": self = .date
        case "time without time zone": self = .time
        case "timestamp without time zone", "timestamp with time zone": self = .timestamp
        case "bytea": self = .bytes
        case "bit", "bit varying": self = .bits
        case "point": self = .geometry
        case "json", "jsonb": self = .json
        case "uuid": self = .uuid
        default: self = .text
        }
    }

    /// The kind of a MySQL/MariaDB column from `information_schema.columns` (`data_type`, `column_type`).
    public init(mysql dataType: String, columnType: String) {
        switch dataType {
        case "tinyint" where columnType.hasPrefix("tinyint(1)"): self = .boolean
        case "tinyint", "smallint", "mediumint", "int", "bigint", "year": self = .integer
        case "decimal": self = .decimal
        case "float": self = .float32
        case "double": self = .float64
        case "date": self = .date
        case "time": self = .time
        case "datetime", "timestamp": self = .timestamp
        case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob": self = .bytes
        case "bit": self = .bits
        case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
            "geometrycollection":
            self = .geometry
        case "json": self = .json
        default: self = .text
        }
    }

    /// How a column of kind `self` on one side and `other` on the other compares: by the more particular kind
    /// (a boolean stored as an integer compares as a boolean, an integer against a decimal as a decimal).
    public func compared(with other: ColumnKind) -> ColumnKind {
        let particular: [ColumnKind] = [
            .boolean, .float32, .float64, .json, .uuid, .decimal, .time, .bits, .bytes, .timestamp, .geometry,
        ]
        for kind in particular
        where self == kind || other == kind {
            return kind
        }
        return self
    }

    /// Whether keys of this kind sort as numbers (others sort by their bytes).
    var sortsAsNumber: Bool { self == .integer || self == .decimal || self == .float32 || self == .float64 }

    /// `text` in the form equal values share; nil stays nil.
    public func normalized(_ text: String?) -> String? {
        guard let text else { return nil }
        switch self {
        case .boolean:
            switch text {
            case "t", "true", "1": return "1"
            case "f", "false", "0": return "0"
            default: return text
            }
        case .float32: return Float(text).map { $0.description } ?? text
        case .float64: return Double(text).map { $0.description } ?? text
        case .decimal: return Self.decimal(text)
        case .time: return Self.time(text)
        case .uuid: return text.lowercased()
        // The bits as a number: PostgreSQL prints `bit(n)` with its leading zeros, MySQL's `BIN()` without.
        case .bits:
            let digits = text.drop { $0 == "0" }
            return digits.isEmpty ? "0" : String(digits)
        case .geometry: return Self.point(text) ?? text
        case .integer, .date, .timestamp, .bytes, .json, .text: return text
        }
    }

    /// A point as PostgreSQL prints it (`(1.5,2)`) or as MySQL's `ST_AsText` does (`POINT(1.5 2)`), in one form
    /// with the coordinates as numbers; nil for anything else (other geometries compare as `ST_AsText` gives them).
    static func point(_ text: String) -> String? {
        let body: Substring
        if text.hasPrefix("POINT(") && text.hasSuffix(")") {
            body = text.dropFirst(6).dropLast()
        } else if text.hasPrefix("(") && text.hasSuffix(")") {
            body = text.dropFirst().dropLast()
        } else {
            return nil
        }
        let parts = body.split(whereSeparator: { $0 == "," || $0 == " " })
        guard parts.count == 2, let x = Double(parts[0]), let y = Double(parts[1]) else { return nil }
        return "POINT(\(x) \(y))"
    }

    /// `1.500` → `1.5`, `2.000` → `2`, `-0.0` → `0`, `+3` → `3`.
    static func decimal(_ text: String) -> String {
        var t = Substring(text)
        if t.hasPrefix("+") { t = t.dropFirst() }
        if t.contains(".") {
            while t.hasSuffix("0") { t = t.dropLast() }
            if t.hasSuffix(".") { t = t.dropLast() }
        }
        if t == "-0" || t.isEmpty { return "0" }
        return String(t)
    }

    /// `12:34:56.5` → `12:34:56.500000`, `12:34:56` → `12:34:56.000000`.
    static func time(_ text: String) -> String {
        guard let dot = text.firstIndex(of: ".") else { return text + ".000000" }
        let fraction = text[text.index(after: dot)...]
        guard fraction.count < 6, fraction.allSatisfy(\.isNumber) else { return text }
        return text + String(repeating: "0", count: 6 - fraction.count)
    }
}
