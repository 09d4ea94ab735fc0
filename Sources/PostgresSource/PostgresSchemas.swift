import TributaryCore

/// The schemas Debezium's Postgres connector uses around every table's row schema.
enum PostgresSchemas {
    /// `io.debezium.connector.postgresql.Source`, field for field as Debezium 3.x.
    static let source: Schema = .struct(name: "io.debezium.connector.postgresql.Source", version: 1, fields: [
        ("version", .string), ("connector", .string), ("name", .string), ("ts_ms", .int64),
        ("snapshot", DebeziumSemantic.schema(
            DebeziumSemantic.enumeration, .string, optional: true,
            parameters: [("allowed", "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental")]
        ).withDefault(.string("false"))),
        ("db", .string), ("sequence", .optionalString), ("ts_us", .optionalInt64), ("ts_ns", .optionalInt64),
        ("schema", .string), ("table", .string), ("txId", .optionalInt64), ("lsn", .optionalInt64),
        ("xmin", .optionalInt64), ("origin", .optionalString), ("origin_lsn", .optionalInt64),
    ])

    /// Debezium's transaction block (`event.block`), null unless transaction metadata is provided.
    static let transaction: Schema = .struct(name: "event.block", optional: true, version: 1, fields: [
        ("id", .string), ("total_order", .int64), ("data_collection_order", .int64),
    ])

    /// The envelope `{before, after, source, transaction, op, ts_ms, ts_us, ts_ns}` around a row schema.
    static func envelope(name: String, row: Schema) -> Schema {
        .struct(name: name, version: 2, fields: [
            ("before", row), ("after", row), ("source", source), ("transaction", transaction),
            ("op", .string), ("ts_ms", .optionalInt64), ("ts_us", .optionalInt64), ("ts_ns", .optionalInt64),
        ])
    }
}
