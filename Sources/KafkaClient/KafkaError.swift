import CRdKafka
import TributaryCore

/// An error reported by librdkafka or the broker.
public struct KafkaError: RetriableError, CustomStringConvertible, Sendable {
    /// librdkafka's `rd_kafka_resp_err_t` code.
    public let code: Int32
    public let message: String
    /// The idempotent producer hit a fatal error: it must be replaced (the task restarts with a new one).
    public let isFatal: Bool

    /// The topic (or partition) does not exist yet: a subscriber waits for it, as Kafka Connect's sinks do.
    public var isUnknownTopic: Bool {
        code == Int32(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue)
            || code == Int32(RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC.rawValue)
            || code == Int32(RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION.rawValue)
    }

    public init(code: Int32, message: String, isFatal: Bool = false) {
        self.code = code
        self.message = message
        self.isFatal = isFatal
    }

    init(_ err: rd_kafka_resp_err_t, context: String? = nil) {
        let text = String(cString: rd_kafka_err2str(err))
        self.init(code: err.rawValue, message: context.map { "\($0): \(text)" } ?? text)
    }

    /// The same error, marked as having ended its producer.
    init(fatal error: KafkaError) {
        self.init(code: error.code, message: error.message, isFatal: true)
    }

    /// Takes ownership of an `rd_kafka_error_t` and destroys it.
    init(consuming error: OpaquePointer, context: String? = nil) {
        let text = String(cString: rd_kafka_error_string(error))
        self.init(
            code: rd_kafka_error_code(error).rawValue, message: context.map { "\($0): \(text)" } ?? text,
            isFatal: rd_kafka_error_is_fatal(error) != 0)
        rd_kafka_error_destroy(error)
    }

    public var description: String { "Kafka error \(code)\(isFatal ? " (fatal)" : ""): \(message)" }

    /// librdkafka's codes for timeouts and lost or missing brokers: the broker may be back after a restart.
    static let transientCodes: Set<Int32> = Set(
        [
            RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT,
            RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
            RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR__FATAL, RD_KAFKA_RESP_ERR__PURGE_QUEUE,
            RD_KAFKA_RESP_ERR__PURGE_INFLIGHT,
        ].map(\.rawValue))

    /// Transient broker trouble, or a fatal producer error: a restarted task with a new producer resumes from
    /// the stored offsets.
    public var isRetriable: Bool { isFatal || Self.transientCodes.contains(code) }
}
