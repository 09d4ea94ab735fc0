import Foundation
import KafkaClient
import Runtime
import TributaryCore
import XCTest

@testable import PostgresSource

/// `heartbeat.interval.ms`, `heartbeat.topics.prefix` and `heartbeat.action.query`, as Debezium 3.6.3 has them.
final class HeartbeatTests: ConnectorTestCase {
    override var slotBase: String { "hb" }

    func testHeartbeatsAsDebeziumSendsThemAndTheSlotStillFollowsTheWAL() throws {
        let db = try IntegrationEnvironment.sql()
        tables.append(try IntegrationEnvironment.createTable("\(slot)_t", "id int PRIMARY KEY"))
        tables.append(try IntegrationEnvironment.createTable("\(slot)_beats", "id serial PRIMARY KEY"))
        tables.append(try IntegrationEnvironment.createTable("\(slot)_other", "id int PRIMARY KEY, filler text"))
        let connector = try RunningConnector(
            IntegrationEnvironment.connectorConfig(
                name: slot, prefix: slot, slot: slot, tables: "public\\.\(slot)_t",
                extra: [
                    "heartbeat.interval.ms": "300",
                    "heartbeat.action.query": "INSERT INTO \(tables[1]) DEFAULT VALUES",
                ]),
            offsetFile: offsetFile)
        defer { try? connector.stop() }
        try IntegrationEnvironment.waitUntilStreaming(slot: slot)
        try db.query("INSERT INTO \(tables[0]) VALUES (1)", purpose: "insert")

        // Heartbeats never stop, so read just three.
        var beats: [ConsumedMessage] = []
        try KafkaConsumer(properties: ["bootstrap.servers": IntegrationEnvironment.bootstrapServers]).forEach(
            topics: ["__debezium-heartbeat.\(slot)"], minimum: 3, timeoutMilliseconds: 30_000
        ) {
            beats.append($0)
            return beats.count < 3
        }
        XCTAssertGreaterThanOrEqual(beats.count, 3)
        let key = try XCTUnwrap(IntegrationEnvironment.json(beats[0].key) as? [String: Any])
        let value = try XCTUnwrap(IntegrationEnvironment.json(beats[0].value) as? [String: Any])
        // Debezium 3.6.3's heartbeat, as its reference run prints it.
        let expectedKeySchema =
            #"{"type":"struct","fields":[{"type":"string","optional":false,"field":"serverName"}],"optional":false,"name":"io.debezium.connector.common.ServerNameKey","version":1}"#
        let expectedValueSchema =
            #"{"type":"struct","fields":[{"type":"int64","optional":false,"field":"ts_ms"}],"optional":false,"name":"io.debezium.connector.common.Heartbeat","version":1}"#
        XCTAssertEqual(
            DebeziumReferenceComparisonTests.canonical(key["schema"] as Any),
            DebeziumReferenceComparisonTests.canonical(
                try JSONSerialization.jsonObject(with: Data(expectedKeySchema.utf8))))
        XCTAssertEqual(
            DebeziumReferenceComparisonTests.canonical(value["schema"] as Any),
            DebeziumReferenceComparisonTests.canonical(
                try JSONSerialization.jsonObject(with: Data(expectedValueSchema.utf8))))
        XCTAssertEqual((key["payload"] as? [String: Any])?["serverName"] as? String, slot)
        let now = Int(Date().timeIntervalSince1970 * 1000)
        let ts = try XCTUnwrap((value["payload"] as? [String: Any])?["ts_ms"] as? Int)
        XCTAssertLessThan(abs(now - ts), 120_000)

        let runs = try db.query("SELECT count(*) FROM \(tables[1])", purpose: "count heartbeat queries")
        XCTAssertGreaterThanOrEqual(Int((runs.first?.first ?? nil) ?? "") ?? 0, 3, "heartbeat.action.query ran")

        // Heartbeats carry the newest record's position: acknowledging them must not hold the slot back.
        try db.query(
            "INSERT INTO \(tables[2]) SELECT g, repeat(md5(g::text), 30) FROM generate_series(1, 10000) g",
            purpose: "write to an uncaptured table")
        let written = try IntegrationEnvironment.currentWAL()
        let lag = try slotLag(behind: written, within: 4_000_000)
        XCTAssertLessThan(lag, 4_000_000, "the slot stayed \(lag) bytes behind the WAL")
    }
}
