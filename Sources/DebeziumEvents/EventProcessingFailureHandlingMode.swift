import Logging
import TributaryCore

/// Debezium's `event.processing.failure.handling.mode`: what a streaming source does with a change it cannot turn
/// into an event (a row image that does not decode or convert).
///
/// `fail` (the default) stops the task with the error. `warn` logs the error with the change's position and skips
/// the change; `skip` (and its older name `ignore`) skips it with a debug log only. Failures that may pass (the
/// database or the network gone) are never skipped: they stop the task, which resumes where it was.
public enum EventProcessingFailureHandlingMode: String, Sendable, CaseIterable {
    case fail, warn, skip, ignore

    public static let key = "event.processing.failure.handling.mode"

    public init(_ config: Config) throws(ConfigError) {
        self = try config.enumeration(Self.key, default: .fail)
    }

    /// Rethrows `error` under `fail` (or when it may pass); otherwise logs it and returns: the change is skipped.
    /// `position` says where the change is (`binlog mysql-bin.000003:4567, row 2`).
    public func handle(_ error: Error, at position: String, logger: Logger) throws {
        if self == .fail { throw error }
        if let retriable = error as? RetriableError, retriable.isRetriable { throw error }
        let message: Logger.Message =
            "Error while processing event at \(position); the event is skipped (\(Self.key)=\(rawValue))"
        if self == .warn {
            logger.warning(message, metadata: ["error": "\(error)"])
        } else {
            logger.debug(message, metadata: ["error": "\(error)"])
        }
    }
}
