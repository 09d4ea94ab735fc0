import DebeziumEvents
import MySQLDDL
import TributaryCore

/// Debezium's schema change events (`include.schema.changes`): on the `topic.prefix` topic, keyed by database,
/// carrying the DDL statement and each changed table's definition (`io.debezium.connector.schema.Table`).
struct MySQLSchemaChange {
    let keySchema: Schema
    let valueSchema: Schema

    static let columnSchema = Schema.struct(
        name: "io.debezium.connector.schema.Column", version: 1,
        fields: [
            ("name", .string), ("jdbcType", .int32), ("nativeType", .optionalInt32), ("typeName", .string),
            ("typeExpression", .optionalString), ("charsetName", .optionalString), ("length", .optionalInt32),
            ("scale", .optionalInt32), ("position", .int32), ("optional", .optionalBoolean),
            ("autoIncremented", .optionalBoolean), ("generated", .optionalBoolean), ("comment", .optionalString),
            ("defaultValueExpression", .optionalString), ("enumValues", .array(of: .string, optional: true)),
        ])
    static let tableSchema = Schema.struct(
        name: "io.debezium.connector.schema.Table", optional: true, version: 1,
        fields: [
            ("defaultCharsetName", .optionalString), ("primaryKeyColumnNames", .array(of: .string, optional: true)),
            ("columns", .array(of: columnSchema)), ("comment", .optionalString),
        ])
    static let changeSchema = Schema.struct(
        name: "io.debezium.connector.schema.Change", version: 1,
        fields: [("type", .string), ("id", .string), ("table", tableSchema)])

    init(flavor: MySQLConnectorConfig.Flavor, source: SourceBlockSchema) {
        keySchema = .struct(
            name: "io.debezium.connector.\(flavor.rawValue).SchemaChangeKey", version: 1,
            fields: [("databaseName", .string)])
        valueSchema = .struct(
            name: "io.debezium.connector.\(flavor.rawValue).SchemaChangeValue", version: 1,
            fields: [
                ("source", source.schema), ("ts_ms", .int64), ("databaseName", .optionalString),
                ("schemaName", .optionalString), ("ddl", .optionalString),
                ("tableChanges", .array(of: Self.changeSchema)),
            ])
    }

    /// The record of one statement.
    func record(
        partition: OffsetMap, offset: OffsetMap, topic: String, database: String, ddl: String,
        changes: [MySQLSchemaCatalog.Change], source: Struct, timestampMillis: Int64
    ) -> SourceRecord {
        let key = Struct(schema: keySchema, values: [.string(database)])
        let value = Struct(
            schema: valueSchema,
            values: [
                .struct(source), .int64(timestampMillis), .string(database), .null, .string(ddl),
                .array(changes.compactMap(Self.change)),
            ])
        return SourceRecord(
            sourcePartition: partition, sourceOffset: offset, topic: topic, keySchema: keySchema, key: .struct(key),
            valueSchema: valueSchema, value: .struct(value), timestamp: timestampMillis)
    }

    private static func change(_ change: MySQLSchemaCatalog.Change) -> Value? {
        let (type, database, name, table): (String, String, String, MySQLTable?) =
            switch change {
            case .created(let t): ("CREATE", t.database, t.name, t)
            case .altered(let t): ("ALTER", t.database, t.name, t)
            case .renamed(_, let t): ("ALTER", t.database, t.name, t)
            case .dropped(let d, let t): ("DROP", d, t, nil)
            case .truncated: ("", "", "", nil)
            }
        guard !type.isEmpty else { return nil }
        return .struct(
            Struct(
                schema: changeSchema,
                values: [
                    .string(type), .string("\"\(database)\".\"\(name)\""),
                    table.map { .struct(tableStruct($0)) } ?? .null,
                ]))
    }

    private static func tableStruct(_ table: MySQLTable) -> Struct {
        let columns: [Value] = table.columns.enumerated().map { i, c in
            .struct(
                Struct(
                    schema: columnSchema,
                    values: [
                        .string(c.name), .int32(jdbcType(c)), .null, .string(c.fullTypeName), .string(c.fullTypeName),
                        c.isCharacter ? c.charset.map { .string($0) } ?? .null : .null,
                        c.length.map { .int32(Int32($0)) } ?? .null, c.scale.map { .int32(Int32($0)) } ?? .null,
                        .int32(Int32(i + 1)), .boolean(c.nullable), .boolean(c.autoIncrement),
                        .boolean(c.autoIncrement || c.generated), c.comment.map { .string($0) } ?? .null,
                        defaultExpression(c.defaultValue).map { .string($0) } ?? .null,
                        c.members.isEmpty ? .null : .array(c.members.map { .string($0) }),
                    ]))
        }
        return Struct(
            schema: tableSchema,
            values: [
                table.charset.map { .string($0) } ?? .null, .array(table.primaryKey.map { .string($0) }),
                .array(columns), table.comment.map { .string($0) } ?? .null,
            ])
    }

    private static func defaultExpression(_ d: MySQLColumn.Default?) -> String? {
        switch d {
        case .literal(let text), .expression(let text): text
        case .null, nil: nil
        }
    }

    /// `java.sql.Types` of a column, as Debezium's MySQL/MariaDB DDL parser assigns them.
    static func jdbcType(_ column: MySQLColumn) -> Int32 {
        switch column.typeName {
        case "BOOLEAN": 16
        case "BIT": -7
        case "TINYINT": -6
        case "SMALLINT": 5
        case "MEDIUMINT", "INT", "YEAR": 4
        case "BIGINT": -5
        case "FLOAT": 6
        case "REAL": 7
        case "DOUBLE": 8
        case "DECIMAL": 3
        case "CHAR", "ENUM", "SET": 1
        case "VARCHAR", "TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT": 12
        case "DATE": 91
        case "TIME": 92
        case "DATETIME": 93
        case "TIMESTAMP": 2014
        case "BINARY": -2
        case "VARBINARY": -3
        case "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB": 2004
        default: 1111
        }
    }
}
