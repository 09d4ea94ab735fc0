import XCTest

@testable import MySQLDDL

final class MySQLSchemaCatalogTests: XCTestCase {
    private func apply(
        _ catalog: inout MySQLSchemaCatalog, _ sql: String, database: String = "shop"
    ) throws
        -> [MySQLSchemaCatalog.Change]
    {
        try catalog.apply(try DDLParser.parse(sql), database: database)
    }

    func testTablesFollowTheirDDL() throws {
        var catalog = MySQLSchemaCatalog(serverCharset: "utf8mb4")
        _ = try apply(&catalog, "CREATE DATABASE shop CHARACTER SET latin1")
        _ = try apply(&catalog, "CREATE TABLE t (id int primary key, name varchar(10), note text charset utf8mb4)")
        var t = try XCTUnwrap(catalog.table(database: "shop", name: "t"))
        XCTAssertEqual(t.columns.map(\.charset), [nil, "latin1", "utf8mb4"])
        XCTAssertEqual(t.primaryKey, ["id"])

        _ = try apply(
            &catalog, "ALTER TABLE t ADD COLUMN first_one int FIRST, CHANGE name full_name varchar(20) AFTER id")
        t = try XCTUnwrap(catalog.table(database: "shop", name: "t"))
        XCTAssertEqual(t.columns.map(\.name), ["first_one", "id", "full_name", "note"])
        XCTAssertEqual(t.columns[2].charset, "latin1")

        _ = try apply(&catalog, "ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (full_name, id)")
        XCTAssertEqual(catalog.table(database: "shop", name: "t")?.primaryKey, ["full_name", "id"])

        let renamed = try apply(&catalog, "RENAME TABLE t TO other.u")
        XCTAssertEqual(renamed.count, 1)
        XCTAssertNil(catalog.table(database: "shop", name: "t"))
        XCTAssertEqual(catalog.table(database: "other", name: "u")?.columns.count, 4)

        XCTAssertEqual(
            try apply(&catalog, "DROP TABLE IF EXISTS other.u, missing"), [.dropped(database: "other", table: "u")])
        XCTAssertTrue(catalog.tables.isEmpty)
    }

    func testAlteringAMissingColumnIsAnError() throws {
        var catalog = MySQLSchemaCatalog()
        _ = try apply(&catalog, "CREATE TABLE t (a int)")
        XCTAssertThrowsError(try apply(&catalog, "ALTER TABLE t MODIFY b int")) { error in
            XCTAssertEqual((error as? DDLError)?.table, DDLTableName(database: "shop", name: "t"))
        }
        XCTAssertEqual(try apply(&catalog, "ALTER TABLE t DROP COLUMN IF EXISTS b").count, 1)
        XCTAssertEqual(try apply(&catalog, "ALTER TABLE unknown ADD c int"), [])
    }

    func testDroppingADatabaseDropsItsTables() throws {
        var catalog = MySQLSchemaCatalog()
        _ = try apply(&catalog, "CREATE TABLE a (x int)")
        _ = try apply(&catalog, "CREATE TABLE b LIKE a")
        _ = try apply(&catalog, "CREATE TABLE a (x int)", database: "kept")
        XCTAssertEqual(
            try apply(&catalog, "DROP DATABASE shop"),
            [.dropped(database: "shop", table: "a"), .dropped(database: "shop", table: "b")])
        XCTAssertEqual(Array(catalog.tables.keys), ["kept.a"])
    }
}
