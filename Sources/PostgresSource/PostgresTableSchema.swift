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
    /// `pg_type.typname` in upper case (`INT4`, `_TEXT`, `MOOD`): Debezium's name for the source type.
    var sourceTypeName: String = ""
}

/// Which columns of a table become fields, what they look like, and which form the key: the connector's
/// `column.include.list` / `column.exclude.list`, column mappers and `message.key.columns`.
struct ColumnSelection {
    var filter: NameFilter?
    var mappers: ColumnMappers?
    var keyColumns: MessageKeyColumns?

    static let all = ColumnSelection()
}

/// Everything needed to turn one table's pgoutput tuples into Debezium records: topic, key/value/envelope
/// schemas (built once per table version) and a converter per captured column.
final class PostgresTableSchema {
    /// A column in the value: its place in the tuple, its converter and its mapper. A class: each row reads every
    /// column's, and a struct of closures, schemas and values would be copied (each of its references retained and
    /// released) per column and row.
    final class CapturedColumn {
        let tupleIndex: Int
        let converter: ColumnConverter
        /// The column mapper's change to the value (mask, hash, truncation), if any: values only, never keys.
        let map: ((Value) -> Value)?

        init(tupleIndex: Int, converter: ColumnConverter, map: ((Value) -> Value)?) {
            self.tupleIndex = tupleIndex
            self.converter = converter
            self.map = map
        }
    }

    /// A key field: the value of a captured column as converted, or (when the column is left out of the value or
    /// mapped there) converted on its own.
    enum KeyPart {
        case captured(Int)
        case separate(tupleIndex: Int, converter: ColumnConverter)
    }

    /// A row as the value's struct and the key's (nil for tables without a key).
    struct Row {
        let value: Struct
        let key: Struct?
    }

    let relation: Relation
    /// `schema.table`: how filters, mappers and transaction metadata name the table.
    let qualifiedName: String
    /// The catalog facts and key the schemas were built from.
    let catalog: [String: CatalogColumn]
    let primaryKey: [String]
    let topic: String
    let keySchema: Schema?
    let valueSchema: Schema
    let envelopeSchema: Schema
    let columns: [CapturedColumn]
    /// The type of each column of the relation, in tuple order (to read binary values).
    let columnTypes: [PostgresType]
    /// The key fields, in key order.
    let keyParts: [KeyPart]
    /// Built from the catalog for a snapshot (whose source type facts differ a little from the stream's).
    let fromSnapshot: Bool
    /// Told (once per column) when a value has no Connect form in the current mode and becomes what Debezium
    /// makes of it (numeric NaN or ±Infinity in `decimal.handling.mode=precise`, multi-dimensional arrays).
    private let onLostValue: (_ column: String, _ reason: String) -> Void
    private var columnsWithLostValues = Set<Int>()

    /// `primaryKey` lists key column names in key order; without one the replica identity columns serve
    /// (as Debezium does for tables with `REPLICA IDENTITY USING INDEX`), else the record has no key.
    /// `message.key.columns` overrides both.
    init(
        relation: Relation, catalog: [String: CatalogColumn], primaryKey: [String], topicPrefix: String,
        schemaNames: SchemaNameAdjustment = .none, fieldNames: SchemaNameAdjustment = .none,
        converter: PostgresValueConverter, selection: ColumnSelection = .all,
        fromSnapshot: Bool = false, onSkippedColumn: (_ column: String, _ typeName: String) -> Void,
        onLostValue: @escaping (_ column: String, _ reason: String) -> Void = { _, _ in }
    ) {
        self.onLostValue = onLostValue
        self.relation = relation
        self.catalog = catalog
        self.primaryKey = primaryKey
        self.fromSnapshot = fromSnapshot
        let base = TopicName.sanitized("\(topicPrefix).\(relation.namespace).\(relation.name)")
        let qualified = relation.namespace + "." + relation.name
        qualifiedName = qualified
        topic = base
        columnTypes = relation.columns.map { catalog[$0.name]?.type ?? .builtin($0.typeOID) }
        var captured: [CapturedColumn] = []
        var fields: [(String, Schema)] = []
        var converters: [String: (tupleIndex: Int, converter: ColumnConverter)] = [:]
        for (i, column) in relation.columns.enumerated() {
            let facts = catalog[column.name]
            let optional = !(facts?.notNull ?? false)
            let type = facts?.type ?? .builtin(column.typeOID)
            guard
                let c = converter.converter(
                    type: type, typeModifier: column.typeModifier, optional: optional,
                    defaultExpression: facts?.defaultExpression)
            else {
                onSkippedColumn(column.name, facts?.typeName ?? "oid \(column.typeOID)")
                continue
            }
            converters[column.name] = (i, c)
            if let filter = selection.filter, !filter.includes(qualified + "." + column.name) { continue }
            let typeName = Self.sourceTypeName(facts, fromSnapshot: fromSnapshot)
            let mapped = Self.mapped(
                c, mapper: selection.mappers?.mapper(table: qualified, column: column.name, typeName: typeName),
                column: column.name, type: type, typeModifier: column.typeModifier, typeName: typeName,
                fromSnapshot: fromSnapshot)
            captured.append(CapturedColumn(tupleIndex: i, converter: c, map: mapped.map))
            fields.append((fieldNames.adjustField(column.name), mapped.schema))
        }
        columns = captured
        // Without a primary key, Debezium keys by the replica identity index (USING INDEX), never by a FULL
        // identity's every column.
        let identityColumns =
            relation.replicaIdentity == UInt8(ascii: "i") ? relation.columns.filter(\.isKey).map(\.name) : []
        let keyNames =
            selection.keyColumns?.columns(for: qualified) ?? (primaryKey.isEmpty ? identityColumns : primaryKey)
        var keyFields: [(String, Schema)] = []
        var parts: [KeyPart] = []
        for name in keyNames {
            guard let (tupleIndex, c) = converters[name] else { continue }
            keyFields.append((fieldNames.adjustField(name), c.schema))
            if let position = captured.firstIndex(where: { $0.tupleIndex == tupleIndex }), captured[position].map == nil
            {
                parts.append(.captured(position))
            } else {
                parts.append(.separate(tupleIndex: tupleIndex, converter: c))
            }
        }
        keyParts = parts
        let schemaBase = schemaNames.adjust(base)
        keySchema = keyFields.isEmpty ? nil : .struct(name: schemaBase + ".Key", fields: keyFields)
        let value = Schema.struct(name: schemaBase + ".Value", optional: true, fields: fields)
        valueSchema = value
        envelopeSchema = PostgresSchemas.envelope(name: schemaBase + ".Envelope", row: value)
    }

    /// Debezium's name for a column's type: `pg_type.typname` in upper case, except that in a snapshot (read
    /// through the JDBC driver's metadata) integer columns that take their default from a sequence are `SERIAL`,
    /// `BIGSERIAL` or `SMALLSERIAL`.
    static func sourceTypeName(_ facts: CatalogColumn?, fromSnapshot: Bool) -> String {
        let name = facts?.sourceTypeName ?? ""
        guard fromSnapshot, facts?.defaultExpression?.contains("nextval(") == true else { return name }
        switch name {
        case "INT4": return "SERIAL"
        case "INT8": return "BIGSERIAL"
        case "INT2": return "SMALLSERIAL"
        default: return name
        }
    }

    /// A column's value schema and value change under its column mapper, as Debezium's mappers make them.
    private static func mapped(
        _ c: ColumnConverter, mapper: ColumnMappers.Mapper?, column: String, type: PostgresType,
        typeModifier: Int32, typeName: String, fromSnapshot: Bool
    ) -> (schema: Schema, map: ((Value) -> Value)?) {
        guard let mapper else { return (c.schema, nil) }
        return mapper.apply(
            to: c.schema, column: column, typeName: typeName,
            length: SourceColumnFacts.length(type, typeModifier: typeModifier, fromSnapshot: fromSnapshot),
            scale: SourceColumnFacts.scale(type, typeModifier: typeModifier, fromSnapshot: fromSnapshot),
            isCharacter: SourceColumnFacts.isCharacter(type))
    }

    /// The row's value struct and key. Absent values (key-only old tuples) are null, or the column's fallback
    /// when it is NOT NULL; unchanged TOASTed values take the old row's value where it has one (`REPLICA IDENTITY
    /// FULL` sends it, as `unchangedFrom`), else become the placeholder. Column mappers change the value's fields,
    /// never the key's. `fromSnapshot`: the row was read by a snapshot (some special values differ, as in Debezium).
    func row(_ tuple: TupleData, unchangedFrom old: TupleData? = nil, fromSnapshot: Bool = false) throws -> Row {
        guard tuple.count == relation.columns.count else {
            throw PostgresError(
                "\(relation.namespace).\(relation.name): row has \(tuple.count) columns, relation has \(relation.columns.count)"
            )
        }
        var values: [Value] = []
        values.reserveCapacity(columns.count)
        let old = old.flatMap { $0.count == tuple.count ? $0 : nil }
        for c in columns {
            let v = try value(c.tupleIndex, c.converter, tuple, old: old, fromSnapshot: fromSnapshot)
            // Debezium's mappers see the stand-in for an unchanged TOASTed value too, but its bytes go by
            // untruncated (a byte array, where truncation looks for a buffer).
            if let map = c.map, !(v.isBytes && tuple.kinds[c.tupleIndex] == .unchangedToast && old == nil) {
                values.append(map(v))
            } else {
                values.append(v)
            }
        }
        let value = Struct(schema: valueSchema, values: values)
        guard let keySchema else { return Row(value: value, key: nil) }
        let key = try keyParts.map { part -> Value in
            switch part {
            case .captured(let position): values[position]
            case .separate(let tupleIndex, let converter):
                try self.value(tupleIndex, converter, tuple, old: old, fromSnapshot: fromSnapshot)
            }
        }
        return Row(value: value, key: Struct(schema: keySchema, values: key))
    }

    /// The row with each binary value (`tributary.pgoutput.binary`) replaced by the text the server would have sent
    /// in text mode, so that everything after (converters, signals, the incremental snapshot's fingerprints) reads
    /// one form; a row without binary values is returned as it is.
    func withTextValues(_ tuple: TupleData) throws -> TupleData {
        guard tuple.kinds.contains(.binary) else { return tuple }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(tuple.bytes.count * 2)
        var kinds = tuple.kinds
        var ranges: [(start: Int, count: Int)] = []
        ranges.reserveCapacity(tuple.count)
        for i in 0..<tuple.count {
            switch kinds[i] {
            case .text:
                ranges.append((bytes.count, tuple.ranges[i].count))
                bytes.append(contentsOf: tuple.value(i))
            case .binary:
                guard i < columnTypes.count else {
                    throw PostgresError("\(qualifiedName): a row with more values than its relation has columns")
                }
                do {
                    let start = bytes.count
                    try BinaryValueText.append(tuple.value(i), type: columnTypes[i], to: &bytes)
                    ranges.append((start, bytes.count - start))
                    kinds[i] = .text
                } catch {
                    let column = relation.columns[i]
                    throw PostgresError(
                        "\(qualifiedName).\(column.name) (type oid \(column.typeOID)): binary value: \(error)")
                }
            case .null, .unchangedToast:
                ranges.append((0, 0))
            }
        }
        return TupleData(bytes: bytes, kinds: kinds, ranges: ranges)
    }

    /// One column's value, as its converter makes it.
    private func value(
        _ index: Int, _ converter: ColumnConverter, _ tuple: TupleData, old: TupleData?, fromSnapshot: Bool
    ) throws -> Value {
        let schema = converter.schema
        // An unchanged TOASTed value is read from the old row where that has it (no copy of either row).
        let fromOld = tuple.kinds[index] == .unchangedToast && old.map { $0.kinds[index] == .text } == true
        switch fromOld ? .text : tuple.kinds[index] {
        case .text:
            do {
                let text = fromOld ? old!.value(index) : tuple.value(index)
                let v: Value
                if fromSnapshot, let convertSnapshot = converter.convertSnapshot {
                    v = try convertSnapshot(text)
                } else {
                    v = try converter.convert(text)
                }
                return v.isNull && !schema.isOptional ? converter.fallback : v
            } catch let lost as PostgresValueConverter.UnrepresentableValue {
                if columnsWithLostValues.insert(index).inserted {
                    onLostValue(relation.columns[index].name, lost.reason)
                }
                let v = lost.replacement
                return v.isNull && !schema.isOptional ? converter.fallback : v
            } catch {
                let column = relation.columns[index]
                throw PostgresError(
                    "\(relation.namespace).\(relation.name).\(column.name) (type oid \(column.typeOID)): \(error)")
            }
        case .null:
            return schema.isOptional ? .null : converter.fallback
        case .unchangedToast:
            return converter.unchangedToast ?? (schema.isOptional ? .null : converter.fallback)
        case .binary:
            throw PostgresError(
                "\(relation.namespace).\(relation.name): binary tuple values are not requested and not supported")
        }
    }
}
