import Logging
import TributaryCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Kafka Connect's error handling settings for a connector's records (`errors.*`).
public struct ErrorHandlingSettings: Sendable {
    /// `errors.tolerance`: `none` fails the task on the first bad record, `all` skips it (logged and counted).
    public enum Tolerance: String, Sendable, CaseIterable {
        case none, all
    }

    public var tolerance = Tolerance.none
    /// `errors.retry.timeout`: how long a failure that may pass (an unreachable registry) is retried; nil retries
    /// forever (-1), zero never.
    public var retryTimeout: Duration? = .zero
    /// `errors.retry.delay.max.ms`: the longest wait between two retries.
    public var retryMaxDelay = Duration.seconds(60)
    /// `errors.log.include.messages`: also log the record's key and value, not only its position.
    public var logMessages = false

    public init() {}

    public init(_ config: Config) throws(ConfigError) {
        tolerance = try config.enumeration("errors.tolerance", default: .none)
        let timeout = try config.int("errors.retry.timeout", default: 0, range: -1...Int(Int32.max))
        retryTimeout = timeout < 0 ? nil : .milliseconds(timeout)
        retryMaxDelay = .milliseconds(
            try config.int("errors.retry.delay.max.ms", default: 60_000, range: 1...3_600_000))
        // errors.log.enable only switches Kafka Connect's own log line; a skipped record is always logged here.
        _ = try config.bool("errors.log.enable", default: false)
        logMessages = try config.bool("errors.log.include.messages", default: false)
    }
}

/// Runs a record's transform and convert stages as Kafka Connect's `RetryWithToleranceOperator` does: an error
/// that may pass is retried with growing delays (from 300 ms, doubling, at most `errors.retry.delay.max.ms`)
/// until `errors.retry.timeout`; what still fails stops the task, or with `errors.tolerance=all` is logged with the
/// record's topic and source position, counted, and skipped.
final class RetryWithToleranceOperator {
    let settings: ErrorHandlingSettings
    private let connector: String
    private let logger: Logger
    private let stopRequested: () -> Bool
    /// Records skipped under `errors.tolerance=all` (`total-records-skipped`; the metrics count it too).
    private(set) var recordsSkipped = 0

    private let metrics: SourceTaskMetrics

    init(
        settings: ErrorHandlingSettings, connector: String, logger: Logger, metrics: SourceTaskMetrics,
        stopRequested: @escaping () -> Bool
    ) {
        self.settings = settings
        self.connector = connector
        self.logger = logger
        self.metrics = metrics
        self.stopRequested = stopRequested
    }

    /// The stage's result for `record`, or nil when the record failed and is tolerated. `body` is given the record
    /// rather than capturing it: a closure's capture would copy it, retaining each of its parts.
    func execute<R>(
        _ stage: TaskStage, _ record: SourceRecord, _ body: (SourceRecord) throws -> R
    ) throws(TaskError) -> R? {
        let clock = ContinuousClock()
        // Taken at the first failure: reading the clock for every record that succeeds would cost the hot path.
        var firstFailure: ContinuousClock.Instant?
        var delay = Duration.milliseconds(300)
        while true {
            do {
                return try body(record)
            } catch {
                let failure =
                    (error as? TaskError)
                    ?? TaskError(connector: connector, stage: stage, record: RecordContext(record), underlying: error)
                let now = clock.now
                let started = firstFailure ?? now
                firstFailure = started
                let elapsed = now - started
                if error.isRetriable, !stopRequested(), settings.retryTimeout.map({ elapsed < $0 }) ?? true {
                    metrics.retries.increment()
                    let wait = min(delay, settings.retryMaxDelay, settings.retryTimeout.map { $0 - elapsed } ?? delay)
                    logger.warning(
                        "retrying a record that failed", metadata: ["error": "\(failure)", "in": "\(wait)"])
                    sleep(wait)
                    delay = min(delay * 2, settings.retryMaxDelay)
                    continue
                }
                metrics.failures.increment()
                guard settings.tolerance == .all else { throw failure }
                recordsSkipped += 1
                metrics.skipped.increment()
                var metadata: Logger.Metadata = [
                    "stage": "\(stage.rawValue)", "topic": "\(record.topic)",
                    "source_offset": "\(RecordContext(record).sourceOffset)", "error": "\(failure.underlying)",
                ]
                if settings.logMessages {
                    metadata["key"] = "\(record.key)"
                    metadata["value"] = "\(record.value)"
                }
                logger.error("record skipped (errors.tolerance=all)", metadata: metadata)
                return nil
            }
        }
    }

    private func sleep(_ duration: Duration) {
        let until = ContinuousClock.now + duration
        while ContinuousClock.now < until && !stopRequested() { usleep(20_000) }
    }
}
