import Converters
import Dispatch
import Foundation
import KafkaClient
import Runtime
import TributaryCore
import XCTest

/// The sink side of the worker against the broker, with a task that holds records back across batches (as the
/// JDBC sink does under `transaction.boundary.mode=source`).
final class WorkerSinkTaskTests: XCTestCase {
    /// Holds every record until the next flush; then reports the ones whose value is "bad" and drops the others.
    /// Commits stop at the first record held.
    private final class HoldingTask: SinkTask {
        var held: [SinkRecord] = []
        var released: [SinkRecord] = []
        var reporter: ErrantRecordReporter?
        let seen = Locked(0)

        func start(reporter: ErrantRecordReporter?) throws { self.reporter = reporter }

        func put(_ records: [SinkRecord]) throws {
            let earlier = held
            held = records
            for record in earlier {
                if case .struct(let row) = record.value, row["v"] == .string("bad") {
                    try reporter?.report(record, error: SinkTestError())
                } else {
                    released.append(record)
                }
            }
            seen.withLock { $0 += earlier.count }
        }

        func flush() throws {}

        func preCommit(_ consumed: [TopicPartition: Int64]) -> [TopicPartition: Int64] {
            var out = consumed
            for record in held {
                let partition = TopicPartition(topic: record.topic, partition: record.partition)
                out[partition] = min(out[partition] ?? record.offset, record.offset)
            }
            return out
        }

        func stop() {}
    }

    /// Takes every record; pauses `partition` at the first record of it, until the test resumes it.
    private final class PausingTask: SinkTask {
        let partition: TopicPartition
        let seen = Locked<[SinkRecord]>([])
        /// How many records of `partition` the task had been given when it asked for the pause.
        let seenAtPause = Locked<Int?>(nil)
        private let paused = Locked<Set<TopicPartition>>([])

        init(pausing partition: TopicPartition) { self.partition = partition }

        func start(reporter: ErrantRecordReporter?) throws {}

        func put(_ records: [SinkRecord]) throws {
            let ofPartition = seen.withLock { seen in
                seen += records
                return seen.count { $0.topic == partition.topic && $0.partition == partition.partition }
            }
            if ofPartition > 0, seenAtPause.withLock({ $0 }) == nil {
                seenAtPause.withLock { $0 = ofPartition }
                paused.withLock { $0 = [partition] }
            }
        }

        func flush() throws {}

        func resume() { paused.withLock { $0 = [] } }

        var pausedPartitions: Set<TopicPartition> { paused.withLock { $0 } }

        func stop() {}
    }

    /// A worker running a `PausingTask` on a thread of its own, in batches of three records of JSON without schemas.
    private final class PausingSink {
        let sink: WorkerSinkTask
        let ended = DispatchSemaphore(value: 0)
        let failure = Locked<(any Error)?>(nil)

        init(_ task: PausingTask, _ settings: [String: String]) throws {
            let name = IntegrationEnvironment.uniqueName("pausing")
            let worker = try WorkerConfig(
                Config([
                    "bootstrap.servers": IntegrationEnvironment.bootstrapServers,
                    "offset.storage.file.filename": FileManager.default.temporaryDirectory.path + "/\(name).json",
                ]),
                standalone: true)
            let plain = Config(["schemas.enable": "false"])
            var config = ["name": name, "consumer.override.max.poll.records": "3"]
            config.merge(settings) { $1 }
            sink = try WorkerSinkTask(
                name: name, config: Config(config), worker: worker, task: task,
                keyConverter: try JsonConverter(plain, isKey: true),
                valueConverter: try JsonConverter(plain, isKey: false), logger: .init(label: "test"))
            DetachedThread.start { [sink, failure, ended] in
                do { try sink.run() } catch { failure.withLock { $0 = error } }
                ended.signal()
            }
        }

        /// Waits until `done`, at most `seconds`; throws what stopped the worker, if it stopped.
        func wait(until done: () -> Bool, seconds: Int = 90) throws {
            let deadline = ContinuousClock.now + .seconds(seconds)
            while ContinuousClock.now < deadline, !done(), failure.withLock({ $0 == nil }) { usleep(100_000) }
            if let error = failure.withLock({ $0 }) { throw error }
        }

        func stop() {
            sink.stop()
            _ = ended.wait(timeout: .now() + 30)
        }
    }

    /// A task pauses a partition: the worker gives it nothing more of it, while the other partition goes on, until
    /// the task resumes it; then the rest comes, from where it stopped, nothing lost or given twice.
    func testAPartitionThePausedTaskAsksForIsNotReadUntilResumed() throws {
        let topic = IntegrationEnvironment.uniqueName("paused")
        let producer = try KafkaProducer(properties: ["bootstrap.servers": IntegrationEnvironment.bootstrapServers]) {
            _, _ in
        }
        try producer.createTopics([topic], partitions: 2, replicationFactor: -1)
        for n in 0..<40 {
            _ = try producer.produce(
                topic: topic, partition: Int32(n % 2), key: nil, value: Array("{\"n\":\(n)}".utf8), token: 1)
        }
        try producer.flush(timeoutMilliseconds: 30_000)
        let p1 = TopicPartition(topic: topic, partition: 1)
        let task = PausingTask(pausing: p1)
        let sink = try PausingSink(task, ["topics": topic])
        defer { sink.stop() }
        func offsets(_ partition: Int32) -> [Int64] {
            task.seen.withLock { $0.filter { $0.partition == partition }.map(\.offset) }
        }
        func wait(until done: () -> Bool) throws { try sink.wait(until: done) }
        try wait { offsets(0).count == 20 }
        XCTAssertEqual(offsets(0), Array(0..<20))
        usleep(1_500_000)
        let atPause = try XCTUnwrap(task.seenAtPause.withLock { $0 })
        XCTAssertLessThanOrEqual(atPause, 3, "the batches have three records")
        XCTAssertEqual(offsets(1).count, atPause, "nothing more of the paused partition")

        task.resume()
        try wait { offsets(1).count >= 20 }
        usleep(500_000)
        XCTAssertEqual(offsets(1), Array(0..<20), "the rest from where it stopped, once")
        XCTAssertEqual(offsets(0), Array(0..<20))
    }

    /// A partition the task paused stays paused when the group rebalances: here a new topic matching `topics.regex`
    /// joins the subscription, and librdkafka assigns every partition again.
    func testAPausedPartitionStaysPausedWhenTheGroupRebalances() throws {
        let prefix = IntegrationEnvironment.uniqueName("rebalanced")
        let first = prefix + "-a"
        let producer = try KafkaProducer(properties: ["bootstrap.servers": IntegrationEnvironment.bootstrapServers]) {
            _, _ in
        }
        try producer.createTopics([first], partitions: 1, replicationFactor: -1)
        for n in 0..<20 {
            _ = try producer.produce(topic: first, partition: 0, key: nil, value: Array("{\"n\":\(n)}".utf8), token: 1)
        }
        try producer.flush(timeoutMilliseconds: 30_000)
        let task = PausingTask(pausing: TopicPartition(topic: first, partition: 0))
        let sink = try PausingSink(
            task, ["topics.regex": prefix + "-.*", "consumer.override.topic.metadata.refresh.interval.ms": "1000"])
        defer { sink.stop() }
        func offsets(_ topic: String) -> [Int64] {
            task.seen.withLock { $0.filter { $0.topic == topic }.map(\.offset) }
        }
        func wait(until done: () -> Bool) throws { try sink.wait(until: done, seconds: 120) }
        try wait { task.seenAtPause.withLock { $0 } != nil }
        let atPause = try XCTUnwrap(task.seenAtPause.withLock { $0 })

        let second = prefix + "-b"
        try producer.createTopics([second], partitions: 1, replicationFactor: -1)
        for n in 0..<5 {
            _ = try producer.produce(topic: second, partition: 0, key: nil, value: Array("{\"n\":\(n)}".utf8), token: 1)
        }
        try producer.flush(timeoutMilliseconds: 30_000)
        try wait { offsets(second).count == 5 }
        usleep(2_000_000)
        XCTAssertEqual(offsets(first).count, atPause, "the paused partition stays paused after the rebalance")

        task.resume()
        try wait { offsets(first).count >= 20 }
        usleep(500_000)
        XCTAssertEqual(offsets(first), Array(0..<20), "the rest from where it stopped, once")
        XCTAssertEqual(offsets(second), Array(0..<5))
    }

    private struct SinkTestError: Error, CustomStringConvertible {
        var description: String { "refused by the test" }
    }

    func testATaskReportsARecordItHeldFromAnEarlierBatch() throws {
        let topic = IntegrationEnvironment.uniqueName("held")
        let dlq = topic + "-dlq"
        try SinkTestSupport.produce(
            ["a", "bad", "c", "d", "e", "f"].enumerated().map { i, v in
                SinkTestSupport.row(topic, offset: 0, id: Int32(i), .string(v), .optionalString)
            }, to: topic)
        let name = IntegrationEnvironment.uniqueName("holding")
        let config = Config([
            "name": name, "topics": topic, "errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlq,
            "errors.deadletterqueue.topic.replication.factor": "1", "consumer.override.max.poll.records": "2",
        ])
        let worker = try WorkerConfig(
            Config([
                "bootstrap.servers": IntegrationEnvironment.bootstrapServers,
                "offset.storage.file.filename": FileManager.default.temporaryDirectory.path + "/\(name).json",
            ]),
            standalone: true)
        let task = HoldingTask()
        let sink = try WorkerSinkTask(
            name: name, config: config, worker: worker, task: task,
            keyConverter: try JsonConverter(Config([:]), isKey: true),
            valueConverter: try JsonConverter(Config([:]), isKey: false), logger: .init(label: "test"))
        let ended = DispatchSemaphore(value: 0)
        let failure = Locked<(any Error)?>(nil)
        DetachedThread.start {
            do { try sink.run() } catch { failure.withLock { $0 = error } }
            ended.signal()
        }
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline, task.seen.withLock({ $0 }) < 2, failure.withLock({ $0 == nil }) {
            usleep(100_000)
        }
        sink.stop()
        XCTAssertEqual(ended.wait(timeout: .now() + 30), .success)
        if let error = failure.withLock({ $0 }) { throw error }

        let dead = try IntegrationEnvironment.consume([dlq], count: 1)
        XCTAssertEqual(dead.count, 1)
        XCTAssertEqual(
            dead.first.map { String(decoding: $0.value ?? [], as: UTF8.self) }?.contains("\"bad\""), true,
            "the record reported, as it was consumed")
        XCTAssertEqual(sink.skipped, 1)
    }
}
