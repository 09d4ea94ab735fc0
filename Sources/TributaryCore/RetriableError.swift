/// An error that a restart of the task may cure: a lost connection, a server restarting, a broker away.
/// Workers restart tasks that fail with such an error (with backoff); any other error fails the task for good.
public protocol RetriableError: Error {
    var isRetriable: Bool { get }
    /// Worth retrying even before the task ever ran; otherwise a first start fails fast, so that a wrong host
    /// or port is reported at once rather than retried.
    var isRetriableAtStart: Bool { get }
}

extension RetriableError {
    public var isRetriableAtStart: Bool { false }
}

extension Error {
    /// True if restarting the task may cure this error.
    public var isRetriable: Bool { (self as? RetriableError)?.isRetriable ?? false }

    /// True if retrying a task that never started may cure this error.
    public var isRetriableAtStart: Bool { (self as? RetriableError)?.isRetriableAtStart ?? false }
}
