import TributaryCore

/// Debezium's transaction metadata (`provide.transaction.metadata=true`): BEGIN and END records on the topic
/// `<topic.prefix>.transaction`, and the `transaction` block (`id`, `total_order`, `data_collection_order`) in
/// each change event.
public enum TransactionMetadata {
    /// `io.debezium.connector.common.TransactionMetadataKey`.
    public static let keySchema: Schema = .struct(
        name: "io.debezium.connector.common.TransactionMetadataKey", version: 1, fields: [("id", .string)])
    /// `event.collection`: one table's count in an END record.
    public static let collectionSchema: Schema = .struct(
        name: "event.collection", optional: true, version: 1,
        fields: [("data_collection", .string), ("event_count", .int64)])
    /// `io.debezium.connector.common.TransactionMetadataValue`.
    public static let valueSchema: Schema = .struct(
        name: "io.debezium.connector.common.TransactionMetadataValue", version: 1,
        fields: [
            ("status", .string), ("id", .string), ("event_count", .optionalInt64),
            ("data_collections", .array(of: collectionSchema, optional: true)), ("ts_ms", .int64),
        ])

    /// The `transaction` block of a change event.
    public static func block(id: String, totalOrder: Int64, collectionOrder: Int64) -> Struct {
        Struct(
            schema: ChangeEvent.transactionSchema, values: [.string(id), .int64(totalOrder), .int64(collectionOrder)])
    }

    /// A BEGIN record.
    public static func begin(
        topic: String, id: String, commitMillis: Int64, partition: OffsetMap, offset: OffsetMap, nowMillis: Int64
    ) -> SourceRecord {
        record(
            topic: topic, id: id, status: "BEGIN", count: nil, collections: nil, commitMillis: commitMillis,
            partition: partition, offset: offset, nowMillis: nowMillis)
    }

    /// An END record with the transaction's counts.
    public static func end(
        topic: String, id: String, counts: TransactionCounts, commitMillis: Int64, partition: OffsetMap,
        offset: OffsetMap, nowMillis: Int64
    ) -> SourceRecord {
        let collections = counts.inJavaHashMapOrder.map {
            Value.struct(Struct(schema: collectionSchema, values: [.string($0.name), .int64($0.count)]))
        }
        return record(
            topic: topic, id: id, status: "END", count: counts.total, collections: collections,
            commitMillis: commitMillis, partition: partition, offset: offset, nowMillis: nowMillis)
    }

    private static func record(
        topic: String, id: String, status: String, count: Int64?, collections: [Value]?, commitMillis: Int64,
        partition: OffsetMap, offset: OffsetMap, nowMillis: Int64
    ) -> SourceRecord {
        let value = Struct(
            schema: valueSchema,
            values: [
                .string(status), .string(id), count.map { .int64($0) } ?? .null,
                collections.map { .array($0) } ?? .null, .int64(commitMillis),
            ])
        return SourceRecord(
            sourcePartition: partition, sourceOffset: offset, topic: topic, keySchema: keySchema,
            key: .struct(Struct(schema: keySchema, values: [.string(id)])), valueSchema: valueSchema,
            value: .struct(value), timestamp: nowMillis)
    }
}

/// The events of one transaction so far: in total and per table, tables in the order they first appeared.
public struct TransactionCounts: Sendable, Equatable {
    public private(set) var total: Int64 = 0
    public private(set) var perCollection: [(name: String, count: Int64)] = []

    public init() {}

    /// Counts one event of `collection`; returns its order in the transaction and in its table (from 1).
    public mutating func count(_ collection: String) -> (total: Int64, inCollection: Int64) {
        total += 1
        if let i = perCollection.firstIndex(where: { $0.name == collection }) {
            perCollection[i].count += 1
            return (total, perCollection[i].count)
        }
        perCollection.append((collection, 1))
        return (total, 1)
    }

    /// The tables in the order Debezium lists them in END records: a `java.util.HashMap`'s iteration order.
    public var inJavaHashMapOrder: [(name: String, count: Int64)] {
        JavaHashMapOrder.sorted(perCollection) { $0.name }
    }

    public static func == (a: TransactionCounts, b: TransactionCounts) -> Bool {
        a.total == b.total && a.perCollection.elementsEqual(b.perCollection) { $0 == $1 }
    }
}
