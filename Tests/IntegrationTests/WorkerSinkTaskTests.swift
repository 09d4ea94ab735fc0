import Converters
import Dispatch
import Foundation
import KafkaClient
import Runtime
import Synchronization
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
        let seen = Mutex(0)

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
