import Foundation
import Runtime
import TributaryCore
import XCTest

final class FileOffsetStoreTests: XCTestCase {
    func testStoresAndReloadsOffsetsPerConnectorAndPartition() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tributary-offsets-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("offsets.json").path
        let store = try FileOffsetStore(path: path)
        XCTAssertNil(store.offset(connector: "c", partition: ["server": .string("s")]))
        let offset: OffsetMap = [
            "lsn": .int(26_615_128), "txId": .int(764), "lsn_commit": .null, "snapshot": .bool(true),
            "file": .string("x"),
        ]
        try store.store(connector: "c", partition: ["server": .string("s")], offset: offset)
        try store.store(connector: "other", partition: ["server": .string("s")], offset: ["lsn": .int(1)])
        let reloaded = try FileOffsetStore(path: path)
        XCTAssertEqual(reloaded.offset(connector: "c", partition: ["server": .string("s")]), offset)
        XCTAssertEqual(reloaded.offset(connector: "other", partition: ["server": .string("s")]), ["lsn": .int(1)])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(
            text.contains(#"[\"c\",{\"server\":\"s\"}]"#), "keys use Kafka Connect's offset key form: \(text)")
    }

    func testRejectsAFileThatIsNotOffsets() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-bad-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("[1,2]".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try FileOffsetStore(path: path)) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "offset.storage.file.filename")
        }
    }

    /// Several connectors storing at once: the file must end with every connector's newest offset (writing
    /// outside the lock let an older snapshot of the offsets be written last).
    func testConcurrentStoresKeepEveryConnectorsNewestOffset() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-race-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("offsets.json").path
        let store = try FileOffsetStore(path: path)
        let connectors = 3
        for round in 1...2000 {
            // Each connector stores its newest offset at the same moment; the file must then hold all of them.
            DispatchQueue.concurrentPerform(iterations: connectors) { c in
                try? store.store(
                    connector: "c\(c)", partition: ["server": .string("s")], offset: ["n": .int(Int64(round))])
            }
            let reloaded = try FileOffsetStore(path: path)
            for c in 0..<connectors {
                let stored = reloaded.offset(connector: "c\(c)", partition: ["server": .string("s")])
                guard stored == ["n": .int(Int64(round))] else {
                    return XCTFail("round \(round): connector c\(c) has \(String(describing: stored)) in the file")
                }
            }
        }
    }
}
