import BinlogProtocol
import DebeziumEvents
import MySQLDDL
import TributaryCore

/// How one column's values become Connect values: its schema, the conversion of a binlog value, and the reading
/// of the column's text form (snapshot rows and DDL defaults) into the binlog's form, so that both paths give
/// the same events. A class: each row reads it per column, without copying its closures, schema and values.
final class MySQLColumnConverter {
    let schema: Schema
    /// A non-null value; nil where Debezium gives null (zero dates).
    let convert: (BinlogValue) throws -> Value?
    /// The column's value as the text protocol sends it.
    let parseText: (ArraySlice<UInt8>) throws -> BinlogValue
    /// The value of a NOT NULL column whose value has no Connect form (a zero date): Debezium's zero value.
    let fallback: Value
    /// Character columns: the text protocol's bytes are UTF-8 (the connection's character set), not the column's.
    let textIsUTF8: Bool
    /// Where a column's text converts more directly than through `parseText` and `convert` (each row of a
    /// snapshot's decimals): the value of its text, or nil to take that general path (text it does not expect).
    let convertText: ((ArraySlice<UInt8>) -> Value?)?

    init(
        schema: Schema, convert: @escaping (BinlogValue) throws -> Value?,
        parseText: @escaping (ArraySlice<UInt8>) throws -> BinlogValue, fallback: Value, textIsUTF8: Bool = false,
        convertText: ((ArraySlice<UInt8>) -> Value?)? = nil
    ) {
        self.schema = schema
        self.convert = convert
        self.parseText = parseText
        self.fallback = fallback
        self.textIsUTF8 = textIsUTF8
        self.convertText = convertText
    }

    /// A value read by the text protocol (nil for NULL).
    func value(text: ArraySlice<UInt8>?) throws -> Value {
        guard let text else { return try value(.null) }
        if textIsUTF8 { return .string(String(decoding: text, as: UTF8.self)) }
        if let convertText, let value = convertText(text) { return value }
        return try value(try parseText(text))
    }

    /// A value of a row: null (or the fallback of a NOT NULL column) where there is none.
    func value(_ v: BinlogValue) throws -> Value {
        if case .null = v { return schema.isOptional ? .null : fallback }
        return try convert(v) ?? (schema.isOptional ? .null : fallback)
    }
}

/// A value that does not fit its column's type.
struct MySQLValueError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Maps MySQL/MariaDB column types to Connect schemas and values as Debezium's `BinlogValueConverters` does,
/// honouring `decimal.handling.mode`, `time.precision.mode`, `bigint.unsigned.handling.mode` and
/// `binary.handling.mode`.
struct MySQLValueConverter: Sendable {
    enum DecimalMode: String, Sendable, CaseIterable { case precise, double, string }
    enum TimePrecisionMode: String, Sendable, CaseIterable {
        case adaptiveTimeMicroseconds = "adaptive_time_microseconds"
        case adaptive
        case connect
    }
    enum BigIntUnsignedMode: String, Sendable, CaseIterable { case long, precise }
    enum BinaryMode: String, Sendable, CaseIterable {
        case bytes, base64
        case base64UrlSafe = "base64-url-safe"
        case hex
    }

    var decimalMode = DecimalMode.precise
    var timePrecisionMode = TimePrecisionMode.adaptiveTimeMicroseconds
    var bigIntUnsignedMode = BigIntUnsignedMode.long
    var binaryMode = BinaryMode.bytes
    /// MySQL writes JSON columns to the binlog in its binary form; MariaDB as text.
    var binaryJSON = false

    static let geometryName = DebeziumSemantic.geometry

    /// The converter of `column`; nil for a type Debezium has no mapping for (the column is left out, as Debezium
    /// leaves it out). Throws for a character set that cannot be decoded here.
    func converter(for column: MySQLColumn) throws -> MySQLColumnConverter? {
        let optional = column.nullable
        let type = column.typeName
        var c: MySQLColumnConverter
        switch type {
        case "BOOLEAN":
            c = boolean(column)
        case "BIT":
            let bits = column.length ?? 1
            if bits <= 1 {
                c = MySQLColumnConverter(
                    schema: .boolean,
                    convert: { v in
                        guard case .bits(let b) = v else { throw Self.mismatch(v, column) }
                        return .boolean(b.contains { $0 != 0 })
                    }, parseText: { .bits(Array($0)) }, fallback: .boolean(false))
            } else {
                let size = (bits + 7) / 8
                c = MySQLColumnConverter(
                    schema: DebeziumSemantic.schema(
                        DebeziumSemantic.bits, .bytes, parameters: [("length", String(bits))]),
                    convert: { v in
                        guard case .bits(let b) = v else { throw Self.mismatch(v, column) }
                        // Debezium's bytes are little-endian, sized for the column.
                        var out = [UInt8](b.reversed().prefix(size))
                        while out.count < size { out.append(0) }
                        return .bytes(out)
                    }, parseText: { .bits(Array($0)) }, fallback: .bytes([UInt8](repeating: 0, count: size)))
            }
        case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT":
            c = integer(column)
        case "FLOAT", "DOUBLE", "REAL":
            let single = type == "REAL" || (type == "FLOAT" && column.scale == nil && (column.length ?? 0) <= 24)
            c = MySQLColumnConverter(
                schema: single ? .float32 : .float64,
                convert: { v in
                    let d: Double
                    switch v {
                    case .float(let f): d = Double(f)
                    case .double(let x): d = x
                    default: throw Self.mismatch(v, column)
                    }
                    return single ? .float32(Float(d)) : .float64(d)
                },
                parseText: { text in
                    guard let d = Double(String(decoding: text, as: UTF8.self)) else {
                        throw Self.badText(text, column)
                    }
                    return .double(d)
                }, fallback: single ? .float32(0) : .float64(0))
        case "DECIMAL":
            c = decimal(column)
        case "CHAR", "VARCHAR", "TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT":
            if column.charset == "binary" {
                c = binary(column, padTo: type == "CHAR" ? column.length : nil)
            } else {
                c = try string(column, schema: .string)
            }
        case "JSON":
            c = try string(column, schema: DebeziumSemantic.schema(DebeziumSemantic.json, .string))
            if binaryJSON { c = json(column, text: c) }
        case "BINARY":
            c = binary(column, padTo: column.length ?? 1)
        case "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB":
            c = binary(column, padTo: nil)
        case "ENUM", "SET":
            c = members(column)
        case "YEAR":
            c = MySQLColumnConverter(
                schema: DebeziumSemantic.schema(DebeziumSemantic.year, .int32),
                convert: { v in
                    guard case .year(let y) = v else { throw Self.mismatch(v, column) }
                    // Debezium reads two-digit years as MySQL does: 0–69 are 2000–2069, 70–99 are 1970–1999.
                    return .int32(Int32(y < 70 ? y + 2000 : y < 100 ? y + 1900 : y))
                },
                parseText: { text in
                    guard let y = Int(String(decoding: text, as: UTF8.self)) else { throw Self.badText(text, column) }
                    return .year(y)
                }, fallback: .int32(0))
        case "DATE":
            c = MySQLColumnConverter(
                schema: timePrecisionMode == .connect
                    ? ConnectLogical.date() : DebeziumSemantic.schema(DebeziumSemantic.date, .int32),
                convert: { v in
                    guard case .date(let y, let m, let d) = v else { throw Self.mismatch(v, column) }
                    guard m != 0, d != 0 else { return nil }
                    return .int32(Int32(CivilTime.daysFromCivil(year: y, month: m, day: d)))
                },
                parseText: { text in
                    guard let (y, m, d, _, _, _, _) = MySQLTemporalText.dateTime(text) else {
                        throw Self.badText(text, column)
                    }
                    return .date(year: y, month: m, day: d)
                }, fallback: .int32(0))
        case "TIME":
            c = time(column)
        case "DATETIME":
            c = datetime(column)
        case "TIMESTAMP":
            let digits = column.length ?? 0
            c = MySQLColumnConverter(
                schema: DebeziumSemantic.schema(DebeziumSemantic.zonedTimestamp, .string),
                convert: { v in
                    guard case .timestamp(let seconds, let micros) = v else { throw Self.mismatch(v, column) }
                    return .string(
                        CivilTime.isoUTC(micros: seconds * 1_000_000 + Int64(micros), fractionDigits: digits))
                },
                parseText: { text in
                    // The snapshot's session runs in UTC, so the text is UTC; a zero timestamp is the epoch.
                    guard let (y, m, d, h, mi, s, f) = MySQLTemporalText.dateTime(text) else {
                        throw Self.badText(text, column)
                    }
                    guard m != 0, d != 0 else { return .timestamp(seconds: 0, microseconds: 0) }
                    let days = Int64(CivilTime.daysFromCivil(year: y, month: m, day: d))
                    return .timestamp(seconds: days * 86400 + Int64(h * 3600 + mi * 60 + s), microseconds: f)
                }, fallback: .string(CivilTime.isoUTC(micros: 0, fractionDigits: digits)))
        case "UUID":
            c = uuid(column)
        case "GEOMETRY", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON",
            "GEOMETRYCOLLECTION", "POINT":
            c = geometry(column, point: type == "POINT")
        default:
            return nil
        }
        let schema = c.schema.withOptional(optional)
        c = MySQLColumnConverter(
            schema: schema, convert: c.convert, parseText: c.parseText, fallback: c.fallback, textIsUTF8: c.textIsUTF8,
            convertText: c.convertText)
        guard let defaultValue = try defaultValue(column, c) else { return c }
        return MySQLColumnConverter(
            schema: schema.withDefault(defaultValue), convert: c.convert, parseText: c.parseText, fallback: c.fallback,
            textIsUTF8: c.textIsUTF8, convertText: c.convertText)
    }

    /// The schema default Debezium gives a column: its literal default converted like a value, or for NOT NULL
    /// columns with an expression default (`CURRENT_TIMESTAMP`), the type's zero.
    private func defaultValue(_ column: MySQLColumn, _ c: MySQLColumnConverter) throws -> Value? {
        switch column.defaultValue {
        case .literal(let text):
            var bytes = Array(text.utf8)[...]
            if text.hasPrefix("b'") || text.hasPrefix("B'") {
                bytes = Self.bitLiteral(text)[...]
            }
            let converted = try? c.value(text: bytes)
            return converted.flatMap { $0.isNull ? nil : $0 }
        case .expression:
            return column.nullable ? nil : c.fallback
        case .null, nil:
            return nil
        }
    }

    /// `b'101'` as big-endian bytes.
    private static func bitLiteral(_ text: String) -> [UInt8] {
        var value: UInt64 = 0
        for ch in text.dropFirst(2).dropLast() where ch == "0" || ch == "1" { value = value << 1 | (ch == "1" ? 1 : 0) }
        var bytes: [UInt8] = []
        repeat {
            bytes.insert(UInt8(value & 0xFF), at: 0)
            value >>= 8
        } while value > 0
        return bytes
    }

    // MARK: Numbers

    /// BOOLEAN as written in DDL: a TINYINT(1) holding 0 or not.
    private func boolean(_ column: MySQLColumn) -> MySQLColumnConverter {
        MySQLColumnConverter(
            schema: .boolean,
            convert: { v in
                guard case .integer(let i, _) = v else { throw Self.mismatch(v, column) }
                return .boolean(i != 0)
            },
            parseText: { text in
                guard let i = Int64(String(decoding: text, as: UTF8.self)) else { throw Self.badText(text, column) }
                return .integer(i, width: 1)
            }, fallback: .boolean(false))
    }

    private func integer(_ column: MySQLColumn) -> MySQLColumnConverter {
        let unsigned = column.unsigned
        let schema: Schema
        let make: (Int64, UInt64) -> Value
        switch (column.typeName, unsigned) {
        case ("TINYINT", false): (schema, make) = (.int8, { s, _ in .int8(Int8(truncatingIfNeeded: s)) })
        case ("TINYINT", true), ("SMALLINT", false):
            (schema, make) = (.int16, { s, u in .int16(Int16(truncatingIfNeeded: unsigned ? Int64(u) : s)) })
        case ("SMALLINT", true), ("MEDIUMINT", _), ("INT", false):
            (schema, make) = (.int32, { s, u in .int32(Int32(truncatingIfNeeded: unsigned ? Int64(u) : s)) })
        case ("INT", true), ("BIGINT", false): (schema, make) = (.int64, { s, u in .int64(unsigned ? Int64(u) : s) })
        default:
            if bigIntUnsignedMode == .precise {
                (schema, make) = (
                    ConnectLogical.decimal(scale: 0, precision: 20),
                    { _, u in .decimal(BigDecimal(String(u))!) }
                )
            } else {
                (schema, make) = (.int64, { _, u in .int64(Int64(bitPattern: u)) })
            }
        }
        return MySQLColumnConverter(
            schema: schema,
            convert: { v in
                guard case .integer(let s, _) = v, let u = v.unsigned else { throw Self.mismatch(v, column) }
                return make(s, u)
            },
            parseText: { text in
                let string = String(decoding: text, as: UTF8.self)
                if unsigned, let u = UInt64(string) { return .integer(Int64(bitPattern: u), width: 8) }
                if let s = Int64(string) { return .integer(s, width: 8) }
                // A decimal default of an integer column (`DEFAULT '1.0'`) is rounded, as Debezium does.
                guard let d = Double(string) else { throw Self.badText(text, column) }
                return .integer(Int64(d.rounded()), width: 8)
            }, fallback: make(0, 0))
    }

    private func decimal(_ column: MySQLColumn) -> MySQLColumnConverter {
        let precision = column.length ?? 10
        let scale = column.scale ?? 0
        let parse: (ArraySlice<UInt8>) throws -> BinlogValue = { text in
            let string = Self.withScale(String(decoding: text, as: UTF8.self), scale)
            guard BigDecimal(string) != nil else { throw Self.badText(text, column) }
            return .decimal(string)
        }
        switch decimalMode {
        case .precise:
            let convert: (BinlogValue) throws -> Value? = { v in
                // The binlog's text has the column's scale.
                guard case .decimal(let text) = v, let d = BigDecimal(text) else { throw Self.mismatch(v, column) }
                return .decimal(d)
            }
            return MySQLColumnConverter(
                schema: ConnectLogical.decimal(scale: scale, precision: precision), convert: convert,
                parseText: parse, fallback: .decimal(BigDecimal(0, scale: Int32(scale))),
                convertText: { text in
                    // The server's text has the column's scale: read once, in place, without a String between.
                    guard let d = text.withUnsafeBufferPointer({ BigDecimal(utf8: $0) }), d.scale == Int32(scale)
                    else { return nil }
                    return .decimal(d)
                })
        case .double:
            return MySQLColumnConverter(
                schema: .float64,
                convert: { v in
                    guard case .decimal(let text) = v, let d = Double(text) else { throw Self.mismatch(v, column) }
                    return .float64(d)
                }, parseText: parse, fallback: .float64(0))
        case .string:
            return MySQLColumnConverter(
                schema: .string,
                convert: { v in
                    guard case .decimal(let text) = v else { throw Self.mismatch(v, column) }
                    return .string(text)
                }, parseText: parse, fallback: .string("0"))
        }
    }

    /// Decimal text with exactly `scale` fraction digits (a default written as `1.5` of a DECIMAL(5,2)).
    static func withScale(_ text: String, _ scale: Int) -> String {
        // The server's text has the column's scale: checked without splitting the text.
        let utf8 = text.utf8
        let point = utf8.firstIndex(of: UInt8(ascii: "."))
        let fractionDigits = point.map { utf8.distance(from: utf8.index(after: $0), to: utf8.endIndex) } ?? 0
        guard fractionDigits != scale else { return text }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        let fitted = String(fraction.prefix(scale)) + String(repeating: "0", count: max(0, scale - fraction.count))
        return String(parts[0]) + (scale > 0 ? "." + fitted : "")
    }

    // MARK: Strings and bytes

    private func string(_ column: MySQLColumn, schema: Schema) throws -> MySQLColumnConverter {
        let name = column.charset ?? "utf8mb4"
        guard let charset = MySQLCharset(name) else {
            throw MySQLValueError("column \(column.name) is in character set \(name), which cannot be decoded here")
        }
        return MySQLColumnConverter(
            schema: schema,
            convert: { v in
                guard case .bytes(let b) = v else { throw Self.mismatch(v, column) }
                return .string(charset.decode(b))
            },
            parseText: { .bytes($0) }, fallback: .string(""), textIsUTF8: true)
    }

    /// MySQL's binary JSON as Debezium writes it; an empty value (MySQL's for some failed updates) is null, or `{}`
    /// in a NOT NULL column.
    private func json(_ column: MySQLColumn, text: MySQLColumnConverter) -> MySQLColumnConverter {
        MySQLColumnConverter(
            schema: text.schema,
            convert: { v in
                guard case .bytes(let b) = v else { throw Self.mismatch(v, column) }
                guard !b.isEmpty else { return nil }
                return .string(try JSONBinary.text(b))
            }, parseText: text.parseText, fallback: .string("{}"), textIsUTF8: true)
    }

    /// MariaDB's UUID (10.7+) as Debezium's MariaDB connector gives it: `io.debezium.data.Uuid`, the lower-case text.
    /// The binlog holds the 16 bytes in the text's order but leaves out trailing zero bytes, which are put back here
    /// (Debezium reads such a value as another UUID); the snapshot reads the text, which is parsed to the same bytes.
    private func uuid(_ column: MySQLColumn) -> MySQLColumnConverter {
        MySQLColumnConverter(
            schema: DebeziumSemantic.schema(DebeziumSemantic.uuid, .string),
            convert: { v in
                guard case .bytes(let b) = v, b.count <= 16 else { throw Self.mismatch(v, column) }
                var text: [UInt8] = []
                text.reserveCapacity(36)
                for i in 0..<16 {
                    if i == 4 || i == 6 || i == 8 || i == 10 { text.append(UInt8(ascii: "-")) }
                    Hex.append(CollectionOfOne(i < b.count ? b[b.startIndex + i] : 0), to: &text)
                }
                return .string(String(decoding: text, as: UTF8.self))
            },
            parseText: { text in
                var bytes: [UInt8] = []
                var high: UInt8?
                for c in text where c != UInt8(ascii: "-") {
                    guard let digit = Hex.value(of: c) else { throw Self.badText(text, column) }
                    if let h = high {
                        bytes.append(h << 4 | digit)
                        high = nil
                    } else {
                        high = digit
                    }
                }
                guard bytes.count == 16, high == nil else { throw Self.badText(text, column) }
                return .bytes(bytes[...])
            }, fallback: .string("00000000-0000-0000-0000-000000000000"))
    }

    private func binary(_ column: MySQLColumn, padTo length: Int?) -> MySQLColumnConverter {
        let mode = binaryMode
        let wrap: ([UInt8]) -> Value = { bytes in
            switch mode {
            case .bytes: .bytes(bytes)
            case .base64: .string(Base64.encodeString(bytes, urlSafe: false))
            case .base64UrlSafe: .string(Base64.encodeString(bytes, urlSafe: true))
            case .hex: .string(Hex.lowercase(bytes))
            }
        }
        return MySQLColumnConverter(
            schema: mode == .bytes ? .bytes : .string,
            convert: { v in
                guard case .bytes(let b) = v else { throw Self.mismatch(v, column) }
                var bytes = Array(b)
                // BINARY(n) is padded with zero bytes to its length, which the binlog leaves out.
                if let length, bytes.count < length { bytes += [UInt8](repeating: 0, count: length - bytes.count) }
                return wrap(bytes)
            }, parseText: { .bytes($0) }, fallback: wrap([]))
    }

    private func members(_ column: MySQLColumn) -> MySQLColumnConverter {
        let members = column.members
        let isSet = column.typeName == "SET"
        let charset = MySQLCharset(column.charset ?? "utf8mb4") ?? MySQLCharset("utf8mb4")!
        return MySQLColumnConverter(
            schema: DebeziumSemantic.schema(
                isSet ? DebeziumSemantic.enumSet : DebeziumSemantic.enumeration, .string,
                parameters: [("allowed", members.joined(separator: ","))]),
            convert: { v in
                switch v {
                case .enumIndex(let i):
                    // 0 is the empty string MySQL stores for an invalid value.
                    guard i > 0 else { return .string("") }
                    guard i <= members.count else { throw Self.mismatch(v, column) }
                    return .string(members[i - 1])
                case .setBits(let bits):
                    var chosen: [String] = []
                    for (i, member) in members.enumerated() where i < 64 && bits & (1 << UInt64(i)) != 0 {
                        chosen.append(member)
                    }
                    return .string(chosen.joined(separator: ","))
                case .bytes(let b):
                    return .string(charset.decode(b))
                default: throw Self.mismatch(v, column)
                }
            },
            parseText: { text in
                let string = String(decoding: text, as: UTF8.self)
                if !isSet {
                    return .enumIndex(members.firstIndex(of: string).map { $0 + 1 } ?? 0)
                }
                var bits: UInt64 = 0
                for part in string.split(separator: ",") {
                    if let i = members.firstIndex(of: String(part)), i < 64 { bits |= 1 << UInt64(i) }
                }
                return .setBits(bits)
            }, fallback: .string(""))
    }

    private func geometry(_ column: MySQLColumn, point: Bool) -> MySQLColumnConverter {
        let schema: Schema =
            point
            ? DebeziumSemantic.pointSchema(optional: false)
            : .struct(
                name: Self.geometryName, version: 1, doc: "Geometry",
                fields: [("wkb", .bytes), ("srid", .optionalInt32)])
        let make: (ArraySlice<UInt8>) throws -> Value = { raw in
            // The server's form: a little-endian SRID, then the well-known binary.
            guard raw.count >= 4 else { throw MySQLValueError("geometry of \(raw.count) bytes in \(column.name)") }
            let s = raw.startIndex
            let sridRaw = UInt32(raw[s]) | UInt32(raw[s + 1]) << 8 | UInt32(raw[s + 2]) << 16 | UInt32(raw[s + 3]) << 24
            let srid: Value = sridRaw == 0 ? .null : .int32(Int32(bitPattern: sridRaw))
            let wkb = Array(raw[(s + 4)...])
            guard point else { return .struct(Struct(schema: schema, values: [.bytes(wkb), srid])) }
            guard wkb.count >= 21 else { throw MySQLValueError("POINT of \(wkb.count) bytes in \(column.name)") }
            func coordinate(_ at: Int) -> Double {
                var bits: UInt64 = 0
                for k in 0..<8 { bits |= UInt64(wkb[at + k]) << (UInt64(k) * 8) }
                return Double(bitPattern: wkb[0] == 1 ? bits : bits.byteSwapped)
            }
            return .struct(
                Struct(schema: schema, values: [.float64(coordinate(5)), .float64(coordinate(13)), .bytes(wkb), srid]))
        }
        return MySQLColumnConverter(
            schema: schema,
            convert: { v in
                guard case .bytes(let b) = v else { throw Self.mismatch(v, column) }
                return try make(b)
            }, parseText: { .bytes($0) }, fallback: .null)
    }

    // MARK: Time

    private func time(_ column: MySQLColumn) -> MySQLColumnConverter {
        let fsp = column.length ?? 0
        let millis = timePrecisionMode == .connect || (timePrecisionMode == .adaptive && fsp <= 3)
        let schema: Schema =
            timePrecisionMode == .connect
            ? ConnectLogical.time()
            : millis
                ? DebeziumSemantic.schema(DebeziumSemantic.time, .int32)
                : DebeziumSemantic.schema(DebeziumSemantic.microTime, .int64)
        return MySQLColumnConverter(
            schema: schema,
            convert: { v in
                guard case .time(let negative, let h, let m, let s, let f) = v else { throw Self.mismatch(v, column) }
                let micros = (Int64(h * 3600 + m * 60 + s) * 1_000_000 + Int64(f)) * (negative ? -1 : 1)
                return millis ? .int32(Int32(truncatingIfNeeded: micros / 1000)) : .int64(micros)
            },
            parseText: { text in
                guard let t = MySQLTemporalText.time(text) else { throw Self.badText(text, column) }
                return t
            }, fallback: millis ? .int32(0) : .int64(0))
    }

    private func datetime(_ column: MySQLColumn) -> MySQLColumnConverter {
        let fsp = column.length ?? 0
        let millis = timePrecisionMode == .connect || fsp <= 3
        let schema: Schema =
            timePrecisionMode == .connect
            ? ConnectLogical.timestamp()
            : millis
                ? DebeziumSemantic.schema(DebeziumSemantic.timestamp, .int64)
                : DebeziumSemantic.schema(DebeziumSemantic.microTimestamp, .int64)
        return MySQLColumnConverter(
            schema: schema,
            convert: { v in
                guard case .datetime(let y, let mo, let d, let h, let mi, let s, let f) = v else {
                    throw Self.mismatch(v, column)
                }
                guard mo != 0, d != 0 else { return nil }
                let days = Int64(CivilTime.daysFromCivil(year: y, month: mo, day: d))
                let micros = (days * 86400 + Int64(h * 3600 + mi * 60 + s)) * 1_000_000 + Int64(f)
                return .int64(millis ? Self.floorDiv(micros, 1000) : micros)
            },
            parseText: { text in
                guard let (y, mo, d, h, mi, s, f) = MySQLTemporalText.dateTime(text) else {
                    throw Self.badText(text, column)
                }
                return .datetime(year: y, month: mo, day: d, hour: h, minute: mi, second: s, microsecond: f)
            }, fallback: .int64(0))
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return a % b < 0 ? q - 1 : q
    }

    static func mismatch(_ v: BinlogValue, _ column: MySQLColumn) -> MySQLValueError {
        MySQLValueError("a value \(v) does not fit column \(column.name) of type \(column.fullTypeName)")
    }

    static func badText(_ text: ArraySlice<UInt8>, _ column: MySQLColumn) -> MySQLValueError {
        MySQLValueError(
            "'\(String(decoding: text.prefix(64), as: UTF8.self))' is not a value of column \(column.name) of type "
                + column.fullTypeName)
    }
}
