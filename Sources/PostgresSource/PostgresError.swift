/// A failure talking to PostgreSQL, saying which server, what Tributary was doing, and (where known) how to fix it.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public let message: String
    /// The SQLSTATE, when the server sent one.
    public let sqlState: String?

    public init(_ message: String, sqlState: String? = nil) {
        self.message = message
        self.sqlState = sqlState
    }

    public var description: String { message }
}
