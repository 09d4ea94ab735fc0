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

/// The restarts of one runner's task under a `RetryPolicy`: how many so far, and the delay before the next. A task
/// that ran well for a while (longer than three maximum delays) before it failed starts its count afresh, so that
/// `errors.max.retries` limits restarts in a row, not over a connector's whole life.
public struct RestartBackoff: Sendable {
    public let policy: RetryPolicy
    /// Restarts in a row so far, the next one included once `delay(afterRunning:)` returned.
    public private(set) var attempt = 0

    public init(_ policy: RetryPolicy) { self.policy = policy }

    /// After the task failed with an error a restart may cure, having run for `ranFor`: the wait before it starts
    /// again, or nil when no restart is left.
    public mutating func delay(afterRunning ranFor: Duration) -> Duration? {
        if ranFor > policy.maxDelay * 3 { attempt = 0 }
        attempt += 1
        return policy.delay(beforeAttempt: attempt)
    }
}
