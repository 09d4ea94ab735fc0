/// A value in a source partition or offset map; offsets are stored as JSON.
public enum OffsetValue: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)

    public var int64: Int64? { if case .int(let v) = self { v } else { nil } }
    public var stringValue: String? { if case .string(let v) = self { v } else { nil } }
}

/// A source partition or offset, as Kafka Connect's `Map<String, ?>`.
public typealias OffsetMap = [String: OffsetValue]

/// A record header.
public struct Header: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// One change read from a source, ready for transforms and converters (Kafka Connect's `SourceRecord`).
public struct SourceRecord: Sendable {
    /// Which stream the offset belongs to (for Postgres: `{"server": topic.prefix}`).
    public var sourcePartition: OffsetMap
    /// Where to resume so that this record is not read again once it and everything before it is in Kafka.
    public var sourceOffset: OffsetMap
    public var topic: String
    public var kafkaPartition: Int32?
    public var keySchema: Schema?
    public var key: Value
    public var valueSchema: Schema?
    public var value: Value
    /// Milliseconds since the epoch; nil lets the producer choose.
    public var timestamp: Int64?
    public var headers: [Header]

    public init(
        sourcePartition: OffsetMap, sourceOffset: OffsetMap, topic: String, kafkaPartition: Int32? = nil,
        keySchema: Schema?, key: Value, valueSchema: Schema?, value: Value, timestamp: Int64? = nil,
        headers: [Header] = []
    ) {
        self.sourcePartition = sourcePartition
        self.sourceOffset = sourceOffset
        self.topic = topic
        self.kafkaPartition = kafkaPartition
        self.keySchema = keySchema
        self.key = key
        self.valueSchema = valueSchema
        self.value = value
        self.timestamp = timestamp
        self.headers = headers
    }
}
