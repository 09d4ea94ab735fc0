import XCTest

@testable import JdbcSink

final class PostgresStagingTests: XCTestCase {
    private let staging = PostgresStaging(dialect: PostgresSinkDialect(quoteAll: false))

    /// No value can end its field or its row: COPY's separators and its escape character are escaped, NULL is `\N`
    /// and a value that reads `\N` stays text.
    func testRowsInCopyTextFormat() {
        var out: [UInt8] = []
        PostgresStaging.append(["1", nil, "a\tb\nc\rd\\e", "\\N", "", "zoë"], to: &out)
        PostgresStaging.append(["2", "\\x00ff"], to: &out)
        XCTAssertEqual(
            String(decoding: out, as: UTF8.self), "1\t\\N\ta\\tb\\nc\\rd\\\\e\t\\\\N\t\tzoë\n2\t\\\\x00ff\n")
    }

    /// The stage is the session's own (`pg_temp`), has the target's column types, and is emptied by the statement
    /// that moves its rows; names are quoted as the dialect quotes them.
    func testStatements() {
        XCTAssertEqual(
            staging.create("tributary_stage_1", of: "shop.order", columns: ["id", "from"]).sql,
            """
            CREATE TEMP TABLE IF NOT EXISTS pg_temp.tributary_stage_1 ON COMMIT DELETE ROWS AS SELECT id,"from" \
            FROM shop."order" WITH NO DATA
            """)
        XCTAssertEqual(
            staging.copy(into: "tributary_stage_1", columns: ["id", "from"]),
            "COPY pg_temp.tributary_stage_1 (id,\"from\") FROM STDIN")
        XCTAssertEqual(
            staging.insert(from: "tributary_stage_1", into: "shop.order", columns: ["id", "from"], upsertKey: ["id"])
                .sql,
            """
            WITH staged AS (DELETE FROM pg_temp.tributary_stage_1 RETURNING id,"from") INSERT INTO shop."order" \
            (id,"from") SELECT id,"from" FROM staged ON CONFLICT (id) DO UPDATE SET "from"=EXCLUDED."from"
            """)
        XCTAssertEqual(
            staging.insert(from: "s", into: "t", columns: ["id"], upsertKey: nil).sql,
            "WITH staged AS (DELETE FROM pg_temp.s RETURNING id) INSERT INTO t (id) SELECT id FROM staged")
    }
}
