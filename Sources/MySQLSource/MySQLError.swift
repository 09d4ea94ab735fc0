import TributaryCore

/// An error of the MySQL/MariaDB source: what failed, the server's message, whether another try may help.
public struct MySQLError: Error, CustomStringConvertible, RetriableError {
    public let message: String
    /// The server's or the client library's error number (`ER_*`, `CR_*`), when there is one.
    public let errorNumber: UInt32?
    public let isRetriable: Bool

    public init(_ message: String, errorNumber: UInt32? = nil, retriable: Bool = false) {
        self.message = message
        self.errorNumber = errorNumber
        // Lost connections (CR_SERVER_GONE_ERROR, CR_SERVER_LOST, CR_CONN_HOST_ERROR) may come back.
        self.isRetriable = retriable || errorNumber.map { [2002, 2003, 2006, 2013].contains($0) } ?? false
    }

    public var description: String { message + (errorNumber.map { " (error \($0))" } ?? "") }
}
