import CoreMetrics
import Foundation
import Logging
import TributaryCore
import XCTest

@testable import Monitoring

/// The worker's HTTP listener on a real socket: routes, health states, Prometheus text, a busy port.
final class MonitoringServerTests: XCTestCase {
    private func get(_ url: String) throws -> (status: Int, body: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            """
            import sys, urllib.request, urllib.error
            try:
                r = urllib.request.urlopen(sys.argv[1], timeout=5); code, body = r.status, r.read()
            except urllib.error.HTTPError as e:
                code, body = e.code, e.read()
            sys.stdout.write(str(code) + "\\n" + body.decode())
            """, url,
        ]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let newline = try XCTUnwrap(text.firstIndex(of: "\n"), text)
        return (Int(text[..<newline]) ?? 0, String(text[text.index(after: newline)...]))
    }

    func testHealthMetricsAndRoot() throws {
        let metrics = WorkerMetrics()
        Counter(label: "kafka_connect_test_total", dimensions: [("connector", "c")], factory: metrics.factory)
            .increment(by: 7)
        let states = Locked<[String: WorkerHealth.State]>(["a": .running, "b": .restarting])
        let server = MonitoringServer(
            listener: try .init("http://127.0.0.1:0"), metrics: metrics,
            health: { WorkerHealth(connectors: states.withLock { $0 }) }, logger: Logger(label: "test"))
        let port = try server.start()
        defer { server.stop() }
        XCTAssertGreaterThan(port, 0)
        let base = "http://127.0.0.1:\(port)"

        var health = try get(base + "/health")
        XCTAssertEqual(health.status, 200, health.body)
        XCTAssertTrue(health.body.contains("\"status\":\"healthy\""), health.body)
        states.withLock { $0["b"] = .failed }
        health = try get(base + "/health")
        XCTAssertEqual(health.status, 503, "a connector failed for good")
        XCTAssertTrue(health.body.contains("\"status\":\"unhealthy\"") && health.body.contains("b"), health.body)

        let text = try get(base + "/metrics")
        XCTAssertEqual(text.status, 200)
        XCTAssertTrue(text.body.contains("kafka_connect_test_total{connector=\"c\"} 7"), text.body)
        XCTAssertTrue(try get(base + "/").body.contains("\"version\":\"\(TributaryVersion.string)\""))
        XCTAssertEqual(try get(base + "/nope").status, 404)
    }

    func testABusyPortIsAnErrorNamingListeners() throws {
        let first = MonitoringServer(
            listener: try .init("http://127.0.0.1:0"), metrics: WorkerMetrics(),
            health: { WorkerHealth(connectors: [:]) },
            logger: Logger(label: "test"))
        let port = try first.start()
        defer { first.stop() }
        let second = MonitoringServer(
            listener: try .init("http://127.0.0.1:\(port)"), metrics: WorkerMetrics(),
            health: { WorkerHealth(connectors: [:]) }, logger: Logger(label: "test"))
        XCTAssertThrowsError(try second.start()) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "listeners", "\(error)")
        }
    }

    func testListenerParsing() throws {
        XCTAssertEqual(try MonitoringServer.Listener("http://:8083").host, "0.0.0.0")
        XCTAssertEqual(try MonitoringServer.Listener("http://127.0.0.1:9000, http://[::1]:9001").port, 9000)
        for bad in ["https://h:1", "127.0.0.1:8083", "http://h", "http://h:70000"] {
            XCTAssertThrowsError(try MonitoringServer.Listener(bad), bad) { error in
                XCTAssertEqual((error as? ConfigError)?.key, "listeners")
            }
        }
    }
}
