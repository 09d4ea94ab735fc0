import TributaryCore

/// Debezium's change-event envelope `{before, after, source, transaction, op, ts_ms, ts_us, ts_ns}` and the
/// records around it: one definition for every source connector.
public enum ChangeEvent {
    /// Debezium's transaction block (`event.block`), null unless transaction metadata is provided.
    public static let transactionSchema: Schema = .struct(
        name: "event.block", optional: true, version: 1,
        fields: [("id", .string), ("total_order", .int64), ("data_collection_order", .int64)])

    /// The envelope schema around a table's row schema (named `<topic>.Envelope`).
    public static func envelopeSchema(name: String, row: Schema, source: SourceBlockSchema) -> Schema {
        .struct(
            name: name, version: 2,
            fields: [
                ("before", row), ("after", row), ("source", source.schema), ("transaction", transactionSchema),
                ("op", .string), ("ts_ms", .optionalInt64), ("ts_us", .optionalInt64), ("ts_ns", .optionalInt64),
            ])
    }

    /// The envelope value; `nowMicros` is when Tributary processed the change.
    public static func envelope(
        schema: Schema, op: Operation, before: Struct?, after: Struct?, source: Struct, transaction: Struct? = nil,
        nowMicros: Int64
    ) -> Struct {
        Struct(
            schema: schema,
            values: [
                before.map { .struct($0) } ?? .null, after.map { .struct($0) } ?? .null, .struct(source),
                transaction.map { .struct($0) } ?? .null,
                .string(op.rawValue), .int64(nowMicros / 1000), .int64(nowMicros), .int64(nowMicros * 1000),
            ])
    }

    /// A change record: key (nil for tables without one) and envelope, timestamped when it was processed.
    public static func record(
        partition: OffsetMap, offset: OffsetMap, topic: String, keySchema: Schema?, key: Struct?, envelope: Struct,
        nowMicros: Int64, headers: [Header] = []
    ) -> SourceRecord {
        SourceRecord(
            sourcePartition: partition, sourceOffset: offset, topic: topic, keySchema: key == nil ? nil : keySchema,
            key: key.map { .struct($0) } ?? .null, valueSchema: envelope.schema, value: .struct(envelope),
            timestamp: nowMicros / 1000, headers: headers)
    }

    /// The tombstone after a delete: the key and a null value, so that compaction removes the row.
    public static func tombstone(
        partition: OffsetMap, offset: OffsetMap, topic: String, keySchema: Schema, key: Struct, headers: [Header] = []
    ) -> SourceRecord {
        SourceRecord(
            sourcePartition: partition, sourceOffset: offset, topic: topic, keySchema: keySchema, key: .struct(key),
            valueSchema: nil, value: .null, headers: headers)
    }
}
