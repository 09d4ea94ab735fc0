import Converters
import KafkaClient
import TributaryCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `RecordProducer` that prints each record as a JSON line instead of sending it to Kafka, for
/// `tributary tail --connector`: `{"topic":…,"timestamp":…,"key":…,"value":…}`, keys and values embedded as JSON
/// when they are JSON (the JSON converter's output), else as a string (UTF-8) or base64. Every record counts as
/// delivered at the next `poll`.
public final class PrintingProducer: RecordProducer {
    /// Receives each line (without its newline); false refuses it (a limit was reached): the record is not
    /// delivered, as with a full queue, so its offset is never stored.
    public typealias Output = @Sendable ([UInt8]) -> Bool

    private let onDelivery: KafkaProducer.DeliveryHandler
    private let output: Output
    private var pending: [UInt64] = []
    private var printed: Int64 = 0

    public init(onDelivery: @escaping KafkaProducer.DeliveryHandler, output: @escaping Output) {
        self.onDelivery = onDelivery
        self.output = output
    }

    /// Producers that print through `output`.
    public static func factory(output: @escaping Output) -> RecordProducerFactory {
        { _, _, onDelivery in PrintingProducer(onDelivery: onDelivery, output: output) }
    }

    public func produce(
        topic: String, partition: Int32?, key: [UInt8]?, value: [UInt8]?, timestamp: Int64?, headers: [Header],
        token: UInt64
    ) throws -> ProduceOutcome {
        var line = JSONWriter(capacity: 128 + (key?.count ?? 0) + (value?.count ?? 0))
        line.raw("{\"topic\":")
        line.string(topic)
        line.raw(",\"timestamp\":")
        if let timestamp { line.int(timestamp) } else { line.null() }
        line.raw(",\"key\":")
        Self.embed(key, into: &line)
        line.raw(",\"value\":")
        Self.embed(value, into: &line)
        if !headers.isEmpty {
            line.raw(",\"headers\":{")
            for (i, header) in headers.enumerated() {
                if i > 0 { line.byte(UInt8(ascii: ",")) }
                line.string(header.key)
                line.byte(UInt8(ascii: ":"))
                Self.embed(header.value, into: &line, json: false)
            }
            line.byte(UInt8(ascii: "}"))
        }
        line.byte(UInt8(ascii: "}"))
        guard output(line.bytes) else { return .queueFull }
        pending.append(token)
        return .queued
    }

    private static func embed(_ bytes: [UInt8]?, into line: inout JSONWriter, json: Bool = true) {
        guard let bytes else { return line.null() }
        if json, JSONDocument.isValid(bytes) {
            line.raw(bytes)
        } else if let text = String(validating: bytes, as: UTF8.self) {
            line.string(text)
        } else {
            line.base64(bytes)
        }
    }

    @discardableResult public func poll(timeoutMilliseconds: Int32) -> Int32 {
        let served = pending
        pending.removeAll(keepingCapacity: true)
        for token in served {
            printed += 1
            onDelivery(token, .success(DeliveryReport(partition: 0, offset: printed)))
        }
        if served.isEmpty && timeoutMilliseconds > 0 { usleep(UInt32(min(timeoutMilliseconds, 50)) * 1000) }
        return Int32(served.count)
    }

    public var outstanding: Int32 { Int32(pending.count) }
    public var fatalError: KafkaError? { nil }
    public func createTopics(_ names: [String], partitions: Int32, replicationFactor: Int32, cancelled: () -> Bool) {}
    public func sendNow() {}
}

/// Offsets kept in memory only (`tributary tail --connector` without `--commit-offsets`), starting from those of
/// another store when given.
public final class MemoryOffsetStore: OffsetBackingStore, Sendable {
    private let offsets = Locked<[String: OffsetMap]>([:])
    private let base: (any OffsetBackingStore)?

    public init(startingFrom base: (any OffsetBackingStore)? = nil) {
        self.base = base
    }

    public func offset(connector: String, partition: OffsetMap) -> OffsetMap? {
        offsets.withLock { $0[connector] } ?? base?.offset(connector: connector, partition: partition)
    }

    public func store(connector: String, partition: OffsetMap, offset: OffsetMap) throws {
        offsets.withLock { $0[connector] = offset }
    }
}
