import TributaryCore

/// A failure talking to PostgreSQL, saying which server, what Tributary was doing, and (where known) how to fix it.
public struct PostgresError: RetriableError, CustomStringConvertible, Sendable {
    public let message: String
    /// The SQLSTATE, when the server sent one.
    public let sqlState: String?
    /// A lost connection, a server starting or stopping, a slot still held by a process that is going away.
    public let isRetriable: Bool
    public let isRetriableAtStart: Bool

    public init(_ message: String, sqlState: String? = nil, retriable: Bool = false, evenAtStart: Bool = false) {
        self.message = message
        self.sqlState = sqlState
        self.isRetriable = retriable || evenAtStart || sqlState.map(Self.isTransient) ?? false
        self.isRetriableAtStart = evenAtStart
    }

    /// Connection exceptions (class 08) and operator interventions such as shutdowns (57P01–57P03).
    static func isTransient(_ sqlState: String) -> Bool {
        sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03", "40001", "40P01"].contains(sqlState)
    }

    public var description: String { message }
}
