/// What Debezium knows of a column's source type beyond its Connect schema: its length and scale as the
/// PostgreSQL JDBC driver reports them (`COLUMN_SIZE`, `DECIMAL_DIGITS`), and whether the driver calls it a
/// character type. A snapshot reads them through the driver's metadata; the stream (as Debezium builds a table
/// from a Relation message) differs for unconstrained `numeric`. Column mappers use them: truncation applies where
/// the length exceeds the limit, hashes are cut to the length, `column.propagate.source.type` publishes them.
enum SourceColumnFacts {
    typealias OID = PostgresValueConverter.OID

    /// The driver's length for columns of unknown or unbounded length.
    static let unbounded = Int(Int32.max)

    /// PostgreSQL's largest `numeric` precision, which the stream reports for unconstrained ones.
    static let numericMaxPrecision = 131_089

    static func length(_ type: PostgresType, typeModifier: Int32, fromSnapshot: Bool = false) -> Int {
        guard let (oid, typeModifier) = underlying(type, typeModifier) else { return unbounded }
        switch oid {
        case OID.int2: return 5
        case OID.int4, OID.oid: return 10
        case OID.int8: return 19
        case OID.float4: return 8
        case OID.float8: return 17
        case OID.bool, OID.char: return 1
        case OID.numeric:
            return typeModifier >= 4 ? Int((typeModifier - 4) >> 16) : fromSnapshot ? 0 : numericMaxPrecision
        case OID.bpchar, OID.varchar: return typeModifier >= 4 ? Int(typeModifier - 4) : unbounded
        case OID.bit, OID.varbit: return typeModifier >= 0 ? Int(typeModifier) : unbounded
        case OID.date: return 13
        case OID.time: return 8 + fraction(typeModifier)
        case OID.timetz: return 14 + fraction(typeModifier)
        case OID.timestamp: return 22 + fraction(typeModifier)
        case OID.timestamptz: return 28 + fraction(typeModifier)
        case OID.interval: return 49
        default: return unbounded
        }
    }

    static func scale(_ type: PostgresType, typeModifier: Int32, fromSnapshot: Bool = false) -> Int? {
        guard let (oid, typeModifier) = underlying(type, typeModifier) else { return 0 }
        switch oid {
        case OID.float4: return 8
        case OID.float8: return 17
        case OID.numeric: return typeModifier >= 4 ? Int((typeModifier - 4) & 0xFFFF) : fromSnapshot ? nil : 0
        case OID.time, OID.timetz, OID.timestamp, OID.timestamptz: return typeModifier >= 0 ? Int(typeModifier) : 6
        case OID.interval: return 6
        default: return 0
        }
    }

    /// The built-in type the driver describes a column by, with its modifier: a domain's base (with the domain's
    /// modifier where the column has none), an array's element; nil for types that are not built in.
    private static func underlying(_ type: PostgresType, _ typeModifier: Int32) -> (UInt32, Int32)? {
        switch type {
        case .domain(let base, let domainModifier):
            return underlying(base, typeModifier >= 0 ? typeModifier : domainModifier)
        case .builtin(let oid):
            return (OID.arrayElements[oid] ?? oid, typeModifier)
        default:
            return nil
        }
    }

    /// Character types (the driver's CHAR and VARCHAR): the ones masks and hashes rewrite.
    static func isCharacter(_ type: PostgresType) -> Bool {
        switch type {
        case .builtin(let oid): [OID.text, OID.varchar, OID.bpchar, OID.name, OID.char].contains(oid)
        case .domain(let base, _): isCharacter(base)
        default: false
        }
    }

    /// Characters a time's fraction adds: the point and the digits (none without digits).
    private static func fraction(_ typeModifier: Int32) -> Int {
        let digits = typeModifier >= 0 ? Int(typeModifier) : 6
        return digits > 0 ? digits + 1 : 0
    }
}
