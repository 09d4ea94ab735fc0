import CRdKafka

/// Topic administration on an existing librdkafka client.
enum KafkaAdmin {
    /// Creates topics with the topic-level `configs` (`cleanup.policy`, `retention.ms`, …), waiting at most
    /// `timeoutMilliseconds` (plus 5 s for the reply), or until `cancelled` returns true (checked every 100 ms),
    /// which throws `KafkaError` `__TIMED_OUT`.
    static func createTopics(
        client: OpaquePointer, _ names: [String], partitions: Int32, replicationFactor: Int32,
        configs: [String: String] = [:], timeoutMilliseconds: Int32, cancelled: () -> Bool = { false }
    ) throws {
        guard !names.isEmpty else { return }
        var errstr = [CChar](repeating: 0, count: 512)
        var specs: [OpaquePointer?] = []
        defer { for s in specs { rd_kafka_NewTopic_destroy(s) } }
        for name in names {
            guard let spec = rd_kafka_NewTopic_new(name, partitions, replicationFactor, &errstr, errstr.count) else {
                throw KafkaError(code: -1, message: "topic \(name): " + KafkaConfiguration.errorString(errstr))
            }
            specs.append(spec)
            for (key, value) in configs.sorted(by: { $0.key < $1.key }) {
                let err = rd_kafka_NewTopic_set_config(spec, key, value)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "topic \(name): \(key)") }
            }
        }
        let queue = rd_kafka_queue_new(client)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(client, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMilliseconds, &errstr, errstr.count)
        rd_kafka_CreateTopics(client, &specs, specs.count, options, queue)
        let deadline = ContinuousClock.now + .milliseconds(Int(timeoutMilliseconds) + 5_000)
        var reply: OpaquePointer?
        while reply == nil {
            if cancelled() {
                throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, context: "creating topics \(names): stopped")
            }
            guard ContinuousClock.now < deadline else {
                throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, context: "creating topics \(names)")
            }
            reply = rd_kafka_queue_poll(queue, 100)
        }
        guard let event = reply else { return }
        defer { rd_kafka_event_destroy(event) }
        if rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(rd_kafka_event_error(event), context: "create topics")
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else { return }
        var count = 0
        guard let topics = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
        for i in 0..<count {
            let err = rd_kafka_topic_result_error(topics[i])
            if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
                let name = String(cString: rd_kafka_topic_result_name(topics[i]))
                throw KafkaError(err, context: "create topic \(name)")
            }
        }
    }
}
