import TributaryCore

/// The schema of a connector's `source` block, with Debezium's common fields first (`version`, `connector`,
/// `name`, `ts_ms`, `snapshot`, `db`, `sequence`, `ts_us`, `ts_ns`) and the connector's own after them, and the
/// position of every field resolved once by name.
public struct SourceBlockSchema: Sendable {
    public let schema: Schema
    private let positions: [String: Int]

    /// `name` is the connector's source schema name (`io.debezium.connector.postgresql.Source`, …).
    public init(name: String, connectorFields: [(String, Schema)]) {
        let common: [(String, Schema)] = [
            ("version", .string), ("connector", .string), ("name", .string), ("ts_ms", .int64),
            (
                "snapshot",
                DebeziumSemantic.schema(
                    DebeziumSemantic.enumeration, .string, optional: true,
                    parameters: [("allowed", SnapshotMarker.allCases.map(\.rawValue).joined(separator: ","))]
                ).withDefault(.string(SnapshotMarker.false.rawValue))
            ),
            ("db", .string), ("sequence", .optionalString), ("ts_us", .optionalInt64), ("ts_ns", .optionalInt64),
        ]
        let fields = common + connectorFields
        schema = .struct(name: name, version: 1, fields: fields)
        var positions: [String: Int] = [:]
        for (i, field) in fields.enumerated() {
            precondition(positions.updateValue(i, forKey: field.0) == nil, "source field \(field.0) given twice")
        }
        self.positions = positions
    }

    /// The position of a field; the field must exist.
    public func position(of field: String) -> Int {
        guard let i = positions[field] else { preconditionFailure("\(schema.name ?? "source") has no field \(field)") }
        return i
    }
}

/// What every connector's `source` block says, whatever the database.
public struct CommonSourceInfo: Sendable {
    /// Tributary's version.
    public var version: String
    /// `postgresql`, `mysql`, `mariadb`.
    public var connector: String
    /// `topic.prefix`.
    public var serverName: String
    /// When the change was committed in the database, in microseconds since the epoch.
    public var commitMicros: Int64
    public var snapshot: SnapshotMarker
    public var database: String
    /// Debezium's `sequence` (PostgreSQL: `["<previous commit LSN>","<LSN>"]`), or nil.
    public var sequence: String?

    public init(
        version: String, connector: String, serverName: String, commitMicros: Int64, snapshot: SnapshotMarker,
        database: String, sequence: String?
    ) {
        self.version = version
        self.connector = connector
        self.serverName = serverName
        self.commitMicros = commitMicros
        self.snapshot = snapshot
        self.database = database
        self.sequence = sequence
    }
}

/// A `source` block under construction: common fields set from `CommonSourceInfo`, the connector's own set by
/// field name (or by a position resolved once from the name), the rest null.
public struct SourceBlock {
    public let layout: SourceBlockSchema
    private var values: [Value]

    public init(_ layout: SourceBlockSchema, _ common: CommonSourceInfo) {
        self.layout = layout
        values = Array(repeating: .null, count: layout.schema.fields.count)
        values[0] = .string(common.version)
        values[1] = .string(common.connector)
        values[2] = .string(common.serverName)
        values[3] = .int64(common.commitMicros / 1000)
        values[4] = .string(common.snapshot.rawValue)
        values[5] = .string(common.database)
        values[6] = common.sequence.map { .string($0) } ?? .null
        values[7] = .int64(common.commitMicros)
        values[8] = .int64(common.commitMicros * 1000)
    }

    /// Sets a field by name.
    public subscript(field: String) -> Value {
        get { values[layout.position(of: field)] }
        set { values[layout.position(of: field)] = newValue }
    }

    /// Sets a field by a position from `SourceBlockSchema.position(of:)`.
    public subscript(position position: Int) -> Value {
        get { values[position] }
        set { values[position] = newValue }
    }

    public var value: Struct { Struct(schema: layout.schema, values: values) }
}
