import BinlogProtocol
import DebeziumEvents
import MySQLDDL
import TributaryCore
import XCTest

@testable import MySQLSource

final class MySQLTableSchemaTests: XCTestCase {
    private func table(_ sql: String) throws -> MySQLTable {
        guard case .createTable(_, var table, _, _) = try DDLParser.parse(sql) else { throw MySQLValueError("no") }
        table.database = "shop"
        return table
    }

    private func schema(_ table: MySQLTable, _ config: [String: String] = [:]) throws -> MySQLTableSchema {
        let config = Config(config)
        return try MySQLTableSchema(
            table: table, topicPrefix: "p", converter: MySQLValueConverter(), source: MySQLSchemas.source(.mariadb),
            columnFilter: try NameFilter(include: "column.include.list", exclude: "column.exclude.list", config),
            keyColumns: try MessageKeyColumns(config), mappers: try ColumnMappers(config)
        ) { _, _ in }
    }

    func testMappersShapeValuesButNotKeys() throws {
        let t = try table("CREATE TABLE c (email varchar(40) NOT NULL PRIMARY KEY, note text, pin char(4))")
        let s = try schema(
            t,
            [
                "column.mask.with.3.chars": "shop.c.email", "column.truncate.to.2.chars": "shop.c.note",
                "column.mask.hash.SHA-256.with.salt.pepper": "shop.c.pin",
                "column.propagate.source.type": "shop.c.note",
            ])
        let row = try s.row([
            .bytes(Array("ann@x.org".utf8)[...]), .bytes(Array("hello".utf8)[...]), .bytes(Array("1234".utf8)[...]),
        ])
        XCTAssertEqual(row.key?.values, [.string("ann@x.org")], "keys are never mapped")
        XCTAssertEqual(row.value.values[0], .string("***"))
        XCTAssertEqual(row.value.values[1], .string("he"))
        guard case .string(let hash) = row.value.values[2] else { return XCTFail() }
        XCTAssertEqual(hash.count, 4, "a hash is cut to the column's length")
        XCTAssertEqual(s.valueSchema.fields[0].schema.parameter("masked"), "true")
        XCTAssertEqual(s.valueSchema.fields[1].schema.parameter("truncateLength"), "2")
    }

    func testFiltersAndMessageKeyColumns() throws {
        let t = try table("CREATE TABLE c (id int PRIMARY KEY, a int, secret varchar(5))")
        let s = try schema(t, ["column.exclude.list": "shop.c.secret", "message.key.columns": "shop.c:a"])
        XCTAssertEqual(s.valueSchema.fields.map(\.name), ["id", "a"])
        XCTAssertEqual(s.keySchema?.fields.map(\.name), ["a"])
        let row = try s.row([.integer(1, width: 4), .integer(7, width: 4), .bytes([][...])])
        XCTAssertEqual(row.key?.values, [.int32(7)])
        XCTAssertThrowsError(try s.row([.integer(1, width: 4)])) { error in
            XCTAssertTrue("\(error)".contains("shop.c"), "\(error)")
        }
    }
}
