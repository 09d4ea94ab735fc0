import Dispatch
import Foundation
import JdbcSink
import MySQLSource
import Runtime
import TableVerify
import TributaryCore
import XCTest

@testable import PostgresSource

/// Migrations as users run them: a source connector captures a database (snapshot, then streaming) while the
/// application keeps writing, and the JDBC sink writes the topics into the other database. When the writes stop
/// and the sink has caught up, `TableVerifier` finds every table equal, row for row.
final class MigrationRoundTripTests: ConnectorTestCase {
    override var slotBase: String { "mig" }

    private func runSink(_ values: [String: String], until done: @escaping () throws -> Bool) throws {
        try SinkTestSupport.runSink(values, offsetFile: offsetFile, timeout: 150, interval: 1, until: done)
    }

    private static func jdbc(_ url: String) throws -> JdbcURL { try JdbcURL(url, key: "url") }

    /// Compares each table of `tables`; the reports of those that differ.
    private func differences(
        _ tables: [String], source: String, sourceTable: (String) -> String, target: String,
        targetTable: (String) -> String
    ) throws -> [String] {
        try tables.compactMap { table in
            let left = try openVerifySource(
                url: try Self.jdbc(source), user: "tributary", password: "tributary", table: sourceTable(table))
            let right = try openVerifySource(
                url: try Self.jdbc(target), user: "tributary", password: "tributary", table: targetTable(table))
            defer {
                left.close()
                right.close()
            }
            let report = try TableVerifier(source: left, target: right).run()
            return report.matches
                ? nil
                : "\(table): \(report.sourceRows)/\(report.targetRows) rows, "
                    + "\(report.differences.prefix(5)) \(report.onlyInSourceColumns)"
        }
    }

    /// Timestamps before year 1 keep their era: 44 BC and AD 44 differ, in `timestamp` and `timestamptz` alike.
    func testVerifyTellsBCFromAD() throws {
        let pg = try IntegrationEnvironment.sql()
        let names = ["bc", "ad"].map { "\(slot)_\($0)" }
        tables.append(contentsOf: names.map { "public.\"\($0)\"" })
        for (name, era) in zip(names, ["BC", "AD"]) {
            try pg.query(
                """
                CREATE TABLE "\(name)" (id int PRIMARY KEY, at timestamp, seen timestamptz);
                INSERT INTO "\(name)" VALUES (1, '0044-03-15 12:00:00 \(era)', NULL),
                  (2, NULL, '0044-03-15 12:00:00+00 \(era)'), (3, '2024-01-01 00:00:00', '2024-01-01 00:00:00+00');
                """, purpose: "tables")
        }
        let url = "jdbc:postgresql://127.0.0.1:\(IntegrationEnvironment.pgPort)/tributary?sslmode=disable"
        let left = try openVerifySource(
            url: try Self.jdbc(url), user: "tributary", password: "tributary", table: "public.\(names[0])")
        let right = try openVerifySource(
            url: try Self.jdbc(url), user: "tributary", password: "tributary", table: "public.\(names[1])")
        defer {
            left.close()
            right.close()
        }
        let report = try TableVerifier(source: left, target: right).run()
        XCTAssertEqual(report.differences.count, 2, "\(report.differences)")
        XCTAssertEqual(report.equalRows, 1)
    }

    func testMariaDBMigratesIntoPostgreSQLWhileTheApplicationWrites() throws {
        let (database, work) = try MariaDBEnvironment.prepare("mig", for: self)
        let schema = "mig_" + slot
        let pg = try IntegrationEnvironment.sql()
        try pg.query("CREATE SCHEMA \"\(schema)\"", purpose: "target schema")
        defer { _ = try? pg.query("DROP SCHEMA \"\(schema)\" CASCADE", purpose: "drop the target schema") }
        try MariaDBEnvironment.sql(
            """
            USE \(database);
            CREATE TABLE customers (id int PRIMARY KEY, name varchar(100) CHARACTER SET utf8mb4 NOT NULL,
              email varchar(200) NULL, created datetime(6) NOT NULL, balance decimal(12,2), active tinyint(1),
              notes longtext CHARACTER SET utf8mb4);
            CREATE TABLE orders (customer_id int, order_no int, amount decimal(10,2) NOT NULL, placed date,
              status enum('new','paid','shipped') NOT NULL, payload json NULL, PRIMARY KEY (customer_id, order_no));
            CREATE TABLE blobs (id bigint PRIMARY KEY, data blob, ratio double, t time(3), big bigint unsigned,
              mask bit(10), spot point);
            INSERT INTO customers SELECT seq, CONCAT('naïve 名前 ', seq), IF(seq % 3 = 0, NULL, CONCAT('c', seq, '@x.io')),
              TIMESTAMP('2024-01-01') + INTERVAL seq SECOND + INTERVAL seq MICROSECOND, seq * 1.25, seq % 2,
              IF(seq % 100 = 0, REPEAT('long text ', 2000), NULL) FROM seq_1_to_3000;
            INSERT INTO orders SELECT 1 + seq % 500, seq, seq / 7, DATE('2020-02-29') + INTERVAL seq DAY,
              ELT(1 + seq % 3, 'new', 'paid', 'shipped'), IF(seq % 5 = 0, CONCAT('{"n": ', seq, '}'), NULL)
              FROM seq_1_to_4000;
            INSERT INTO blobs VALUES (1, X'00FF27', -0.5, '12:34:56.789', 18446744073709551615, b'1000000101',
              POINT(1.5, -2)), (2, '', 1e300, '23:59:59.999', 0, b'0', POINT(0, 0)),
              (3, NULL, NULL, NULL, NULL, NULL, NULL);
            """)

        // `precise`: BIGINT UNSIGNED beyond 2^63 as decimals (Debezium's default `long` wraps them).
        let connector = try RunningConnector(
            MariaDBEnvironment.connectorConfig(
                database, work: work, ["snapshot.mode": "initial", "bigint.unsigned.handling.mode": "precise"]),
            offsetFile: work.path + "/offsets.json")
        // The application keeps writing during the snapshot and after it.
        for round in 0..<20 {
            try MariaDBEnvironment.sql(
                """
                USE \(database);
                UPDATE customers SET balance = balance + 1, name = CONCAT(name, '′') WHERE id % 97 = \(round);
                INSERT INTO customers
                  VALUES (\(10_000 + round), 'new ''quoted'' \\\\ one', NULL, NOW(6), NULL, 1, NULL);
                DELETE FROM orders WHERE order_no % 101 = \(round);
                INSERT INTO orders VALUES (\(round + 1), \(100_000 + round), 9.99, NULL, 'new', '{"late": true}');
                UPDATE blobs SET ratio = ratio * 2, mask = mask ^ \(round + 1) WHERE id = 1;
                """)
            Thread.sleep(forTimeInterval: 0.1)
        }
        let pgURL = "jdbc:postgresql://127.0.0.1:\(IntegrationEnvironment.pgPort)/tributary?sslmode=disable"
        let mariaURL = "jdbc:mariadb://127.0.0.1:\(MariaDBEnvironment.port)/\(database)"
        let tables = ["customers", "orders", "blobs"]
        var last: [String] = []
        try runSink([
            "name": "sink-" + slot, "connector.class": JdbcSinkConfig.className,
            "topics.regex": "\(database)\\.\(database)\\..*", "connection.url": pgURL,
            "connection.username": "tributary", "connection.password": "tributary", "insert.mode": "upsert",
            "primary.key.mode": "record_key", "delete.enabled": "true", "schema.evolution": "basic",
            "collection.name.format": "\(schema).${source.table}",
        ]) {
            last = try self.differences(
                tables, source: mariaURL, sourceTable: { $0 }, target: pgURL, targetTable: { "\(schema).\($0)" })
            return last.isEmpty
        }
        try connector.stop()
        XCTAssertEqual(last, [], "every table equal after the sink caught up")
    }

    func testPostgreSQLMigratesIntoMariaDBWhileTheApplicationWrites() throws {
        let (database, _) = try MariaDBEnvironment.prepare("mig", for: self)
        let pg = try IntegrationEnvironment.sql()
        let names = ["accounts", "lines", "tags"].map { "\(slot)_\($0)" }
        tables.append(contentsOf: names.map { "public.\"\($0)\"" })
        try pg.query(
            """
            CREATE TABLE "\(names[0])" (id bigint PRIMARY KEY, name text NOT NULL, balance numeric(14,4),
              opened timestamptz, flags boolean, data bytea, doc jsonb, ref uuid, big text);
            ALTER TABLE "\(names[0])" ALTER COLUMN big SET STORAGE EXTERNAL;
            CREATE TABLE "\(names[1])" (account_id int, line int, qty int NOT NULL, price numeric(10,2),
              note text, PRIMARY KEY (account_id, line));
            CREATE TABLE "\(names[2])" (name text PRIMARY KEY, weight int, mask bit(12), spot point);
            INSERT INTO "\(names[0])" SELECT g, 'naïve ' || g || ' 🐘', g * 1.0001,
              '2024-01-01 00:00:00+02'::timestamptz + g * interval '1 second 1 microsecond', g % 2 = 0,
              CASE WHEN g % 4 = 0 THEN '\\x00ff'::bytea END, CASE WHEN g % 3 = 0 THEN jsonb_build_object('g', g) END,
              md5(g::text)::uuid, CASE WHEN g % 50 = 0 THEN repeat('toast ', 5000) END
              FROM generate_series(1, 3000) g;
            INSERT INTO "\(names[1])" SELECT 1 + g % 300, g, g % 17, g / 3.0, NULLIF('note ' || g, 'note 5')
              FROM generate_series(1, 4000) g;
            INSERT INTO "\(names[2])" VALUES ('a', 1, B'100000000001', '(1.5,-2)'), ('A', 2, B'000000000000', NULL),
              ('b', 3, NULL, '(0,1e20)'), ('é', 4, NULL, NULL), ('Z', 5, NULL, NULL), ('a b', 6, NULL, NULL),
              ('', 7, NULL, NULL);
            """, purpose: "source tables")
        let connector = try RunningConnector(
            IntegrationEnvironment.connectorConfig(
                name: slot, prefix: slot, slot: slot, tables: names.map { "public.\($0)" }.joined(separator: ","),
                extra: ["snapshot.mode": "initial"]),
            offsetFile: offsetFile)
        for round in 0..<20 {
            try pg.query(
                """
                UPDATE "\(names[0])" SET balance = balance + 1, name = name || '′' WHERE id % 97 = \(round);
                INSERT INTO "\(names[0])" (id, name, flags) VALUES (\(10_000 + round), 'it''s \\ new', true);
                DELETE FROM "\(names[1])" WHERE line % 101 = \(round);
                INSERT INTO "\(names[1])" VALUES (\(round + 1), \(100_000 + round), 1, 9.99, NULL);
                UPDATE "\(names[2])" SET weight = weight + 1, mask = (\(round + 1))::bit(12) WHERE name = 'é';
                """, purpose: "application writes")
            Thread.sleep(forTimeInterval: 0.1)
        }
        let pgURL = "jdbc:postgresql://127.0.0.1:\(IntegrationEnvironment.pgPort)/tributary?sslmode=disable"
        let mariaURL = "jdbc:mariadb://127.0.0.1:\(MariaDBEnvironment.port)/\(database)"
        var last: [String] = []
        try runSink([
            "name": "sink-" + slot, "connector.class": JdbcSinkConfig.className,
            "topics.regex": "\(slot)\\.public\\..*", "connection.url": mariaURL,
            "connection.username": "tributary", "connection.password": "tributary", "insert.mode": "upsert",
            "primary.key.mode": "record_key", "delete.enabled": "true", "schema.evolution": "basic",
            "collection.name.format": "${source.table}",
        ]) {
            last = try self.differences(
                names, source: pgURL, sourceTable: { "public.\($0)" }, target: mariaURL, targetTable: { $0 })
            return last.isEmpty
        }
        try connector.stop()
        XCTAssertEqual(last, [], "every table equal after the sink caught up")
    }
}
