import TributaryCore

/// How a failed task is restarted: Debezium's `errors.max.retries` (-1: without limit, 0: never),
/// `errors.retry.delay.initial.ms` and `errors.retry.delay.max.ms`; the delay doubles after each failure.
public struct RetryPolicy: Sendable {
    public var maxRetries: Int
    public var initialDelay: Duration
    public var maxDelay: Duration

    public init(maxRetries: Int = -1, initialDelay: Duration = .milliseconds(300), maxDelay: Duration = .seconds(10)) {
        self.maxRetries = maxRetries
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
    }

    public init(_ config: Config) throws {
        self.init(
            maxRetries: try config.int("errors.max.retries", default: -1, range: -1...Int(Int32.max)),
            initialDelay: .milliseconds(
                try config.int("errors.retry.delay.initial.ms", default: 300, range: 1...86_400_000)),
            maxDelay: .milliseconds(try config.int("errors.retry.delay.max.ms", default: 10_000, range: 1...86_400_000))
        )
    }

    /// The wait before retry number `attempt` (1-based), or nil when no retry is left.
    public func delay(beforeAttempt attempt: Int) -> Duration? {
        if maxRetries >= 0 && attempt > maxRetries { return nil }
        var delay = initialDelay
        for _ in 1..<max(1, attempt) where delay < maxDelay { delay *= 2 }
        return min(delay, maxDelay)
    }
}
