import DebeziumEvents
import TributaryCore

/// Column facts the replication stream does not carry, read from the catalog.
struct CatalogColumn: Equatable {
    var name: String
    var notNull: Bool
    var defaultExpression: String?
    /// The type as `format_type` prints it (`numeric(10,3)`, `exp_mood[]`), for messages.
    var typeName: String = ""
    /// What the catalog says about the type, for types without fixed OIDs (enums, domains, extension types).
    var type: PostgresType? = nil
}

/// Everything needed to turn one table's pgoutput tuples into Debezium records: topic, key/value/envelope
/// schemas (built once per table version) and a converter per captured column.
final class PostgresTableSchema {
    struct CapturedColumn {
        let tupleIndex: Int
        let converter: ColumnConverter
    }

    let relation: Relation
    /// The catalog facts and key the schemas were built from.
    let catalog: [String: CatalogColumn]
    let primaryKey: [String]
    let topic: String
    let keySchema: Schema?
    let valueSchema: Schema
    let envelopeSchema: Schema
    let columns: [CapturedColumn]
    /// Positions in `columns` of the key fields, in key order.
    let keyColumns: [Int]
    private let placeholder: String
    /// Told (once per column) when a value has no Connect form in the current mode and becomes what Debezium
    /// makes of it (numeric NaN or ±Infinity in `decimal.handling.mode=precise`, multi-dimensional arrays).
    private let onLostValue: (_ column: String, _ reason: String) -> Void
    private var columnsWithLostValues = Set<Int>()

    /// `primaryKey` lists key column names in key order; without one the replica identity columns serve
    /// (as Debezium does for tables with `REPLICA IDENTITY USING INDEX`), else the record has no key.
    init(
        relation: Relation, catalog: [String: CatalogColumn], primaryKey: [String], topicPrefix: String,
        converter: PostgresValueConverter, placeholder: String,
        onSkippedColumn: (_ column: String, _ typeName: String) -> Void,
        onLostValue: @escaping (_ column: String, _ reason: String) -> Void = { _, _ in }
    ) {
        self.onLostValue = onLostValue
        self.relation = relation
        self.catalog = catalog
        self.primaryKey = primaryKey
        self.placeholder = placeholder
        let base = TopicName.sanitized("\(topicPrefix).\(relation.namespace).\(relation.name)")
        topic = base
        var captured: [CapturedColumn] = []
        var fields: [(String, Schema)] = []
        for (i, column) in relation.columns.enumerated() {
            let facts = catalog[column.name]
            let optional = !(facts?.notNull ?? false)
            guard
                let c = converter.converter(
                    type: facts?.type ?? .builtin(column.typeOID), typeModifier: column.typeModifier,
                    optional: optional, defaultExpression: facts?.defaultExpression)
            else {
                onSkippedColumn(column.name, facts?.typeName ?? "oid \(column.typeOID)")
                continue
            }
            captured.append(CapturedColumn(tupleIndex: i, converter: c))
            fields.append((column.name, c.schema))
        }
        columns = captured
        // Without a primary key, Debezium keys by the replica identity index (USING INDEX), never by a FULL
        // identity's every column.
        let identityColumns =
            relation.replicaIdentity == UInt8(ascii: "i") ? relation.columns.filter(\.isKey).map(\.name) : []
        let keyNames = primaryKey.isEmpty ? identityColumns : primaryKey
        keyColumns = keyNames.compactMap { name in fields.firstIndex { $0.0 == name } }
        keySchema = keyColumns.isEmpty ? nil : .struct(name: base + ".Key", fields: keyColumns.map { fields[$0] })
        let value = Schema.struct(name: base + ".Value", optional: true, fields: fields)
        valueSchema = value
        envelopeSchema = PostgresSchemas.envelope(name: base + ".Envelope", row: value)
    }

    /// The row as a `Value` struct. Absent values (key-only old tuples) are null, or the column's fallback when
    /// it is NOT NULL; unchanged TOASTed values take the old row's value where it has one (`REPLICA IDENTITY
    /// FULL` sends it, as `unchangedFrom`), else become the placeholder.
    /// `fromSnapshot`: the row was read by a snapshot (some special values differ, as in Debezium).
    func row(_ tuple: TupleData, unchangedFrom old: TupleData? = nil, fromSnapshot: Bool = false) throws -> Struct {
        guard tuple.count == relation.columns.count else {
            throw PostgresError(
                "\(relation.namespace).\(relation.name): row has \(tuple.count) columns, relation has \(relation.columns.count)"
            )
        }
        var values: [Value] = []
        values.reserveCapacity(columns.count)
        let old = old.flatMap { $0.count == tuple.count ? $0 : nil }
        for c in columns {
            let schema = c.converter.schema
            // An unchanged TOASTed value is read from the old row where that has it (no copy of either row).
            let fromOld =
                tuple.kinds[c.tupleIndex] == .unchangedToast && old.map { $0.kinds[c.tupleIndex] == .text } == true
            switch fromOld ? .text : tuple.kinds[c.tupleIndex] {
            case .text:
                do {
                    let text = fromOld ? old!.value(c.tupleIndex) : tuple.value(c.tupleIndex)
                    let v: Value
                    if fromSnapshot, let convertSnapshot = c.converter.convertSnapshot {
                        v = try convertSnapshot(text)
                    } else {
                        v = try c.converter.convert(text)
                    }
                    values.append(v.isNull && !schema.isOptional ? c.converter.fallback : v)
                } catch let lost as PostgresValueConverter.UnrepresentableValue {
                    if columnsWithLostValues.insert(c.tupleIndex).inserted {
                        onLostValue(relation.columns[c.tupleIndex].name, lost.reason)
                    }
                    let v = lost.replacement
                    values.append(v.isNull && !schema.isOptional ? c.converter.fallback : v)
                } catch {
                    let column = relation.columns[c.tupleIndex]
                    throw PostgresError(
                        "\(relation.namespace).\(relation.name).\(column.name) (type oid \(column.typeOID)): \(error)")
                }
            case .null:
                values.append(schema.isOptional ? .null : c.converter.fallback)
            case .unchangedToast:
                switch schema.type {
                case .string: values.append(.string(placeholder))
                case .bytes where schema.name == nil: values.append(.bytes(Array(placeholder.utf8)))
                default: values.append(schema.isOptional ? .null : c.converter.fallback)
                }
            case .binary:
                throw PostgresError(
                    "\(relation.namespace).\(relation.name): binary tuple values are not requested and not supported")
            }
        }
        return Struct(schema: valueSchema, values: values)
    }

    /// The key struct taken from a row struct, or nil for tables without a key.
    func key(of row: Struct) -> Struct? {
        guard let keySchema else { return nil }
        return Struct(schema: keySchema, values: keyColumns.map { row.values[$0] })
    }
}
