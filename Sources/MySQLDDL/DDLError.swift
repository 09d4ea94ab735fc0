/// A statement the DDL parser could not read: what it expected, and the table the statement changes when the
/// parser got as far as its name (so that the connector can tell whether a captured table is affected).
public struct DDLError: Error, Equatable, CustomStringConvertible, Sendable {
    public let message: String
    public var table: DDLTableName?

    public init(_ message: String, table: DDLTableName? = nil) {
        self.message = message
        self.table = table
    }

    public var description: String { message }
}
