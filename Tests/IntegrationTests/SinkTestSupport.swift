import Converters
import Dispatch
import Foundation
import JdbcSink
import KafkaClient
import Runtime
import TributaryCore
import XCTest

/// What the sink tests share: messages read back as a sink reads them, and a reporter that keeps what it is given.
enum SinkTestSupport {
    /// Consumed messages as sink records, through the JSON converter (with schemas), as a sink's worker reads them.
    static func records(_ messages: [ConsumedMessage]) throws -> [SinkRecord] {
        let converter = try JsonConverter(Config([:]), isKey: false)
        let keyConverter = try JsonConverter(Config([:]), isKey: true)
        return try messages.map { message in
            let key = try keyConverter.toConnectData(topic: message.topic, bytes: message.key)
            let value = try converter.toConnectData(topic: message.topic, bytes: message.value)
            return SinkRecord(
                topic: message.topic, partition: message.partition, offset: message.offset, keySchema: key.schema,
                key: key.value, valueSchema: value.schema, value: value.value)
        }
    }

    /// Creates `topic` and produces `records` to it as a source's worker would (the JSON converter, with schemas;
    /// a null value as a tombstone), in order, each to the partition its key hashes to.
    static func produce(_ records: [SinkRecord], to topic: String, partitions: Int32 = 1) throws {
        let producer = try KafkaProducer(properties: ["bootstrap.servers": IntegrationEnvironment.bootstrapServers]) {
            _, _ in
        }
        try producer.createTopics([topic], partitions: partitions, replicationFactor: -1)
        let converter = try JsonConverter(Config([:]), isKey: false)
        let keyConverter = try JsonConverter(Config([:]), isKey: true)
        for (i, record) in records.enumerated() {
            let key = try keyConverter.fromConnectData(topic: topic, schema: record.keySchema, value: record.key)
            let value =
                record.value.isNull
                ? nil : try converter.fromConnectData(topic: topic, schema: record.valueSchema, value: record.value)
            while try producer.produce(topic: topic, key: key, value: value, token: UInt64(i + 1)) == .queueFull {
                _ = producer.poll(timeoutMilliseconds: 100)
            }
        }
        try producer.flush(timeoutMilliseconds: 60_000)
    }

    /// The row changes of `messages` under `config`.
    static func changes(_ messages: [ConsumedMessage], _ config: JdbcSinkConfig) throws -> [RowChange] {
        let reader = RowChangeReader(config: config)
        return try records(messages).compactMap { try reader.change($0) }
    }

    /// Runs the JDBC sink `values` describe in a standalone worker until `done` (checked every `interval`, for at
    /// most `timeout` seconds), then stops it; a failure of the task is thrown.
    static func runSink(
        _ values: [String: String], offsetFile: String, timeout: TimeInterval = 90, interval: TimeInterval = 0.2,
        file: StaticString = #filePath, line: UInt = #line, until done: @escaping () throws -> Bool
    ) throws {
        let worker = try WorkerConfig(
            Config([
                "bootstrap.servers": IntegrationEnvironment.bootstrapServers,
                "offset.storage.file.filename": offsetFile + ".sink",
            ]), standalone: true)
        let runner = try SinkTaskRunner(connector: Config(values), worker: worker, connector: JdbcSinkConnector())
        let ended = DispatchSemaphore(value: 0)
        let failure = Locked<(any Error)?>(nil)
        DetachedThread.start {
            do { try runner.run() } catch { failure.withLock { $0 = error } }
            ended.signal()
        }
        let deadline = Date().addingTimeInterval(timeout)
        var finished = false
        while Date() < deadline, failure.withLock({ $0 == nil }) {
            finished = (try? done()) == true
            if finished { break }
            Thread.sleep(forTimeInterval: interval)
        }
        runner.stop()
        if failure.withLock({ $0 == nil }) {
            XCTAssertTrue(
                finished, "the sink did not get there within \(timeout) s while running", file: file, line: line)
        }
        XCTAssertEqual(ended.wait(timeout: .now() + 60), .success)
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// A plain row record `{id, v}` of `topic` with the key `{id}`.
    static func row(_ topic: String, offset: Int64, id: Int32, _ v: Value, _ schema: Schema) -> SinkRecord {
        let value = Schema.struct(name: "v", fields: [("id", .int32), ("v", schema)])
        let key = Schema.struct(name: "k", fields: [("id", .int32)])
        return SinkRecord(
            topic: topic, partition: 0, offset: offset, keySchema: key,
            key: .struct(Struct(schema: key, values: [.int32(id)])), valueSchema: value,
            value: .struct(Struct(schema: value, values: [.int32(id), v])))
    }
}

/// Keeps the records a sink task reports as errant, as the worker's reporter would send them to the DLQ.
final class CollectingReporter: ErrantRecordReporter {
    var reported: [(record: SinkRecord, error: Error)] = []

    func report(_ record: SinkRecord, error: Error) throws {
        reported.append((record, error))
    }
}
