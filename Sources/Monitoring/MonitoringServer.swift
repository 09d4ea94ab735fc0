import Dispatch
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import TributaryCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What `/health` reports: each connector's state, as `StandaloneHerder` knows it.
public struct WorkerHealth: Sendable {
    public enum State: String, Sendable {
        case running = "RUNNING"
        case restarting = "RESTARTING"
        case failed = "FAILED"
        case stopped = "STOPPED"
    }

    public var connectors: [String: State]

    public init(connectors: [String: State]) {
        self.connectors = connectors
    }
}

/// The worker's HTTP listener (Kafka Connect's `listeners`, default `http://127.0.0.1:8083`), on Hummingbird:
/// - `GET /`: `{"version":…,"commit":…,"kafka_cluster_id":null}`, as Kafka Connect's root resource;
/// - `GET /health`: 200 `{"status":"healthy",…}` while every connector runs or restarts, 503 `unhealthy` once one
///   failed for good, with each connector's state;
/// - `GET /metrics`: the worker's metrics in Prometheus' text format.
///
/// It runs on its own event loop, beside the task threads; capture never waits for it.
public final class MonitoringServer: Sendable {
    /// A listener URL, `http://host:port` (port 0: any free port).
    public struct Listener: Sendable, Equatable {
        public var host: String
        public var port: Int

        /// Parses Kafka Connect's `listeners` (the first URL of the list).
        public init(_ text: String) throws(ConfigError) {
            let first = text.split(separator: ",").first.map { String($0).trimmed } ?? ""
            guard first.hasPrefix("http://") else {
                throw .invalid(key: "listeners", value: text, expected: "http://host:port (https is not supported)")
            }
            let rest = first.dropFirst("http://".count)
            guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
                (0...65_535).contains(port)
            else {
                throw .invalid(key: "listeners", value: text, expected: "http://host:port")
            }
            let host = String(rest[..<colon])
            self.host = host.isEmpty ? "0.0.0.0" : host
            self.port = port
        }
    }

    private let listener: Listener
    private let metrics: WorkerMetrics
    private let health: @Sendable () -> WorkerHealth
    private let logger: Logger
    private let group = Locked<ServiceGroup?>(nil)
    private let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    public init(
        listener: Listener, metrics: WorkerMetrics, health: @escaping @Sendable () -> WorkerHealth, logger: Logger
    ) {
        self.listener = listener
        self.metrics = metrics
        self.health = health
        self.logger = logger
    }

    /// Starts listening; returns the port (useful with port 0), or throws if the address cannot be bound.
    public func start() throws -> Int {
        let router = Router()
        let metrics = self.metrics
        let health = self.health
        router.get("/") { _, _ -> Response in
            Self.json(.ok, ServerInfo(version: TributaryVersion.string))
        }
        router.get("/health") { _, _ -> Response in
            let states = health().connectors
            let failed = states.filter { $0.value == .failed }.keys.sorted()
            let body = HealthReport(
                status: failed.isEmpty ? "healthy" : "unhealthy",
                message: failed.isEmpty
                    ? "Worker has completed startup and is ready to handle requests."
                    : "Connectors failed: " + failed.joined(separator: ", "),
                connectors: states.mapValues(\.rawValue))
            return Self.json(failed.isEmpty ? .ok : .serviceUnavailable, body)
        }
        router.get("/metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.prometheusText())))
        }
        let started = DispatchSemaphore(value: 0)
        let port = Locked<Int?>(nil)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(listener.host, port: listener.port), serverName: nil),
            onServerRunning: { channel in
                port.withLock { $0 = channel.localAddress?.port ?? 0 }
                started.signal()
            },
            // One event loop thread is plenty for a few scrapes a minute (the default is one per core).
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
        let serviceGroup = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        group.withLock { $0 = serviceGroup }
        let failure = Locked<(any Error)?>(nil)
        Task.detached {
            do {
                try await serviceGroup.run()
            } catch {
                failure.withLock { $0 = error }
                started.signal()
            }
        }
        guard started.wait(timeout: .now() + 30) == .success else {
            throw ConfigError.other(key: "listeners", message: "the HTTP listener did not start within 30 s")
        }
        if let error = failure.withLock({ $0 }) {
            throw ConfigError.other(
                key: "listeners", message: "cannot listen on \(listener.host):\(listener.port): \(error)")
        }
        return port.withLock { $0 } ?? listener.port
    }

    /// Stops listening (gracefully: requests in progress finish).
    public func stop() {
        guard let serviceGroup = group.withLock({ $0 }) else { return }
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            await serviceGroup.triggerGracefulShutdown()
            done.signal()
        }
        _ = done.wait(timeout: .now() + 10)
    }

    /// `GET /`'s body, as Kafka Connect's root resource answers (no commit, no cluster id here).
    private struct ServerInfo: Encodable {
        var version: String

        enum CodingKeys: String, CodingKey {
            case version, commit
            case kafkaClusterID = "kafka_cluster_id"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(version, forKey: .version)
            try container.encodeNil(forKey: .commit)
            try container.encodeNil(forKey: .kafkaClusterID)
        }
    }

    /// `GET /health`'s body.
    private struct HealthReport: Encodable {
        var status: String
        var message: String
        var connectors: [String: String]
    }

    private static func json(_ status: HTTPResponse.Status, _ object: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(object)) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: Array(data))))
    }
}
