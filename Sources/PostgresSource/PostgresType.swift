/// A column type as the catalog resolves it. Built-in types have fixed OIDs; enums, domains and extension types
/// (hstore, ltree, citext) get OIDs that differ per database, so their facts come from `pg_type`.
indirect enum PostgresType: Equatable, Sendable {
    /// A type shipped with PostgreSQL (OID below 16384), arrays of built-in types included.
    case builtin(UInt32)
    /// An enum, with its labels in sort order joined by commas (Debezium's `allowed` parameter).
    case enumeration(allowed: String)
    /// A domain: its base type, and the modifier the domain gives it (`numeric(7,2)`).
    case domain(base: PostgresType, typeModifier: Int32)
    /// A base type added by an extension, known by `pg_type.typname` (`hstore`, `ltree`, `citext`, `isbn`).
    case named(String)
    /// An array of a type that is not built in.
    case array(of: PostgresType)
    /// Anything else (composite types, user-defined ranges, pseudo types): no Connect form.
    case unknown(name: String)

    /// Types with OIDs below this ship with PostgreSQL (`FirstNormalObjectId`).
    static let firstUserOID: UInt32 = 16384

    /// One `pg_type` row, as `PostgresTypeCatalog.query` reads it.
    struct CatalogRow: Equatable, Sendable {
        var oid: UInt32
        var name: String
        /// `typtype`: `b` base, `c` composite, `d` domain, `e` enum, `p` pseudo, `r` range, `m` multirange.
        var kind: UInt8
        var baseType: UInt32
        var typeModifier: Int32
        var elementType: UInt32
        /// `typcategory`: `A` for arrays.
        var category: UInt8
        var enumLabels: String?
    }

    /// The SQL that reads the rows `resolve` needs, for the OIDs in `$1` (an `oid[]` literal).
    static let catalogQuery = """
        SELECT t.oid::text, t.typname, t.typtype::text, t.typbasetype::text, t.typtypmod::text, t.typelem::text,
          t.typcategory::text,
          (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)
        FROM pg_type t WHERE t.oid = ANY($1::oid[])
        """

    /// A row of `catalogQuery`'s result.
    static func catalogRow(_ r: [String?]) -> CatalogRow? {
        guard r.count == 8, let oid = r[0].flatMap({ UInt32($0) }), let name = r[1] else { return nil }
        return CatalogRow(
            oid: oid, name: name, kind: r[2]?.utf8.first ?? 0, baseType: r[3].flatMap { UInt32($0) } ?? 0,
            typeModifier: r[4].flatMap { Int32($0) } ?? -1, elementType: r[5].flatMap { UInt32($0) } ?? 0,
            category: r[6]?.utf8.first ?? 0, enumLabels: r[7])
    }

    /// The OIDs `resolve` still needs rows for, starting from `oids`, given the rows read so far.
    static func missing(_ oids: some Sequence<UInt32>, rows: [UInt32: CatalogRow]) -> Set<UInt32> {
        var missing = Set<UInt32>()
        var pending = Array(oids)
        var seen = Set<UInt32>()
        while let oid = pending.popLast() {
            guard oid >= firstUserOID, seen.insert(oid).inserted else { continue }
            guard let row = rows[oid] else {
                missing.insert(oid)
                continue
            }
            if row.kind == UInt8(ascii: "d") { pending.append(row.baseType) }
            if row.category == UInt8(ascii: "A") && row.elementType != 0 { pending.append(row.elementType) }
        }
        return missing
    }

    /// The type of `oid` from catalog rows (built-in OIDs need none). Cycles and missing rows give `.unknown`.
    static func resolve(_ oid: UInt32, rows: [UInt32: CatalogRow], depth: Int = 0) -> PostgresType {
        guard oid >= firstUserOID else { return .builtin(oid) }
        guard let row = rows[oid], depth < 16 else { return .unknown(name: "oid \(oid)") }
        switch row.kind {
        case UInt8(ascii: "e"):
            return .enumeration(allowed: row.enumLabels ?? "")
        case UInt8(ascii: "d"):
            return .domain(
                base: resolve(row.baseType, rows: rows, depth: depth + 1), typeModifier: row.typeModifier)
        case UInt8(ascii: "b") where row.category == UInt8(ascii: "A") && row.elementType != 0:
            return .array(of: resolve(row.elementType, rows: rows, depth: depth + 1))
        case UInt8(ascii: "b"):
            return .named(row.name)
        default:
            return .unknown(name: row.name)
        }
    }
}
