import DebeziumEvents
import TributaryCore

/// What one sink record asks of its table, as Debezium's JDBC sink reads records: a Debezium change event's
/// `after` row (`c`, `r`, `u`), a delete by key (`d`, or a tombstone), a truncate (`t`), or a plain struct row.
public struct RowChange: Sendable {
    public enum Operation: Sendable, Equatable {
        /// Insert, upsert or update the row (by `insert.mode`).
        case write
        case delete
        case truncate
    }

    public var operation: Operation
    /// The table: `schema.table` or `table`, from `collection.name.format`.
    public var table: String
    /// The key columns, in order.
    public var key: [Column]
    /// The other columns (none for deletes and truncates).
    public var columns: [Column]
    /// Where the record was, for messages.
    public var position: String

    /// A column: its name, its Connect schema (what its SQL type derives from) and its value.
    public struct Column: Sendable {
        public var name: String
        public var schema: Schema
        public var value: Value

        public init(name: String, schema: Schema, value: Value) {
            self.name = name
            self.schema = schema
            self.value = value
        }
    }
}

/// Reads sink records into row changes under the sink's settings.
public struct RowChangeReader: Sendable {
    public let config: JdbcSinkConfig
    private let fields: FieldSelection?
    private let tableName: TableNameFormat

    public init(config: JdbcSinkConfig) {
        self.config = config
        fields = config.fieldFilter.map(FieldSelection.init)
        tableName = TableNameFormat(config.collectionNameFormat)
    }

    /// The change `record` asks for; nil for records the settings skip (deletes without `delete.enabled`, Debezium's
    /// message and heartbeat events, the source's transaction topic, …).
    public func change(_ record: SinkRecord) throws(SinkError) -> RowChange? {
        if record.valueSchema?.name == TransactionMetadata.valueSchema.name { return nil }
        let envelope = Self.isDebeziumEnvelope(record.valueSchema)
        if record.value.isNull {
            // A tombstone has no source block: with `${source.…}` in the table's name it names no table (Debezium
            // skips it too; the delete event before it did the work).
            guard config.deleteEnabled, !tableName.needsSource else { return nil }
            return try RowChange(
                operation: .delete, table: table(record, source: nil), key: key(record, row: nil), columns: [],
                position: record.position)
        }
        guard case .struct(let value) = record.value else {
            throw SinkError(.unsupportedRecord, record, "the value is not a struct: the JDBC sink writes rows")
        }
        guard envelope else { return try write(record, row: value, source: nil) }
        let source: Struct? = if case .struct(let s) = value["source"] { s } else { nil }
        let op: String? = if case .string(let s) = value["op"] { s } else { nil }
        switch op {
        case "c"?, "r"?, "u"?:
            guard case .struct(let after) = value["after"] else {
                throw SinkError(.unsupportedRecord, record, "a \(op!) event without an after row")
            }
            return try write(record, row: after, source: source)
        case "d"?:
            guard config.deleteEnabled else { return nil }
            let before: Struct? = if case .struct(let s) = value["before"] { s } else { nil }
            return RowChange(
                operation: .delete, table: try table(record, source: source), key: try key(record, row: before),
                columns: [], position: record.position)
        case "t"?:
            guard config.truncateEnabled else { return nil }
            return RowChange(
                operation: .truncate, table: try table(record, source: source), key: [], columns: [],
                position: record.position)
        default:
            return nil
        }
    }

    /// The source transaction of a change event (its `transaction` block), when it has one.
    static func transaction(of record: SinkRecord) -> SourceTransaction? {
        guard case .struct(let value) = record.value, case .struct(let block) = value["transaction"],
            case .string(let id) = block["id"], case .int64(let order) = block["total_order"]
        else { return nil }
        return .init(id: SourceTransaction.identity(of: id), order: order)
    }

    /// A record of the source's transaction topic: whether it is an END, its transaction and its counts per table;
    /// nil for other records.
    static func transactionBoundary(
        _ record: SinkRecord
    ) -> (isEnd: Bool, id: String, collections: [(name: String, count: Int64)])? {
        guard record.valueSchema?.name == TransactionMetadata.valueSchema.name, case .struct(let value) = record.value,
            case .string(let status) = value["status"], case .string(let id) = value["id"]
        else { return nil }
        var collections: [(name: String, count: Int64)] = []
        if case .array(let items) = value["data_collections"] {
            for case .struct(let item) in items {
                guard case .string(let name) = item["data_collection"], case .int64(let count) = item["event_count"]
                else { continue }
                collections.append((name, count))
            }
        }
        return (status == "END", SourceTransaction.identity(of: id), collections)
    }

    /// Debezium's change events: a struct named `….Envelope` with `op` and `after`.
    static func isDebeziumEnvelope(_ schema: Schema?) -> Bool {
        guard let schema, schema.type == .struct, schema.name?.hasSuffix("Envelope") == true else { return false }
        return schema.field(named: "op") != nil && schema.field(named: "after") != nil
    }

    /// The table from `collection.name.format`.
    func table(_ record: SinkRecord, source: Struct?) throws(SinkError) -> String {
        switch tableName.name(topic: record.topic, source: source) {
        case .failure(let missing):
            throw SinkError(
                .unsupportedRecord, record,
                "collection.name.format needs source.\(missing.field), which this record does not have")
        case .success(let name):
            guard !name.isEmpty else { throw SinkError(.unsupportedRecord, record, "the table name is empty") }
            return name
        }
    }

    /// A write of `row`: its key columns, and its other columns (those the key took from the row, or from the
    /// record's key, do not count twice; the kafka mode's columns are not the row's).
    private func write(_ record: SinkRecord, row: Struct, source: Struct?) throws(SinkError) -> RowChange {
        let table = try table(record, source: source)
        let key = try key(record, row: row)
        let keyNames = config.primaryKeyMode == .kafka ? [] : Set(key.map(\.name))
        return RowChange(
            operation: .write, table: table, key: key,
            columns: columns(of: row, topic: record.topic, except: keyNames), position: record.position)
    }

    private func isKeyField(_ name: String) -> Bool {
        config.primaryKeyFields.isEmpty || config.primaryKeyFields.contains(name)
    }

    /// The key columns of `record` (`row`: the row it writes, or the before image of a delete).
    func key(_ record: SinkRecord, row: Struct?) throws(SinkError) -> [RowChange.Column] {
        switch config.primaryKeyMode {
        case .none: return []
        case .kafka:
            return [
                .init(name: "__connect_topic", schema: .string, value: .string(record.topic)),
                .init(name: "__connect_partition", schema: .int32, value: .int32(record.partition)),
                .init(name: "__connect_offset", schema: .int64, value: .int64(record.offset)),
            ]
        case .recordKey:
            switch record.key {
            case .struct(let key):
                let columns = key.schema.fields.filter { isKeyField($0.name) }.map {
                    RowChange.Column(name: $0.name, schema: $0.schema, value: key.values[$0.index])
                }
                guard !columns.isEmpty else {
                    throw SinkError(.missingKey, record, "the key has none of primary.key.fields")
                }
                return columns
            case .null:
                throw SinkError(.missingKey, record, "primary.key.mode=record_key, but the record has no key")
            default:
                guard let schema = record.keySchema, let name = config.primaryKeyFields.first else {
                    throw SinkError(
                        .missingKey, record, "a primitive key needs its column's name in primary.key.fields")
                }
                return [.init(name: name, schema: schema, value: record.key)]
            }
        case .recordValue:
            guard let row else {
                throw SinkError(.missingKey, record, "primary.key.mode=record_value, but the record has no row")
            }
            return try config.primaryKeyFields.map { name throws(SinkError) in
                guard let field = row.schema.field(named: name) else {
                    throw SinkError(.missingKey, record, "the row has no field \(name) of primary.key.fields")
                }
                return .init(name: name, schema: field.schema, value: row.values[field.index])
            }
        }
    }

    private func columns(of row: Struct, topic: String, except key: Set<String>) -> [RowChange.Column] {
        row.schema.fields.filter {
            !key.contains($0.name) && fields?.includes(topic: topic, field: $0.name) != false
        }.map {
            RowChange.Column(name: $0.name, schema: $0.schema, value: row.values[$0.index])
        }
    }
}

/// `field.include.list` / `field.exclude.list` matched against `<topic>:<field>`, each name's answer kept (the
/// patterns run once per topic and field, not per row).
final class FieldSelection: Sendable {
    private let filter: NameFilter
    private let decided = Locked<[String: [String: Bool]]>([:])

    init(_ filter: NameFilter) {
        self.filter = filter
    }

    func includes(topic: String, field: String) -> Bool {
        decided.withLock { decided in
            if let known = decided[topic]?[field] { return known }
            let answer = filter.includes(topic + ":" + field)
            decided[topic, default: [:]][field] = answer
            return answer
        }
    }
}

/// Why the sink could not write a record: a code, the record's position and what to do.
public struct SinkError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case unsupportedRecord, missingKey, unsupportedType, valueOutOfRange, database
    }

    public let code: Code
    public let position: String
    public let message: String

    public init(_ code: Code, _ record: SinkRecord, _ message: String) {
        self.init(code, position: record.position, message)
    }

    public init(_ code: Code, position: String, _ message: String) {
        self.code = code
        self.position = position
        self.message = message
    }

    public var description: String { "\(code.rawValue) at \(position): \(message)" }
}
