import XCTest

@testable import MySQLDDL

final class DDLParserTests: XCTestCase {
    /// MariaDB 10.11's SHOW CREATE TABLE of a table with every kind of column.
    static let showCreateTable = """
        CREATE TABLE `t` (
          `id` int(10) unsigned NOT NULL AUTO_INCREMENT,
          `b` tinyint(1) DEFAULT 1,
          `ti` tinyint(3) unsigned zerofill DEFAULT NULL,
          `bi` bigint(20) unsigned DEFAULT NULL,
          `f` float DEFAULT NULL,
          `d` double(10,2) DEFAULT NULL,
          `de` decimal(10,3) DEFAULT 1.500,
          `ch` char(3) DEFAULT NULL,
          `vc` varchar(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT 'x''y',
          `bn` binary(4) DEFAULT NULL,
          `e` enum('a','b,c','d''e') DEFAULT 'a',
          `s` set('x','y') DEFAULT NULL,
          `y` year(4) DEFAULT NULL,
          `tm` time(3) DEFAULT NULL,
          `dtt` datetime(6) DEFAULT current_timestamp(6),
          `ts` timestamp(2) NULL DEFAULT NULL ON UPDATE current_timestamp(2),
          `j` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`j`)),
          `p` point NOT NULL DEFAULT point(0,0),
          `bt` bit(5) DEFAULT b'101',
          PRIMARY KEY (`id`),
          UNIQUE KEY `uk` (`vc`),
          KEY `sm` (`ch`(2)) COMMENT 'x'
        ) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci COMMENT='tbl'
        """

    func testShowCreateTableOfEveryKindOfColumn() throws {
        guard case .createTable(let name, let table, false, false) = try DDLParser.parse(Self.showCreateTable) else {
            return XCTFail("not a CREATE TABLE")
        }
        XCTAssertEqual(name, DDLTableName(database: nil, name: "t"))
        XCTAssertEqual(
            table.columns.map(\.name),
            ["id", "b", "ti", "bi", "f", "d", "de", "ch", "vc", "bn", "e", "s", "y", "tm", "dtt", "ts", "j", "p", "bt"])
        XCTAssertEqual(table.primaryKey, ["id"])
        XCTAssertEqual(table.charset, "latin1")
        XCTAssertEqual(table.comment, "tbl")
        let c = Dictionary(uniqueKeysWithValues: table.columns.map { ($0.name, $0) })
        XCTAssertEqual(c["id"]?.typeName, "INT")
        XCTAssertEqual(c["id"]?.unsigned, true)
        XCTAssertEqual(c["id"]?.nullable, false)
        XCTAssertEqual(c["id"]?.autoIncrement, true)
        XCTAssertEqual(c["b"]?.length, 1)
        XCTAssertEqual(c["b"]?.defaultValue, .literal("1"))
        XCTAssertEqual(c["ti"]?.zerofill, true)
        XCTAssertEqual(c["ti"]?.fullTypeName, "TINYINT UNSIGNED ZEROFILL")
        XCTAssertEqual(c["d"]?.length, 10)
        XCTAssertEqual(c["d"]?.scale, 2)
        XCTAssertEqual(c["de"]?.defaultValue, .literal("1.500"))
        XCTAssertNil(c["ch"]?.charset)
        XCTAssertEqual(c["vc"]?.charset, "utf8mb4")
        XCTAssertEqual(c["vc"]?.collation, "utf8mb4_bin")
        XCTAssertEqual(c["vc"]?.defaultValue, .literal("x'y"))
        XCTAssertEqual(c["e"]?.members, ["a", "b,c", "d'e"])
        XCTAssertEqual(c["e"]?.defaultValue, .literal("a"))
        XCTAssertEqual(c["tm"]?.length, 3)
        XCTAssertEqual(c["dtt"]?.defaultValue, .expression("current_timestamp(6)"))
        XCTAssertEqual(c["ts"]?.nullable, true)
        XCTAssertEqual(c["ts"]?.defaultValue, .null)
        XCTAssertEqual(c["j"]?.typeName, "LONGTEXT")
        XCTAssertEqual(c["p"]?.defaultValue, .expression("point(0,0)"))
        XCTAssertEqual(c["bt"]?.defaultValue, .literal("b'101'"))
    }

    func testTypeAliasesAndAttributesAsWritten() throws {
        let sql = """
            create table if not exists shop.orders (
              id serial, flag bool not null default true, n numeric(5) signed, r real, dp double precision,
              nc national character varying(10), cv character varying(5) binary, lv long varchar,
              g int generated always as (id + 1) virtual, h integer as (id * 2) stored invisible,
              fk int references customers (id) on delete cascade on update no action,
              amount decimal(10, 2) default -1.5 comment 'price', at datetime default now() on update now(),
              primary key using btree (id, flag desc), constraint fk foreign key (fk) references c (id),
              index idx (amount), check (amount > 0)
            ) engine = InnoDB, default character set = utf8mb4 partition by hash (id) partitions 4;
            """
        guard case .createTable(let name, let table, true, false) = try DDLParser.parse(sql) else {
            return XCTFail("not a CREATE TABLE")
        }
        XCTAssertEqual(name, DDLTableName(database: "shop", name: "orders"))
        XCTAssertEqual(table.primaryKey, ["id", "flag"])
        XCTAssertEqual(table.charset, "utf8mb4")
        let types = table.columns.map(\.typeName)
        XCTAssertEqual(
            types,
            [
                "BIGINT", "BOOLEAN", "DECIMAL", "REAL", "DOUBLE", "VARCHAR", "VARCHAR", "MEDIUMTEXT", "INT", "INT",
                "INT",
                "DECIMAL", "DATETIME",
            ])
        XCTAssertEqual(table.columns[0].unsigned, true)
        XCTAssertEqual(table.columns[0].nullable, false)
        XCTAssertEqual(table.columns[1].defaultValue, .literal("1"))
        XCTAssertEqual(table.columns[5].charset, "utf8mb3")
        XCTAssertEqual(table.columns[8].generated, true)
        XCTAssertEqual(table.columns[9].generated, true)
        XCTAssertEqual(table.columns[11].defaultValue, .literal("-1.5"))
        XCTAssertEqual(table.columns[11].comment, "price")
        XCTAssertEqual(table.columns[12].defaultValue, .expression("now()"))
    }

    func testAlterTableChanges() throws {
        let sql = """
            ALTER TABLE `db`.`t` ADD COLUMN c2 varchar(10) NOT NULL AFTER c1, ADD (x int, y int), DROP COLUMN old,
              DROP INDEX i, MODIFY c3 bigint FIRST, CHANGE COLUMN a b text, RENAME COLUMN p TO q,
              ALTER COLUMN z SET DEFAULT 5, ALTER z2 DROP DEFAULT, ADD CONSTRAINT pk PRIMARY KEY (b), DROP PRIMARY KEY,
              ADD UNIQUE KEY u (x), ALGORITHM=INPLACE, LOCK=NONE, CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
              RENAME TO db2.t2
            """
        guard case .alterTable(let name, let changes) = try DDLParser.parse(sql) else { return XCTFail() }
        XCTAssertEqual(name, DDLTableName(database: "db", name: "t"))
        var c2 = MySQLColumn(name: "c2", typeName: "VARCHAR")
        c2.length = 10
        c2.nullable = false
        var c3 = MySQLColumn(name: "c3", typeName: "BIGINT")
        c3.nullable = true
        XCTAssertEqual(
            changes,
            [
                .addColumns([c2], position: .after("c1")),
                .addColumns(
                    [MySQLColumn(name: "x", typeName: "INT"), MySQLColumn(name: "y", typeName: "INT")], position: nil),
                .dropColumn("old", ifExists: false),
                .modifyColumn(c3, position: .first, ifExists: false),
                .changeColumn(from: "a", to: MySQLColumn(name: "b", typeName: "TEXT"), position: nil, ifExists: false),
                .renameColumn(from: "p", to: "q"),
                .setDefault(column: "z", .literal("5")),
                .setDefault(column: "z2", nil),
                .addPrimaryKey(["b"]),
                .dropPrimaryKey,
                .convertCharset("utf8mb4"),
                .renameTable(DDLTableName(database: "db2", name: "t2")),
            ])
    }

    func testOtherTableStatements() throws {
        XCTAssertEqual(
            try DDLParser.parse("DROP TABLE IF EXISTS `a`, b.c /* generated by server */"),
            .dropTables([DDLTableName(database: nil, name: "a"), DDLTableName(database: "b", name: "c")]))
        XCTAssertEqual(
            try DDLParser.parse("rename table a to b, x.c to x.d"),
            .renameTables([
                DDLRename(from: DDLTableName(database: nil, name: "a"), to: DDLTableName(database: nil, name: "b")),
                DDLRename(from: DDLTableName(database: "x", name: "c"), to: DDLTableName(database: "x", name: "d")),
            ]))
        XCTAssertEqual(try DDLParser.parse("TRUNCATE t"), .truncateTable(DDLTableName(database: nil, name: "t")))
        XCTAssertEqual(
            try DDLParser.parse("CREATE DATABASE IF NOT EXISTS shop /*!40100 DEFAULT CHARACTER SET latin1 */"),
            .createDatabase("shop", charset: "latin1"))
        XCTAssertEqual(try DDLParser.parse("DROP SCHEMA shop"), .dropDatabase("shop"))
        XCTAssertEqual(
            try DDLParser.parse("CREATE TABLE n LIKE o"),
            .createTableLike(
                DDLTableName(database: nil, name: "n"), like: DDLTableName(database: nil, name: "o"), ifNotExists: false
            ))
        for other in [
            "BEGIN", "COMMIT", "GRANT ALL ON *.* TO x", "CREATE INDEX i ON t (a)", "CREATE VIEW v AS SELECT 1",
            "SET @a = 1", "FLUSH TABLES", "CREATE TEMPORARY TABLE tt (a int)", "# just a comment",
        ] {
            XCTAssertEqual(try DDLParser.parse(other), .other, other)
        }
    }

    func testUnreadableStatementsNameTheirTable() {
        XCTAssertThrowsError(try DDLParser.parse("CREATE TABLE db.t2 SELECT * FROM t")) { error in
            XCTAssertEqual((error as? DDLError)?.table, DDLTableName(database: "db", name: "t2"))
        }
        XCTAssertThrowsError(try DDLParser.parse("ALTER TABLE t ADD COLUMN c int FROBNICATE")) { error in
            XCTAssertEqual((error as? DDLError)?.table, DDLTableName(database: nil, name: "t"))
        }
        XCTAssertThrowsError(try DDLParser.parse("CREATE TABLE t (a varchar(3) default 'x"))
    }

    func testStringsAndNamesAreUnescaped() throws {
        let tokens = try DDLTokenizer.tokenize(#"`a``b` 'it''s\n' "q\"" -- comment"# + "\n" + "x /* c */ y")
        XCTAssertEqual(tokens, [.quoted("a`b"), .string("it's\n"), .string("q\""), .word("x"), .word("y")])
    }
}
