import Foundation
import KafkaClient
import TributaryCore
import XCTest

@testable import MySQLSource

/// The MariaDB connector against the real server and broker: snapshot, streaming of every kind of column, DDL,
/// and resuming in the middle of a transaction.
final class MariaDBConnectorTests: XCTestCase {
    private func prepare(_ base: String) throws -> (database: String, work: URL) {
        try MariaDBEnvironment.prepare(base, for: self)
    }

    private func config(_ database: String, _ work: URL, _ extra: [String: String] = [:]) -> Config {
        MariaDBEnvironment.connectorConfig(database, work: work, extra)
    }

    /// Waits until a `no_data` start fixed its binlog position: its schema change events (the database's and one
    /// per table) are in Kafka. Changes made before that are not the stream's.
    private func waitForSchemaSnapshot(_ db: String, tables: Int) throws {
        let events = try IntegrationEnvironment.consume([db], count: 1 + tables)
        guard events.count >= 1 + tables else { throw IntegrationFailure("no schema snapshot of \(db)") }
    }

    private func payloads(_ messages: [ConsumedMessage]) throws -> [[String: Any]] {
        try messages.compactMap { m in
            guard let value = try IntegrationEnvironment.json(m.value) as? [String: Any] else { return nil }
            return value["payload"] as? [String: Any]
        }
    }

    func testSnapshotThenStreamingOfEveryKindOfColumn() throws {
        let (db, work) = try prepare("mdb")
        try MariaDBEnvironment.sql(
            """
            SET NAMES utf8mb4;
            USE \(db);
            CREATE TABLE kinds (
              id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, tiny tinyint, big bigint unsigned,
              flag bool, price decimal(10,2) NOT NULL DEFAULT 1.50, f float, d double, name varchar(20) charset latin1,
              body text charset utf8mb4, raw varbinary(8), fixed binary(3), mood enum('sad','happy'),
              tags set('a','b','c'), y year, day date, t time(3), dt datetime(6), ts timestamp(3) NULL,
              bits bit(10), pt point, doc json
            );
            INSERT INTO kinds VALUES (1, -8, 18446744073709551615, true, 12.34, 1.5, -2.25, 'café', 'ünï',
              x'0102', x'01', 'happy', 'a,c', 2024, '2024-02-29', '-01:02:03.456', '2024-01-02 03:04:05.678901',
              '2024-01-02 03:04:05.120', b'1000000001', ST_GeomFromText('POINT(1 2)'), '{"k": [1, 2]}');
            """)
        let connector = try RunningConnector(config(db, work), offsetFile: work.path + "/offsets.json")
        let topic = "\(db).\(db).kinds"
        var messages = try IntegrationEnvironment.consume([topic], count: 1)
        XCTAssertEqual(messages.count, 1)
        try MariaDBEnvironment.sql(
            """
            USE \(db);
            INSERT INTO kinds (id, name, day) VALUES (2, 'Bob', '0000-00-00');
            UPDATE kinds SET price = 99.99, name = 'Ann' WHERE id = 1;
            ALTER TABLE kinds ADD COLUMN note varchar(10) NOT NULL DEFAULT 'n/a' AFTER id;
            INSERT INTO kinds (id, note) VALUES (3, 'after');
            DELETE FROM kinds WHERE id = 2;
            """)
        messages = try IntegrationEnvironment.consume([topic], count: 6)
        try connector.stop()
        let events = try payloads(messages)
        XCTAssertEqual(events.map { $0["op"] as? String }, ["r", "c", "u", "c", "d"])
        XCTAssertEqual(messages.count, 6, "the delete's tombstone")
        XCTAssertNil(messages.last?.value)

        let snapshot = try XCTUnwrap(events[0]["after"] as? [String: Any])
        XCTAssertEqual(snapshot["tiny"] as? Int, -8)
        XCTAssertEqual(snapshot["big"] as? Int, -1, "bigint.unsigned.handling.mode=long")
        XCTAssertEqual(snapshot["flag"] as? Int, 1, "SHOW CREATE TABLE says tinyint(1)")
        XCTAssertEqual(snapshot["price"] as? String, Base64.encodeString([0x04, 0xD2]))
        XCTAssertEqual(snapshot["name"] as? String, "café")
        XCTAssertEqual(snapshot["body"] as? String, "ünï")
        XCTAssertEqual(snapshot["raw"] as? String, "AQI=")
        XCTAssertEqual(snapshot["fixed"] as? String, "AQAA", "BINARY(3) padded with zero bytes")
        XCTAssertEqual(snapshot["mood"] as? String, "happy")
        XCTAssertEqual(snapshot["tags"] as? String, "a,c")
        XCTAssertEqual(snapshot["y"] as? Int, 2024)
        XCTAssertEqual(snapshot["day"] as? Int, 19782)
        XCTAssertEqual(snapshot["t"] as? Int, -3_723_456_000)
        XCTAssertEqual(snapshot["dt"] as? Int, 1_704_164_645_678_901)
        XCTAssertEqual(snapshot["ts"] as? String, "2024-01-02T03:04:05.120Z")
        XCTAssertEqual(snapshot["bits"] as? String, Base64.encodeString([0x01, 0x02]))
        XCTAssertEqual((snapshot["pt"] as? [String: Any])?["x"] as? Double, 1)
        XCTAssertEqual(snapshot["doc"] as? String, "{\"k\": [1, 2]}")
        let snapshotSource = try XCTUnwrap(events[0]["source"] as? [String: Any])
        XCTAssertEqual(snapshotSource["snapshot"] as? String, "last")
        XCTAssertEqual(snapshotSource["connector"] as? String, "mariadb")
        XCTAssertEqual(snapshotSource["db"] as? String, db)
        XCTAssertEqual(snapshotSource["table"] as? String, "kinds")

        let inserted = try XCTUnwrap(events[1]["after"] as? [String: Any])
        XCTAssertTrue(inserted["day"] is NSNull, "a zero date of a nullable column is null")
        XCTAssertEqual(inserted["price"] as? String, Base64.encodeString([0x00, 0x96]), "the column's default")
        let updated = try XCTUnwrap(events[2]["after"] as? [String: Any])
        let before = try XCTUnwrap(events[2]["before"] as? [String: Any])
        XCTAssertEqual(before["name"] as? String, "café")
        XCTAssertEqual(updated["name"] as? String, "Ann")
        XCTAssertEqual(updated["t"] as? Int, -3_723_456_000, "the binlog's TIME2 as the snapshot's text")
        XCTAssertEqual(updated["dt"] as? Int, 1_704_164_645_678_901)
        XCTAssertEqual(updated["bits"] as? String, Base64.encodeString([0x01, 0x02]))
        XCTAssertEqual(updated["doc"] as? String, "{\"k\": [1, 2]}")
        let streamed = try XCTUnwrap(events[1]["source"] as? [String: Any])
        XCTAssertEqual(streamed["snapshot"] as? String, "false")
        XCTAssertTrue((streamed["gtid"] as? String)?.hasPrefix("0-1-") ?? false, "\(streamed)")
        XCTAssertNotNil(streamed["file"] as? String)
        let afterDDL = try XCTUnwrap(events[3]["after"] as? [String: Any])
        XCTAssertEqual(afterDDL["note"] as? String, "after")
        XCTAssertEqual(Array(afterDDL.keys).count, 22)
    }

    func testMariaDBUUIDColumnsAreDebeziumUuidTextInSnapshotAndStream() throws {
        let (db, work) = try prepare("mdbuuid")
        // The second value ends in zero bytes, which the binlog leaves out.
        let values = ["12345678-9abc-4def-8123-456789abcdef", "12345678-9abc-1def-8123-456789ab0000"]
        try MariaDBEnvironment.sql(
            """
            USE \(db); CREATE TABLE u (id int PRIMARY KEY, v uuid, n uuid NOT NULL);
            INSERT INTO u VALUES (1, '\(values[0])', '\(values[1])'), (2, NULL, '\(values[0])');
            """)
        let connector = try RunningConnector(config(db, work), offsetFile: work.path + "/offsets.json")
        let topic = "\(db).\(db).u"
        _ = try IntegrationEnvironment.consume([topic], count: 2)
        try MariaDBEnvironment.sql(
            "INSERT INTO \(db).u VALUES (3, '\(values[0])', '\(values[1])'), (4, NULL, '\(values[0])')")
        let messages = try IntegrationEnvironment.consume([topic], count: 4)
        try connector.stop()
        let afters = try payloads(messages).compactMap { $0["after"] as? [String: Any] }
        XCTAssertEqual(afters.map { $0["id"] as? Int }, [1, 2, 3, 4])
        XCTAssertEqual(afters.map { $0["v"] as? String }, [values[0], nil, values[0], nil])
        XCTAssertEqual(afters.map { $0["n"] as? String }, [values[1], values[0], values[1], values[0]])
        let schema = try XCTUnwrap(IntegrationEnvironment.json(messages[0].value) as? [String: Any])["schema"]
        let after = try XCTUnwrap(
            ((schema as? [String: Any])?["fields"] as? [[String: Any]])?.first { $0["field"] as? String == "after" })
        let fields = try XCTUnwrap(after["fields"] as? [[String: Any]])
        XCTAssertEqual(fields.map { $0["name"] as? String }, [nil, "io.debezium.data.Uuid", "io.debezium.data.Uuid"])
        XCTAssertEqual(fields.map { $0["optional"] as? Bool }, [false, true, false])
    }

    func testAStopInTheMiddleOfATransactionResumesWithoutGapOrRepeat() throws {
        let (db, work) = try prepare("mdbresume")
        try MariaDBEnvironment.sql("USE \(db); CREATE TABLE t (id int PRIMARY KEY, v varchar(200))")
        let offsets = work.path + "/offsets.json"
        let settings = config(db, work, ["max.batch.size": "50"])
        var connector = try RunningConnector(settings, offsetFile: offsets)
        let topic = "\(db).\(db).t"
        // One transaction of 3,000 rows: several rows events of many rows each.
        var sql = "USE \(db); BEGIN;"
        for batch in 0..<30 {
            sql += "INSERT INTO t VALUES "
            sql += (0..<100).map { "(\(batch * 100 + $0), '\(String(repeating: "x", count: 150))')" }.joined(
                separator: ",")
            sql += ";"
        }
        sql += "COMMIT;"
        try MariaDBEnvironment.sql(sql)
        _ = try IntegrationEnvironment.consume([topic], count: 200, timeout: 60_000)
        try connector.stop()
        connector = try RunningConnector(settings, offsetFile: offsets)
        let messages = try IntegrationEnvironment.consume([topic], count: 3000, timeout: 90_000)
        try connector.stop()
        let ids = try payloads(messages).compactMap { ($0["after"] as? [String: Any])?["id"] as? Int }
        XCTAssertEqual(ids.count, 3000, "every row once: \(ids.count) events")
        XCTAssertEqual(Set(ids).count, 3000)
    }

    func testAMissingSchemaHistoryIsAClearError() throws {
        let (db, work) = try prepare("mdbhist")
        try MariaDBEnvironment.sql("USE \(db); CREATE TABLE t (id int PRIMARY KEY)")
        let offsets = work.path + "/offsets.json"
        var connector = try RunningConnector(config(db, work, ["snapshot.mode": "no_data"]), offsetFile: offsets)
        try waitForSchemaSnapshot(db, tables: 1)
        try MariaDBEnvironment.sql("USE \(db); INSERT INTO t VALUES (1)")
        _ = try IntegrationEnvironment.consume(["\(db).\(db).t"], count: 1)
        try connector.stop()
        try FileManager.default.removeItem(atPath: work.path + "/history.jsonl")
        connector = try RunningConnector(config(db, work), offsetFile: offsets)
        let error = connector.waitForFailure(seconds: 30)
        XCTAssertTrue(
            "\(error.map { "\($0)" } ?? "")".contains("snapshot.mode=recovery"), "\(String(describing: error))")
        connector = try RunningConnector(config(db, work, ["snapshot.mode": "recovery"]), offsetFile: offsets)
        try MariaDBEnvironment.sql("USE \(db); INSERT INTO t VALUES (2)")
        let messages = try IntegrationEnvironment.consume(["\(db).\(db).t"], count: 2)
        try connector.stop()
        XCTAssertEqual(
            try payloads(messages).compactMap { ($0["after"] as? [String: Any])?["id"] as? Int }, [1, 2])
    }

    func testSchemaChangesGoToThePrefixTopic() throws {
        let (db, work) = try prepare("mdbddl")
        try MariaDBEnvironment.sql("USE \(db); CREATE TABLE t (id int PRIMARY KEY, name varchar(20) NOT NULL)")
        let connector = try RunningConnector(config(db, work), offsetFile: work.path + "/offsets.json")
        _ = try IntegrationEnvironment.consume([db], count: 2)
        try MariaDBEnvironment.sql(
            "USE \(db); ALTER TABLE t ADD COLUMN mood enum('sad','happy') DEFAULT 'sad' AFTER id; CREATE TABLE u (x int)"
        )
        let messages = try IntegrationEnvironment.consume([db], count: 4)
        try connector.stop()
        let values = try messages.compactMap { try IntegrationEnvironment.json($0.value) as? [String: Any] }
        let payloads = values.compactMap { $0["payload"] as? [String: Any] }
        XCTAssertEqual(
            payloads.compactMap { $0["ddl"] as? String }.map { String($0.prefix(12)) },
            ["CREATE DATABA", "CREATE TABLE", "ALTER TABLE ", "CREATE TABLE"].map { String($0.prefix(12)) })
        XCTAssertEqual(
            (values[2]["schema"] as? [String: Any])?["name"] as? String,
            "io.debezium.connector.mariadb.SchemaChangeValue")
        let key = try XCTUnwrap(try IntegrationEnvironment.json(messages[2].key) as? [String: Any])
        XCTAssertEqual((key["payload"] as? [String: Any])?["databaseName"] as? String, db)
        let alter = payloads[2]
        XCTAssertEqual((alter["source"] as? [String: Any])?["table"] as? String, "t")
        XCTAssertEqual((alter["source"] as? [String: Any])?["snapshot"] as? String, "false")
        XCTAssertEqual((payloads[1]["source"] as? [String: Any])?["snapshot"] as? String, "true")
        let change = try XCTUnwrap((alter["tableChanges"] as? [[String: Any]])?.first)
        XCTAssertEqual(change["type"] as? String, "ALTER")
        XCTAssertEqual(change["id"] as? String, "\"\(db)\".\"t\"")
        let table = try XCTUnwrap(change["table"] as? [String: Any])
        XCTAssertEqual(table["primaryKeyColumnNames"] as? [String], ["id"])
        let columns = try XCTUnwrap(table["columns"] as? [[String: Any]])
        XCTAssertEqual(columns.compactMap { $0["name"] as? String }, ["id", "mood", "name"])
        XCTAssertEqual(columns[1]["enumValues"] as? [String], ["sad", "happy"])
        XCTAssertEqual(columns[1]["position"] as? Int, 2)
        XCTAssertEqual(columns[2]["jdbcType"] as? Int, 12)
        XCTAssertEqual(columns[2]["length"] as? Int, 20)
        XCTAssertEqual(columns[2]["optional"] as? Bool, false)
    }

    func testALostBinlogConnectionIsReconnectedAndResumed() throws {
        let (db, work) = try prepare("mdbkill")
        try MariaDBEnvironment.sql("USE \(db); CREATE TABLE t (id int PRIMARY KEY)")
        var settings = config(db, work, ["snapshot.mode": "no_data"])
        settings["errors.retry.delay.initial.ms"] = "100"
        let connector = try RunningConnector(settings, offsetFile: work.path + "/offsets.json")
        let topic = "\(db).\(db).t"
        try waitForSchemaSnapshot(db, tables: 1)
        try MariaDBEnvironment.sql("USE \(db); INSERT INTO t VALUES (1)")
        XCTAssertEqual(try IntegrationEnvironment.consume([topic], count: 1).count, 1)
        // The server drops the replica's connection (as a restart or a network failure would).
        let serverID = settings["database.server.id"]!
        let dumps = try MariaDBEnvironment.sql(
            "SELECT id FROM information_schema.processlist WHERE command LIKE 'Binlog Dump%'")
        XCTAssertFalse(dumps.isEmpty, "the replica of server id \(serverID) is connected")
        for row in dumps { _ = try? MariaDBEnvironment.sql("KILL \(row[0])") }
        try MariaDBEnvironment.sql("USE \(db); INSERT INTO t VALUES (2); INSERT INTO t VALUES (3)")
        let messages = try IntegrationEnvironment.consume([topic], count: 3, timeout: 60_000)
        try connector.stop()
        let ids = try payloads(messages).compactMap { ($0["after"] as? [String: Any])?["id"] as? Int }
        XCTAssertEqual(IntegrationEnvironment.firstOccurrences(ids), [1, 2, 3])
    }

    func testAPurgedBinlogIsAClearErrorOrANewSnapshotWhenNeeded() throws {
        let (db, work) = try prepare("mdbpurge")
        try MariaDBEnvironment.sql("USE \(db); CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)")
        let offsets = work.path + "/offsets.json"
        var connector = try RunningConnector(config(db, work), offsetFile: offsets)
        _ = try IntegrationEnvironment.consume(["\(db).\(db).t"], count: 1)
        try connector.stop()
        // The transactions after the stored offsets leave the server: their binlog files are purged.
        try MariaDBEnvironment.sql("USE \(db); INSERT INTO t VALUES (2); FLUSH BINARY LOGS")
        let current = try XCTUnwrap(MariaDBEnvironment.sql("SHOW MASTER STATUS").first?.first)
        // The server keeps files a replica's dump thread still reads (the stopped connector's may linger a moment).
        for _ in 0..<60 {
            try MariaDBEnvironment.sql("PURGE BINARY LOGS TO '\(current)'")
            if try MariaDBEnvironment.sql("SHOW BINARY LOGS").first?.first == current { break }
            usleep(500_000)
        }
        XCTAssertEqual(try MariaDBEnvironment.sql("SHOW BINARY LOGS").first?.first, current, "purged")
        connector = try RunningConnector(config(db, work), offsetFile: offsets)
        let error = connector.waitForFailure(seconds: 30)
        XCTAssertTrue("\(error.map { "\($0)" } ?? "")".contains("when_needed"), "\(String(describing: error))")
        connector = try RunningConnector(config(db, work, ["snapshot.mode": "when_needed"]), offsetFile: offsets)
        let messages = try IntegrationEnvironment.consume(["\(db).\(db).t"], count: 3)
        try connector.stop()
        let reads = try payloads(messages).filter { $0["op"] as? String == "r" }
        XCTAssertEqual(
            reads.compactMap { ($0["after"] as? [String: Any])?["id"] as? Int }.suffix(2), [1, 2],
            "a new snapshot reads the table again")
    }

    /// MariaDB resumes by GTID: offsets whose binlog file and position mean nothing on the server (as after a
    /// fail-over to another server of the topology) still resume exactly, with the schemas of their time.
    func testMariaDBResumesByGTIDWhateverTheStoredFile() throws {
        let (db, work) = try prepare("mdbgtid")
        try MariaDBEnvironment.sql("USE \(db); CREATE TABLE t (id int PRIMARY KEY, v int)")
        let offsets = work.path + "/offsets.json"
        var connector = try RunningConnector(config(db, work, ["snapshot.mode": "no_data"]), offsetFile: offsets)
        try waitForSchemaSnapshot(db, tables: 1)
        try MariaDBEnvironment.sql("USE \(db); INSERT INTO t VALUES (1, 1); ALTER TABLE t ADD COLUMN w int FIRST")
        _ = try IntegrationEnvironment.consume(["\(db).\(db).t"], count: 1)
        _ = try IntegrationEnvironment.consume([db], count: 3)
        try connector.stop()
        try MariaDBEnvironment.sql(
            "USE \(db); INSERT INTO t (id, v, w) VALUES (2, 2, 2); INSERT INTO t (id) VALUES (3)")
        let text = try String(contentsOfFile: offsets, encoding: .utf8)
        XCTAssertTrue(text.contains("gtids"), text)
        try text.replacing(try Regex(#"mariadb-bin\.\d+"#), with: "other-bin.000001")
            .replacing(try Regex(#""pos" *: *\d+"#), with: #""pos":4"#)
            .write(toFile: offsets, atomically: true, encoding: .utf8)
        connector = try RunningConnector(config(db, work), offsetFile: offsets)
        let messages = try IntegrationEnvironment.consume(["\(db).\(db).t"], count: 3)
        try connector.stop()
        let after = try payloads(messages).compactMap { $0["after"] as? [String: Any] }
        XCTAssertEqual(after.compactMap { $0["id"] as? Int }, [1, 2, 3], "no gap, no repeat")
        XCTAssertEqual(after.last.flatMap { $0["w"] } as? NSNull, NSNull())
        XCTAssertEqual(after[1]["w"] as? Int, 2, "read with the column added before the stop")
        XCTAssertEqual(after[1]["v"] as? Int, 2)
    }

    func testTransactionMetadata() throws {
        let (db, work) = try prepare("mdbtx")
        try MariaDBEnvironment.sql(
            "USE \(db); CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY)")
        let connector = try RunningConnector(
            config(db, work, ["snapshot.mode": "no_data", "provide.transaction.metadata": "true"]),
            offsetFile: work.path + "/offsets.json")
        try waitForSchemaSnapshot(db, tables: 2)
        try MariaDBEnvironment.sql(
            "USE \(db); BEGIN; INSERT INTO a VALUES (1), (2); INSERT INTO b VALUES (1); COMMIT;")
        let transactions = try IntegrationEnvironment.consume(["\(db).transaction"], count: 2)
        let changes = try IntegrationEnvironment.consume(["\(db).\(db).a", "\(db).\(db).b"], count: 3)
        try connector.stop()
        let markers = try payloads(transactions)
        XCTAssertEqual(markers.map { $0["status"] as? String }, ["BEGIN", "END"])
        let id = try XCTUnwrap(markers[0]["id"] as? String)
        XCTAssertTrue(id.hasPrefix("0-1-"), id)
        XCTAssertEqual(markers[1]["event_count"] as? Int, 3)
        let collections = try XCTUnwrap(markers[1]["data_collections"] as? [[String: Any]])
        XCTAssertEqual(
            Dictionary(
                uniqueKeysWithValues: collections.map { ($0["data_collection"] as! String, $0["event_count"] as! Int) }),
            ["\(db).a": 2, "\(db).b": 1])
        let blocks = try payloads(changes).compactMap { $0["transaction"] as? [String: Any] }
        XCTAssertEqual(blocks.compactMap { $0["total_order"] as? Int }.sorted(), [1, 2, 3])
        XCTAssertEqual(Set(blocks.compactMap { $0["id"] as? String }), [id])
    }

    /// A connector streaming `db` with a heartbeat every 200 ms, each after `action` ran.
    private func heartbeating(_ db: String, _ work: URL, action: String) throws -> RunningConnector {
        try RunningConnector(
            config(
                db, work,
                ["snapshot.mode": "no_data", "heartbeat.interval.ms": "200", "heartbeat.action.query": action]),
            offsetFile: work.path + "/offsets.json")
    }

    func testHeartbeatActionQueryRunsBeforeEachHeartbeat() throws {
        let (db, work) = try prepare("mdbbeat")
        try MariaDBEnvironment.sql("USE \(db); CREATE TABLE beats (id int AUTO_INCREMENT PRIMARY KEY, at datetime(6))")
        let connector = try heartbeating(db, work, action: "INSERT INTO \(db).beats (at) VALUES (now(6))")
        try waitForSchemaSnapshot(db, tables: 1)
        // Nothing else writes: the rows come from the action query. Once three are in, the stream has read the
        // first two (a heartbeat apart) and sent a heartbeat after each.
        let deadline = ContinuousClock.now + .seconds(30)
        while try MariaDBEnvironment.sql("SELECT count(*) FROM \(db).beats").first?.first.flatMap({ Int($0) }) ?? 0 < 3
        {
            guard ContinuousClock.now < deadline else { throw IntegrationFailure("the action query did not run") }
            Thread.sleep(forTimeInterval: 0.1)
        }
        // Stopped first: heartbeats never let the topics go quiet, which is when reading them ends.
        try connector.stop()
        let rows = try IntegrationEnvironment.consume(["\(db).\(db).beats"], count: 2)
        let beats = try IntegrationEnvironment.consume(["__debezium-heartbeat.\(db)"], count: 2)
        XCTAssertGreaterThanOrEqual(rows.count, 2)
        XCTAssertEqual(Set(try payloads(rows).compactMap { $0["op"] as? String }), ["c"])
        XCTAssertGreaterThanOrEqual(beats.count, 2)
    }

    func testAFailingHeartbeatActionQueryStopsTheTaskNamingTheSetting() throws {
        let (db, work) = try prepare("mdbbeatfail")
        let connector = try heartbeating(db, work, action: "INSERT INTO \(db).missing VALUES (1)")
        let error = connector.waitForFailure(seconds: 30)
        let text = error.map { "\($0)" } ?? ""
        XCTAssertTrue(text.contains("heartbeat.action.query"), text)
        XCTAssertTrue(text.contains("missing"), text)
    }

    func testRowChangesFromAnExcludedGTIDSourceAreLeftOut() throws {
        let (db, work) = try prepare("mdbgtidsrc")
        try MariaDBEnvironment.sql("USE \(db); CREATE TABLE t (id int PRIMARY KEY)")
        let connector = try RunningConnector(
            config(db, work, ["snapshot.mode": "no_data", "gtid.source.excludes": "0-7"]),
            offsetFile: work.path + "/offsets.json")
        try waitForSchemaSnapshot(db, tables: 1)
        // A session with server_id 7 writes GTIDs 0-7-n, as a transaction replicated from another primary would.
        try MariaDBEnvironment.sql("INSERT INTO \(db).t VALUES (1)")
        try MariaDBEnvironment.sql("SET SESSION server_id = 7; INSERT INTO \(db).t VALUES (2), (3)")
        try MariaDBEnvironment.sql("INSERT INTO \(db).t VALUES (4)")
        let messages = try IntegrationEnvironment.consume(["\(db).\(db).t"], count: 2)
        try connector.stop()
        XCTAssertEqual(try payloads(messages).compactMap { ($0["after"] as? [String: Any])?["id"] as? Int }, [1, 4])
    }

    func testConfigurationErrorsNameTheKey() throws {
        let work = FileManager.default.temporaryDirectory
        var values = config("x", work).values
        values["schema.history.internal.file.filename"] = nil
        XCTAssertThrowsError(try MySQLConnectorConfig(Config(values), flavor: .mariadb)) { error in
            XCTAssertTrue("\(error)".contains("schema.history.internal.kafka.topic"), "\(error)")
            XCTAssertTrue("\(error)".contains("schema.history.internal.file.filename"), "\(error)")
        }
        values = config("x", work, ["decimal.handling.mode": "exact"]).values
        XCTAssertThrowsError(try MySQLConnectorConfig(Config(values), flavor: .mariadb)) { error in
            XCTAssertTrue("\(error)".contains("decimal.handling.mode"), "\(error)")
        }
        values = config("x", work, ["column.mask.with.five.chars": "x.y.z"]).values
        XCTAssertThrowsError(try MySQLConnectorConfig(Config(values), flavor: .mariadb)) { error in
            XCTAssertTrue("\(error)".contains("column.mask.with.five.chars"), "\(error)")
        }
        values = config("x", work, ["incremental.snapshot.watermarking.strategy": "insert_update"]).values
        XCTAssertThrowsError(try MySQLConnectorConfig(Config(values), flavor: .mariadb)) { error in
            XCTAssertTrue("\(error)".contains("incremental.snapshot.watermarking.strategy"), "\(error)")
        }
        values = config("x", work, ["gtid.source.includes": "0-1", "gtid.source.excludes": "0-7"]).values
        XCTAssertThrowsError(try MySQLConnectorConfig(Config(values), flavor: .mariadb)) { error in
            XCTAssertTrue("\(error)".contains("gtid.source.excludes"), "\(error)")
        }
        let signals = try MySQLConnectorConfig(
            Config(config("x", work, ["signal.data.collection": "`x`.`signals`"]).values), flavor: .mariadb)
        XCTAssertEqual(signals.signals.dataCollections, ["x.signals"])
        XCTAssertTrue(signals.tableFilter.includes(schema: "x", table: "signals"), "captured whatever the filters")
    }
}
