import Foundation
import JdbcSink
import MySQLSource
import TributaryCore
import XCTest

@testable import PostgresSource

/// The JDBC sink's writer against a real MariaDB: PostgreSQL's change events, read back from the broker, become
/// rows of a MariaDB table equal to the source's; names and values cannot break out of their quotes; rows the
/// database refuses are found and reported one by one.
final class JdbcSinkMariaDBTests: ConnectorTestCase {
    override var slotBase: String { "msink" }

    private func sinkConfig(_ database: String, _ extra: [String: String] = [:]) throws -> JdbcSinkConfig {
        var values = [
            "connection.url": "jdbc:mariadb://127.0.0.1:\(MariaDBEnvironment.port)/\(database)",
            "connection.username": "tributary", "connection.password": "tributary", "insert.mode": "upsert",
            "primary.key.mode": "record_key", "delete.enabled": "true", "schema.evolution": "basic",
            "collection.name.format": "${source.table}",
        ]
        values.merge(extra) { $1 }
        return try JdbcSinkConfig(Config(values))
    }

    private func target(_ database: String) throws -> MySQLConnection {
        try MySQLConnection(
            MySQLConnection.Settings(
                host: "127.0.0.1", port: MariaDBEnvironment.port, user: "tributary", password: "tributary",
                database: database))
    }

    func testPostgresChangeEventsMakeAnEqualMariaDBTable() throws {
        let (database, _) = try MariaDBEnvironment.prepare("msink", for: self)
        let db = try IntegrationEnvironment.sql()
        tables.append(
            try IntegrationEnvironment.createTable(
                slot,
                """
                id int PRIMARY KEY, name text NOT NULL, amount numeric(12,3), born date, seen timestamptz,
                at timestamp(6), raw bytea, ok boolean, ref uuid, doc json, score double precision,
                "Mixed Case" smallint, big text, wide numeric
                """))
        try db.query("ALTER TABLE \"\(slot)\" ALTER COLUMN big SET STORAGE EXTERNAL", purpose: "toast")
        let connector = try RunningConnector(
            IntegrationEnvironment.connectorConfig(name: slot, prefix: slot, slot: slot, tables: "public.\(slot)"),
            offsetFile: offsetFile)
        try IntegrationEnvironment.waitUntilStreaming(slot: slot)
        try db.query(
            """
            INSERT INTO "\(slot)" VALUES
              (1, 'one''s "quoted" \\ back', 12.5, '2000-02-29', '2024-05-06 07:08:09.123456+02',
               '1999-12-31 23:59:59.5', '\\x00ff27', true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"k": [1, "two"]}',
               -0.25, 7, repeat('x', 10000), 123456789012345678901234567890.123456789),
              (2, 'zoë 日本 🐘', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
              (3, '', -0.001, '0001-01-01', '1900-01-01 00:00:00+00', '9999-12-31 23:59:59.999999', '\\x', false,
               NULL, 'null', 1.5e300, -32768, 'small', -0.5);
            UPDATE "\(slot)" SET name = 'uno' WHERE id = 1;
            DELETE FROM "\(slot)" WHERE id = 2;
            """, purpose: "changes")
        let messages = try IntegrationEnvironment.consume(["\(slot).public.\(slot)"], count: 6)
        try connector.stop()
        XCTAssertEqual(messages.count, 6, "three inserts, an update, a delete and its tombstone")

        let config = try sinkConfig(database)
        let changes = try SinkTestSupport.changes(messages, config)
        let writer = try SinkWriter(config: config)
        defer { writer.close() }
        try writer.write(changes)
        try writer.write(changes)  // a replay after a crash changes nothing

        let source = try db.query(
            """
            SELECT id::text, name, amount::text, born::text,
                   to_char(seen AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), to_char(at, 'YYYY-MM-DD HH24:MI:SS.US'),
                   encode(raw, 'hex'), ok::int::text, ref::text, doc::text, score::text, "Mixed Case"::text,
                   length(big)::text, wide::text
            FROM "\(slot)" ORDER BY id
            """, purpose: "source rows")
        let copied = try target(database).query(
            """
            SELECT id, name, amount, born, DATE_FORMAT(seen, '%Y-%m-%d %H:%i:%s.%f'),
                   DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f'), LOWER(HEX(raw)), ok, ref, doc, score, `Mixed Case`,
                   LENGTH(big), TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM wide))
            FROM `\(slot)` ORDER BY id
            """)
        XCTAssertEqual(copied.count, 2)
        for (copy, original) in zip(copied, source) {
            XCTAssertEqual(copy[0..<10], original[0..<10])
            XCTAssertEqual(Double(copy[10] ?? ""), Double(original[10] ?? ""), "score")
            XCTAssertEqual(copy[11...], original[11...])
        }
        let types = try target(database).query(
            "SELECT column_name, column_type FROM information_schema.columns WHERE table_schema = '\(database)' "
                + "AND column_name IN ('amount', 'seen', 'wide', 'id') ORDER BY column_name")
        XCTAssertEqual(
            types,
            [["amount", "decimal(12,3)"], ["id", "int(11)"], ["seen", "datetime(6)"], ["wide", "decimal(65,30)"]])
    }

    /// Table and column names with quotes, backticks and unicode, and values with quotes, backslashes and NUL:
    /// stored as they are, never run.
    func testNamesAndValuesCannotInjectSQL() throws {
        let (database, _) = try MariaDBEnvironment.prepare("msink", for: self)
        let config = try sinkConfig(database, ["collection.name.format": "${topic}"])
        let writer = try SinkWriter(config: config)
        defer { writer.close() }
        let hostile = "x`; DROP DATABASE \(database); --"
        let value = Schema.struct(name: "v", fields: [("id", .int32), (hostile, .optionalString), ("select", .bytes)])
        let key = Schema.struct(name: "k", fields: [("id", .int32)])
        let texts = ["'); DROP TABLE y; --", "a\\'b", "nul\u{0}byte", "\\", "ü'"]
        let records = texts.enumerated().map { i, text in
            SinkRecord(
                topic: "t`; DROP TABLE x; -- ü", partition: 0, offset: Int64(i), keySchema: key,
                key: .struct(Struct(schema: key, values: [.int32(Int32(i))])), valueSchema: value,
                value: .struct(Struct(schema: value, values: [.int32(Int32(i)), .string(text), .bytes([0x27, 0x5C])])))
        }
        let reader = RowChangeReader(config: config)
        try writer.write(try records.map { try XCTUnwrap(try reader.change($0)) })
        let rows = try target(database).query(
            "SELECT `\(hostile.replacing("`", with: "``"))`, HEX(`select`) FROM `t``; DROP TABLE x; -- ü` ORDER BY id")
        XCTAssertEqual(rows.map { $0[0] }, texts)
        XCTAssertEqual(rows.map { $0[1] }, Array(repeating: "275C", count: texts.count))
    }

    /// `use.time.zone`: a zoned timestamp becomes the zone's wall-clock time in the `DATETIME` column the sink
    /// creates, and the session runs in the zone, so a `TIMESTAMP` column still gets the same instant. A local
    /// timestamp is written as it is. A region the server's time zone tables lack (this test server has none)
    /// leaves the session in UTC, and the values are still the region's wall-clock times.
    func testUseTimeZoneWritesTheZonesWallClockTime() throws {
        let (database, _) = try MariaDBEnvironment.prepare("msink", for: self)
        let zoned = DebeziumSemantic.schema(DebeziumSemantic.zonedTimestamp, .string)
        let local = DebeziumSemantic.schema(DebeziumSemantic.microTimestamp, .int64)
        let value = Schema.struct(
            name: "v", fields: [("id", .int32), ("at", zoned), ("instant", zoned), ("wall", local)])
        let key = Schema.struct(name: "k", fields: [("id", .int32)])
        let db = try target(database)
        for (index, zone) in ["+05:30", "Europe/Berlin"].enumerated() {
            let table = "tz\(index)"
            try db.execute(
                "CREATE TABLE \(table) (id int PRIMARY KEY, at datetime(6), instant timestamp(6) NULL, "
                    + "wall datetime(6))"
            )
            let config = try sinkConfig(database, ["use.time.zone": zone, "collection.name.format": table])
            let writer = try SinkWriter(config: config)
            defer { writer.close() }
            let instants = ["2024-01-15T10:00:00Z", "2024-07-15T10:00:00.25+02:00"]
            let records = instants.enumerated().map { i, text in
                SinkRecord(
                    topic: "t", partition: 0, offset: Int64(i), keySchema: key,
                    key: .struct(Struct(schema: key, values: [.int32(Int32(i))])), valueSchema: value,
                    value: .struct(
                        Struct(
                            schema: value,
                            values: [.int32(Int32(i)), .string(text), .string(text), .int64(1_721_037_600_000_000)])))
            }
            let reader = RowChangeReader(config: config)
            try writer.write(try records.map { try XCTUnwrap(try reader.change($0)) })
            try db.execute("SET time_zone = '+00:00'")
            let rows = try db.query("SELECT at, instant, wall FROM \(table) ORDER BY id")
            let wall = "2024-07-15 10:00:00.000000"
            if index == 0 {
                XCTAssertEqual(rows[0], ["2024-01-15 15:30:00.000000", "2024-01-15 10:00:00.000000", wall])
                XCTAssertEqual(rows[1], ["2024-07-15 13:30:00.250000", "2024-07-15 08:00:00.250000", wall])
            } else {
                XCTAssertEqual(rows.map { $0[0] }, ["2024-01-15 11:00:00.000000", "2024-07-15 10:00:00.250000"])
                XCTAssertEqual(rows.map { $0[2] }, [wall, wall])
            }
        }
    }

    /// Geometries (MySQL's own, as its source emits them: WKB and SRID) are built again by the server, SRID kept.
    func testGeometriesAreWrittenAsGeometries() throws {
        let (database, _) = try MariaDBEnvironment.prepare("msink", for: self)
        let geometry = Schema.struct(
            name: DebeziumSemantic.geometry, optional: true, fields: [("wkb", .bytes), ("srid", .optionalInt32)])
        let point = DebeziumSemantic.pointSchema(optional: true)
        let value = Schema.struct(name: "v", fields: [("id", .int32), ("shape", geometry), ("spot", point)])
        let key = Schema.struct(name: "k", fields: [("id", .int32)])
        // LINESTRING(0 0, 1 1) in little-endian WKB.
        var wkb: [UInt8] = [1, 2, 0, 0, 0, 2, 0, 0, 0]
        for coordinate in [0.0, 0, 1, 1] {
            withUnsafeBytes(of: coordinate.bitPattern.littleEndian) { wkb.append(contentsOf: $0) }
        }
        var shape = Struct(schema: geometry)
        shape["wkb"] = .bytes(wkb)
        shape["srid"] = .int32(4326)
        let config = try sinkConfig(database, ["collection.name.format": "shapes"])
        let writer = try SinkWriter(config: config)
        defer { writer.close() }
        let record = SinkRecord(
            topic: "t", partition: 0, offset: 0, keySchema: key, key: .struct(Struct(schema: key, values: [.int32(1)])),
            valueSchema: value,
            value: .struct(
                Struct(
                    schema: value,
                    values: [.int32(1), .struct(shape), DebeziumSemantic.pointValue(x: 1.5, y: -2, schema: point)])))
        try writer.write([try XCTUnwrap(try RowChangeReader(config: config).change(record))])
        let rows = try target(database).query(
            "SELECT ST_AsText(shape), ST_SRID(shape), ST_AsText(spot), DATA_TYPE"
                + " FROM shapes, information_schema.columns"
                + " WHERE table_schema = DATABASE() AND table_name = 'shapes' AND column_name = 'spot'")
        XCTAssertEqual(rows, [["LINESTRING(0 0,1 1)", "4326", "POINT(1.5 -2)", "point"]])
    }

    /// A batch with rows the database refuses (a value too long for its column, a double MySQL cannot hold):
    /// with a reporter, exactly those go to it and the others are written; without, nothing is written and the
    /// error names the first refused record.
    /// The server ends the sink's connection between batches (`KILL`, as a restart would): the batch is written
    /// again on a new connection.
    func testALostConnectionIsWrittenAgainOnANewOne() throws {
        let (database, _) = try MariaDBEnvironment.prepare("msink", for: self)
        let task = JdbcSinkTask(
            config: try sinkConfig(database, ["collection.name.format": "retried", "flush.retry.delay.ms": "20"]),
            name: "retry")
        try task.start(reporter: nil)
        defer { task.stop() }
        let db = try target(database)
        for (offset, (id, v)) in [(1, "a"), (2, "b"), (1, "a2")].enumerated() {
            let sinks = try db.query(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = \(MySQLConnection.literal(database)) "
                    + "AND ID <> CONNECTION_ID()")
            XCTAssertEqual(sinks.count, 1, "the sink has one connection")
            for row in sinks { _ = try db.query("KILL \(row[0]!)") }
            try task.put([
                SinkTestSupport.row("retry", offset: Int64(offset), id: Int32(id), .string(v), .optionalString)
            ])
            try task.flush()
        }
        XCTAssertEqual(try db.query("SELECT id, v FROM retried ORDER BY id"), [["1", "a2"], ["2", "b"]])
    }

    func testRefusedRowsAreFoundOneByOne() throws {
        let (database, _) = try MariaDBEnvironment.prepare("msink", for: self)
        try target(database).execute("CREATE TABLE narrow (id int PRIMARY KEY, v varchar(5))")
        try target(database).execute("CREATE TABLE wide (id int PRIMARY KEY, v double)")
        let values = [
            "connection.url": "jdbc:mariadb://127.0.0.1:\(MariaDBEnvironment.port)/\(database)",
            "connection.username": "tributary", "connection.password": "tributary", "insert.mode": "upsert",
            "primary.key.mode": "record_key", "collection.name.format": "${topic}",
        ]
        let records = [
            SinkTestSupport.row("narrow", offset: 0, id: 1, .string("fine"), .optionalString),
            SinkTestSupport.row("narrow", offset: 1, id: 2, .string("far too long"), .optionalString),
            SinkTestSupport.row("wide", offset: 2, id: 1, .float64(.nan), .optionalFloat64),
            SinkTestSupport.row("wide", offset: 3, id: 2, .float64(2.5), .optionalFloat64),
            SinkTestSupport.row("narrow", offset: 4, id: 3, .string("ok"), .optionalString),
        ]

        let strict = try JdbcSinkConnector().makeTask(Config(values))
        try strict.start(reporter: nil)
        try strict.put(records)
        XCTAssertThrowsError(try strict.flush()) {
            XCTAssertTrue("\($0)".contains("narrow/0@1"), "names the record: \($0)")
            XCTAssertTrue("\($0)".contains("Data too long"), "says why: \($0)")
        }
        strict.stop()
        XCTAssertEqual(try target(database).query("SELECT count(*) FROM narrow"), [["0"]], "nothing written")

        let reporter = CollectingReporter()
        let tolerant = try JdbcSinkConnector().makeTask(Config(values))
        try tolerant.start(reporter: reporter)
        try tolerant.put(records)
        try tolerant.flush()
        tolerant.stop()
        XCTAssertEqual(reporter.reported.map(\.record.position), ["narrow/0@1", "wide/0@2"])
        XCTAssertTrue("\(reporter.reported[1].error)".contains("column v"), "\(reporter.reported[1].error)")
        XCTAssertEqual(
            try target(database).query("SELECT id, v FROM narrow ORDER BY id"), [["1", "fine"], ["3", "ok"]])
        XCTAssertEqual(try target(database).query("SELECT id, v FROM wide"), [["2", "2.5"]])
    }

    /// A transaction left open (`write(commit: false)`, a source transaction written in parts) is continued by the
    /// next write and seen by no other session until it commits; a record refused in a later `isolatable` write
    /// rolls back only that write, to its savepoint, and the parts before it stay. Otherwise all of it goes.
    func testAnOpenTransactionSpansWritesAndARefusedWriteRollsBackOnlyItself() throws {
        let (database, _) = try MariaDBEnvironment.prepare("msink", for: self)
        try target(database).execute("CREATE TABLE parts (id int PRIMARY KEY, v varchar(5))")
        let config = try sinkConfig(database, ["collection.name.format": "${topic}"])
        let writer = try SinkWriter(config: config)
        defer { writer.close() }
        let reader = RowChangeReader(config: config)
        func changes(_ rows: [(Int32, String)]) throws -> [RowChange] {
            try rows.map { id, v in
                try XCTUnwrap(
                    try reader.change(
                        SinkTestSupport.row("parts", offset: Int64(id), id: id, .string(v), .optionalString)))
            }
        }
        func stored() throws -> [[String?]] { try target(database).query("SELECT id, v FROM parts ORDER BY id") }

        try writer.write(try changes([(1, "a"), (2, "b")]), commit: false)
        XCTAssertTrue(writer.isInTransaction)
        XCTAssertEqual(try stored(), [], "not committed yet")
        XCTAssertThrowsError(
            try writer.write(try changes([(3, "c"), (4, "far too long")]), commit: false, isolatable: true)
        ) {
            XCTAssertTrue($0 is SinkError, "a record's error: \($0)")
        }
        XCTAssertTrue(writer.isInTransaction, "the transaction stays open")
        try writer.write(try changes([(5, "e")]))
        XCTAssertFalse(writer.isInTransaction)
        XCTAssertEqual(try stored(), [["1", "a"], ["2", "b"], ["5", "e"]], "the refused write alone rolled back")

        try writer.write(try changes([(6, "f")]), commit: false)
        XCTAssertThrowsError(try writer.write(try changes([(7, "far too long")]), commit: false))
        XCTAssertFalse(writer.isInTransaction, "no savepoint: the transaction rolled back")
        XCTAssertEqual(try stored(), [["1", "a"], ["2", "b"], ["5", "e"]])
    }
}
