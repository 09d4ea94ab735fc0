import Foundation
import KafkaClient
import Logging
import TributaryCore
import XCTest

/// The librdkafka client against the broker of `scripts/services`.
final class KafkaClientTests: XCTestCase {
    /// Key, value, timestamp and several headers on one message: the most arguments `rd_kafka_produceva`
    /// takes (an argument list one short of them overflowed the stack).
    func testKeyValueTimestampAndHeadersArriveIntact() throws {
        let topic = IntegrationEnvironment.uniqueName("kc")
        var reports: [UInt64: Result<DeliveryReport, KafkaError>] = [:]
        let producer = try KafkaProducer(properties: ["bootstrap.servers": IntegrationEnvironment.bootstrapServers]) {
            reports[$0] = $1
        }
        try producer.createTopics([topic], partitions: 1, replicationFactor: -1)
        let timestamp: Int64 = 1_700_000_000_123
        for i in 0..<20 {
            let headers = [
                Header(key: "__debezium.oldkey", value: Array("{\"id\":\(i)}".utf8)),
                Header(key: "empty", value: []), Header(key: "null", value: nil),
                Header(key: "n", value: [UInt8(i)]),
            ]
            var outcome = ProduceOutcome.queueFull
            while outcome == .queueFull {
                outcome = try producer.produce(
                    topic: topic, key: Array("k\(i)".utf8), value: Array("v\(i)".utf8), timestamp: timestamp + Int64(i),
                    headers: headers, token: UInt64(i + 1))
                if outcome == .queueFull { producer.poll(timeoutMilliseconds: 50) }
            }
        }
        try producer.flush(timeoutMilliseconds: 30_000)
        XCTAssertEqual(reports.count, 20)
        XCTAssertTrue(reports.values.allSatisfy { (try? $0.get())?.partition == 0 })

        let messages = try IntegrationEnvironment.consume([topic], count: 20).sorted { $0.offset < $1.offset }
        XCTAssertEqual(messages.count, 20)
        for (i, m) in messages.enumerated() {
            XCTAssertEqual(m.key, Array("k\(i)".utf8))
            XCTAssertEqual(m.value, Array("v\(i)".utf8))
            XCTAssertEqual(m.timestamp, timestamp + Int64(i))
            XCTAssertEqual(m.headers.map(\.key), ["__debezium.oldkey", "empty", "null", "n"])
            XCTAssertEqual(m.headers[0].value, Array("{\"id\":\(i)}".utf8))
            XCTAssertEqual(m.headers[1].value ?? [], [])
            XCTAssertNil(m.headers[2].value)
            XCTAssertEqual(m.headers[3].value, [UInt8(i)])
        }
    }

    /// A fatal idempotent-producer error is kept, fails later sends, and is retriable: the task restarts with a
    /// new producer.
    func testFatalErrorIsReportedAndRetriable() throws {
        let producer = try KafkaProducer(properties: ["bootstrap.servers": IntegrationEnvironment.bootstrapServers]) {
            _, _ in
        }
        XCTAssertNil(producer.fatalError)
        producer.raiseFatalErrorForTesting(reason: "test")
        let deadline = Date().addingTimeInterval(10)
        while producer.fatalError == nil && Date() < deadline { producer.poll(timeoutMilliseconds: 100) }
        let fatal = try XCTUnwrap(producer.fatalError)
        XCTAssertTrue(fatal.isFatal)
        XCTAssertTrue(fatal.isRetriable)
        XCTAssertThrowsError(try producer.produce(topic: "x", key: nil, value: [1], token: 1)) {
            XCTAssertTrue(($0 as? KafkaError)?.isFatal ?? false, "\($0)")
        }
    }

    /// librdkafka's own log lines go to the client's logger, not to standard error.
    func testLibrdkafkaLogsGoToTheLogger() throws {
        let lines = LogCapture()
        var logger = Logger(label: "test") { _ in lines }
        logger.logLevel = .debug
        logger[metadataKey: "connector"] = "c1"
        // A port nothing listens on: librdkafka logs connection failures.
        let producer = try KafkaProducer(
            properties: ["bootstrap.servers": "127.0.0.1:1", "reconnect.backoff.ms": "10"], logger: logger
        ) { _, _ in }
        let deadline = Date().addingTimeInterval(10)
        while lines.entries.isEmpty && Date() < deadline { producer.poll(timeoutMilliseconds: 100) }
        let first = try XCTUnwrap(lines.entries.first, "no librdkafka log line reached the logger")
        XCTAssertEqual(first.metadata["connector"], "c1")
        XCTAssertNotNil(first.metadata["librdkafka"] ?? first.metadata["code"])
    }

    func testBadLibrdkafkaPropertyNamesTheKey() {
        XCTAssertThrowsError(
            try KafkaProducer(properties: ["bootstrap.servers": "x", "linger.ms": "soon"]) { _, _ in }
        ) {
            error in
            XCTAssertEqual((error as? ConfigError)?.key, "producer.linger.ms")
        }
    }
}

/// A log handler that keeps what it is given.
final class LogCapture: LogHandler, @unchecked Sendable {
    struct Entry {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let lock = NSLock()
    private var stored: [Entry] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var entries: [Entry] { lock.withLock { stored } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        all.merge(event.metadata ?? [:]) { $1 }
        let entry = Entry(level: event.level, message: "\(event.message)", metadata: all.mapValues { "\($0)" })
        lock.withLock { stored.append(entry) }
    }
}
