import Converters
import DebeziumEvents
import TributaryCore

/// How one PostgreSQL column becomes a Connect field: its schema, how its text value converts, and what a
/// required column holds when the row has no value for it (Debezium's fallback). A class: each row reads it per
/// column, and a struct of closures, a schema and values was copied (retained and released) each time.
final class ColumnConverter {
    let schema: Schema
    let convert: (ArraySlice<UInt8>) throws -> Value
    /// For values read by a snapshot, where Debezium's JDBC reading gives other special values (date infinities);
    /// nil when they are the same.
    let convertSnapshot: ((ArraySlice<UInt8>) throws -> Value)?
    /// Value for a NOT NULL column whose row value is absent (old key-only tuples): the default, else zero.
    let fallback: Value
    /// What stands for an unchanged TOASTed value of this column, nil where Debezium gives null.
    let unchangedToast: Value?

    init(
        schema: Schema, convert: @escaping (ArraySlice<UInt8>) throws -> Value,
        convertSnapshot: ((ArraySlice<UInt8>) throws -> Value)? = nil, fallback: Value, unchangedToast: Value? = nil
    ) {
        self.schema = schema
        self.convert = convert
        self.convertSnapshot = convertSnapshot
        self.fallback = fallback
        self.unchangedToast = unchangedToast
    }
}

/// Maps PostgreSQL types to Connect schemas and values as Debezium's `PostgresValueConverter` does, honouring
/// `decimal.handling.mode`, `time.precision.mode` and `binary.handling.mode`.
struct PostgresValueConverter {
    enum DecimalMode: String { case precise, double, string }
    enum TimePrecisionMode: String {
        case adaptive
        case adaptiveTimeMicroseconds = "adaptive_time_microseconds"
        case connect
    }
    enum BinaryMode: String {
        case bytes, base64
        case base64UrlSafe = "base64-url-safe"
        case hex
    }
    enum IntervalMode: String { case numeric, string }
    enum HStoreMode: String, CaseIterable { case json, map }

    var decimalMode: DecimalMode = .precise
    var timePrecisionMode: TimePrecisionMode = .adaptive
    var binaryMode: BinaryMode = .bytes
    var intervalMode: IntervalMode = .numeric
    var hstoreMode: HStoreMode = .json
    /// `money.fraction.digits`: the scale of `money` values.
    var moneyFractionDigits = 2
    /// `include.unknown.datatypes`: types without a Connect form become their text, as bytes.
    var includeUnknownDatatypes = false
    /// `unavailable.value.placeholder`: what stands for an unchanged TOASTed value.
    var unavailablePlaceholder = "__debezium_unavailable_value"

    struct ConversionError: Error, CustomStringConvertible {
        let description: String
    }

    /// A value PostgreSQL holds that has no form in the current mode: the event carries `replacement` (what
    /// Debezium emits), and the table warns once per column with `reason`.
    struct UnrepresentableValue: Error {
        let replacement: Value
        let reason: String
    }

    /// Well-known type OIDs (`pg_type.oid`), stable across PostgreSQL versions.
    enum OID {
        static let bool: UInt32 = 16, bytea: UInt32 = 17, char: UInt32 = 18, name: UInt32 = 19, int8: UInt32 = 20
        static let int2: UInt32 = 21, int4: UInt32 = 23, text: UInt32 = 25, oid: UInt32 = 26, json: UInt32 = 114
        static let xml: UInt32 = 142, float4: UInt32 = 700, float8: UInt32 = 701, bpchar: UInt32 = 1042
        static let varchar: UInt32 = 1043, date: UInt32 = 1082, time: UInt32 = 1083, timestamp: UInt32 = 1114
        static let timestamptz: UInt32 = 1184, numeric: UInt32 = 1700, uuid: UInt32 = 2950, jsonb: UInt32 = 3802
        static let inet: UInt32 = 869, cidr: UInt32 = 650, macaddr: UInt32 = 829, macaddr8: UInt32 = 774
        static let timetz: UInt32 = 1266, interval: UInt32 = 1186, money: UInt32 = 790, bit: UInt32 = 1560
        static let varbit: UInt32 = 1562, point: UInt32 = 600, tsvector: UInt32 = 3614

        /// The built-in range types, whose values Debezium passes on as the server's text.
        static let ranges: Set<UInt32> = [3904, 3926, 3906, 3908, 3910, 3912]
        /// Their array types.
        static let rangeArrays: Set<UInt32> = [3905, 3927, 3907, 3909, 3911, 3913]

        /// Types whose column defaults Debezium evaluates (`PostgresDefaultValueConverter`); others have none.
        static let withDefaults: Set<UInt32> = [
            bool, int2, int4, int8, float4, float8, numeric, bpchar, varchar, text, json, jsonb, xml, uuid, date,
            time, timestamp, timestamptz, interval, bit, varbit,
        ]

        /// Array types and the types of their elements.
        static let arrayElements: [UInt32: UInt32] = [
            1000: bool, 1001: bytea, 1002: char, 1003: name, 1005: int2, 1007: int4, 1016: int8, 1028: oid, 1009: text,
            1014: bpchar, 1015: varchar, 1021: float4, 1022: float8, 1231: numeric, 1182: date, 1183: time,
            1115: timestamp,
            1185: timestamptz, 1270: timetz, 1187: interval, 2951: uuid, 199: json, 3807: jsonb, 143: xml, 1041: inet,
            651: cidr, 1040: macaddr, 775: macaddr8,
        ]

        /// Geometric types other than point: box, lseg, path, polygon, circle, line.
        static let geometric: Set<UInt32> = [603, 601, 602, 604, 718, 628]
        /// Built-in arrays Debezium leaves out even with `include.unknown.datatypes=true` (money, varbit, point,
        /// refcursor).
        static let unmappedArrays: Set<UInt32> = [791, 1563, 1017, 2201]
        /// Built-in arrays of types without a Connect form (bit, geometric types, tsvector, tsquery, jsonpath,
        /// pg_lsn, txid_snapshot): with `include.unknown.datatypes=true`, arrays of their texts.
        static let knownArrayTypes: Set<UInt32> = [
            1561, 1020, 1018, 1019, 1027, 719, 629, 3643, 3645, 4073, 3221, 2949,
        ]
    }

    /// The converter for a column, or nil if the type has no Connect form (the column is then left out, as
    /// Debezium does with `include.unknown.datatypes=false`).
    func converter(
        type: PostgresType, typeModifier: Int32, optional: Bool, defaultExpression: String?
    )
        -> ColumnConverter?
    {
        guard let (base, convert, zero) = mapping(type: type, typeModifier: typeModifier) ?? unknown(type) else {
            return nil
        }
        var schema = base.withOptional(optional)
        var defaultValue: Value?
        if let expression = defaultExpression, Self.hasDefaults(type) {
            if let literal = Self.defaultLiteral(expression) {
                defaultValue = try? convert(ArraySlice(literal.utf8))
            }
            // A default Debezium cannot evaluate (nextval(), now(), …) still gives required columns a default:
            // the type's zero value.
            if defaultValue == nil && !optional { defaultValue = zero }
        }
        if let defaultValue { schema = schema.withDefault(defaultValue) }
        // Debezium reads snapshot rows through the JDBC driver, whose `date` infinities differ from the stream's.
        let snapshot =
            type == .builtin(OID.date)
            ? mapping(typeOID: OID.date, typeModifier: typeModifier, viaJDBC: true) : nil
        return ColumnConverter(
            schema: schema, convert: convert, convertSnapshot: snapshot?.1, fallback: defaultValue ?? zero,
            unchangedToast: unchangedToast(type, schema: schema))
    }

    /// Debezium's stand-in for an unchanged TOASTed value (`UnchangedToastedPlaceholder`): the placeholder as
    /// text or bytes (bytea in hex mode: the text); for text, json and jsonb arrays a one-element array of it, for
    /// bytea arrays (bytes mode) one of its bytes; for integer and date arrays (but Connect dates) its bytes as
    /// numbers, for uuid arrays the name-based UUID of its bytes; for hstore a one-entry map of it. Nil (null)
    /// for other types and modes, as Debezium's conversions give.
    func unchangedToast(_ type: PostgresType, schema: Schema) -> Value? {
        let placeholder = unavailablePlaceholder
        let bytes = Array(placeholder.utf8)
        switch type {
        case .named("hstore"):
            return try? hstore().1(ArraySlice(#""\#(placeholder)"=>"\#(placeholder)""#.utf8))
        case .builtin(let oid):
            switch oid {
            case 1009, 1015, 1014, 199, 3807:  // text, varchar, bpchar, json, jsonb arrays
                return .array([.string(placeholder)])
            case 1001:  // bytea[]
                return binaryMode == .bytes ? .array([.bytes(bytes)]) : nil
            case 1182 where timePrecisionMode == .connect:  // date[] as Connect dates: no stand-in
                return nil
            case 1007, 1182:  // int4[], date[]
                return .array(bytes.map { .int32(Int32(Int8(bitPattern: $0))) })
            case 1016:  // int8[]
                return .array(bytes.map { .int64(Int64(Int8(bitPattern: $0))) })
            case 2951:  // uuid[]
                return .array([.string(Self.nameBasedUUID(bytes))])
            default:
                break
            }
        default:
            break
        }
        // bytea in base64 modes has none either (Debezium's base64 conversion does not know the stand-in).
        if type == .builtin(OID.bytea), binaryMode == .base64 || binaryMode == .base64UrlSafe { return nil }
        switch schema.type {
        case .string: return .string(placeholder)
        case .bytes where schema.name == nil: return .bytes(bytes)
        default: return nil
        }
    }

    /// Java's `UUID.nameUUIDFromBytes`: the MD5 of the bytes, marked as a version 3 UUID.
    static func nameBasedUUID(_ bytes: [UInt8]) -> String {
        var d = ColumnMappers.HashAlgorithm(javaName: "MD5")?.digest(bytes) ?? [UInt8](repeating: 0, count: 16)
        d[6] = (d[6] & 0x0F) | 0x30
        d[8] = (d[8] & 0x3F) | 0x80
        let text = Hex.lowercase(Array(d.prefix(16)))
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(text.dropFirst(range.lowerBound).prefix(range.count))
        }
        return parts.joined(separator: "-")
    }

    /// Whether Debezium gives columns of `type` schema defaults: built-in types it has a default parser for, and
    /// enums.
    static func hasDefaults(_ type: PostgresType) -> Bool {
        switch type {
        case .builtin(let oid): OID.withDefaults.contains(oid)
        case .enumeration: true
        default: false
        }
    }

    /// The literal text of a default expression such as `7`, `(-5)`, `'hi'::text`, `true`; nil for expressions.
    static func defaultLiteral(_ expression: String) -> String? {
        var e = Substring(expression)
        while e.hasPrefix("(") && e.hasSuffix(")") { e = e.dropFirst().dropLast() }
        // Bit strings: B'101'::"bit".
        if e.hasPrefix("B'") { e = e.dropFirst() }
        if e.hasPrefix("'") {
            guard let close = e.dropFirst().firstIndex(of: "'") else { return nil }
            let literal = e[e.index(after: e.startIndex)..<close]
            let rest = e[e.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix("::") else { return nil }
            if literal.contains("'") { return nil }
            return String(literal)
        }
        if e.uppercased().hasPrefix("NULL") { return nil }
        if e == "true" || e == "false" { return String(e) }
        if let cast = e.firstRange(of: "::") { e = e[..<cast.lowerBound] }
        while e.hasPrefix("(") && e.hasSuffix(")") { e = e.dropFirst().dropLast() }
        if !e.isEmpty && e.allSatisfy({ $0.isNumber || $0 == "-" || $0 == "." || $0 == "e" || $0 == "E" || $0 == "+" })
        {
            return String(e)
        }
        return nil
    }

    private typealias Mapping = (Schema, (ArraySlice<UInt8>) throws -> Value, Value)

    /// Types whose OIDs are not fixed: enums, domains (as their base type), extension types, and arrays of them.
    /// Arrays of domains have no form, as in Debezium.
    private func mapping(type: PostgresType, typeModifier: Int32) -> Mapping? {
        switch type {
        case .builtin(let oid):
            return mapping(typeOID: oid, typeModifier: typeModifier)
        case .enumeration(let allowed):
            return enumeration(allowed, optional: false)
        case .domain(let base, let domainModifier):
            return mapping(type: base, typeModifier: typeModifier >= 0 ? typeModifier : domainModifier)
        case .named(let name):
            return named(name)
        case .array(of: .enumeration(let allowed)):
            // Debezium declares enum array elements required.
            return array(of: enumeration(allowed, optional: false))
        case .array(of: .named(let name)):
            return named(name).map { array(of: ($0.0.withOptional(true), $0.1, $0.2)) }
        case .array, .unknown:
            return nil
        }
    }

    /// `include.unknown.datatypes=true`: a type without a Connect form becomes its text as bytes (encoded as
    /// `binary.handling.mode` says), arrays of such types arrays of them; otherwise nil.
    private func unknown(_ type: PostgresType) -> Mapping? {
        guard includeUnknownDatatypes else { return nil }
        if case .builtin(let oid) = type, OID.geometric.contains(oid) {
            return binary(from: { Array(Self.javaGeometricText($0).utf8) })
        }
        let textBytes = binary(from: { Array($0) })
        var isArray = false
        switch type {
        case .array: isArray = true
        case .builtin(let oid):
            // Debezium leaves these arrays out even with the option set.
            if OID.unmappedArrays.contains(oid) { return nil }
            isArray = OID.knownArrayTypes.contains(oid)
        default: break
        }
        guard isArray else { return textBytes }
        return array(of: textBytes)
    }

    /// An array of `element`, one-dimensional; elements NULL become null.
    private func array(of element: Mapping) -> Mapping {
        let (schema, convert, _) = element
        return (
            .array(of: schema),
            { v in
                if let outer = Self.multiDimensionalLength(v) {
                    // Debezium emits one null per outer element (or, for strings, Java object names).
                    throw UnrepresentableValue(
                        replacement: .array(Array(repeating: .null, count: outer)),
                        reason: "multi-dimensional arrays have no Connect form; each outer element becomes null")
                }
                var lost: UnrepresentableValue?
                let elements = try Self.arrayElements(v).map { element -> Value in
                    guard let element else { return .null }
                    do {
                        return try convert(element)
                    } catch let error as UnrepresentableValue {
                        lost = error
                        return error.replacement
                    }
                }
                if let lost { throw UnrepresentableValue(replacement: .array(elements), reason: lost.reason) }
                return .array(elements)
            }, .array([])
        )
    }

    private func enumeration(_ allowed: String, optional: Bool) -> Mapping {
        text(
            DebeziumSemantic.schema(
                DebeziumSemantic.enumeration, .string, optional: optional, parameters: [("allowed", allowed)]))
    }

    /// Extension types Debezium knows by name.
    private func named(_ name: String) -> Mapping? {
        switch name {
        case "hstore": hstore()
        case "ltree": semanticString(DebeziumSemantic.ltree)
        case "citext", "isbn": text(.string)
        default: nil
        }
    }

    /// `viaJDBC`: values Debezium reads through the JDBC driver (array elements, snapshot rows), where some
    /// special values differ from the stream's.
    private func mapping(typeOID: UInt32, typeModifier: Int32, viaJDBC: Bool = false) -> Mapping? {
        switch typeOID {
        case OID.bool:
            return (.boolean, { .boolean($0.first == UInt8(ascii: "t")) }, .boolean(false))
        case OID.int2:
            return (.int16, { .int16(try Self.integer($0, Int16.self)) }, .int16(0))
        case OID.int4:
            return (.int32, { .int32(try Self.integer($0, Int32.self)) }, .int32(0))
        case OID.int8, OID.oid:
            return (.int64, { .int64(try Self.integer($0, Int64.self)) }, .int64(0))
        case OID.float4:
            return (.float32, { .float32(try Self.floating($0, Float.self)) }, .float32(0))
        case OID.float8:
            return (.float64, { .float64(try Self.floating($0, Double.self)) }, .float64(0))
        case OID.text, OID.varchar, OID.bpchar, OID.char, OID.name, OID.inet, OID.cidr, OID.macaddr, OID.macaddr8:
            return text(.string)
        case OID.json, OID.jsonb:
            return semanticString(DebeziumSemantic.json)
        case OID.xml:
            return semanticString(DebeziumSemantic.xml)
        case OID.uuid:
            return semanticString(DebeziumSemantic.uuid)
        case OID.bytea:
            return binary()
        case OID.numeric:
            return numeric(typeModifier)
        case OID.money:
            return money()
        case OID.bit, OID.varbit:
            // bit without a length is bit(1); varbit without one is unbounded (Debezium's length: Int32.max).
            let length = typeModifier >= 0 ? Int(typeModifier) : (typeOID == OID.bit ? 1 : Int(Int32.max))
            return bits(length: length)
        case OID.point:
            return point()
        case OID.tsvector:
            return semanticString(DebeziumSemantic.tsvector)
        case _ where OID.ranges.contains(typeOID):
            return text(.string)
        case _ where OID.rangeArrays.contains(typeOID):
            return array(of: text(.optionalString))
        case OID.date:
            let schema =
                timePrecisionMode == .connect
                ? ConnectLogical.date() : DebeziumSemantic.schema(DebeziumSemantic.date, .int32)
            let infinity = viaJDBC ? Self.arrayDateInfinity : Self.dateInfinity
            return (
                schema,
                { v in
                    if let days = Self.infinity(v, infinity) { return .int32(days) }
                    return .int32(Int32(try Self.temporal(v) { try TemporalText.date($0) }))
                }, .int32(0)
            )
        case OID.time:
            let precision = typeModifier < 0 ? 6 : Int(typeModifier)
            switch timePrecisionMode {
            case .connect:
                return (
                    ConnectLogical.time(),
                    { .int32(Int32(try Self.temporal($0) { try TemporalText.time($0) } / 1000)) }, .int32(0)
                )
            case .adaptive where precision <= 3:
                return (
                    DebeziumSemantic.schema(DebeziumSemantic.time, .int32),
                    { .int32(Int32(try Self.temporal($0) { try TemporalText.time($0) } / 1000)) }, .int32(0)
                )
            default:
                return (
                    DebeziumSemantic.schema(DebeziumSemantic.microTime, .int64),
                    { .int64(try Self.temporal($0) { try TemporalText.time($0) }) }, .int64(0)
                )
            }
        case OID.timestamp:
            let precision = typeModifier < 0 ? 6 : Int(typeModifier)
            if timePrecisionMode == .connect {
                // Truncated toward zero, as Debezium's connect mode does (java.util.Date from the instant).
                return (ConnectLogical.timestamp(), { .int64(try Self.timestampMicros($0) / 1000) }, .int64(0))
            }
            if precision <= 3 {
                return (
                    DebeziumSemantic.schema(DebeziumSemantic.timestamp, .int64),
                    { .int64(try Self.timestampMillis($0)) }, .int64(0)
                )
            }
            return (
                DebeziumSemantic.schema(DebeziumSemantic.microTimestamp, .int64),
                { .int64(try Self.timestampMicros($0)) }, .int64(0)
            )
        case OID.timestamptz:
            let precision = typeModifier < 0 ? 6 : Int(typeModifier)
            // Debezium passes ±infinity through as text, but inside arrays its JDBC path turns -infinity into
            // the earliest instant Java prints.
            let timestamptzInfinity = (
                positive: "infinity",
                negative: viaJDBC
                    ? "+292269055-12-02T23:00:00"
                        + (precision > 0 ? "." + String(repeating: "0", count: precision) : "")
                        + "Z"
                    : "-infinity"
            )
            return (
                DebeziumSemantic.schema(DebeziumSemantic.zonedTimestamp, .string),
                { v in
                    if let text = Self.infinity(v, timestamptzInfinity) { return .string(text) }
                    let micros = try Self.temporal(v) { try TemporalText.timestamp($0) }
                    return .string(CivilTime.isoUTC(micros: micros, fractionDigits: precision))
                }, .string(CivilTime.isoUTC(micros: 0, fractionDigits: precision))
            )
        case OID.timetz:
            let precision = typeModifier < 0 ? 6 : Int(typeModifier)
            return (
                DebeziumSemantic.schema(DebeziumSemantic.zonedTime, .string),
                { v in
                    .string(
                        CivilTime.isoTimeUTC(
                            micros: try Self.temporal(v) { try TemporalText.timeWithOffset($0) },
                            fractionDigits: precision))
                }, .string(CivilTime.isoTimeUTC(micros: 0, fractionDigits: precision))
            )
        case OID.interval:
            switch intervalMode {
            case .numeric:
                return (
                    DebeziumSemantic.schema(DebeziumSemantic.microDuration, .int64),
                    { v in
                        .int64(try Self.temporal(v) { try TemporalText.interval($0) }.totalMicros)
                    }, .int64(0)
                )
            case .string:
                return (
                    DebeziumSemantic.schema(DebeziumSemantic.interval, .string),
                    { v in
                        .string(try Self.temporal(v) { try TemporalText.interval($0) }.isoText)
                    }, .string(TemporalText.Interval().isoText)
                )
            }
        default:
            guard let element = OID.arrayElements[typeOID],
                let (schema, convert, zero) = mapping(typeOID: element, typeModifier: typeModifier, viaJDBC: true)
            else {
                return nil
            }
            return array(of: (schema.withOptional(true), convert, zero))
        }
    }

    /// For an array literal of more than one dimension (`{{1,2},{3,4}}`, or with explicit bounds), the number of
    /// its outer elements; nil for one dimension.
    static func multiDimensionalLength(_ v: ArraySlice<UInt8>) -> Int? {
        var i = v.startIndex
        if v.first == UInt8(ascii: "["), let eq = v.firstIndex(of: UInt8(ascii: "=")) { i = eq + 1 }
        guard v[i...].starts(with: "{{".utf8) else { return nil }
        var depth = 0
        var quoted = false
        var count = 0
        while i < v.endIndex {
            let c = v[i]
            if quoted {
                if c == UInt8(ascii: "\\") { i += 1 } else if c == UInt8(ascii: "\"") { quoted = false }
            } else if c == UInt8(ascii: "\"") {
                quoted = true
            } else if c == UInt8(ascii: "{") {
                depth += 1
                if depth == 2 { count += 1 }
            } else if c == UInt8(ascii: "}") {
                depth -= 1
            }
            i += 1
        }
        return count
    }

    /// The elements of a one-dimensional array literal (`{1,NULL,"a \"b\""}`), nil for NULL, unescaped.
    static func arrayElements(_ v: ArraySlice<UInt8>) throws -> [ArraySlice<UInt8>?] {
        var i = v.startIndex
        if v.first == UInt8(ascii: "[") {
            // Explicit bounds (`[0:1]={…}`): skip to the braces.
            guard let eq = v.firstIndex(of: UInt8(ascii: "=")) else {
                throw ConversionError(description: "malformed array")
            }
            i = eq + 1
        }
        guard i < v.endIndex, v[i] == UInt8(ascii: "{"), v.last == UInt8(ascii: "}") else {
            throw ConversionError(description: "malformed array \(String(decoding: v, as: UTF8.self))")
        }
        i += 1
        let end = v.endIndex - 1
        var elements: [ArraySlice<UInt8>?] = []
        while i < end {
            if v[i] == UInt8(ascii: "{") {
                throw ConversionError(description: "multi-dimensional arrays are not supported yet")
            }
            if v[i] == UInt8(ascii: "\"") {
                var element: [UInt8] = []
                i += 1
                while i < end && v[i] != UInt8(ascii: "\"") {
                    if v[i] == UInt8(ascii: "\\") { i += 1 }
                    guard i < end else { break }
                    element.append(v[i])
                    i += 1
                }
                guard i < end else { throw ConversionError(description: "unterminated quoted array element") }
                i += 1
                elements.append(ArraySlice(element))
            } else {
                let start = i
                while i < end && v[i] != UInt8(ascii: ",") { i += 1 }
                let text = v[start..<i]
                elements.append(text.elementsEqual("NULL".utf8) ? nil : text)
            }
            if i < end {
                guard v[i] == UInt8(ascii: ",") else { throw ConversionError(description: "malformed array") }
                i += 1
            }
        }
        return elements
    }

    private func semanticString(_ name: String) -> Mapping { text(DebeziumSemantic.schema(name, .string)) }

    /// Values passed on as the server's text, under `schema`.
    private func text(_ schema: Schema) -> Mapping {
        (schema, { .string(String(decoding: $0, as: UTF8.self)) }, .string(""))
    }

    private func binary() -> Mapping {
        // The server's hex text is what hex mode emits.
        if binaryMode == .hex {
            return (.string, { .string(String(decoding: $0.dropFirst(2), as: UTF8.self)) }, .string(""))
        }
        return binary(from: { v in
            guard v.count >= 2, v.first == UInt8(ascii: "\\"), v.dropFirst().first == UInt8(ascii: "x"),
                v.count % 2 == 0
            else {
                throw ConversionError(description: "bytea value is not in hex form")
            }
            var out: [UInt8] = []
            out.reserveCapacity((v.count - 2) / 2)
            var i = v.startIndex + 2
            while i < v.endIndex {
                guard let hi = Hex.value(of: v[i]), let lo = Hex.value(of: v[i + 1]) else {
                    throw ConversionError(description: "bytea value has a non-hex digit")
                }
                out.append(hi << 4 | lo)
                i += 2
            }
            return out
        })
    }

    /// Bytes (decoded from a value's text by `decode`) as `binary.handling.mode` says.
    private func binary(from decode: @escaping @Sendable (ArraySlice<UInt8>) throws -> [UInt8]) -> Mapping {
        switch binaryMode {
        case .bytes:
            return (.bytes, { .bytes(try decode($0)) }, .bytes([]))
        case .base64:
            return (.string, { .string(Base64.encodeString(try decode($0), urlSafe: false)) }, .string(""))
        case .base64UrlSafe:
            return (.string, { .string(Base64.encodeString(try decode($0), urlSafe: true)) }, .string(""))
        case .hex:
            return (.string, { .string(Hex.lowercase(try decode($0))) }, .string(""))
        }
    }

    /// A geometric value's text with every coordinate printed as Java's `Double.toString` prints it (`(1,2),(0,0)`
    /// → `(1.0,2.0),(0.0,0.0)`): Debezium parses these values into the JDBC driver's objects and prints those.
    static func javaGeometricText(_ v: ArraySlice<UInt8>) -> String {
        var w = JSONWriter(capacity: v.count * 2)
        var i = v.startIndex
        while i < v.endIndex {
            let c = v[i]
            guard (c >= 48 && c <= 57) || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") else {
                w.byte(c)
                i += 1
                continue
            }
            let start = i
            i += 1
            while i < v.endIndex {
                let d = v[i]
                let exponentSign =
                    (d == UInt8(ascii: "-") || d == UInt8(ascii: "+"))
                    && (v[i - 1] == UInt8(ascii: "e") || v[i - 1] == UInt8(ascii: "E"))
                guard
                    (d >= 48 && d <= 57) || d == UInt8(ascii: ".") || d == UInt8(ascii: "e") || d == UInt8(ascii: "E")
                        || exponentSign
                else { break }
                i += 1
            }
            if let number = Double(String(decoding: v[start..<i], as: UTF8.self)), number.isFinite {
                w.double(number)
            } else {
                w.raw(Array(v[start..<i]))
            }
        }
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// Raw bytes (a logical decoding message's content) as `binary.handling.mode` says: their schema and value.
    func binary(_ bytes: [UInt8]) -> (schema: Schema, value: Value) {
        let (schema, convert, zero) = binary(from: { Array($0) })
        return (schema, (try? convert(ArraySlice(bytes))) ?? zero)
    }

    /// `money`: a Decimal at `money.fraction.digits` (rounded half up), a double, or the plain number as text, as
    /// `decimal.handling.mode` says. The text's currency symbol, grouping and parentheses are dropped, as Debezium's
    /// `PostgresMoney` does.
    private func money() -> Mapping {
        let scale = moneyFractionDigits
        let zero = BigDecimal(0, scale: Int32(scale))
        switch decimalMode {
        case .double:
            return (
                .float64, { .float64(try Self.floating(ArraySlice(Self.moneyNumber($0).utf8), Double.self)) },
                .float64(0)
            )
        case .string:
            return (.string, { .string(Self.moneyNumber($0)) }, .string(zero.description))
        case .precise:
            return (
                ConnectLogical.decimal(scale: scale),
                { v in
                    let text = Self.moneyNumber(v)
                    guard let d = BigDecimal(text), let r = d.roundedHalfUp(toScale: Int32(scale)) else {
                        throw ConversionError(description: "invalid money \(String(decoding: v, as: UTF8.self))")
                    }
                    return .decimal(r)
                }, .decimal(zero)
            )
        }
    }

    /// The number in a `money` text (`$1,234.56`, `-$0.99`, `($5.00)`) as plain decimal text.
    static func moneyNumber(_ v: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(v.count)
        if v.first == UInt8(ascii: "-") || v.first == UInt8(ascii: "(") { out.append(UInt8(ascii: "-")) }
        for c in v where (c >= 48 && c <= 57) || c == UInt8(ascii: ".") { out.append(c) }
        return String(decoding: out, as: UTF8.self)
    }

    /// `bit(1)` and `varbit(1)` are booleans; longer bit strings `io.debezium.data.Bits`: the bits as a number, in
    /// little-endian bytes, as few as hold its highest set bit (none for all zeros), as Debezium's `BitSet` gives.
    private func bits(length: Int) -> Mapping {
        if length == 1 {
            return (.boolean, { .boolean($0.contains(UInt8(ascii: "1"))) }, .boolean(false))
        }
        return (
            DebeziumSemantic.schema(DebeziumSemantic.bits, .bytes, parameters: [("length", String(length))]),
            { v in
                var bytes = [UInt8](repeating: 0, count: (v.count + 7) / 8)
                for (position, c) in v.reversed().enumerated() {
                    switch c {
                    case UInt8(ascii: "1"): bytes[position / 8] |= 1 << (position % 8)
                    case UInt8(ascii: "0"): break
                    default:
                        throw ConversionError(description: "invalid bit string \(String(decoding: v, as: UTF8.self))")
                    }
                }
                while bytes.last == 0 { bytes.removeLast() }
                return .bytes(bytes)
            }, .bytes([])
        )
    }

    /// `point`: `io.debezium.data.geometry.Point` from the text `(x,y)`.
    private func point() -> Mapping {
        let schema = DebeziumSemantic.pointSchema(optional: false)
        return (
            schema,
            { v in
                let parts = v.split(separator: UInt8(ascii: ","))
                guard parts.count == 2, v.first == UInt8(ascii: "("), v.last == UInt8(ascii: ")"),
                    let x = Double(String(decoding: parts[0].dropFirst(), as: UTF8.self)),
                    let y = Double(String(decoding: parts[1].dropLast(), as: UTF8.self))
                else {
                    throw ConversionError(description: "invalid point \(String(decoding: v, as: UTF8.self))")
                }
                return DebeziumSemantic.pointValue(x: x, y: y, schema: schema)
            }, DebeziumSemantic.pointValue(x: 0, y: 0, schema: schema)
        )
    }

    /// `hstore`: a JSON object (`hstore.handling.mode=json`) or a map of optional strings (`map`), entries in the
    /// order of the `java.util.HashMap` Debezium parses them into.
    private func hstore() -> Mapping {
        switch hstoreMode {
        case .json:
            return (
                DebeziumSemantic.schema(DebeziumSemantic.json, .string),
                { v in
                    var w = JSONWriter(capacity: v.count + 8)
                    w.byte(UInt8(ascii: "{"))
                    for (i, entry) in JavaHashMapOrder.sorted(try HStoreText.entries(v), key: \.key).enumerated() {
                        if i > 0 { w.byte(UInt8(ascii: ",")) }
                        w.string(entry.key)
                        w.byte(UInt8(ascii: ":"))
                        if let value = entry.value { w.string(value) } else { w.null() }
                    }
                    w.byte(UInt8(ascii: "}"))
                    return .string(String(decoding: w.bytes, as: UTF8.self))
                }, .string("{}")
            )
        case .map:
            return (
                .map(key: .string, value: .optionalString),
                { v in
                    .map(
                        JavaHashMapOrder.sorted(try HStoreText.entries(v), key: \.key).map {
                            MapEntry(key: .string($0.key), value: $0.value.map { .string($0) } ?? .null)
                        })
                }, .map([])
            )
        }
    }

    /// PostgreSQL's numeric values that are not numbers.
    enum SpecialNumeric {
        case nan, positiveInfinity, negativeInfinity

        init?(_ v: ArraySlice<UInt8>) {
            switch v.first {
            case UInt8(ascii: "N") where v.elementsEqual("NaN".utf8): self = .nan
            case UInt8(ascii: "I") where v.elementsEqual("Infinity".utf8): self = .positiveInfinity
            case UInt8(ascii: "-") where v.elementsEqual("-Infinity".utf8): self = .negativeInfinity
            default: return nil
            }
        }

        var double: Double {
            switch self {
            case .nan: .nan
            case .positiveInfinity: .infinity
            case .negativeInfinity: -.infinity
            }
        }

        /// How Debezium's string mode spells it (`SpecialValueDecimal`'s names).
        var text: String {
            switch self {
            case .nan: "NAN"
            case .positiveInfinity: "POSITIVE_INFINITY"
            case .negativeInfinity: "NEGATIVE_INFINITY"
            }
        }
    }

    static let specialNumericLost = UnrepresentableValue(
        replacement: .null,
        reason: "numeric NaN and Infinity have no decimal form; decimal.handling.mode=string or double keeps them")

    /// `numeric`: NaN and ±Infinity become NaN/±Infinity in double mode, Debezium's names in string mode, and null
    /// in precise mode, where Connect's decimal cannot hold them (as Debezium does; `PostgresTableSchema` warns
    /// once per column).
    private func numeric(_ typeModifier: Int32) -> Mapping {
        let constrained = typeModifier >= 4
        let precision = constrained ? Int((typeModifier - 4) >> 16) : nil
        let scale = constrained ? Int((typeModifier - 4) & 0xFFFF) : nil
        switch decimalMode {
        case .double:
            return (
                .float64,
                { v in
                    .float64(try SpecialNumeric(v)?.double ?? Self.floating(v, Double.self))
                }, .float64(0)
            )
        case .string:
            return (
                .string, { .string(SpecialNumeric($0)?.text ?? String(decoding: $0, as: UTF8.self)) },
                .string("0")
            )
        case .precise:
            if let scale {
                return (
                    ConnectLogical.decimal(scale: scale, precision: precision),
                    { v in
                        if SpecialNumeric(v) != nil { throw Self.specialNumericLost }
                        return .decimal(try Self.decimal(v, scale: scale))
                    }, .decimal(BigDecimal(0, scale: Int32(scale)))
                )
            }
            let zero = Value.struct(
                Struct(
                    schema: DebeziumSemantic.variableScaleDecimalSchema(optional: false),
                    values: [.int32(0), .bytes([0])]))
            return (
                DebeziumSemantic.variableScaleDecimalSchema(optional: false),
                { v in
                    if SpecialNumeric(v) != nil { throw Self.specialNumericLost }
                    let d = try Self.decimal(v, scale: nil)
                    return .struct(
                        Struct(
                            schema: DebeziumSemantic.variableScaleDecimalSchema(optional: false),
                            values: [.int32(d.scale), .bytes(d.unscaled)]))
                }, zero
            )
        }
    }

    // MARK: Text parsing

    private static func integer<T: FixedWidthInteger>(_ v: ArraySlice<UInt8>, _: T.Type) throws -> T {
        var negative = false
        var i = v.startIndex
        if i < v.endIndex, v[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        guard i < v.endIndex else { throw ConversionError(description: "empty integer") }
        var result: T = 0
        while i < v.endIndex {
            let c = v[i]
            guard c >= 48, c <= 57 else {
                throw ConversionError(description: "invalid integer \(String(decoding: v, as: UTF8.self))")
            }
            let (m, o1) = result.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(T(c - 48)) : m.addingReportingOverflow(T(c - 48))
            guard !o1, !o2 else { throw ConversionError(description: "integer out of range") }
            result = s
            i += 1
        }
        return result
    }

    private static func floating<T: LosslessStringConvertible>(_ v: ArraySlice<UInt8>, _: T.Type) throws -> T {
        guard let f = T(String(decoding: v, as: UTF8.self)) else {
            throw ConversionError(description: "invalid floating point value \(String(decoding: v, as: UTF8.self))")
        }
        return f
    }

    private static func decimal(_ v: ArraySlice<UInt8>, scale: Int?) throws -> BigDecimal {
        guard let d = v.withUnsafeBufferPointer({ BigDecimal(utf8: $0) }) else {
            throw ConversionError(description: "invalid numeric \(String(decoding: v, as: UTF8.self))")
        }
        if let scale, d.scale != Int32(scale) {
            // PostgreSQL prints constrained numerics at their scale; rescale defensively.
            guard let r = BigDecimal(rescaling: d, to: Int32(scale)) else {
                throw ConversionError(description: "numeric scale mismatch")
            }
            return r
        }
        return d
    }

    /// The value for `infinity` and `-infinity`, if `v` is one of them.
    private static func infinity<T>(_ v: ArraySlice<UInt8>, _ values: (positive: T, negative: T)) -> T? {
        if v.elementsEqual("infinity".utf8) { return values.positive }
        if v.elementsEqual("-infinity".utf8) { return values.negative }
        return nil
    }

    /// Debezium's days for `date 'infinity'` / `'-infinity'`: PostgreSQL's internal ±infinity (Int32.max/min days
    /// since 2000-01-01) moved to the Unix epoch in 32-bit arithmetic, wrapping as Debezium's does.
    static let dateInfinity = (
        positive: Int32.max &+ 10_957, negative: Int32.min &+ 10_957
    )
    /// Inside arrays Debezium reads dates through the JDBC driver, whose infinities are other values.
    static let arrayDateInfinity: (positive: Int32, negative: Int32) = (-622_191_234, -625_821_272)
    /// The JDBC driver's `DATE_POSITIVE_INFINITY` / `DATE_NEGATIVE_INFINITY` (milliseconds), which Debezium emits
    /// for `timestamp 'infinity'` / `'-infinity'`: as microseconds in MicroTimestamp fields, divided by 1000 in
    /// millisecond fields.
    static let timestampInfinity: (positive: Int64, negative: Int64) = (
        9_223_372_036_825_200_000, -9_223_372_036_832_400_000
    )

    /// Microseconds of a `timestamp` (Debezium's infinity values for ±infinity).
    private static func timestampMicros(_ v: ArraySlice<UInt8>) throws -> Int64 {
        if let micros = infinity(v, timestampInfinity) { return micros }
        return try temporal(v) { try TemporalText.timestamp($0) }
    }

    /// Milliseconds of a `timestamp`, rounded down (Debezium's infinity values for ±infinity).
    private static func timestampMillis(_ v: ArraySlice<UInt8>) throws -> Int64 {
        if let micros = infinity(v, timestampInfinity) { return micros / 1000 }
        let micros = try temporal(v) { try TemporalText.timestamp($0) }
        return (micros - (micros % 1000 + 1000) % 1000) / 1000
    }

    private static func temporal<T>(_ v: ArraySlice<UInt8>, _ parse: (ArraySlice<UInt8>) throws -> T) throws -> T {
        do {
            return try parse(v)
        } catch {
            throw ConversionError(description: "unexpected date/time text \"\(String(decoding: v, as: UTF8.self))\"")
        }
    }

}

extension BigDecimal {
    /// The same number at `scale`, rounded half up (away from zero) when digits are dropped, as Java's
    /// `setScale(scale, RoundingMode.HALF_UP)`.
    func roundedHalfUp(toScale scale: Int32) -> BigDecimal? {
        var digits = unscaledDigits
        var s = self.scale
        while s < scale {
            digits.append(0)
            s += 1
        }
        var roundUp = false
        while s > scale {
            roundUp = (digits.popLast() ?? 0) >= 5
            s -= 1
        }
        if digits.isEmpty { digits = [0] }
        if roundUp {
            var i = digits.count - 1
            while i >= 0 {
                if digits[i] == 9 {
                    digits[i] = 0
                    i -= 1
                } else {
                    digits[i] += 1
                    break
                }
            }
            if i < 0 { digits.insert(1, at: 0) }
        }
        return BigDecimal(decimalDigits: digits, negative: isNegative, scale: scale)
    }

    /// The same number at another scale, if that loses no digits.
    init?(rescaling d: BigDecimal, to scale: Int32) {
        var digits = d.unscaledDigits
        var s = d.scale
        while s < scale {
            digits.append(0)
            s += 1
        }
        while s > scale {
            guard digits.last == 0 else { return nil }
            digits.removeLast()
            s -= 1
        }
        self.init(decimalDigits: digits, negative: d.isNegative, scale: scale)
    }
}
