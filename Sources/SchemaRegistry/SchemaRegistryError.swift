import TributaryCore

/// A Schema Registry call that failed: what was asked (the operation and subject), of which registry, and why.
public struct SchemaRegistryError: RetriableError, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// No registry answered (connection refused, timeout, TLS failure).
        case unreachable
        /// The registry answered with an error status and its `error_code` (e.g. 40401 subject not found,
        /// 40403 schema not found, 409 incompatible, 42201 invalid schema).
        case rejected(status: Int, errorCode: Int?)
        /// The registry answered with something that is not the expected JSON.
        case invalidResponse
        /// `use.latest.version`: the latest registered schema is not the one the records have.
        case latestVersionDiffers
    }

    public var code: Code
    /// The call: `register`, `lookup`, `latest version`, `schema by id`.
    public var operation: String
    public var subject: String?
    /// The registry URL(s), without credentials.
    public var registry: String
    public var message: String

    public init(code: Code, operation: String, subject: String?, registry: String, message: String) {
        self.code = code
        self.operation = operation
        self.subject = subject
        self.registry = registry
        self.message = message
    }

    public var isRetriable: Bool {
        switch code {
        case .unreachable: true
        case .rejected(let status, _): status >= 500 || status == 408 || status == 429
        case .invalidResponse, .latestVersionDiffers: false
        }
    }

    public var description: String {
        var text = "Schema Registry \(operation)"
        if let subject { text += " for subject \"\(subject)\"" }
        text += " at \(registry) failed: \(message)"
        return text
    }
}
