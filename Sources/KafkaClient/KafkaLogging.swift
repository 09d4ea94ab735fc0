import CRdKafka
import Logging

/// What every librdkafka client of Tributary's keeps behind its configuration's opaque pointer: at least the
/// logger that its log lines go to.
class KafkaClientContext: @unchecked Sendable {
    let logger: Logger

    init(logger: Logger) { self.logger = logger }
}

/// Routes librdkafka's log lines into swift-log, with the client's logger (and so the connector's name),
/// instead of raw `%3|…|FAIL|` lines on standard error.
enum KafkaLogging {
    /// Installs the log callback; the configuration's opaque pointer must be a `KafkaClientContext` that
    /// outlives the client.
    static func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, line in
            guard let rk, let opaque = rd_kafka_opaque(rk) else { return }
            let context = Unmanaged<KafkaClientContext>.fromOpaque(opaque).takeUnretainedValue()
            let text = line.map { String(cString: $0) } ?? ""
            let facilityName = facility.map { String(cString: $0) } ?? ""
            context.logger.log(
                level: KafkaLogging.logLevel(syslog: level), "\(text)", metadata: ["librdkafka": "\(facilityName)"])
        }
    }

    /// librdkafka's syslog levels (0 emergency … 7 debug) as swift-log levels.
    static func logLevel(syslog level: Int32) -> Logger.Level {
        switch level {
        case ...2: .critical
        case 3: .error
        case 4: .warning
        case 5: .notice
        case 6: .info
        default: .debug
        }
    }
}
