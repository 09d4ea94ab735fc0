import CRdKafka
import Logging
import TributaryCore

/// Where Kafka stored a message.
public struct DeliveryReport: Sendable, Equatable {
    public var partition: Int32
    public var offset: Int64

    public init(partition: Int32, offset: Int64) {
        self.partition = partition
        self.offset = offset
    }
}

/// What `KafkaProducer.produce` did with a message.
public enum ProduceOutcome: Sendable, Equatable {
    /// Queued; its delivery report comes later through `poll` or `flush`.
    case queued
    /// librdkafka's local queue is full: serve delivery reports (`poll`) and offer the message again.
    case queueFull
}

/// An idempotent Kafka producer (`enable.idempotence=true`, `acks=all`) over librdkafka.
///
/// Each message carries a caller-chosen token; its delivery report comes back through `onDelivery` from within
/// `poll`/`flush`, on the calling thread. One owner thread drives a producer: it is not safe for concurrent use.
/// librdkafka's log lines and client errors go to `logger`; a fatal error (the idempotent producer can no
/// longer guarantee order or exactly-once delivery) is kept in `fatalError`, and the producer must be replaced.
public final class KafkaProducer {
    /// Called once per produced message with its token and where it was written, or the final error.
    public typealias DeliveryHandler = (_ token: UInt64, _ result: Result<DeliveryReport, KafkaError>) -> Void

    /// State the C callbacks reach through the configuration's opaque pointer.
    private final class Callbacks: KafkaClientContext, @unchecked Sendable {
        let onDelivery: DeliveryHandler
        /// Set from the error callback, which runs on the thread that polls.
        var fatalError: KafkaError?

        init(_ onDelivery: @escaping DeliveryHandler, logger: Logger) {
            self.onDelivery = onDelivery
            super.init(logger: logger)
        }
    }

    /// The most arguments one `rd_kafka_produceva` call takes: topic, partition, flags, opaque, key, value,
    /// timestamp and headers.
    static let maxProduceArguments = 8

    private let handle: OpaquePointer
    private let callbacks: Callbacks
    private var topics: [String: OpaquePointer] = [:]

    /// Properties are librdkafka's (`bootstrap.servers`, `linger.ms`, `compression.type`, …); idempotence and
    /// `acks=all` are always on. A property librdkafka rejects is a `ConfigError` naming `origin` + its key.
    public init(
        properties: [String: String], origin: String = "producer.", logger: Logger = Logger(label: "tributary.kafka"),
        onDelivery: @escaping DeliveryHandler
    ) throws {
        var props = [
            "linger.ms": "20", "batch.num.messages": "10000", "queue.buffering.max.kbytes": "4096",
            // Kafka's delivery.timeout.ms default: a message not acknowledged by then fails, and the task restarts.
            "message.timeout.ms": "120000",
        ]
        props.merge(properties) { $1 }
        props["enable.idempotence"] = "true"
        props["acks"] = "all"
        let conf = try KafkaConfiguration.make(props, origin: origin)
        callbacks = Callbacks(onDelivery, logger: logger)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(callbacks).toOpaque())
        rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
            guard let message, let opaque else { return }
            let callbacks = Unmanaged<Callbacks>.fromOpaque(opaque).takeUnretainedValue()
            let m = message.pointee
            let token = UInt64(UInt(bitPattern: m._private))
            callbacks.onDelivery(
                token,
                m.err == RD_KAFKA_RESP_ERR_NO_ERROR
                    ? .success(DeliveryReport(partition: m.partition, offset: m.offset))
                    : .failure(KafkaError(m.err, context: "delivery failed")))
        }
        KafkaLogging.install(on: conf)
        rd_kafka_conf_set_error_cb(conf) { rk, err, reason, opaque in
            guard let opaque else { return }
            let callbacks = Unmanaged<Callbacks>.fromOpaque(opaque).takeUnretainedValue()
            let text = reason.map { String(cString: $0) } ?? ""
            if err == RD_KAFKA_RESP_ERR__FATAL.rawValue, let rk {
                var buffer = [CChar](repeating: 0, count: 512)
                let cause = rd_kafka_fatal_error(rk, &buffer, buffer.count)
                let error = KafkaError(
                    cause, context: "fatal producer error: " + KafkaConfiguration.errorString(buffer))
                callbacks.fatalError = KafkaError(fatal: error)
                callbacks.logger.error("fatal producer error", metadata: ["error": "\(error)"])
            } else {
                // librdkafka logs these itself (through the log callback); repeating them would double the noise.
                callbacks.logger.debug("Kafka client error", metadata: ["code": "\(err)", "error": "\(text)"])
            }
        }
        var errstr = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(code: -1, message: "cannot create producer: " + KafkaConfiguration.errorString(errstr))
        }
        handle = rk
    }

    deinit {
        for (_, t) in topics { rd_kafka_topic_destroy(t) }
        // Whatever is still queued was given up by the owner (`flush` timed out or was not called): drop it
        // rather than wait for a broker that may be away.
        rd_kafka_purge(handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT | RD_KAFKA_PURGE_F_NON_BLOCKING)
        rd_kafka_destroy(handle)
    }

    /// The librdkafka client handle, for admin operations on the same connection.
    var client: OpaquePointer { handle }

    /// The fatal error that ended this producer, if one occurred: it accepts no more messages.
    public var fatalError: KafkaError? { callbacks.fatalError }

    private func topicHandle(_ name: String) throws -> OpaquePointer {
        if let t = topics[name] { return t }
        guard let t = rd_kafka_topic_new(handle, name, nil) else {
            throw KafkaError(rd_kafka_last_error(), context: "topic \(name)")
        }
        topics[name] = t
        return t
    }

    /// Queues one message (the bytes are copied), or reports that the local queue is full. `token` must not be 0.
    public func produce(
        topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?, timestamp: Int64? = nil,
        headers: [Header] = [], token: UInt64
    ) throws -> ProduceOutcome {
        let rkt = try topicHandle(topic)
        let error: OpaquePointer? = key.withOptionalBytes { keyBuf in
            value.withOptionalBytes { valueBuf in
                // The argument list lives on the stack: no allocation per message.
                withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: Self.maxProduceArguments) { vus in
                    var n = 0
                    func add(_ type: rd_kafka_vtype_t, _ set: (inout rd_kafka_vu_t) -> Void) {
                        precondition(n < vus.count, "rd_kafka_produceva argument list overflows its buffer")
                        var vu = rd_kafka_vu_t()
                        vu.vtype = type
                        set(&vu)
                        vus[n] = vu
                        n += 1
                    }
                    func addMemory(_ type: rd_kafka_vtype_t, _ buffer: UnsafeRawBufferPointer) {
                        add(type) {
                            // librdkafka copies the bytes (F_COPY); an empty buffer still needs a non-null pointer.
                            let base = buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
                            $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: base)
                            $0.u.mem.size = buffer.count
                        }
                    }
                    add(RD_KAFKA_VTYPE_RKT) { $0.u.rkt = rkt }
                    add(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = partition ?? -1 }
                    add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
                    add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = UnsafeMutableRawPointer(bitPattern: UInt(token)) }
                    if let keyBuf { addMemory(RD_KAFKA_VTYPE_KEY, keyBuf) }
                    if let valueBuf { addMemory(RD_KAFKA_VTYPE_VALUE, valueBuf) }
                    if let timestamp { add(RD_KAFKA_VTYPE_TIMESTAMP) { $0.u.i64 = timestamp } }
                    guard !headers.isEmpty else { return rd_kafka_produceva(handle, vus.baseAddress, n) }
                    let hdrs = rd_kafka_headers_new(headers.count)!
                    for h in headers {
                        if let v = h.value {
                            v.withUnsafeBytes { _ = rd_kafka_header_add(hdrs, h.key, -1, $0.baseAddress, $0.count) }
                        } else {
                            _ = rd_kafka_header_add(hdrs, h.key, -1, nil, 0)
                        }
                    }
                    add(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = hdrs }
                    let e = rd_kafka_produceva(handle, vus.baseAddress, n)
                    if e != nil { rd_kafka_headers_destroy(hdrs) }  // on success librdkafka owns them
                    return e
                }
            }
        }
        guard let error else { return .queued }
        if rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__QUEUE_FULL {
            rd_kafka_error_destroy(error)
            return .queueFull
        }
        let failure = KafkaError(consuming: error, context: "produce to \(topic)")
        if failure.code == RD_KAFKA_RESP_ERR__FATAL.rawValue, let fatal = fatalError { throw fatal }
        throw failure
    }

    /// Serves delivery reports and client errors for up to `timeoutMilliseconds`; returns the events served.
    @discardableResult
    public func poll(timeoutMilliseconds: Int32) -> Int32 {
        rd_kafka_poll(handle, timeoutMilliseconds)
    }

    /// Messages queued or in flight, not yet reported.
    public var outstanding: Int32 { rd_kafka_outq_len(handle) }

    /// Sends what is queued now rather than after `linger.ms`: librdkafka ignores the linger while a flush runs,
    /// so a flush of at most a millisecond starts the sending (and serves the reports that arrive meanwhile)
    /// without waiting for the acknowledgements.
    public func sendNow() {
        _ = rd_kafka_flush(handle, 1)
    }

    /// Waits until every queued message is reported, or throws after the timeout.
    public func flush(timeoutMilliseconds: Int32) throws {
        let err = rd_kafka_flush(handle, timeoutMilliseconds)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "flush") }
    }

    /// Creates topics that do not exist yet (existing ones are left as they are); gives up when `cancelled`
    /// returns true.
    public func createTopics(
        _ names: [String], partitions: Int32, replicationFactor: Int32, configs: [String: String] = [:],
        timeoutMilliseconds: Int32 = 30_000, cancelled: () -> Bool = { false }
    ) throws {
        try KafkaAdmin.createTopics(
            client: handle, names, partitions: partitions, replicationFactor: replicationFactor, configs: configs,
            timeoutMilliseconds: timeoutMilliseconds, cancelled: cancelled)
    }

    /// Raises a fatal idempotent-producer error as the broker would, through librdkafka's own test hook
    /// (`rd_kafka_test_fatal_error`): a real broker cannot be made to produce one on demand.
    public func raiseFatalErrorForTesting(reason: String) {
        _ = rd_kafka_test_fatal_error(handle, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, reason)
    }
}

extension Optional where Wrapped == [UInt8] {
    func withOptionalBytes<R>(_ body: (UnsafeRawBufferPointer?) -> R) -> R {
        switch self {
        case .none: body(nil)
        case .some(let bytes): bytes.withUnsafeBytes { body($0) }
        }
    }
}
