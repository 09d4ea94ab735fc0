import KafkaClient
import Runtime
import TributaryCore
import XCTest

/// Dead letters read back from the broker: the original bytes and headers, plus Kafka Connect's
/// `__connect.errors.*` headers when asked for.
final class DeadLetterQueueTests: XCTestCase {
    private struct Failure: Error, CustomStringConvertible {
        var description: String { "Invalid value for INT32 field: expected an integer, found STRING (field after.id)" }
    }

    func testFailedRecordsReachTheQueueWithTheirContextHeaders() throws {
        let topic = IntegrationEnvironment.uniqueName("dlq")
        let settings = try XCTUnwrap(
            try DeadLetterQueueReporter.Settings(
                Config([
                    "errors.deadletterqueue.topic.name": topic, "errors.deadletterqueue.topic.replication.factor": "1",
                    "errors.deadletterqueue.context.headers.enable": "true",
                ])))
        XCTAssertNil(try DeadLetterQueueReporter.Settings(Config([:])), "no topic, no queue")
        let reporter = try DeadLetterQueueReporter(
            settings: settings, connector: "sink-1",
            producerProperties: ["bootstrap.servers": IntegrationEnvironment.bootstrapServers])
        for offset in [41, 42] as [Int64] {
            try reporter.report(
                .init(
                    topic: "shop.public.orders", partition: 3, offset: offset, key: Array("k\(offset)".utf8),
                    value: Array("{\"bad\":\(offset)}".utf8), headers: [Header(key: "trace", value: [1, 2])]),
                stage: .valueConverter, className: "org.apache.kafka.connect.json.JsonConverter", error: Failure())
        }
        try reporter.flush()

        let messages = try IntegrationEnvironment.consume([topic], count: 2)
        XCTAssertEqual(messages.map { $0.key.map { String(decoding: $0, as: UTF8.self) } }, ["k41", "k42"])
        XCTAssertEqual(messages.first?.value, Array(#"{"bad":41}"#.utf8))
        let headers = Dictionary(
            (messages.first?.headers ?? []).map { ($0.key, $0.value.map { String(decoding: $0, as: UTF8.self) }) },
            uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(headers["trace"], "\u{1}\u{2}", "the record's own headers are kept")
        XCTAssertEqual(headers["__connect.errors.topic"], "shop.public.orders")
        XCTAssertEqual(headers["__connect.errors.partition"], "3")
        XCTAssertEqual(headers["__connect.errors.offset"], "41")
        XCTAssertEqual(headers["__connect.errors.connector.name"], "sink-1")
        XCTAssertEqual(headers["__connect.errors.task.id"], "0")
        XCTAssertEqual(headers["__connect.errors.stage"], "VALUE_CONVERTER")
        XCTAssertEqual(headers["__connect.errors.class.name"], "org.apache.kafka.connect.json.JsonConverter")
        XCTAssertEqual(headers["__connect.errors.exception.message"], Failure().description)
        XCTAssertTrue(headers["__connect.errors.exception.class.name"]??.contains("Failure") == true, "\(headers)")
    }
}
