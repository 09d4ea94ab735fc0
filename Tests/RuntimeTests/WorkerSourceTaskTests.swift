import Converters
import Foundation
import KafkaClient
import Logging
import Transforms
import TributaryCore
import XCTest

@testable import Runtime

/// Stop, failure and restart paths of `WorkerSourceTask` and `SourceTaskRunner`, with a fake producer for the
/// faults a real broker does not produce on demand. The integration tests cover the same with a real broker.
final class WorkerSourceTaskTests: XCTestCase {
    private let logger = Logger(label: "test")

    private func makeTask(
        source: FakeSourceTask, store: MemoryOffsetStore, producer: FakeProducer,
        shutdownTimeout: Duration = .seconds(5), sendImmediatelyBelowRecords: Int = 0,
        transforms: TransformationChain? = nil, valueConverter: Converter? = nil,
        errors: [String: String] = [:]
    ) throws -> WorkerSourceTask {
        WorkerSourceTask(
            name: "c", task: source, keyConverter: try JsonConverter(Config(), isKey: true),
            valueConverter: try valueConverter ?? JsonConverter(Config(), isKey: false), transforms: transforms,
            offsets: store,
            settings: SourceTaskSettings(
                offsetFlushInterval: .milliseconds(50), shutdownTimeout: shutdownTimeout, producerProperties: [:],
                sendImmediatelyBelowRecords: sendImmediatelyBelowRecords,
                errorHandling: try ErrorHandlingSettings(Config(errors))),
            makeProducer: producer.factory, logger: logger)
    }

    /// A delivery failure stores the offsets of what Kafka acknowledged before it, then fails the task.
    func testDeliveryFailureStoresTheAcknowledgedPrefixFirst() throws {
        let source = FakeSourceTask(records: 10)
        let store = MemoryOffsetStore()
        let producer = FakeProducer()
        producer.behaviour = { token in token == 6 ? .fail(KafkaError(code: 10, message: "message too large")) : .ack }
        let task = try makeTask(source: source, store: store, producer: producer)
        XCTAssertThrowsError(try task.run()) { error in
            let failure = error as? TaskError
            XCTAssertEqual(failure?.stage, .produce)
            XCTAssertEqual(failure?.record?.sourceOffset, ["n": .int(6)])
            XCTAssertFalse(error.isRetriable)
        }
        XCTAssertEqual(store.stored("c")?["n"], .int(5), "records 1-5 were acknowledged")
        XCTAssertEqual(source.committed.last?["n"], .int(5))
        XCTAssertTrue(source.stopped)
    }

    /// A poll smaller than `task.send.immediately.below.records` (the source caught up) is sent at once; full
    /// polls wait for librdkafka's batching.
    func testCaughtUpPollsAreSentImmediately() throws {
        for (threshold, expected) in [(0, 0), (8, 1), (11, 3)] {
            let source = FakeSourceTask(records: 25)  // polls of 10, 10 and 5 records
            let producer = FakeProducer()
            let task = try makeTask(
                source: source, store: MemoryOffsetStore(), producer: producer, sendImmediatelyBelowRecords: threshold)
            try runThenStopInTime(task) {}
            XCTAssertEqual(producer.sendNowCount, expected, "threshold \(threshold)")
        }
    }

    /// Records a transform drops are never produced, yet their offsets are stored: as far as the source is
    /// concerned they were delivered. A transform's failure is a `transform` stage error naming the record.
    func testDroppedRecordsCountAsDeliveredAndTransformFailuresNameTheStage() throws {
        let source = FakeSourceTask(records: 12)
        let store = MemoryOffsetStore()
        let producer = FakeProducer()
        let allDropped = try TransformationChain(
            Config([
                "transforms": "drop", "transforms.drop.type": "org.apache.kafka.connect.transforms.Filter",
                "transforms.drop.predicate": "all",
                "predicates": "all",
                "predicates.all.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
                "predicates.all.pattern": "t",
            ]))
        let task = try makeTask(source: source, store: store, producer: producer, transforms: allDropped)
        try runThenStopInTime(task) {
            let deadline = Date().addingTimeInterval(10)
            while store.stored("c")?["n"] != .int(12) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        }
        XCTAssertEqual(store.stored("c")?["n"], .int(12), "every dropped record's offset is stored")
        XCTAssertEqual(producer.producedCount, 0)

        let failing = try TransformationChain(
            Config([
                "transforms": "x", "transforms.x.type": "org.apache.kafka.connect.transforms.ExtractField$Value",
                "transforms.x.field": "f",
            ]))
        let broken = try makeTask(
            source: FakeSourceTask(records: 3), store: MemoryOffsetStore(), producer: FakeProducer(),
            transforms: failing)
        XCTAssertThrowsError(try broken.run()) { error in
            XCTAssertEqual((error as? TaskError)?.stage, .transform)
            XCTAssertEqual((error as? TaskError)?.record?.sourceOffset, ["n": .int(1)])
        }
    }

    /// With `errors.tolerance=all`, records that fail a transform are logged, counted and skipped; their offsets
    /// are stored and the task goes on.
    func testToleratedFailuresAreSkippedCountedAndTheirOffsetsStored() throws {
        let source = FakeSourceTask(records: 10)
        let store = MemoryOffsetStore()
        let producer = FakeProducer()
        let failing = try TransformationChain(
            Config([
                "transforms": "x", "transforms.x.type": "org.apache.kafka.connect.transforms.ExtractField$Value",
                "transforms.x.field": "f",
            ]))
        let task = try makeTask(
            source: source, store: store, producer: producer, transforms: failing,
            errors: ["errors.tolerance": "all", "errors.log.include.messages": "true"])
        try runThenStopInTime(task) {
            let deadline = Date().addingTimeInterval(10)
            while store.stored("c")?["n"] != .int(10) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        }
        XCTAssertEqual(store.stored("c")?["n"], .int(10))
        XCTAssertEqual(task.recordsSkipped, 10)
        XCTAssertEqual(producer.producedCount, 0)
        XCTAssertThrowsError(try ErrorHandlingSettings(Config(["errors.tolerance": "some"]))) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "errors.tolerance")
        }
    }

    /// A converter failure that may pass (a registry away) is retried within `errors.retry.timeout`; without a
    /// timeout it fails the task at once, as a retriable error (the runner restarts it).
    func testRetriableConverterFailuresAreRetriedWithinTheTimeout() throws {
        let flaky = FlakyConverter(failures: 2)
        let producer = FakeProducer()
        let store = MemoryOffsetStore()
        let task = try makeTask(
            source: FakeSourceTask(records: 3), store: store, producer: producer, valueConverter: flaky,
            errors: ["errors.retry.timeout": "10000", "errors.retry.delay.max.ms": "50"])
        try runThenStopInTime(task) {
            let deadline = Date().addingTimeInterval(10)
            while store.stored("c")?["n"] != .int(3) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        }
        XCTAssertEqual(producer.producedCount, 3)
        XCTAssertEqual(flaky.calls, 5, "two failures, then three records")

        let impatient = try makeTask(
            source: FakeSourceTask(records: 3), store: MemoryOffsetStore(), producer: FakeProducer(),
            valueConverter: FlakyConverter(failures: 1))
        XCTAssertThrowsError(try impatient.run()) { error in
            XCTAssertEqual((error as? TaskError)?.stage, .convert)
            XCTAssertTrue(error.isRetriable)
        }
    }

    /// A stop whose records Kafka never acknowledges (the broker is away) ends within the shutdown timeout and
    /// keeps what was acknowledged.
    func testStopWithTheBrokerAwayEndsWithinTheShutdownTimeout() throws {
        let source = FakeSourceTask(records: 1_000)
        let store = MemoryOffsetStore()
        let producer = FakeProducer()
        producer.behaviour = { token in token <= 3 ? .ack : .hang }
        let task = try makeTask(source: source, store: store, producer: producer, shutdownTimeout: .milliseconds(500))
        try runThenStopInTime(task) {}
        XCTAssertEqual(store.stored("c")?["n"], .int(3))
    }

    /// While librdkafka's queue is full a stop is not held up by the wait for room.
    func testStopWhileTheQueueIsFull() throws {
        let source = FakeSourceTask(records: 1_000)
        let store = MemoryOffsetStore()
        let producer = FakeProducer()
        producer.capacity = 5
        producer.behaviour = { token in token <= 2 ? .ack : .hang }
        let task = try makeTask(source: source, store: store, producer: producer, shutdownTimeout: .milliseconds(300))
        try runThenStopInTime(task) { XCTAssertGreaterThan(producer.queueFullCount, 0, "the queue filled up") }
        XCTAssertEqual(store.stored("c")?["n"], .int(2))
    }

    /// A failure of the source still stores what Kafka acknowledged.
    func testSourceFailureStoresTheAcknowledgedPrefix() throws {
        let source = FakeSourceTask(records: 4)
        source.failAfterRecords = PostgresLikeError()
        let store = MemoryOffsetStore()
        let producer = FakeProducer()
        let task = try makeTask(source: source, store: store, producer: producer)
        XCTAssertThrowsError(try task.run()) { XCTAssertEqual(($0 as? TaskError)?.stage, .read) }
        XCTAssertEqual(store.stored("c")?["n"], .int(4))
    }

    /// A fatal producer error restarts the task with a new producer, from the stored offsets.
    func testFatalProducerErrorRestartsWithANewProducer() throws {
        let sources = FakeSourceFactory(records: 20)
        let store = MemoryOffsetStore()
        let producers = FakeProducerPool { index, producer in
            if index == 0 { producer.behaviour = { token in token <= 7 ? .ack : .fatal } }
        }
        var plugins = ConnectorPlugins()
        plugins.register(sources, className: "test.Fake")
        let worker = try WorkerConfig(
            Config([
                "bootstrap.servers": "unused:1", "offset.storage.file.filename": "unused",
                "offset.flush.interval.ms": "20",
            ]),
            standalone: true)
        let runner = try SourceTaskRunner(
            connector: Config([
                "name": "c", "connector.class": "test.Fake", "errors.retry.delay.initial.ms": "10",
                "errors.retry.delay.max.ms": "20",
            ]),
            worker: worker, offsets: store, plugins: plugins, makeProducer: producers.factory)
        let done = DispatchSemaphore(value: 0)
        DetachedThread.start {
            try? runner.run()
            done.signal()
        }
        let deadline = Date().addingTimeInterval(10)
        while store.stored("c")?["n"] != .int(20) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        runner.stop()
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(store.stored("c")?["n"], .int(20), "the restarted task delivered the rest")
        XCTAssertGreaterThanOrEqual(producers.created, 2, "a new producer replaced the fatal one")
        // The second task (tasks are made once to validate, then per start) resumed after record 7.
        XCTAssertEqual(sources.startOffsets.dropFirst().first ?? nil, ["n": .int(7)])
    }

    /// Runs the task on its own thread for a moment, checks `whileRunning`, stops it, and checks that the stop
    /// ended within 2 s.
    private func runThenStopInTime(_ task: WorkerSourceTask, whileRunning: () -> Void) throws {
        let ended = DispatchSemaphore(value: 0)
        DetachedThread.start {
            try? task.run()
            ended.signal()
        }
        Thread.sleep(forTimeInterval: 0.3)
        whileRunning()
        let stopAt = Date()
        task.stop()
        XCTAssertEqual(ended.wait(timeout: .now() + 5), .success, "the stop did not end")
        XCTAssertLessThan(Date().timeIntervalSince(stopAt), 2.0)
    }
}

struct PostgresLikeError: Error {}

/// A source that hands out `records` records with offsets `{"n": 1…}` (resuming after a stored offset).
final class FakeSourceTask: SourceTask, @unchecked Sendable {
    let total: Int
    private var next = 1
    var failAfterRecords: Error?
    private(set) var committed: [OffsetMap] = []
    private(set) var stopped = false
    private(set) var startOffset: OffsetMap?
    let sourcePartition: OffsetMap = ["server": .string("fake")]

    init(records: Int) { total = records }

    func start(storedOffset: OffsetMap?) throws {
        startOffset = storedOffset
        if let n = storedOffset?["n"]?.int64 { next = Int(n) + 1 }
    }

    func poll(timeoutMilliseconds: Int) throws -> [SourceRecord] {
        guard next <= total else {
            if let failure = failAfterRecords { throw failure }
            Thread.sleep(forTimeInterval: Double(timeoutMilliseconds) / 1000)
            return []
        }
        let batch = (next...min(total, next + 9)).map { n in
            SourceRecord(
                sourcePartition: sourcePartition, sourceOffset: ["n": .int(Int64(n))], topic: "t", keySchema: nil,
                key: .null, valueSchema: .string, value: .string("v\(n)"))
        }
        next += batch.count
        return batch
    }

    func commit(offset: OffsetMap) throws { committed.append(offset) }

    func stop() { stopped = true }
}

/// A connector whose tasks are `FakeSourceTask`s, remembering where each started.
final class FakeSourceFactory: SourceConnector, @unchecked Sendable {
    let records: Int
    private let lock = NSLock()
    private var tasks: [FakeSourceTask] = []

    init(records: Int) { self.records = records }

    func validate(_ config: Config) throws {}

    func makeTask(_ config: Config) throws -> SourceTask {
        let task = FakeSourceTask(records: records)
        lock.withLock { tasks.append(task) }
        return task
    }

    /// The offsets the tasks that started were given, in order of creation (nil where none was stored).
    var startOffsets: [OffsetMap?] {
        lock.withLock { tasks.filter(\.stopped).map(\.startOffset) }
    }
}

/// Offsets in memory.
final class MemoryOffsetStore: OffsetBackingStore, @unchecked Sendable {
    private let lock = NSLock()
    private var offsets: [String: OffsetMap] = [:]

    func offset(connector: String, partition: OffsetMap) -> OffsetMap? { lock.withLock { offsets[connector] } }

    func store(connector: String, partition: OffsetMap, offset: OffsetMap) throws {
        lock.withLock { offsets[connector] = offset }
    }

    func stored(_ connector: String) -> OffsetMap? { lock.withLock { offsets[connector] } }
}

/// A producer whose acknowledgements a test decides, token by token.
final class FakeProducer: RecordProducer, @unchecked Sendable {
    enum Delivery {
        case ack
        case fail(KafkaError)
        /// Never acknowledged, as with a broker that is away.
        case hang
        /// The producer hits a fatal error.
        case fatal
    }

    var behaviour: (UInt64) -> Delivery = { _ in .ack }
    /// How many messages may wait unreported before `produce` says the queue is full.
    var capacity = 10_000
    private let queueFulls = Locked(0)
    /// How often `produce` found the queue full (read from the test's thread).
    var queueFullCount: Int { queueFulls.withLock { $0 } }
    private var pending: [UInt64] = []
    private var hanging = 0
    private var onDelivery: KafkaProducer.DeliveryHandler = { _, _ in }
    private(set) var fatalError: KafkaError?
    private let sendNows = Locked(0)
    /// How often the task asked to send without waiting out the linger (read from the test's thread).
    var sendNowCount: Int { sendNows.withLock { $0 } }

    func sendNow() { sendNows.withLock { $0 += 1 } }

    var factory: RecordProducerFactory {
        { [self] _, _, onDelivery in
            self.onDelivery = onDelivery
            return self
        }
    }

    func produce(
        topic: String, partition: Int32?, key: [UInt8]?, value: [UInt8]?, timestamp: Int64?, headers: [Header],
        token: UInt64
    ) throws -> ProduceOutcome {
        if let fatalError { throw fatalError }
        guard outstanding < capacity else {
            queueFulls.withLock { $0 += 1 }
            return .queueFull
        }
        pending.append(token)
        producedCount += 1
        return .queued
    }

    func poll(timeoutMilliseconds: Int32) -> Int32 {
        let served = pending
        pending.removeAll()
        for token in served {
            switch behaviour(token) {
            case .ack: onDelivery(token, .success(DeliveryReport(partition: 0, offset: Int64(token))))
            case .fail(let error): onDelivery(token, .failure(error))
            case .hang: hanging += 1
            case .fatal:
                if fatalError == nil {
                    fatalError = KafkaError(code: -150, message: "fatal (test)", isFatal: true)
                }
            }
        }
        if served.isEmpty && timeoutMilliseconds > 0 {
            Thread.sleep(forTimeInterval: Double(timeoutMilliseconds) / 1000)
        }
        return Int32(served.count)
    }

    var outstanding: Int32 { Int32(pending.count + hanging) }
    /// Records handed to `produce`.
    private(set) var producedCount = 0

    func createTopics(_ names: [String], partitions: Int32, replicationFactor: Int32, cancelled: () -> Bool) throws {}
}

/// Hands out a new `FakeProducer` each time, set up by `configure` with its index.
final class FakeProducerPool: @unchecked Sendable {
    private let lock = NSLock()
    private let configure: (Int, FakeProducer) -> Void
    private var count = 0

    init(configure: @escaping (Int, FakeProducer) -> Void) { self.configure = configure }

    var created: Int { lock.withLock { count } }

    var factory: RecordProducerFactory {
        { [self] properties, logger, onDelivery in
            let producer = FakeProducer()
            let index = lock.withLock {
                defer { count += 1 }
                return count
            }
            configure(index, producer)
            return try producer.factory(properties, logger, onDelivery)
        }
    }
}

/// A converter that fails with a retriable error a number of times, then converts.
final class FlakyConverter: Converter {
    struct Unavailable: RetriableError {
        var isRetriable: Bool { true }
    }

    private var failures: Int
    private(set) var calls = 0

    init(failures: Int) { self.failures = failures }

    func fromConnectData(topic: String, schema: Schema?, value: Value) throws -> [UInt8]? {
        calls += 1
        if failures > 0 {
            failures -= 1
            throw Unavailable()
        }
        return [1]
    }
}
