import TributaryCore

/// The headers Debezium 3.x puts on change events (and their tombstones; not on heartbeats or transaction records):
/// its context headers, unless `extended.headers.enabled=false`, and on the records of a primary key change the
/// other key: `__debezium.newkey` on the delete of the old key and its tombstone, `__debezium.oldkey` on the create.
/// Values are written as Kafka Connect's default header converter (`SimpleHeaderConverter`) writes them.
public struct ChangeEventHeaders: Sendable {
    public static let newKey = "__debezium.newkey"
    public static let oldKey = "__debezium.oldkey"
    public static let logicalName = "__debezium.context.connectorLogicalName"
    public static let taskID = "__debezium.context.taskId"
    public static let connectorName = "__debezium.context.connectorName"
    public static let runID = "__debezium.context.runId"

    /// The context headers every change event carries (empty when disabled); built once, shared by every record.
    public let context: [Header]

    /// `logicalName`: `topic.prefix`; `connectorName`: the source's `source.connector` (`postgresql`); `runID`: a
    /// UUID chosen when the task starts.
    public init(enabled: Bool, logicalName: String, taskID: Int = 0, connectorName: String, runID: String) {
        context =
            enabled
            ? [
                Header(key: Self.logicalName, value: Array(logicalName.utf8)),
                Header(key: Self.taskID, value: Array(String(taskID).utf8)),
                Header(key: Self.connectorName, value: Array(connectorName.utf8)),
                Header(key: Self.runID, value: Array(runID.utf8)),
            ] : []
    }

    /// The headers of a key change's record: `name` (`newKey` or `oldKey`) with the other key, then the context.
    public func keyChange(_ name: String, key: [UInt8]?) -> [Header] {
        [Header(key: name, value: key)] + context
    }
}
