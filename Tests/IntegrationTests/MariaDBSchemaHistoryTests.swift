import Foundation
import KafkaClient
import TributaryCore
import XCTest

@testable import MySQLSource

/// The schema history in a Kafka topic (`schema.history.internal.kafka.*`): created with one partition, written
/// in Debezium's record format, and replayed at start so that a restart reads the binlog with the schemas that
/// held at its offsets.
final class MariaDBSchemaHistoryTests: XCTestCase {
    private func kafkaHistory(_ db: String, _ work: URL, _ extra: [String: String] = [:]) -> Config {
        var config = MariaDBEnvironment.connectorConfig(db, work: work, extra)
        config["schema.history.internal.file.filename"] = nil
        config["schema.history.internal.kafka.topic"] = db + "-history"
        config["schema.history.internal.kafka.bootstrap.servers"] = IntegrationEnvironment.bootstrapServers
        return config
    }

    private func rows(_ messages: [ConsumedMessage]) throws -> [[String: Any]] {
        try messages.compactMap { m in
            let payload = (try IntegrationEnvironment.json(m.value) as? [String: Any])?["payload"] as? [String: Any]
            return payload?["after"] as? [String: Any]
        }
    }

    func testTheHistoryInKafkaRebuildsTheSchemasAtTheStoredOffsets() throws {
        let (db, work) = try MariaDBEnvironment.prepare("mdbkh", for: self)
        try MariaDBEnvironment.sql(
            "USE \(db); CREATE TABLE t (id int PRIMARY KEY, name varchar(20)); INSERT INTO t VALUES (1, 'a')")
        let offsets = work.path + "/offsets.json"
        let topic = "\(db).\(db).t"
        var connector = try RunningConnector(kafkaHistory(db, work), offsetFile: offsets)
        _ = try IntegrationEnvironment.consume([topic], count: 1)
        try MariaDBEnvironment.sql(
            "USE \(db); ALTER TABLE t ADD COLUMN note varchar(10) DEFAULT 'n'; INSERT INTO t (id) VALUES (2)")
        _ = try IntegrationEnvironment.consume([topic], count: 2)
        try connector.stop()
        // The file the tests use otherwise must play no part.
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.path + "/history.jsonl"))

        // While the connector is away: rows in the schema it knows, then another change of schema.
        try MariaDBEnvironment.sql(
            """
            USE \(db); INSERT INTO t VALUES (3, 'c', 'x');
            ALTER TABLE t DROP COLUMN name; INSERT INTO t VALUES (4, 'y');
            """)
        connector = try RunningConnector(kafkaHistory(db, work), offsetFile: offsets)
        let messages = try IntegrationEnvironment.consume([topic], count: 4)
        try connector.stop()
        let after = try rows(messages)
        XCTAssertEqual(after.compactMap { $0["id"] as? Int }, [1, 2, 3, 4])
        XCTAssertEqual(after[2]["name"] as? String, "c", "row 3 read with the schema of its time")
        XCTAssertEqual(after[2]["note"] as? String, "x")
        XCTAssertNil(after[3]["name"])
        XCTAssertEqual(after[3]["note"] as? String, "y")

        let consumer = try KafkaConsumer(properties: ["bootstrap.servers": IntegrationEnvironment.bootstrapServers])
        XCTAssertEqual(try consumer.partitionCount(topic: db + "-history"), 1)
        let records = try IntegrationEnvironment.consume([db + "-history"], count: 5).compactMap {
            try IntegrationEnvironment.json($0.value) as? [String: Any]
        }
        let ddl = records.compactMap { $0["ddl"] as? String }
        XCTAssertEqual(ddl.filter { $0.hasPrefix("ALTER TABLE") }.count, 2, "each statement once: \(ddl)")
        XCTAssertEqual(ddl.first, "-- schema snapshot")
        XCTAssertEqual(records.last?["databaseName"] as? String, db)
        XCTAssertEqual((records.last?["source"] as? [String: Any])?["server"] as? String, db)
        XCTAssertNotNil((records.last?["position"] as? [String: Any])?["pos"] as? Int)
    }

    func testAHistoryTopicOfSeveralPartitionsIsRefusedNamingTheKey() throws {
        let (db, work) = try MariaDBEnvironment.prepare("mdbkp", for: self)
        try MariaDBEnvironment.sql("USE \(db); CREATE TABLE t (id int PRIMARY KEY)")
        let producer = try KafkaProducer(properties: ["bootstrap.servers": IntegrationEnvironment.bootstrapServers]) {
            _, _ in
        }
        try producer.createTopics([db + "-history"], partitions: 4, replicationFactor: -1)
        let connector = try RunningConnector(kafkaHistory(db, work), offsetFile: work.path + "/offsets.json")
        let error = connector.waitForFailure(seconds: 60)
        XCTAssertTrue(
            "\(error.map { "\($0)" } ?? "")".contains("schema.history.internal.kafka.topic"),
            "\(String(describing: error))")
        XCTAssertTrue("\(error.map { "\($0)" } ?? "")".contains("4 partitions"), "\(String(describing: error))")
    }
}
