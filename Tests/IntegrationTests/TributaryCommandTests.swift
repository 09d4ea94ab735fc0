import Foundation
import KafkaClient
import XCTest

@testable import PostgresSource

/// The `tributary` executable as a user runs it: bad input gives a clear message and a failing exit code, and
/// passwords never reach the output.
final class TributaryCommandTests: XCTestCase {
    private var work = URL(fileURLWithPath: "/")

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent(IntegrationEnvironment.uniqueName("cli"))
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: work) }

    private func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = IntegrationEnvironment.executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    private func write(_ name: String, _ text: String) throws -> String {
        let url = work.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Worker properties with the test broker and an offsets file in the work directory.
    private func brokerWorker() throws -> String {
        try write(
            "worker.properties",
            "bootstrap.servers=127.0.0.1:\(IntegrationEnvironment.kafkaPort)\n"
                + "offset.storage.file.filename=\(work.path)/o.json\n")
    }

    /// Runs a Postgres connector whose password is `TopSecret123`, with the given `database.port`.
    private func runPostgresConnector(port: String) throws -> (status: Int32, output: String) {
        let worker = try brokerWorker()
        let connector = try write(
            "c.properties",
            """
            name=c
            connector.class=io.debezium.connector.postgresql.PostgresConnector
            database.hostname=127.0.0.1
            database.port=\(port)
            database.user=u
            database.password=TopSecret123
            database.dbname=d
            topic.prefix=p
            """)
        return try run(["standalone", worker, connector])
    }

    func testMalformedConnectorConfigNamesTheKeyAndHidesThePassword() throws {
        let (status, output) = try runPostgresConnector(port: "not-a-port")
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(output.contains("database.port"), output)
        XCTAssertFalse(output.contains("TopSecret123"), output)
    }

    func testMissingWorkerKeyAndUnknownConnectorClass() throws {
        let worker = try write("worker.properties", "offset.storage.file.filename=\(work.path)/o.json\n")
        let connector = try write("c.properties", "name=c\nconnector.class=com.example.Nope\n")
        var (status, output) = try run(["standalone", worker, connector])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(output.contains("bootstrap.servers"), output)
        let goodWorker = try write(
            "w2.properties", "bootstrap.servers=x:1\noffset.storage.file.filename=\(work.path)/o.json\n")
        (status, output) = try run(["standalone", goodWorker, connector])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(output.contains("connector.class"), output)
    }

    func testUnreachableDatabaseFailsWithTheServerNamedAndNoPassword() throws {
        let (status, output) = try runPostgresConnector(port: "1")
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(output.contains("127.0.0.1:1/d"), output)
        XCTAssertFalse(output.contains("TopSecret123"), output)
    }

    /// `tail` waits for a topic that does not exist yet (a demo's first run), and gives up after `--wait-ms`.
    func testTailWaitsForATopicAndGivesUpInTime() throws {
        var (status, output) = try run([
            "tail", "--bootstrap-servers", IntegrationEnvironment.bootstrapServers, "--wait-ms", "500",
            IntegrationEnvironment.uniqueName("missing"),
        ])
        XCTAssertEqual(status, 66, output)
        XCTAssertTrue(output.contains("does not exist"), output)

        let topic = IntegrationEnvironment.uniqueName("late")
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
            // The topic appears only after tail started waiting for it.
            guard
                let producer = try? KafkaProducer(
                    properties: ["bootstrap.servers": IntegrationEnvironment.bootstrapServers], onDelivery: { _, _ in })
            else { return }
            try? producer.createTopics([topic], partitions: 1, replicationFactor: -1)
            _ = try? producer.produce(topic: topic, key: Array("k".utf8), value: Array("{\"v\":1}".utf8), token: 1)
            try? producer.flush(timeoutMilliseconds: 10_000)
        }
        (status, output) = try run([
            "tail", "--bootstrap-servers", IntegrationEnvironment.bootstrapServers, "--wait-ms", "30000", "--idle-ms",
            "3000", topic,
        ])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("\"value\":{\"v\":1}"), output)
    }

    /// `tail --connector` runs a connector without Kafka and prints its records (here a snapshot, unwrapped by a
    /// transform); the password comes from a config provider; no offsets are stored.
    func testTailRunsAConnectorWithoutKafka() throws {
        let slot = IntegrationEnvironment.uniqueName("tail")
        let table = try IntegrationEnvironment.createTable(slot, "id int PRIMARY KEY, name text")
        defer {
            IntegrationEnvironment.dropSlot(slot)
            _ = try? IntegrationEnvironment.sql().query("DROP TABLE \(table)", purpose: "drop")
        }
        try IntegrationEnvironment.sql().query(
            "INSERT INTO \(table) VALUES (1, 'one'), (2, 'two'), (3, 'three')", purpose: "rows")
        let secrets = try write("secrets.properties", "pg.password=tributary\n")
        let worker = try write(
            "worker.properties",
            """
            offset.storage.file.filename=\(work.path)/offsets.json
            config.providers=file
            config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
            value.converter.schemas.enable=false
            key.converter.schemas.enable=false
            """)
        var connector = IntegrationEnvironment.connectorConfig(
            name: slot, prefix: slot, slot: slot, tables: "public.\(slot)",
            extra: [
                "snapshot.mode": "initial", "database.password": "${file:\(secrets):pg.password}",
                "transforms": "unwrap", "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
            ])
        connector["slot.drop.on.stop"] = "false"
        let properties = try write(
            "c.properties", connector.values.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "\n"))

        let process = Process()
        process.executableURL = IntegrationEnvironment.executable
        process.arguments = ["tail", "--connector", properties, "--worker", worker, "--max", "3"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, stderr)
        let lines = stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) }
        XCTAssertEqual(lines.count, 3, stdout)
        let values = lines.compactMap { ($0 as? [String: Any])?["value"] as? [String: Any] }
        XCTAssertEqual(values.compactMap { $0["name"] as? String }, ["one", "two", "three"], stdout)
        XCTAssertEqual((lines.first as? [String: Any])?["topic"] as? String, "\(slot).public.\(slot)")
        XCTAssertFalse(stderr.contains("password=tributary") || stderr.contains("${file:"), stderr)
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: work.appendingPathComponent("offsets.json").path),
            "no offsets stored without --commit-offsets")
    }

    /// `tributary validate` against PostgreSQL: a role without REPLICATION that may neither read the table nor
    /// create the publication, and a table without a key, each named with its fix (exit 1, no password shown);
    /// then the test role, for which everything is in place but the keyless table's warning (exit 0).
    func testValidateNamesWhatToFixInPostgres() throws {
        let name = IntegrationEnvironment.uniqueName("val")
        let table = try IntegrationEnvironment.createTable(name, "a int, b text")
        let db = try IntegrationEnvironment.sql()
        try db.query("CREATE ROLE \(name)_r LOGIN PASSWORD 'Secret4Validate'", purpose: "create role")
        defer {
            _ = try? db.query("DROP TABLE \(table); DROP ROLE \(name)_r", purpose: "drop")
        }
        var config = IntegrationEnvironment.connectorConfig(
            name: name, prefix: name, slot: name, tables: "public.\(name)", extra: ["snapshot.mode": "initial"])
        config["database.user"] = "\(name)_r"
        config["database.password"] = "Secret4Validate"
        let weak = try write("weak.properties", config.values.map { "\($0.key)=\($0.value)" }.joined(separator: "\n"))
        let (status, output) = try run(["validate", weak])
        XCTAssertEqual(status, 1, output)
        for expected in [
            "FAILED  role \(name)_r: lacks the REPLICATION attribute", "fix: ALTER ROLE",
            "FAILED  table public.\(name): this role may not SELECT", "GRANT SELECT ON",
            "FAILED  publication \(name)", "REPLICA IDENTITY FULL", "ok      wal_level: logical",
        ] {
            XCTAssertTrue(output.contains(expected), "\(expected) missing in:\n\(output)")
        }
        XCTAssertFalse(output.contains("Secret4Validate"), output)

        config["database.user"] = "tributary"
        config["database.password"] = "tributary"
        let good = try write("good.properties", config.values.map { "\($0.key)=\($0.value)" }.joined(separator: "\n"))
        let worker = try brokerWorker()
        let (goodStatus, goodOutput) = try run(["validate", good, "--worker", worker])
        XCTAssertEqual(goodStatus, 0, goodOutput)
        XCTAssertTrue(goodOutput.contains("ok      broker: "), goodOutput)
        XCTAssertTrue(goodOutput.contains("does not exist yet; the connector creates it"), goodOutput)
        XCTAssertTrue(goodOutput.contains("0 problems to fix, 1 warning."), goodOutput)
    }

    /// `tributary validate` against MariaDB: the binlog settings and the test user's privileges are in place; a
    /// user with SELECT only lacks the replication privileges, each named with its GRANT.
    func testValidateChecksMariaDBSettingsAndPrivileges() throws {
        let (database, work) = try MariaDBEnvironment.prepare("val", for: self)
        try MariaDBEnvironment.sql("CREATE TABLE \(database).t (id int PRIMARY KEY)")
        let user = database + "_u"
        try MariaDBEnvironment.sql(
            "CREATE USER '\(user)'@'%' IDENTIFIED BY 'Secret4Maria'; GRANT SELECT ON *.* TO '\(user)'@'%'")
        addTeardownBlock { _ = try? MariaDBEnvironment.sql("DROP USER '\(user)'@'%'") }
        var config = MariaDBEnvironment.connectorConfig(database, work: work)
        let good = try write("m.properties", config.values.map { "\($0.key)=\($0.value)" }.joined(separator: "\n"))
        let (status, output) = try run(["validate", good])
        XCTAssertEqual(status, 0, output)
        for expected in [
            "ok      binlog_format: ROW", "ok      binlog_row_image: FULL", "ok      REPLICATION SLAVE: granted",
            "ok      captured tables: 1: \(database).t",
        ] {
            XCTAssertTrue(output.contains(expected), "\(expected) missing in:\n\(output)")
        }
        config["database.user"] = user
        config["database.password"] = "Secret4Maria"
        let weak = try write("w.properties", config.values.map { "\($0.key)=\($0.value)" }.joined(separator: "\n"))
        let (weakStatus, weakOutput) = try run(["validate", weak])
        XCTAssertEqual(weakStatus, 1, weakOutput)
        XCTAssertTrue(weakOutput.contains("FAILED  REPLICATION SLAVE"), weakOutput)
        XCTAssertTrue(weakOutput.contains("fix: GRANT REPLICATION CLIENT ON *.* TO \(user)"), weakOutput)
        XCTAssertFalse(weakOutput.contains("Secret4Maria"), weakOutput)
    }

    /// `tributary standalone` serves `/`, `/health` and `/metrics` on `listeners` while it captures; the task's
    /// counters reach Prometheus' text.
    func testMetricsAndHealthOverHTTP() throws {
        let slot = IntegrationEnvironment.uniqueName("http")
        let table = try IntegrationEnvironment.createTable(slot, "id int PRIMARY KEY")
        defer {
            IntegrationEnvironment.dropSlot(slot)
            _ = try? IntegrationEnvironment.sql().query("DROP TABLE \(table)", purpose: "drop")
        }
        try IntegrationEnvironment.sql().query("INSERT INTO \(table) SELECT generate_series(1, 5)", purpose: "rows")
        let port = try PrivateBroker.freePort()
        let worker = try write(
            "worker.properties",
            """
            bootstrap.servers=\(IntegrationEnvironment.bootstrapServers)
            offset.storage.file.filename=\(work.path)/offsets.json
            offset.flush.interval.ms=200
            listeners=http://127.0.0.1:\(port)
            """)
        var connector = IntegrationEnvironment.connectorConfig(
            name: slot, prefix: slot, slot: slot, tables: "public.\(slot)", extra: ["snapshot.mode": "initial"])
        connector["topic.creation.default.partitions"] = "1"
        let properties = try write(
            "c.properties", connector.values.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "\n"))
        let process = Process()
        process.executableURL = IntegrationEnvironment.executable
        process.arguments = ["standalone", worker, properties]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning {
                kill(process.processIdentifier, SIGINT)
                process.waitUntilExit()
            }
        }
        let written = "kafka_connect_source_task_metrics_source_record_write_total{connector=\"\(slot)\",task=\"0\"} 5"
        let snapshot = "{connector=\"\(slot)\",context=\"snapshot\""
        let expected = [
            written, "debezium_metrics_rows_scanned\(snapshot),table=\"public.\(slot)\"} 5",
            "debezium_metrics_snapshot_completed\(snapshot)} 1", "debezium_metrics_remaining_table_count\(snapshot)} 0",
            "debezium_metrics_total_table_count\(snapshot)} 1",
        ]
        var metrics = ""
        let deadline = Date().addingTimeInterval(60)
        while !expected.allSatisfy(metrics.contains) && Date() < deadline {
            metrics = (try? Self.get("http://127.0.0.1:\(port)/metrics").body) ?? ""
            Thread.sleep(forTimeInterval: 0.3)
        }
        for line in expected { XCTAssertTrue(metrics.contains(line), "\(line) missing in:\n\(metrics)") }
        XCTAssertTrue(metrics.contains("kafka_connect_connect_worker_metrics_connector_running_task_count"), metrics)
        let health = try Self.get("http://127.0.0.1:\(port)/health")
        XCTAssertEqual(health.status, 200)
        let object = try JSONSerialization.jsonObject(with: Data(health.body.utf8)) as? [String: Any]
        XCTAssertEqual(object?["status"] as? String, "healthy")
        XCTAssertEqual((object?["connectors"] as? [String: String])?[slot], "RUNNING")
        XCTAssertTrue(try Self.get("http://127.0.0.1:\(port)/").body.contains("\"version\""))
        // Full Foundation and its ICU data would cost every worker about 8 MB of memory: nothing may load them.
        // (/proc files have no size: read to their end.)
        let file = try XCTUnwrap(FileHandle(forReadingAtPath: "/proc/\(process.processIdentifier)/maps"))
        let maps = String(decoding: file.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(maps.contains("libswiftCore.so"), maps)
        for library in ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so"] {
            XCTAssertFalse(maps.contains("/" + library), "\(library) is loaded")
        }
    }

    private static func get(_ url: String) throws -> (status: Int, body: String) {
        let response = try PythonHTTP.request("GET", url)
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }
}
