import Foundation
import KafkaClient
import TributaryCore
import XCTest

/// The librdkafka client against the broker of `scripts/services`.
final class KafkaClientTests: XCTestCase {
    func testAsyncSendsAreAcknowledgedAndReadBack() async throws {
        let topic = IntegrationEnvironment.uniqueName("kc")
        let producer = try AsyncKafkaProducer(properties: ["bootstrap.servers": IntegrationEnvironment.bootstrapServers])
        try producer.createTopics([topic], partitions: 1, replicationFactor: -1)
        let reports = try await withThrowingTaskGroup(of: DeliveryReport.self) { group in
            for i in 0..<50 {
                group.addTask {
                    try await producer.send(topic: topic, key: Array("k\(i)".utf8), value: Array("v\(i)".utf8),
                                            headers: [Header(key: "h", value: [UInt8(i)])])
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        producer.close()
        XCTAssertEqual(reports.count, 50)
        XCTAssertTrue(reports.allSatisfy { $0.partition == 0 && $0.offset >= 0 })

        let messages = try IntegrationEnvironment.consume([topic], count: 50)
        XCTAssertEqual(Set(messages.compactMap { $0.value.map { String(decoding: $0, as: UTF8.self) } }), Set((0..<50).map { "v\($0)" }))
        XCTAssertEqual(Set(messages.compactMap { $0.key.map { String(decoding: $0, as: UTF8.self) } }), Set((0..<50).map { "k\($0)" }))
    }

    func testSendAfterCloseFails() async throws {
        let producer = try AsyncKafkaProducer(properties: ["bootstrap.servers": IntegrationEnvironment.bootstrapServers])
        producer.close()
        do {
            _ = try await producer.send(topic: "x", key: nil, value: [1])
            XCTFail("send after close must fail")
        } catch {}
    }

    func testBadLibrdkafkaPropertyNamesTheKey() {
        XCTAssertThrowsError(try KafkaProducer(properties: ["bootstrap.servers": "x", "linger.ms": "soon"]) { _, _ in }) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "producer.linger.ms")
        }
    }
}
