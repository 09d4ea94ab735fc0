import Synchronization
import TributaryCore

/// An idempotent producer whose `send` returns when Kafka acknowledged the message (or failed for good).
///
/// Safe to use from many tasks at once; delivery reports are served by a background thread. For streams of
/// records where one thread keeps thousands in flight, `KafkaProducer` with tokens costs less per message.
public final class AsyncKafkaProducer: Sendable {
    private typealias Waiter = CheckedContinuation<DeliveryReport, Error>

    private final class State: @unchecked Sendable {
        let waiters = Mutex<[UInt64: Waiter]>([:])
        let stopped = Atomic<Bool>(false)
    }

    private final class Producing: @unchecked Sendable {
        var producer: KafkaProducer?
        var nextToken: UInt64 = 1
    }

    private let state = State()
    private let producing: Mutex<Producing>

    public init(properties: [String: String]) throws {
        let state = self.state
        let producer = try KafkaProducer(properties: properties) { token, result in
            guard let waiter = state.waiters.withLock({ $0.removeValue(forKey: token) }) else { return }
            switch result {
            case .success(let report): waiter.resume(returning: report)
            case .failure(let error): waiter.resume(throwing: error)
            }
        }
        let box = Producing()
        box.producer = producer
        producing = Mutex(box)
        let handle = UnsafeSendable(producer)
        DetachedThread.start {
            while !state.stopped.load(ordering: .relaxed) { handle.value.poll(timeoutMilliseconds: 100) }
        }
    }

    /// Produces one message and waits for its acknowledgement.
    public func send(topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?, headers: [Header] = []) async throws -> DeliveryReport {
        try await withCheckedThrowingContinuation { (waiter: Waiter) in
            do {
                try producing.withLock { box in
                    guard let producer = box.producer else { throw KafkaError(code: -1, message: "producer is closed") }
                    let token = box.nextToken
                    box.nextToken += 1
                    state.waiters.withLock { $0[token] = waiter }
                    do {
                        try producer.produce(topic: topic, partition: partition, key: key, value: value, headers: headers, token: token)
                    } catch {
                        state.waiters.withLock { _ = $0.removeValue(forKey: token) }
                        throw error
                    }
                }
            } catch {
                waiter.resume(throwing: error)
            }
        }
    }

    /// Creates topics that do not exist yet.
    public func createTopics(_ names: [String], partitions: Int32, replicationFactor: Int32) throws {
        try producing.withLock { box in
            try box.producer?.createTopics(names, partitions: partitions, replicationFactor: replicationFactor)
        }
    }

    /// Waits for outstanding messages, then releases the client. Later sends fail.
    public func close(timeoutMilliseconds: Int32 = 30_000) {
        let producer = producing.withLock { box -> KafkaProducer? in
            defer { box.producer = nil }
            return box.producer
        }
        try? producer?.flush(timeoutMilliseconds: timeoutMilliseconds)
        state.stopped.store(true, ordering: .relaxed)
        let left = state.waiters.withLock { w -> [Waiter] in
            defer { w.removeAll() }
            return Array(w.values)
        }
        for waiter in left { waiter.resume(throwing: KafkaError(code: -1, message: "producer closed before delivery")) }
    }

    deinit { close(timeoutMilliseconds: 0) }
}

/// Moves a value that is used under external synchronization across a thread boundary.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
