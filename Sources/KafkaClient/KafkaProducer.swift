import CRdKafka
import TributaryCore

/// Where Kafka stored a message.
public struct DeliveryReport: Sendable, Equatable {
    public var partition: Int32
    public var offset: Int64
}

/// An idempotent Kafka producer (`enable.idempotence=true`, `acks=all`) over librdkafka.
///
/// Each message carries a caller-chosen token; its delivery report comes back through `onDelivery` from within
/// `poll`/`flush`, on the calling thread. One owner thread drives a producer: it is not safe for concurrent use.
public final class KafkaProducer {
    /// Called once per produced message with its token and where it was written, or the final error.
    public typealias DeliveryHandler = (_ token: UInt64, _ result: Result<DeliveryReport, KafkaError>) -> Void

    private final class Callbacks {
        var onDelivery: DeliveryHandler
        init(_ onDelivery: @escaping DeliveryHandler) { self.onDelivery = onDelivery }
    }

    private let handle: OpaquePointer
    private let callbacks: Callbacks
    private var topics: [String: OpaquePointer] = [:]

    /// Properties are librdkafka's (`bootstrap.servers`, `linger.ms`, `compression.type`, …); idempotence and
    /// `acks=all` are always on.
    public init(properties: [String: String], onDelivery: @escaping DeliveryHandler) throws {
        var props = [
            "linger.ms": "20", "batch.num.messages": "10000", "queue.buffering.max.kbytes": "4096",
            // Kafka's delivery.timeout.ms default: a message not acknowledged by then fails, and the task restarts.
            "message.timeout.ms": "120000",
        ]
        props.merge(properties) { $1 }
        props["enable.idempotence"] = "true"
        props["acks"] = "all"
        let conf = try KafkaConfiguration.make(props, origin: "producer.")
        callbacks = Callbacks(onDelivery)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(callbacks).toOpaque())
        rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
            guard let message, let opaque else { return }
            let callbacks = Unmanaged<Callbacks>.fromOpaque(opaque).takeUnretainedValue()
            let m = message.pointee
            let token = UInt64(UInt(bitPattern: m._private))
            callbacks.onDelivery(token, m.err == RD_KAFKA_RESP_ERR_NO_ERROR
                ? .success(DeliveryReport(partition: m.partition, offset: m.offset))
                : .failure(KafkaError(m.err, context: "delivery failed")))
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
        rd_kafka_flush(handle, 10_000)
        rd_kafka_destroy(handle)
    }

    /// The librdkafka client handle, for admin operations on the same connection.
    var client: OpaquePointer { handle }

    private func topicHandle(_ name: String) throws -> OpaquePointer {
        if let t = topics[name] { return t }
        guard let t = rd_kafka_topic_new(handle, name, nil) else {
            throw KafkaError(rd_kafka_last_error(), context: "topic \(name)")
        }
        topics[name] = t
        return t
    }

    /// Queues one message (the bytes are copied). Waits, serving delivery reports, while the local queue is full.
    /// `token` must not be 0.
    public func produce(
        topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?, timestamp: Int64? = nil,
        headers: [Header] = [], token: UInt64
    ) throws {
        let rkt = try topicHandle(topic)
        while true {
            let error: OpaquePointer? = key.withOptionalBytes { keyBuf in
                value.withOptionalBytes { valueBuf in
                    // The argument list lives on the stack: no allocation per message.
                    withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 7) { vus in
                        var n = 0
                        func add(_ type: rd_kafka_vtype_t, _ set: (inout rd_kafka_vu_t) -> Void) {
                            var vu = rd_kafka_vu_t()
                            vu.vtype = type
                            set(&vu)
                            vus[n] = vu
                            n += 1
                        }
                        func addMemory(_ type: rd_kafka_vtype_t, _ buffer: UnsafeRawBufferPointer) {
                            add(type) {
                                // librdkafka copies the bytes (F_COPY); an empty buffer still needs a non-null pointer.
                                $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)
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
            guard let error else { return }
            if rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                rd_kafka_error_destroy(error)
                rd_kafka_poll(handle, 50)
                continue
            }
            throw KafkaError(consuming: error, context: "produce to \(topic)")
        }
    }

    /// Serves delivery reports for up to `timeoutMilliseconds`; returns the number of events served.
    @discardableResult
    public func poll(timeoutMilliseconds: Int32) -> Int32 {
        rd_kafka_poll(handle, timeoutMilliseconds)
    }

    /// Messages queued or in flight, not yet reported.
    public var outstanding: Int32 { rd_kafka_outq_len(handle) }

    /// Waits until every queued message is reported, or throws after the timeout.
    public func flush(timeoutMilliseconds: Int32) throws {
        let err = rd_kafka_flush(handle, timeoutMilliseconds)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "flush") }
    }

    /// Creates topics that do not exist yet (existing ones are left as they are).
    public func createTopics(_ names: [String], partitions: Int32, replicationFactor: Int32, timeoutMilliseconds: Int32 = 30_000) throws {
        try KafkaAdmin.createTopics(client: handle, names, partitions: partitions, replicationFactor: replicationFactor, timeoutMilliseconds: timeoutMilliseconds)
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
