import Foundation
import KafkaClient
import TributaryCore
import XCTest

@testable import Runtime

/// `tail --connector`'s producer: one JSON line per record, keys and values embedded as JSON when they are, and
/// every record acknowledged at the next poll; a refused line is not delivered.
final class PrintingProducerTests: XCTestCase {
    func testLinesAndAcknowledgements() throws {
        let lines = Locked<[String]>([])
        let acked = Locked<[UInt64]>([])
        let producer = PrintingProducer(
            onDelivery: { token, result in
                if case .success = result { acked.withLock { $0.append(token) } }
            },
            output: { line in
                lines.withLock { $0.append(String(decoding: line, as: UTF8.self)) }
                return lines.withLock { $0.count } <= 3
            })
        XCTAssertEqual(
            try producer.produce(
                topic: "t", partition: nil, key: Array("{\"id\":1}".utf8), value: Array("plain text".utf8),
                timestamp: 5, headers: [Header(key: "h", value: [0xFF])], token: 1), .queued)
        XCTAssertEqual(
            try producer.produce(
                topic: "t", partition: nil, key: nil, value: [0xFF, 0x00], timestamp: nil, headers: [], token: 2),
            .queued)
        XCTAssertEqual(producer.outstanding, 2)
        producer.poll(timeoutMilliseconds: 0)
        XCTAssertEqual(acked.withLock { $0 }, [1, 2])
        XCTAssertEqual(producer.outstanding, 0)
        XCTAssertEqual(
            lines.withLock { $0 },
            [
                #"{"topic":"t","timestamp":5,"key":{"id":1},"value":"plain text","headers":{"h":"/w=="}}"#,
                #"{"topic":"t","timestamp":null,"key":null,"value":"/wA="}"#,
            ])
        _ = try producer.produce(
            topic: "t", partition: nil, key: nil, value: nil, timestamp: nil, headers: [], token: 3)
        XCTAssertEqual(
            try producer.produce(
                topic: "t", partition: nil, key: nil, value: nil, timestamp: nil, headers: [], token: 4),
            .queueFull, "refused by the output: not delivered")
        producer.poll(timeoutMilliseconds: 0)
        XCTAssertEqual(acked.withLock { $0 }, [1, 2, 3])
    }

    func testMemoryOffsetStoreStartsFromAnotherStoreAndKeepsItsOwn() throws {
        final class Fixed: OffsetBackingStore, @unchecked Sendable {
            func offset(connector: String, partition: OffsetMap) -> OffsetMap? { ["n": .int(1)] }
            func store(connector: String, partition: OffsetMap, offset: OffsetMap) throws { XCTFail("never written") }
        }
        let store = Runtime.MemoryOffsetStore(startingFrom: Fixed())
        XCTAssertEqual(store.offset(connector: "c", partition: [:]), ["n": .int(1)])
        try store.store(connector: "c", partition: [:], offset: ["n": .int(2)])
        XCTAssertEqual(store.offset(connector: "c", partition: [:]), ["n": .int(2)])
    }
}
