import Foundation
import XCTest

@testable import PostgresSource

/// A test that runs a connector on a slot of its own, with an offsets file and tables that are dropped after it.
class ConnectorTestCase: XCTestCase {
    /// The slot, publication, connector name and topic prefix of this test.
    var slot = ""
    var offsetFile = ""
    /// Tables to drop after the test (qualified names).
    var tables: [String] = []

    /// The base of the slot's name.
    var slotBase: String { "it" }

    override func setUp() {
        slot = IntegrationEnvironment.uniqueName(slotBase)
        offsetFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(slot)-offsets.json").path
        tables = []
    }

    override func tearDown() {
        IntegrationEnvironment.dropSlot(slot)
        try? FileManager.default.removeItem(atPath: offsetFile)
        for t in tables { _ = try? IntegrationEnvironment.sql().query("DROP TABLE IF EXISTS \(t)", purpose: "drop") }
    }

    /// Waits until the slot is confirmed within `bytes` of `lsn`; returns how far behind it stayed.
    func slotLag(behind lsn: LSN, within bytes: UInt64, timeout: TimeInterval = 20) throws -> UInt64 {
        let deadline = Date().addingTimeInterval(timeout)
        var lag = UInt64.max
        while Date() < deadline {
            let confirmed = try IntegrationEnvironment.confirmedFlushLSN(slot: slot) ?? .zero
            lag = lsn.value > confirmed.value ? lsn.value - confirmed.value : 0
            if lag < bytes { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return lag
    }
}
