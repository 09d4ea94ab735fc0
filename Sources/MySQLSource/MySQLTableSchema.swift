import BinlogProtocol
import DebeziumEvents
import MySQLDDL
import TributaryCore

/// Everything needed to turn one table's row images into Debezium records: topic, key/value/envelope schemas
/// (built once per table version) and a converter per captured column.
final class MySQLTableSchema {
    struct CapturedColumn {
        /// The column's position in row images.
        let index: Int
        let converter: MySQLColumnConverter
        /// The column mapper's change to the value (mask, hash, truncation), if any: values only, never keys.
        let map: ((Value) -> Value)?
    }

    /// A row as the value's struct and the key's (nil for tables without a key).
    struct Row {
        let value: Struct
        let key: Struct?
    }

    let table: MySQLTable
    let topic: String
    let keySchema: Schema?
    let valueSchema: Schema
    let envelopeSchema: Schema
    let columns: [CapturedColumn]
    /// For each key field, its position among `columns`.
    let keyPositions: [Int]
    /// Whether a column mapper changes some value (the key then takes the values before it).
    private let mapsValues: Bool

    /// `onSkippedColumn` hears of columns whose type has no Connect form (left out, as Debezium leaves them out).
    init(
        table: MySQLTable, topicPrefix: String, converter: MySQLValueConverter, source: SourceBlockSchema,
        columnFilter: NameFilter?, keyColumns: MessageKeyColumns?, mappers: ColumnMappers? = nil,
        schemaNames: SchemaNameAdjustment = .none, fieldNames: SchemaNameAdjustment = .none,
        onSkippedColumn: (_ column: String, _ typeName: String) -> Void
    ) throws {
        self.table = table
        let base = TopicName.sanitized("\(topicPrefix).\(table.database).\(table.name)")
        topic = base
        var captured: [CapturedColumn] = []
        var fields: [(String, Schema)] = []
        for (i, column) in table.columns.enumerated() {
            if let columnFilter, !columnFilter.includes(table.qualifiedName + "." + column.name) { continue }
            guard let c = try converter.converter(for: column) else {
                onSkippedColumn(column.name, column.fullTypeName)
                continue
            }
            var schema = c.schema
            var map: ((Value) -> Value)?
            if let mapper = mappers?.mapper(
                table: table.qualifiedName, column: column.name, typeName: column.fullTypeName)
            {
                (schema, map) = mapper.apply(
                    to: c.schema, column: column.name, typeName: column.fullTypeName, length: column.length ?? -1,
                    scale: column.scale, isCharacter: column.isCharacter)
            }
            captured.append(CapturedColumn(index: i, converter: c, map: map))
            fields.append((fieldNames.adjustField(column.name), schema))
        }
        columns = captured
        mapsValues = captured.contains { $0.map != nil }
        let keyNames = keyColumns?.columns(for: table.qualifiedName) ?? table.primaryKey
        var keyFields: [(String, Schema)] = []
        var positions: [Int] = []
        for name in keyNames {
            guard let i = table.columnIndex(name), let p = captured.firstIndex(where: { $0.index == i }) else {
                continue
            }
            keyFields.append((fieldNames.adjustField(table.columns[i].name), captured[p].converter.schema))
            positions.append(p)
        }
        keyPositions = positions
        let schemaBase = schemaNames.adjust(base)
        keySchema = keyFields.isEmpty ? nil : .struct(name: schemaBase + ".Key", fields: keyFields)
        let value = Schema.struct(name: schemaBase + ".Value", optional: true, fields: fields)
        valueSchema = value
        envelopeSchema = ChangeEvent.envelopeSchema(name: schemaBase + ".Envelope", row: value, source: source)
    }

    /// A row image of the binlog as value and key. Columns left out of the image (`binlog_row_image=MINIMAL`)
    /// are null.
    func row(_ image: [BinlogValue?]) throws -> Row {
        guard image.count == table.columns.count else {
            throw MySQLError(
                "a row of \(image.count) columns for \(table.qualifiedName), whose schema has \(table.columns.count)"
                    + ": the schema history does not match the binlog")
        }
        var values: [Value] = []
        values.reserveCapacity(columns.count)
        // By index: a `for … in` loop would copy each column's converter, retaining what it holds, for every row.
        for i in columns.indices {
            let index = columns[i].index
            do {
                values.append(try columns[i].converter.value(image[index] ?? .null))
            } catch {
                throw MySQLError(
                    "cannot convert column \(table.columns[index].name) of \(table.qualifiedName): \(error)")
            }
        }
        return makeRow(values)
    }

    /// A row read as text (a snapshot): each column's bytes, nil for NULL.
    func row(text: [ArraySlice<UInt8>?]) throws -> Row {
        var values: [Value] = []
        values.reserveCapacity(columns.count)
        for i in columns.indices {
            let index = columns[i].index
            do {
                values.append(try columns[i].converter.value(text: index < text.count ? text[index] : nil))
            } catch {
                throw MySQLError(
                    "cannot convert column \(table.columns[index].name) of \(table.qualifiedName): \(error)")
            }
        }
        return makeRow(values)
    }

    private func makeRow(_ values: [Value]) -> Row {
        let key = keySchema.map { schema in Struct(schema: schema, values: keyPositions.map { values[$0] }) }
        guard mapsValues else { return Row(value: Struct(schema: valueSchema, values: values), key: key) }
        var mapped = values
        for (i, c) in columns.enumerated() { if let map = c.map { mapped[i] = map(values[i]) } }
        return Row(value: Struct(schema: valueSchema, values: mapped), key: key)
    }
}
