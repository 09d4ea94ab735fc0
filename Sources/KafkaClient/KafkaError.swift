import CRdKafka

import TributaryCore

/// An error reported by librdkafka or the broker.
public struct KafkaError: RetriableError, CustomStringConvertible, Sendable {
    /// librdkafka's `rd_kafka_resp_err_t` code.
    public let code: Int32
    public let message: String

    public init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    init(_ err: rd_kafka_resp_err_t, context: String? = nil) {
        code = err.rawValue
        let text = String(cString: rd_kafka_err2str(err))
        message = context.map { "\($0): \(text)" } ?? text
    }

    /// Takes ownership of an `rd_kafka_error_t` and destroys it.
    init(consuming error: OpaquePointer, context: String? = nil) {
        code = rd_kafka_error_code(error).rawValue
        let text = String(cString: rd_kafka_error_string(error))
        message = context.map { "\($0): \(text)" } ?? text
        rd_kafka_error_destroy(error)
    }

    public var description: String { "Kafka error \(code): \(message)" }

    /// Timeouts and lost or missing brokers: the broker may be back after a restart of the task.
    public var isRetriable: Bool {
        [RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT,
         RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
         RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION].map(\.rawValue).contains(code)
    }
}
