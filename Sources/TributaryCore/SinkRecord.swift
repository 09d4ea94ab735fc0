/// One record read from Kafka for a sink, its key and value converted (Kafka Connect's `SinkRecord`).
public struct SinkRecord: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var keySchema: Schema?
    public var key: Value
    public var valueSchema: Schema?
    public var value: Value
    public var headers: [Header]

    public init(
        topic: String, partition: Int32, offset: Int64, keySchema: Schema?, key: Value, valueSchema: Schema?,
        value: Value, headers: [Header] = []
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.keySchema = keySchema
        self.key = key
        self.valueSchema = valueSchema
        self.value = value
        self.headers = headers
    }

    /// Where the record is, for messages: `topic/partition@offset`.
    public var position: String { "\(topic)/\(partition)@\(offset)" }
}
