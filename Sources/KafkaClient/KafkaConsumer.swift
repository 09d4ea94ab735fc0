import CRdKafka
import Logging
import TributaryCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One message read from Kafka.
public struct ConsumedMessage: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var timestamp: Int64
    public var headers: [Header]
}

/// A Kafka consumer: whole topics read from a chosen start without a consumer group (manual assignment), for tools
/// and tests that inspect what arrived, or a member of a consumer group (`subscribe`, `commit`) for sinks. One
/// owner thread drives it.
public final class KafkaConsumer {
    private let handle: OpaquePointer
    private let context: KafkaClientContext

    /// A property librdkafka rejects is a `ConfigError` naming `origin` + its key.
    public init(
        properties: [String: String], origin: String = "consumer.", logger: Logger = Logger(label: "tributary.kafka")
    ) throws {
        var props = ["enable.auto.commit": "false", "enable.partition.eof": "false", "group.id": "tributary-reader"]
        props.merge(properties) { $1 }
        let conf = try KafkaConfiguration.make(props, origin: origin)
        context = KafkaClientContext(logger: logger)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        KafkaLogging.install(on: conf)
        var errstr = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(code: -1, message: "cannot create consumer: " + KafkaConfiguration.errorString(errstr))
        }
        handle = rk
        rd_kafka_poll_set_consumer(rk)
    }

    deinit {
        rd_kafka_consumer_close(handle)
        rd_kafka_destroy(handle)
    }

    /// The partition count of `topic`, or nil if the broker does not know it.
    public func partitionCount(topic: String, timeoutMilliseconds: Int32 = 10_000) throws -> Int32? {
        guard let rkt = rd_kafka_topic_new(handle, topic, nil) else { return nil }
        defer { rd_kafka_topic_destroy(rkt) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(handle, 0, rkt, &metadata, timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let md = metadata else {
            throw KafkaError(err, context: "metadata for \(topic)")
        }
        defer { rd_kafka_metadata_destroy(md) }
        guard md.pointee.topic_cnt > 0 else { return nil }
        let t = md.pointee.topics[0]
        if t.err != RD_KAFKA_RESP_ERR_NO_ERROR || t.partition_cnt == 0 { return nil }
        return t.partition_cnt
    }

    /// How many brokers the cluster's metadata lists: a check that `bootstrap.servers` answers.
    public func brokerCount(timeoutMilliseconds: Int32 = 10_000) throws -> Int {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(handle, 0, nil, &metadata, timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let md = metadata else {
            throw KafkaError(err, context: "cluster metadata")
        }
        defer { rd_kafka_metadata_destroy(md) }
        return Int(md.pointee.broker_cnt)
    }

    /// Waits until the broker knows every topic of `topics`; returns those still unknown after the timeout.
    public func waitForTopics(_ topics: [String], timeoutMilliseconds: Int) throws -> [String] {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(timeoutMilliseconds)
        while true {
            var missing: [String] = []
            for t in topics where try partitionCount(topic: t) == nil { missing.append(t) }
            if missing.isEmpty || clock.now >= deadline { return missing }
            usleep(200_000)
        }
    }

    /// Reads every partition of `topics` from the beginning. Topics the broker does not know yet are skipped.
    public func assignFromBeginning(topics: [String]) throws {
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count * 4))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics {
            guard let n = try partitionCount(topic: topic) else { continue }
            for p in 0..<n {
                let tp = rd_kafka_topic_partition_list_add(list, topic, p)!
                tp.pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING)
            }
        }
        let err = rd_kafka_assign(handle, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "assign") }
    }

    /// Joins the consumer group of `group.id` for `topics`, librdkafka assigning partitions as the group
    /// rebalances. A name starting with `^` is a regular expression (Kafka Connect's `topics.regex`).
    public func subscribe(_ topics: [String]) throws {
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics { rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA) }
        let err = rd_kafka_subscribe(handle, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(err, context: "subscribe to \(topics.joined(separator: ", "))")
        }
    }

    /// Commits to the group, and waits for the broker to store them, the offsets to resume from: for each
    /// partition, the offset after the last message processed.
    public func commit(_ next: [TopicPartition: Int64]) throws {
        guard !next.isEmpty else { return }
        let list = rd_kafka_topic_partition_list_new(Int32(next.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (tp, offset) in next {
            rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition)!.pointee.offset = offset
        }
        let err = rd_kafka_commit(handle, list, 0)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "commit the consumer offsets") }
    }

    /// Stops fetching from `partitions` until `resume` (Kafka Connect's `SinkTaskContext.pause`): what was fetched
    /// of them and not yet polled is dropped, and fetching starts again after the last message polled.
    /// Partitions no longer assigned are left out.
    public func pause(_ partitions: Set<TopicPartition>) throws {
        try pauseOrResume(partitions, pausing: true)
    }

    /// Fetches again from paused `partitions`, from the message after the last one polled.
    public func resume(_ partitions: Set<TopicPartition>) throws {
        try pauseOrResume(partitions, pausing: false)
    }

    private func pauseOrResume(_ partitions: Set<TopicPartition>, pausing: Bool) throws {
        guard !partitions.isEmpty else { return }
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for tp in partitions { rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition) }
        let err = pausing ? rd_kafka_pause_partitions(handle, list) : rd_kafka_resume_partitions(handle, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(err, context: pausing ? "pause partitions" : "resume partitions")
        }
    }

    /// The offsets the group committed for `partitions` (nil where none is stored).
    public func committed(
        _ partitions: [TopicPartition], timeoutMilliseconds: Int32 = 10_000
    ) throws
        -> [TopicPartition: Int64]
    {
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for tp in partitions { rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition) }
        let err = rd_kafka_committed(handle, list, timeoutMilliseconds)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "read the committed offsets") }
        var out: [TopicPartition: Int64] = [:]
        for i in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[i]
            if element.offset >= 0 {
                out[TopicPartition(topic: String(cString: element.topic), partition: element.partition)] =
                    element.offset
            }
        }
        return out
    }

    /// The next message, or nil if none came within the timeout.
    public func poll(timeoutMilliseconds: Int32) throws -> ConsumedMessage? {
        switch try next(timeoutMilliseconds: timeoutMilliseconds) {
        case .message(let m): m
        case .endOfPartition, .nothing: nil
        }
    }

    /// What one wait for the next message found.
    private enum Polled {
        case message(ConsumedMessage)
        /// The consumer reached the end of a partition: everything written to it before was delivered.
        case endOfPartition
        case nothing
    }

    private func next(timeoutMilliseconds: Int32) throws -> Polled {
        guard let m = rd_kafka_consumer_poll(handle, timeoutMilliseconds) else { return .nothing }
        defer { rd_kafka_message_destroy(m) }
        let msg = m.pointee
        if msg.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            if msg.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { return .endOfPartition }
            throw KafkaError(msg.err, context: "consume")
        }
        var tsType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ts = rd_kafka_message_timestamp(m, &tsType)
        return .message(
            ConsumedMessage(
                topic: String(cString: rd_kafka_topic_name(msg.rkt)), partition: msg.partition, offset: msg.offset,
                key: msg.key.map { Array(UnsafeRawBufferPointer(start: $0, count: msg.key_len)) },
                value: msg.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: msg.len)) },
                timestamp: ts, headers: Self.headers(of: m)))
    }

    /// Reads one partition from its beginning to its end as the broker knows it now (the partition EOF, which
    /// end offsets cannot give: brokers such as Tansu count them in batches), calling `body` with each message.
    /// Throws when neither a message nor the end came for `idleMilliseconds`. Needs `enable.partition.eof=true`.
    public func readToEnd(
        topic: String, partition: Int32, idleMilliseconds: Int, _ body: (ConsumedMessage) throws -> Void
    ) throws {
        let list = rd_kafka_topic_partition_list_new(1)!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        rd_kafka_topic_partition_list_add(list, topic, partition)!.pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING)
        let err = rd_kafka_assign(handle, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "assign \(topic)") }
        defer { rd_kafka_assign(handle, nil) }
        let clock = ContinuousClock()
        var quietSince = clock.now
        while true {
            switch try next(timeoutMilliseconds: 100) {
            case .message(let m):
                try body(m)
                quietSince = clock.now
            case .endOfPartition:
                return
            case .nothing:
                if clock.now - quietSince > .milliseconds(idleMilliseconds) {
                    throw KafkaError(
                        RD_KAFKA_RESP_ERR__TIMED_OUT,
                        context: "reading \(topic) partition \(partition): nothing came for \(idleMilliseconds) ms")
                }
            }
        }
    }

    private static func headers(of message: UnsafeMutablePointer<rd_kafka_message_t>) -> [Header] {
        var hdrs: OpaquePointer?
        guard rd_kafka_message_headers(message, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs else { return [] }
        var result: [Header] = []
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        var i = 0
        while rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
            result.append(Header(key: name.map { String(cString: $0) } ?? "", value: bytes))
            i += 1
        }
        return result
    }

    /// Calls `body` with each message of `topics` from the beginning, as it arrives, until none arrived for
    /// `idleMilliseconds` (after at least `minimum` messages, waiting up to `timeoutMilliseconds` overall for
    /// them) or `body` returns false. Holds one message at a time.
    public func forEach(
        topics: [String], minimum: Int = 0, idleMilliseconds: Int32 = 2_000, timeoutMilliseconds: Int = 60_000,
        _ body: (ConsumedMessage) throws -> Bool
    ) throws {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(timeoutMilliseconds)
        // Topics may appear only after the first record; wait until all are known.
        let missing = try waitForTopics(topics, timeoutMilliseconds: timeoutMilliseconds)
        guard missing.isEmpty else { return }
        try assignFromBeginning(topics: topics)
        var count = 0
        while clock.now < deadline {
            if let m = try poll(timeoutMilliseconds: idleMilliseconds) {
                count += 1
                guard try body(m) else { return }
            } else if count >= minimum {
                return
            }
        }
    }

    /// Messages of `topics` from the beginning until none arrived for `idleMilliseconds` (at least `minimum`
    /// messages, waiting up to `timeoutMilliseconds` overall for them).
    public func readAll(
        topics: [String], minimum: Int = 0, idleMilliseconds: Int32 = 2_000, timeoutMilliseconds: Int = 60_000
    ) throws -> [ConsumedMessage] {
        var result: [ConsumedMessage] = []
        try forEach(
            topics: topics, minimum: minimum, idleMilliseconds: idleMilliseconds,
            timeoutMilliseconds: timeoutMilliseconds
        ) {
            result.append($0)
            return true
        }
        return result
    }
}
