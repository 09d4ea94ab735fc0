import Foundation
import TributaryCore

#if canImport(Glibc)
import Glibc
#endif

/// A loopback front for a PostgreSQL server that answers its first `refusals` connections as a server that is still
/// starting up does (`FATAL 57P03`), then passes connections through to the server. It stages the moment a
/// restarted server becomes ready between one connection and the next, which a real restart produces only by chance.
final class StartingUpFront: Sendable {
    let port: Int
    private let listener: Int32
    private let targetPort: Int
    /// Refusals left to give, and refusals given.
    private let refusals: Locked<(left: Int, given: Int)>

    /// How many connections were refused so far.
    var refused: Int { refusals.withLock { $0.given } }

    init(targetPort: Int, refusals: Int) throws {
        self.targetPort = targetPort
        self.refusals = Locked((left: refusals, given: 0))
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 16) == 0 else {
            close(listener)
            throw IntegrationFailure("the starting-up front cannot listen: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        self.listener = listener
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Stops accepting; the accept loop closes the listener.
    func shutDown() { shutdown(listener, Int32(SHUT_RDWR)) }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { break }
            let refuse = refusals.withLock { refusals in
                guard refusals.left > 0 else { return false }
                refusals.left -= 1
                refusals.given += 1
                return true
            }
            if refuse {
                Self.refuseAsStartingUp(client)
            } else {
                Thread { [self] in passThrough(client) }.start()
            }
        }
        close(listener)
    }

    /// Declines SSL and GSS encryption requests, reads the startup message, and answers with the error a server
    /// that is starting up sends.
    private static func refuseAsStartingUp(_ client: Int32) {
        defer { close(client) }
        while let header = readFully(client, count: 8) {
            let length = header[0..<4].reduce(0) { $0 << 8 | Int($1) }
            let code = header[4..<8].reduce(0) { $0 << 8 | Int($1) }
            if code == 80_877_103 || code == 80_877_104 {
                guard writeFully(client, [UInt8(ascii: "N")]) else { return }
                continue
            }
            guard length >= 8, readFully(client, count: length - 8) != nil else { return }
            var fields: [UInt8] = []
            for (tag, text) in [
                ("S", "FATAL"), ("V", "FATAL"), ("C", "57P03"), ("M", "the database system is starting up"),
            ] {
                fields.append(UInt8(ascii: Unicode.Scalar(tag)!))
                fields.append(contentsOf: Array(text.utf8) + [0])
            }
            fields.append(0)
            let total = UInt32(fields.count + 4)
            let message = [UInt8(ascii: "E")] + withUnsafeBytes(of: total.bigEndian) { Array($0) } + fields
            _ = writeFully(client, message)
            return
        }
    }

    /// Copies bytes both ways between the client and the server until either side closes.
    private func passThrough(_ client: Int32) {
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: targetPort)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(server)
            close(client)
            return
        }
        let upstreamDone = DispatchSemaphore(value: 0)
        Thread {
            Self.pump(from: client, to: server)
            upstreamDone.signal()
        }.start()
        Self.pump(from: server, to: client)
        shutdown(client, Int32(SHUT_RDWR))
        shutdown(server, Int32(SHUT_RDWR))
        upstreamDone.wait()
        close(client)
        close(server)
    }

    private static func pump(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            guard count > 0, writeFully(destination, Array(buffer[0..<count])) else { break }
        }
        shutdown(destination, Int32(SHUT_WR))
    }

    private static func readFully(_ fd: Int32, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, count - done) }
            guard n > 0 else { return nil }
            done += n
        }
        return bytes
    }

    private static func writeFully(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
