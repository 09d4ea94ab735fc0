import DebeziumEvents
import TributaryCore

/// The schemas Debezium's Postgres connector uses around every table's row schema.
enum PostgresSchemas {
    /// `io.debezium.connector.postgresql.Source`, field for field as Debezium 3.x: the common fields, then
    /// PostgreSQL's own.
    static let source = SourceBlockSchema(
        name: "io.debezium.connector.postgresql.Source",
        connectorFields: [
            ("schema", .string), ("table", .string), ("txId", .optionalInt64), ("lsn", .optionalInt64),
            ("xmin", .optionalInt64), ("origin", .optionalString), ("origin_lsn", .optionalInt64),
        ])

    /// Positions of PostgreSQL's own source fields, resolved once by name.
    struct SourceFields {
        let layout = PostgresSchemas.source
        let schema: Int
        let table: Int
        let txId: Int
        let lsn: Int
        let origin: Int
        let originLSN: Int

        init() {
            schema = layout.position(of: "schema")
            table = layout.position(of: "table")
            txId = layout.position(of: "txId")
            lsn = layout.position(of: "lsn")
            origin = layout.position(of: "origin")
            originLSN = layout.position(of: "origin_lsn")
        }
    }

    /// The envelope around a row schema.
    static func envelope(name: String, row: Schema) -> Schema {
        ChangeEvent.envelopeSchema(name: name, row: row, source: source)
    }

    /// The key of logical decoding message events (`pg_logical_emit_message`): the prefix.
    static let messageKey = Schema.struct(
        name: "io.debezium.connector.postgresql.MessageKey", version: 1, fields: [("prefix", .optionalString)])

    /// The value of logical decoding message events; the content's schema follows `binary.handling.mode`. No
    /// `ts_us`/`ts_ns`, and the message struct last, as Debezium's `MessageValue`.
    static func messageValue(content: Schema) -> Schema {
        let message = Schema.struct(
            name: "io.debezium.connector.postgresql.Message", version: 1,
            fields: [("prefix", .optionalString), ("content", content.withOptional(true))])
        return .struct(
            name: "io.debezium.connector.postgresql.MessageValue", version: 1,
            fields: [
                ("op", .string), ("ts_ms", .optionalInt64), ("source", source.schema),
                ("transaction", ChangeEvent.transactionSchema), ("message", message),
            ])
    }
}
