import Converters
import Foundation
import JdbcSink
import KafkaClient
import Runtime
import Synchronization
import TributaryCore
import XCTest

@testable import PostgresSource

/// The JDBC sink's writer against a real PostgreSQL: Debezium change events read from the broker (as the JSON
/// converter reads them back) become rows of a table the sink creates, equal to the source table.
final class JdbcSinkPostgresTests: ConnectorTestCase {
    override var slotBase: String { "sink" }

    private func sinkConfig(_ schema: String, _ extra: [String: String] = [:]) throws -> JdbcSinkConfig {
        try JdbcSinkConfig(Config(try sinkConfigValues(schema, extra)))
    }

    private func sinkConfigValues(_ schema: String, _ extra: [String: String] = [:]) throws -> [String: String] {
        var values = [
            "connection.url": "jdbc:postgresql://127.0.0.1:\(IntegrationEnvironment.pgPort)/tributary?sslmode=disable",
            "connection.username": "tributary", "connection.password": "tributary", "insert.mode": "upsert",
            "primary.key.mode": "record_key", "delete.enabled": "true", "schema.evolution": "basic",
            "collection.name.format": "\(schema).${source.table}",
        ]
        values.merge(extra) { $1 }
        return values
    }

    private func withSchema(_ body: (String) throws -> Void) throws {
        let schema = "sink_" + slot
        let db = try IntegrationEnvironment.sql()
        try db.query("CREATE SCHEMA \"\(schema)\"", purpose: "target schema")
        defer { _ = try? db.query("DROP SCHEMA \"\(schema)\" CASCADE", purpose: "drop target schema") }
        try body(schema)
    }

    private func count(_ table: String) throws -> String? {
        try IntegrationEnvironment.sql().query("SELECT count(*) FROM \(table)", purpose: "count").first?.first ?? nil
    }

    /// The source table and the sink's copy, row by row, as PostgreSQL prints them.
    private func rows(_ table: String, _ columns: String) throws -> [[String?]] {
        try IntegrationEnvironment.sql().query("SELECT \(columns) FROM \(table) ORDER BY id", purpose: "read \(table)")
    }

    func testChangeEventsFromTheBrokerMakeAnEqualTable() throws {
        try withSchema { schema in
            let db = try IntegrationEnvironment.sql()
            let columns = """
                id int PRIMARY KEY, name text NOT NULL, amount numeric(12,3), born date, seen timestamptz,
                at timestamp, raw bytea, ok boolean, ref uuid, doc json, tags text[], score double precision,
                "Mixed Case" smallint, big text
                """
            tables.append(try IntegrationEnvironment.createTable(slot, columns))
            try db.query("ALTER TABLE \"\(slot)\" ALTER COLUMN big SET STORAGE EXTERNAL", purpose: "toast")
            let connector = try RunningConnector(
                IntegrationEnvironment.connectorConfig(name: slot, prefix: slot, slot: slot, tables: "public.\(slot)"),
                offsetFile: offsetFile)
            try IntegrationEnvironment.waitUntilStreaming(slot: slot)
            try db.query(
                """
                INSERT INTO "\(slot)" VALUES
                  (1, 'one', 12.5, '2000-02-29', '2024-05-06 07:08:09.123456+02', '1999-12-31 23:59:59.5', '\\x00ff',
                   true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"k": [1, "two"]}', '{a,"b c",NULL}', -0.25, 7,
                   repeat('x', 10000)),
                  (2, 'two', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'NaN', NULL, NULL),
                  (3, 'three', -0.001, '0044-03-15 BC', '0044-03-15 12:00:00+00 BC', '2262-04-11 23:47:16', '\\x',
                   false,
                   NULL, 'null', '{}', 1e300, -32768, 'small');
                UPDATE "\(slot)" SET name = 'uno' WHERE id = 1;
                DELETE FROM "\(slot)" WHERE id = 2;
                """, purpose: "changes")
            let topic = "\(slot).public.\(slot)"
            let messages = try IntegrationEnvironment.consume([topic], count: 6)
            try connector.stop()
            XCTAssertEqual(messages.count, 6, "three inserts, an update, a delete and its tombstone")

            // As a sink reads them: the JSON converter (with schemas) turns the bytes back into Connect data.
            let changes = try SinkTestSupport.changes(messages, try sinkConfig(schema))
            XCTAssertTrue(
                changes.contains { $0.columns.contains { $0.value == .string("__debezium_unavailable_value") } },
                "the update did not change the TOASTed column: the source sent its placeholder")
            let writer = try SinkWriter(config: try sinkConfig(schema))
            defer { writer.close() }
            try writer.write(changes)

            let compared = "id, name, amount, born, seen, at, raw, ok, ref, doc::text, tags, score, \"Mixed Case\", big"
            let target = "\"\(schema)\".\"\(slot)\""
            XCTAssertEqual(try rows(target, compared), try rows("public.\"\(slot)\"", compared))
            XCTAssertEqual(try rows(target, "id").count, 2, "the delete deleted")

            // Written again (a replay after a crash), nothing changes: upserts and deletes by key.
            try writer.write(changes)
            XCTAssertEqual(try rows(target, compared), try rows("public.\"\(slot)\"", compared))
        }
    }

    /// Runs of many rows go through COPY into a staging table: every type arrives as the source holds it, text
    /// with COPY's separators and escape character included, and an update of the same rows upserts them.
    func testLargeRunsAreStagedWithEveryTypeIntact() throws {
        try withSchema { schema in
            let db = try IntegrationEnvironment.sql()
            tables.append(
                try IntegrationEnvironment.createTable(
                    slot,
                    """
                    id int PRIMARY KEY, name text NOT NULL, amount numeric(12,3), seen timestamptz, raw bytea,
                    ref uuid, doc json, tags text[], score double precision, during interval
                    """))
            let connector = try RunningConnector(
                IntegrationEnvironment.connectorConfig(name: slot, prefix: slot, slot: slot, tables: "public.\(slot)"),
                offsetFile: offsetFile)
            try IntegrationEnvironment.waitUntilStreaming(slot: slot)
            try db.query(
                #"""
                INSERT INTO "\#(slot)"
                SELECT g, E'tab\there\nnew line\r\\N back\\slash ' || g, g * 1.5,
                  CASE g WHEN 5 THEN '1900-01-01 00:00:00+00' WHEN 6 THEN '0044-03-15 12:00:00.5+00 BC'
                    WHEN 7 THEN '12024-05-06 07:08:09+02' ELSE '2024-05-06 07:08:09.5+02' END::timestamptz,
                  CASE WHEN g % 3 = 0 THEN NULL ELSE decode('00ff5c09' || lpad(to_hex(g), 4, '0'), 'hex') END,
                  md5(g::text)::uuid, json_build_object('k', E'a\tb\\', 'n', g),
                  ARRAY[E'q"uote', E'back\\slash', NULL, 'x' || g], CASE WHEN g = 7 THEN 'NaN' ELSE -g / 3.0 END,
                  make_interval(hours => g)
                FROM generate_series(1, 150) g;
                UPDATE "\#(slot)" SET name = E'up\tdated ' || id, amount = NULL WHERE id % 2 = 0;
                """#, purpose: "changes")
            let messages = try IntegrationEnvironment.consume(["\(slot).public.\(slot)"], count: 225)
            try connector.stop()
            XCTAssertEqual(messages.count, 225, "150 inserts and 75 updates")
            let changes = try SinkTestSupport.changes(messages, try sinkConfig(schema))
            let writer = try SinkWriter(config: try sinkConfig(schema))
            defer { writer.close() }
            try writer.write(changes)
            XCTAssertEqual(writer.stagedRows, 225, "the 150 inserts, then the 75 updates (a key seen again)")

            let compared = "id, name, amount, seen, raw, ref, doc::text, tags, score, during"
            let target = "\"\(schema)\".\"\(slot)\""
            XCTAssertEqual(try rows(target, compared), try rows("public.\"\(slot)\"", compared))
            XCTAssertEqual(try count(target), "150")
        }
    }

    /// A row the database refuses in a staged run fails the COPY; written again a row at a time, the batch finds
    /// that record, and the others are kept.
    func testARefusedRowInAStagedRunIsFoundAndTheOthersKept() throws {
        try withSchema { schema in
            let config = try sinkConfig(schema, ["collection.name.format": "\(schema).short"])
            try IntegrationEnvironment.sql().query(
                "CREATE TABLE \"\(schema)\".short (id int PRIMARY KEY, v varchar(5))", purpose: "target")
            let changes = try (0..<100).map { i in
                let record = SinkTestSupport.row(
                    "short", offset: Int64(i), id: Int32(i), .string(i == 57 ? "far too long" : "v\(i)"),
                    .optionalString)
                return try XCTUnwrap(try RowChangeReader(config: config).change(record))
            }
            let writer = try SinkWriter(config: config)
            defer { writer.close() }
            XCTAssertThrowsError(try writer.write(changes)) {
                XCTAssertTrue("\($0)".contains("character varying(5)"), "\($0)")
            }
            XCTAssertEqual(try count("\"\(schema)\".short"), "0", "the batch was rolled back")
            let refused = try writer.writeIsolating(changes, keepingTheOthers: true)
            XCTAssertEqual(refused.map(\.index), [57])
            XCTAssertTrue("\(refused.first?.error as Any)".contains("short/0@57"), "\(refused)")
            XCTAssertEqual(try count("\"\(schema)\".short"), "99")
            try writer.write(Array(changes[0..<57] + changes[58...]))
            XCTAssertEqual(writer.stagedRows, 99, "the good rows, staged again")
        }
    }

    /// The sink as the worker runs it: a member of the group `connect-<name>`, it consumes the source's topic,
    /// writes the rows and commits the offsets it wrote; run again, it resumes after them.
    func testTheSinkRunnerConsumesWritesAndCommits() throws {
        try withSchema { schema in
            let db = try IntegrationEnvironment.sql()
            tables.append(try IntegrationEnvironment.createTable(slot, "id int PRIMARY KEY, v text"))
            let source = try RunningConnector(
                IntegrationEnvironment.connectorConfig(name: slot, prefix: slot, slot: slot, tables: "public.\(slot)"),
                offsetFile: offsetFile)
            try IntegrationEnvironment.waitUntilStreaming(slot: slot)
            try db.query(
                "INSERT INTO \"\(slot)\" SELECT g, 'v' || g FROM generate_series(1, 300) g", purpose: "rows")
            let topic = "\(slot).public.\(slot)"
            XCTAssertEqual(try IntegrationEnvironment.consume([topic], count: 300).count, 300)

            var values = (try sinkConfigValues(schema)).merging([
                "name": "sink-" + slot, "connector.class": JdbcSinkConfig.className, "topics": topic,
            ]) { $1 }
            let target = "\"\(schema)\".\"\(slot)\""
            try runSink(values) { try self.count(target) == "300" }
            XCTAssertEqual(try rows(target, "id, v"), try rows("public.\"\(slot)\"", "id, v"))

            // The group committed what it wrote: a second run starts after it (a row removed from the target
            // stays removed), and writes only the new changes.
            try db.query("DELETE FROM \(target) WHERE id = 1", purpose: "remove a row from the target")
            try db.query("UPDATE \"\(slot)\" SET v = 'new' WHERE id = 2", purpose: "a change")
            values["errors.retry.timeout"] = "0"
            try runSink(values) { try self.rows(target, "v").first?.first == "new" }
            try source.stop()
            XCTAssertEqual(try rows(target, "v").first?.first, "new", "the update arrived")
            XCTAssertEqual(try count(target), "299", "nothing before the committed offset again")
        }
    }

    private func runSink(
        _ values: [String: String], timeout: TimeInterval = 90, file: StaticString = #filePath, line: UInt = #line,
        until done: @escaping () throws -> Bool
    ) throws {
        try SinkTestSupport.runSink(
            values, offsetFile: offsetFile, timeout: timeout, file: file, line: line, until: done)
    }

    /// A record the database refuses, under `errors.tolerance=all`, goes to the dead letter queue as it was
    /// consumed, with the reason and the stage (`TASK_PUT`) in its headers; the records around it are written.
    func testRefusedRecordsGoToTheDeadLetterQueue() throws {
        try withSchema { schema in
            let topic = IntegrationEnvironment.uniqueName("poison")
            let dlq = topic + "-dlq"
            try SinkTestSupport.produce(
                ["a", "NUL \u{0} inside", "c"].enumerated().map { i, text in
                    SinkTestSupport.row(topic, offset: 0, id: Int32(i), .string(text), .optionalString)
                }, to: topic)
            let values = (try sinkConfigValues(schema)).merging([
                "name": "sink-" + slot, "connector.class": JdbcSinkConfig.className, "topics": topic,
                "collection.name.format": "\(schema).poison", "errors.tolerance": "all",
                "errors.deadletterqueue.topic.name": dlq, "errors.deadletterqueue.topic.replication.factor": "1",
                "errors.deadletterqueue.context.headers.enable": "true",
            ]) { $1 }
            // While the sink runs, with no batch after this one: the worker has the task finish its batch when idle.
            try runSink(values, timeout: 60) { try self.count("\"\(schema)\".poison") == "2" }
            XCTAssertEqual(try rows("\"\(schema)\".poison", "id, v"), [["0", "a"], ["2", "c"]])
            let dead = try IntegrationEnvironment.consume([dlq], count: 1)
            XCTAssertEqual(dead.count, 1)
            let headers = Dictionary(
                (dead.first?.headers ?? []).map { ($0.key, $0.value.map { String(decoding: $0, as: UTF8.self) }) },
                uniquingKeysWith: { a, _ in a })
            XCTAssertEqual(headers["__connect.errors.stage"], "TASK_PUT")
            XCTAssertEqual(headers["__connect.errors.offset"], "1")
            XCTAssertTrue(headers["__connect.errors.exception.message"]??.contains("NUL") == true, "\(headers)")
        }
    }

    /// A connection the server ends (a restart, a failover, an operator) between or during batches: the batch is
    /// rolled back and written again on a new connection, within the task (`flush.max.retries`).
    func testALostConnectionIsWrittenAgainOnANewOne() throws {
        try withSchema { schema in
            let application = "sink-" + slot
            var values = try sinkConfigValues(
                schema, ["collection.name.format": "\(schema).retried", "flush.retry.delay.ms": "20"])
            values["connection.url"]! += "&ApplicationName=" + application
            let task = JdbcSinkTask(config: try JdbcSinkConfig(Config(values)), name: "retry")
            try task.start(reporter: nil)
            defer { task.stop() }
            func write(_ rows: [(Int32, String)]) throws {
                try task.put(
                    rows.enumerated().map { offset, row in
                        SinkTestSupport.row("retry", offset: Int64(offset), id: row.0, .string(row.1), .optionalString)
                    })
                try task.flush()
            }
            func endTheSinksConnection() throws {
                let ended = try IntegrationEnvironment.sql().query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                    [application], purpose: "end the sink's connection")
                XCTAssertEqual(ended, [["t"]], "the sink has one connection")
            }
            try write([(1, "a")])
            try endTheSinksConnection()
            try write([(2, "b"), (1, "a2")])
            try endTheSinksConnection()
            try write([(3, "c")])
            XCTAssertEqual(try rows("\"\(schema)\".retried", "id, v"), [["1", "a2"], ["2", "b"], ["3", "c"]])

            let noRetries = JdbcSinkTask(
                config: try JdbcSinkConfig(Config(values.merging(["flush.max.retries": "0"]) { $1 })), name: "once")
            try noRetries.start(reporter: nil)
            defer { noRetries.stop() }
            task.stop()
            try endTheSinksConnection()
            try noRetries.put([SinkTestSupport.row("retry", offset: 9, id: 4, .string("d"), .optionalString)])
            XCTAssertThrowsError(try noRetries.flush()) {
                XCTAssertTrue($0.isRetriable, "the worker restarts the task by its own policy: \($0)")
            }
        }
    }

    /// `transaction.boundary.mode=source`: transfers between two tables (two topics of four partitions), consumed
    /// in batches of 7 records that split them, commit whole in the target; so does a last transaction deleting
    /// accounts. A reader polling the target meanwhile never sees a transfer half done; at the end the target
    /// equals the source.
    func testSourceTransactionsCommitWholeInTheTarget() throws {
        try checkTransfersCommitWhole([:])
    }

    /// The same with at most 5 events held: the transfers of all 20 accounts (40 events) are written in parts into
    /// target transactions left open across batches, and still never seen half done.
    func testSourceTransactionsWrittenInPartsStillCommitWhole() throws {
        try checkTransfersCommitWhole(["transaction.boundary.max.buffered.records": "5"])
    }

    private func checkTransfersCommitWhole(_ sinkExtra: [String: String]) throws {
        try withSchema { schema in
            let db = try IntegrationEnvironment.sql()
            let (a, b) = ("\(slot)_a", "\(slot)_b")
            for table in [a, b] {
                tables.append(try IntegrationEnvironment.createTable(table, "id int PRIMARY KEY, v int"))
            }
            try db.query(
                """
                INSERT INTO "\(a)" SELECT g, 100 FROM generate_series(1, 20) g;
                INSERT INTO "\(b)" SELECT g, 0 FROM generate_series(1, 20) g;
                """, purpose: "accounts")
            let topics = ["\(slot).public.\(a)", "\(slot).public.\(b)", "\(slot).transaction"]
            let admin = try KafkaProducer(properties: ["bootstrap.servers": IntegrationEnvironment.bootstrapServers]) {
                _, _ in
            }
            try admin.createTopics(Array(topics.prefix(2)), partitions: 4, replicationFactor: -1)
            try admin.createTopics([topics[2]], partitions: 1, replicationFactor: -1)
            let source = try RunningConnector(
                IntegrationEnvironment.connectorConfig(
                    name: slot, prefix: slot, slot: slot, tables: "public.\(a),public.\(b)",
                    extra: ["snapshot.mode": "initial", "provide.transaction.metadata": "true"]),
                offsetFile: offsetFile)
            defer { try? source.stop() }
            try IntegrationEnvironment.waitUntilStreaming(slot: slot)
            for i in 0..<150 {
                let k = i % 20 + 1
                try db.query(
                    i % 10 == 9
                        ? "BEGIN; UPDATE \"\(a)\" SET v = v - 1; UPDATE \"\(b)\" SET v = v + 1; COMMIT"
                        : "BEGIN; UPDATE \"\(a)\" SET v = v - 1 WHERE id = \(k); "
                            + "UPDATE \"\(b)\" SET v = v + 1 WHERE id = \(k); COMMIT",
                    purpose: "a transfer")
            }
            // Closing five accounts: deletes, each followed by its tombstone (which has no transaction) in its
            // partition.
            try db.query(
                "BEGIN; DELETE FROM \"\(a)\" WHERE id > 15; DELETE FROM \"\(b)\" WHERE id > 15; COMMIT",
                purpose: "closed accounts")

            let (ta, tb) = ("\"\(schema)\".\"\(a)\"", "\"\(schema)\".\"\(b)\"")
            let halfDone = Locked(0)
            let checks = Locked(0)
            let stopChecking = Atomic<Bool>(false)
            let checked = DispatchSemaphore(value: 0)
            DetachedThread.start {
                defer { checked.signal() }
                guard let reader = try? IntegrationEnvironment.sql() else { return }
                while !stopChecking.load(ordering: .acquiring) {
                    // One statement, one snapshot: accounts present in both tables always add up to 100.
                    let rows = try? reader.query(
                        "SELECT count(*) FROM \(ta) JOIN \(tb) USING (id) WHERE \(ta).v + \(tb).v <> 100",
                        purpose: "check the transfers")
                    if let broken = rows?.first?.first ?? nil, let n = Int(broken) {
                        halfDone.withLock { $0 += n > 0 ? 1 : 0 }
                        checks.withLock { $0 += 1 }
                    }
                }
            }
            let values = (try sinkConfigValues(schema)).merging(
                [
                    "name": "sink-" + slot, "connector.class": JdbcSinkConfig.className,
                    "topics": topics.joined(separator: ","), "transaction.boundary.mode": "source",
                    "consumer.override.max.poll.records": "7",
                ].merging(sinkExtra) { $1 }
            ) { $1 }
            let sourceRows = try rows("public.\"\(a)\"", "id, v") + rows("public.\"\(b)\"", "id, v")
            try runSink(values) { try self.rows(ta, "id, v") + self.rows(tb, "id, v") == sourceRows }
            stopChecking.store(true, ordering: .releasing)
            XCTAssertEqual(checked.wait(timeout: .now() + 30), .success)
            XCTAssertEqual(try rows(ta, "id, v") + rows(tb, "id, v"), sourceRows)
            XCTAssertGreaterThan(checks.withLock { $0 }, 10, "the reader looked while the sink wrote")
            XCTAssertEqual(halfDone.withLock { $0 }, 0, "a reader saw a transfer half done")
        }
    }

    /// `transaction.boundary.mode=source` with a source transaction larger than
    /// `transaction.boundary.max.buffered.records`: its parts are written as they come into one target transaction,
    /// invisible to readers and never committed to Kafka, until its END commits it whole. A task stopped in the
    /// middle, or whose connection is lost, leaves nothing of it (the restart reads it all again). A record the table
    /// refuses in a later part fails the task with nothing of the transaction written, or with a reporter goes to it
    /// while the transaction's other rows stay.
    func testASourceTransactionLargerThanTheBufferIsWrittenInPartsAndCommittedWhole() throws {
        try withSchema { schema in
            let db = try IntegrationEnvironment.sql()
            let config = try bigTransactionsSink(schema, holding: 10)
            let data = TopicPartition(topic: "db.public.big", partition: 0)
            let tx = TopicPartition(topic: "db.transaction", partition: 0)
            let records = TransactionRecords(id: "777:1000")
            let first = [records.begin(offset: 0)] + (1...25).map { records.event(id: $0, value: "v\($0)") }
            let rest =
                (26...35).map { records.event(id: $0, value: $0 == 30 ? "too long" : "v\($0)") }
                + [records.end(offset: 1, count: 35)]
            func stored() throws -> String? { try count("\(schema).big") }

            let stopped = JdbcSinkTask(config: config, name: "sink")
            try stopped.start(reporter: nil)
            try stopped.put(first)
            XCTAssertEqual(try stopped.preCommit([data: 25, tx: 1]), [:], "the first part is in flight")
            XCTAssertEqual(
                try stopped.preCommit([data: 25, tx: 1]), [data: 0, tx: 0],
                "written, not committed: the offsets stay before the BEGIN and the first event")
            XCTAssertEqual(try stored(), "0", "readers see nothing of it")
            stopped.stop()
            XCTAssertEqual(try stored(), "0", "stopped in the middle: nothing of it stays")

            let cut = JdbcSinkTask(config: config, name: "sink")
            try cut.start(reporter: nil)
            defer { cut.stop() }
            try cut.put(first)
            _ = try cut.preCommit([data: 25, tx: 1])
            _ = try cut.preCommit([data: 25, tx: 1])
            let ended = try db.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'idle in transaction' "
                    + "AND pid <> pg_backend_pid() AND datname = current_database()",
                purpose: "end the sink's connection")
            XCTAssertEqual(ended.count, 1, "the sink's connection holds the open transaction")
            try cut.put(rest)
            _ = try cut.preCommit([data: 35, tx: 2])
            XCTAssertThrowsError(try cut.flush(), "the rest alone on a new connection would not be whole") {
                XCTAssertTrue($0.isRetriable, "the worker restarts the task, which reads it all again: \($0)")
            }
            XCTAssertEqual(try stored(), "0")

            let strict = JdbcSinkTask(config: config, name: "sink")
            try strict.start(reporter: nil)
            defer { strict.stop() }
            try strict.put(first)
            _ = try strict.preCommit([data: 25, tx: 1])
            try strict.put(rest)
            _ = try strict.preCommit([data: 35, tx: 2])
            XCTAssertThrowsError(try strict.flush(), "errors are not tolerated") {
                XCTAssertTrue("\($0)".contains("db.public.big/0@"), "names the records: \($0)")
                XCTAssertFalse($0.isRetriable, "a restart would meet the record again: \($0)")
            }
            XCTAssertEqual(try stored(), "0", "nothing of the transaction is committed")

            let reporter = CollectingReporter()
            let task = JdbcSinkTask(config: config, name: "sink")
            try task.start(reporter: reporter)
            defer { task.stop() }
            try task.put(first)
            _ = try task.preCommit([data: 25, tx: 1])
            XCTAssertEqual(try task.preCommit([data: 25, tx: 1]), [data: 0, tx: 0])
            try task.put(rest)
            _ = try task.preCommit([data: 35, tx: 2])
            try task.flush()
            XCTAssertEqual(try stored(), "34", "whole, but for the row the column cannot hold")
            XCTAssertEqual(reporter.reported.map(\.record.position), ["db.public.big/0@29"])
            XCTAssertEqual(try task.preCommit([data: 35, tx: 2]), [data: 35, tx: 2])
        }
    }

    /// While more events than `transaction.boundary.max.buffered.records` are held, the partitions that reached a
    /// later source transaction than the next one to commit are paused (all that hold, while none is known to be
    /// next); each is resumed once the transaction it holds is the next.
    func testPartitionsAheadOfTheNextTransactionArePausedWhileTooManyEventsAreHeld() throws {
        try withSchema { schema in
            let config = try bigTransactionsSink(schema, holding: 4)
            let p0 = TopicPartition(topic: "db.public.big", partition: 0)
            let p1 = TopicPartition(topic: "db.public.big", partition: 1)
            let tx = TopicPartition(topic: "db.transaction", partition: 0)
            let (t1, t2) = (TransactionRecords(id: "701:100"), TransactionRecords(id: "702:200"))
            func inP1(_ record: SinkRecord) -> SinkRecord {
                var record = record
                record.partition = 1
                return record
            }
            let task = JdbcSinkTask(config: config, name: "sink")
            try task.start(reporter: nil)
            defer { task.stop() }
            // t1's first event in partition 0; partition 1 ran ahead with all six of t2.
            try task.put([t1.event(id: 1, value: "a")] + (11...16).map { inP1(t2.event(id: $0, value: "b")) })
            _ = try task.preCommit([p0: 1, p1: 16])
            XCTAssertEqual(task.pausedPartitions, [p0, p1], "7 held, and no transaction is known to be next")
            try task.put([t1.begin(offset: 0)])
            _ = try task.preCommit([tx: 1])
            XCTAssertEqual(task.pausedPartitions, [p1], "partition 0 may bring more of t1, the next; 6 still held")
            try task.put([t1.event(id: 2, value: "a"), t1.end(offset: 1, count: 2)])
            _ = try task.preCommit([p0: 2, tx: 2])
            XCTAssertEqual(task.pausedPartitions, [p1], "t1 is written; t2 is not known to be next yet")
            try task.put([t2.begin(offset: 2)])
            _ = try task.preCommit([tx: 3])
            XCTAssertEqual(task.pausedPartitions, [], "t2 is the next: written in parts, nothing held")
            try task.put([t2.end(offset: 3, count: 6)])
            try task.flush()
            XCTAssertEqual(try count("\(schema).big"), "8")
            XCTAssertEqual(try task.preCommit([tx: 4]), [p0: 2, p1: 16, tx: 4])
        }
    }

    /// A table `big` in `schema` and a sink committing source transactions whole into it from `db.public.big`, with
    /// at most `holding` events held (`TransactionRecords` makes its records).
    private func bigTransactionsSink(_ schema: String, holding: Int) throws -> JdbcSinkConfig {
        try IntegrationEnvironment.sql().query(
            "CREATE TABLE \(schema).big (id int PRIMARY KEY, v varchar(5))", purpose: "target")
        return try sinkConfig(
            schema,
            [
                "transaction.boundary.mode": "source", "transaction.boundary.max.buffered.records": "\(holding)",
                "topics": "db.public.big,db.transaction", "collection.name.format": "\(schema).big",
            ])
    }

    /// A sink started before its topic exists waits for it, as Kafka Connect's do (the first demo run starts both
    /// connectors on a fresh broker).
    func testASinkWaitsForItsTopic() throws {
        try withSchema { schema in
            let worker = try WorkerConfig(
                Config([
                    "bootstrap.servers": IntegrationEnvironment.bootstrapServers,
                    "offset.storage.file.filename": offsetFile + ".sink",
                ]), standalone: true)
            let values = (try sinkConfigValues(schema)).merging([
                "name": "sink-" + slot, "connector.class": JdbcSinkConfig.className, "topics": "not-yet-" + slot,
            ]) { $1 }
            let runner = try SinkTaskRunner(connector: Config(values), worker: worker, connector: JdbcSinkConnector())
            let ended = DispatchSemaphore(value: 0)
            DetachedThread.start {
                _ = try? runner.run()
                ended.signal()
            }
            Thread.sleep(forTimeInterval: 5)
            XCTAssertEqual(runner.state, .running)
            runner.stop()
            XCTAssertEqual(ended.wait(timeout: .now() + 60), .success)
            XCTAssertEqual(runner.state, .stopped)
        }
    }

    /// An update whose TOASTed column did not change carries Debezium's placeholder: the stored value stays.
    func testUnchangedToastedValuesKeepTheStoredValue() throws {
        try withSchema { schema in
            let config = try sinkConfig(schema)
            let writer = try SinkWriter(config: config)
            defer { writer.close() }
            let reader = RowChangeReader(config: config)
            let row = Schema.struct(
                name: "db.public.t.Value", optional: true, fields: [("id", .int32), ("big", .optionalString)])
            let key = Schema.struct(name: "db.public.t.Key", fields: [("id", .int32)])
            let source = Schema.struct(name: "io.debezium.connector.postgresql.Source", fields: [("table", .string)])
            let envelope = Schema.struct(
                name: "db.public.t.Envelope", fields: [("after", row), ("source", source), ("op", .string)])
            func event(_ op: String, _ big: String, offset: Int64) -> SinkRecord {
                let after = Struct(schema: row, values: [.int32(1), .string(big)])
                return SinkRecord(
                    topic: "db.public.t", partition: 0, offset: offset, keySchema: key,
                    key: .struct(Struct(schema: key, values: [.int32(1)])), valueSchema: envelope,
                    value: .struct(
                        Struct(
                            schema: envelope,
                            values: [
                                .struct(after), .struct(Struct(schema: source, values: [.string("toasty")])),
                                .string(op),
                            ])))
            }
            let large = String(repeating: "y", count: 50_000)
            try writer.write([try XCTUnwrap(try reader.change(event("c", large, offset: 1)))])
            try writer.write([
                try XCTUnwrap(try reader.change(event("u", config.unavailableValuePlaceholder, offset: 2)))
            ])
            XCTAssertEqual(try rows("\"\(schema)\".toasty", "length(big)"), [["50000"]])
        }
    }

    /// `use.time.zone`: the session runs in the zone, so a local timestamp read into a `timestamptz` is the
    /// zone's wall-clock time; a zoned timestamp keeps its instant in a `timestamptz` and becomes the zone's
    /// wall-clock time in a `timestamp`. The same through COPY (a long run) and `INSERT … VALUES` (a short one).
    func testUseTimeZoneWritesTheZonesWallClockTime() throws {
        try withSchema { schema in
            let db = try IntegrationEnvironment.sql()
            try db.query(
                "CREATE TABLE \(schema).tz (id int PRIMARY KEY, at timestamp(6), instant timestamptz, "
                    + "wall timestamptz)",
                purpose: "target")
            let config = try sinkConfig(
                schema, ["use.time.zone": "Europe/Berlin", "collection.name.format": "\(schema).tz"])
            let writer = try SinkWriter(config: config)
            defer { writer.close() }
            let zoned = DebeziumSemantic.schema(DebeziumSemantic.zonedTimestamp, .string)
            let local = DebeziumSemantic.schema(DebeziumSemantic.microTimestamp, .int64)
            let value = Schema.struct(
                name: "v", fields: [("id", .int32), ("at", zoned), ("instant", zoned), ("wall", local)])
            let key = Schema.struct(name: "k", fields: [("id", .int32)])
            let reader = RowChangeReader(config: config)
            func changes(_ ids: Range<Int>) throws -> [RowChange] {
                try ids.map { id in
                    let text = id % 2 == 0 ? "2024-01-15T10:00:00Z" : "2024-07-15T10:00:00.25+02:00"
                    let record = SinkRecord(
                        topic: "t", partition: 0, offset: Int64(id), keySchema: key,
                        key: .struct(Struct(schema: key, values: [.int32(Int32(id))])), valueSchema: value,
                        value: .struct(
                            Struct(
                                schema: value,
                                values: [
                                    .int32(Int32(id)), .string(text), .string(text), .int64(1_721_037_600_000_000),
                                ]
                            )))
                    return try XCTUnwrap(try reader.change(record))
                }
            }
            try writer.write(try changes(0..<70))
            XCTAssertEqual(writer.stagedRows, 70)
            try writer.write(try changes(100..<102))
            XCTAssertEqual(writer.stagedRows, 70)
            try db.query("SET TIME ZONE 'UTC'", purpose: "read in UTC")
            let stored = try db.query(
                "SELECT id, at::text, instant::text, wall::text FROM \(schema).tz WHERE id IN (0, 1, 100, 101) "
                    + "ORDER BY id",
                purpose: "read")
            let winter = ["2024-01-15 11:00:00", "2024-01-15 10:00:00+00", "2024-07-15 08:00:00+00"]
            let summer = ["2024-07-15 10:00:00.25", "2024-07-15 08:00:00.25+00", "2024-07-15 08:00:00+00"]
            XCTAssertEqual(stored, [["0"] + winter, ["1"] + summer, ["100"] + winter, ["101"] + summer])
        }
    }

    /// Names from records are quoted, never run: a table and a column named to break out of their quotes.
    func testNamesFromRecordsCannotInjectSQL() throws {
        try withSchema { schema in
            let config = try sinkConfig(schema, ["collection.name.format": "\(schema).${topic}"])
            let writer = try SinkWriter(config: config)
            defer { writer.close() }
            let hostile = "x\"; DROP SCHEMA \(schema) CASCADE; --"
            let value = Schema.struct(
                name: "v", fields: [("id", .int32), (hostile, .optionalString), ("select", .int32)])
            let key = Schema.struct(name: "k", fields: [("id", .int32)])
            let record = SinkRecord(
                topic: "t\"; DROP TABLE x; --", partition: 0, offset: 0, keySchema: key,
                key: .struct(Struct(schema: key, values: [.int32(1)])), valueSchema: value,
                value: .struct(Struct(schema: value, values: [.int32(1), .string("'); DROP TABLE y; --"), .int32(2)])))
            try writer.write([try XCTUnwrap(try RowChangeReader(config: config).change(record))])
            let stored = try IntegrationEnvironment.sql().query(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 ORDER BY ordinal_position",
                [schema], purpose: "columns")
            XCTAssertEqual(stored.map { $0[0] }, ["id", hostile, "select"])
        }
    }

    func testWithoutSchemaEvolutionAMissingTableIsAClearError() throws {
        try withSchema { schema in
            let config = try sinkConfig(schema, ["schema.evolution": "none"])
            let writer = try SinkWriter(config: config)
            defer { writer.close() }
            let change = try XCTUnwrap(try RowChangeReader(config: config).change(RowChangeReaderTestsEvent.make()))
            XCTAssertThrowsError(try writer.write([change])) {
                XCTAssertTrue("\($0)".contains("schema.evolution=basic"), "\($0)")
                XCTAssertTrue("\($0)".contains("db.public.t/0@5"), "names the record: \($0)")
            }
        }
    }
}

/// A small Debezium create event of table `t`.
enum RowChangeReaderTestsEvent {
    static func make() -> SinkRecord {
        let row = Schema.struct(name: "db.public.t.Value", optional: true, fields: [("id", .int32)])
        let key = Schema.struct(name: "db.public.t.Key", fields: [("id", .int32)])
        let source = Schema.struct(name: "io.debezium.connector.postgresql.Source", fields: [("table", .string)])
        let envelope = Schema.struct(
            name: "db.public.t.Envelope", fields: [("after", row), ("source", source), ("op", .string)])
        return SinkRecord(
            topic: "db.public.t", partition: 0, offset: 5, keySchema: key,
            key: .struct(Struct(schema: key, values: [.int32(1)])), valueSchema: envelope,
            value: .struct(
                Struct(
                    schema: envelope,
                    values: [
                        .struct(Struct(schema: row, values: [.int32(1)])),
                        .struct(Struct(schema: source, values: [.string("t")])), .string("c"),
                    ])))
    }
}

/// Change events of one source transaction on `db.public.big` (partition 0, an event's offset its id less one), with
/// its BEGIN and END on `db.transaction`, as a Debezium source with `provide.transaction.metadata` sends them.
private struct TransactionRecords {
    let id: String
    private let key = Schema.struct(name: "db.public.big.Key", fields: [("id", .int32)])
    private let row = Schema.struct(
        name: "db.public.big.Value", optional: true, fields: [("id", .int32), ("v", .optionalString)])
    private let source = Schema.struct(name: "io.debezium.connector.postgresql.Source", fields: [("table", .string)])
    private let block = Schema.struct(
        name: "event.block", optional: true,
        fields: [("id", .string), ("total_order", .int64), ("data_collection_order", .int64)])
    private let collection = Schema.struct(
        name: "event.collection", optional: true, fields: [("data_collection", .string), ("event_count", .int64)])
    private var boundary: Schema {
        .struct(
            name: "io.debezium.connector.common.TransactionMetadataValue",
            fields: [
                ("status", .string), ("id", .string), ("event_count", .optionalInt64),
                ("data_collections", .array(of: collection, optional: true)), ("ts_ms", .int64),
            ])
    }

    init(id: String) { self.id = id }

    func event(id row: Int, value: String) -> SinkRecord {
        let envelope = Schema.struct(
            name: "db.public.big.Envelope",
            fields: [("after", self.row), ("source", source), ("transaction", block), ("op", .string)])
        let order = Int64(row)
        return SinkRecord(
            topic: "db.public.big", partition: 0, offset: Int64(row - 1), keySchema: key,
            key: .struct(Struct(schema: key, values: [.int32(Int32(row))])), valueSchema: envelope,
            value: .struct(
                Struct(
                    schema: envelope,
                    values: [
                        .struct(Struct(schema: self.row, values: [.int32(Int32(row)), .string(value)])),
                        .struct(Struct(schema: source, values: [.string("big")])),
                        .struct(Struct(schema: block, values: [.string(id), .int64(order), .int64(order)])),
                        .string("c"),
                    ])))
    }

    func begin(offset: Int64) -> SinkRecord { marker("BEGIN", offset: offset, count: nil) }

    func end(offset: Int64, count: Int64) -> SinkRecord { marker("END", offset: offset, count: count) }

    private func marker(_ status: String, offset: Int64, count: Int64?) -> SinkRecord {
        let collections = count.map {
            Value.array([.struct(Struct(schema: collection, values: [.string("public.big"), .int64($0)]))])
        }
        return SinkRecord(
            topic: "db.transaction", partition: 0, offset: offset, keySchema: nil, key: .null, valueSchema: boundary,
            value: .struct(
                Struct(
                    schema: boundary,
                    values: [
                        .string(status), .string(id), count.map { .int64($0) } ?? .null, collections ?? .null,
                        .int64(0),
                    ])))
    }
}
