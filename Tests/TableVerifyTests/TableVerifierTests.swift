import XCTest

@testable import TableVerify

/// The merge and the normalization, over rows given in key order as a database would send them.
final class TableVerifierTests: XCTestCase {
    /// Rows in memory, served in chunks of two.
    private final class Rows: VerifySource {
        let description: String
        let table: [VerifyColumn]
        let rows: [[String?]]
        let key: [String]
        private var position = 0

        init(_ description: String, _ table: [VerifyColumn], _ rows: [[String?]], key: [String] = ["id"]) {
            self.description = description
            self.table = table
            self.rows = rows
            self.key = key
        }

        func columns() throws -> [VerifyColumn] { table }
        func primaryKey() throws -> [String] { key }
        func count() throws -> Int { rows.count }
        func open(columns: [VerifyColumn], key: [VerifyColumn]) throws {
            XCTAssertEqual(columns.prefix(key.count).map(\.name), key.map(\.name), "key columns come first")
        }
        func next() throws -> [[String?]] {
            defer { position = min(rows.count, position + 2) }
            return Array(rows[position..<min(rows.count, position + 2)])
        }
        func close() {}
    }

    private func column(_ name: String, _ kind: ColumnKind) -> VerifyColumn {
        VerifyColumn(name: name, kind: kind, type: "\(kind)")
    }

    func testEqualDataInDifferentTypesMatches() throws {
        let source = Rows(
            "pg",
            [
                column("id", .integer), column("ok", .boolean), column("amount", .decimal), column("at", .time),
                column("doc", .json), column("ref", .uuid), column("score", .float64),
            ],
            [
                [
                    "1", "t", "12.500", "12:00:00.5", #"{"a": 1, "b": [2]}"#, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
                    "1e+300",
                ],
                ["2", "f", "-0.0", "00:00:00", "null", nil, "NaN"],
            ])
        let target = Rows(
            "maria",
            [
                column("ID", .integer), column("ok", .integer), column("amount", .decimal), column("at", .time),
                column("doc", .text), column("ref", .text), column("score", .float64),
            ],
            [
                [
                    "1", "1", "12.5", "12:00:00.500000", #"{"b":[2],"a":1}"#, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                    "1e300",
                ],
                ["2", "0", "0", "00:00:00.000000", "null", nil, "nan"],
            ])
        let report = try TableVerifier(source: source, target: target).run()
        XCTAssertEqual(report.differences, [])
        XCTAssertEqual(report.equalRows, 2)
        XCTAssertTrue(report.matches)
    }

    /// Bits compare as numbers: PostgreSQL prints `bit(n)` with its leading zeros, MySQL's `BIN()` without.
    func testBitsCompareAsNumbers() throws {
        let source = Rows(
            "pg", [column("id", .integer), column("flags", .bits)], [["1", "0000101"], ["2", "0000000"], ["3", "1"]])
        let target = Rows(
            "maria", [column("id", .integer), column("flags", .bits)], [["1", "101"], ["2", "0"], ["3", "10"]])
        let report = try TableVerifier(source: source, target: target).run()
        XCTAssertEqual(report.equalRows, 2)
        XCTAssertEqual(report.differences.count, 1)
        XCTAssertEqual(ColumnKind(postgres: "bit varying"), .bits)
        XCTAssertEqual(ColumnKind(mysql: "bit", columnType: "bit(7)"), .bits)
    }

    /// Points compare by their coordinates, whether PostgreSQL prints them (`(1.5,-2)`) or MySQL's `ST_AsText`
    /// (`POINT(1.5 -2)`); other geometries as `ST_AsText` gives them.
    func testPointsCompareByCoordinates() throws {
        let source = Rows(
            "pg", [column("id", .integer), column("spot", .geometry)],
            [["1", "(1.5,-2)"], ["2", "(0,1e+20)"], ["3", "(1,2)"], ["4", "LINESTRING(0 0,1 1)"]])
        let target = Rows(
            "maria", [column("id", .integer), column("spot", .geometry)],
            [["1", "POINT(1.5 -2)"], ["2", "POINT(0 1e20)"], ["3", "POINT(2 1)"], ["4", "LINESTRING(0 0,1 1)"]])
        let report = try TableVerifier(source: source, target: target).run()
        XCTAssertEqual(report.equalRows, 3)
        XCTAssertEqual(report.differences.count, 1, "\(report.differences)")
        XCTAssertEqual(ColumnKind(postgres: "point"), .geometry)
        XCTAssertEqual(ColumnKind(mysql: "linestring", columnType: "linestring"), .geometry)
    }

    /// Differences name their keys: a changed value, a row missing in the target, an extra one; a column only in
    /// the source makes the tables differ too.
    func testDifferencesNameTheirKeys() throws {
        let source = Rows(
            "pg", [column("id", .integer), column("v", .text), column("gone", .text)],
            [["1", "a", nil], ["2", "b", nil], ["3", "c", nil], ["10", "j", nil]])
        let target = Rows(
            "maria", [column("id", .integer), column("v", .text)],
            [["1", "a"], ["3", "C"], ["4", "d"], ["10", "j"]])
        let report = try TableVerifier(source: source, target: target).run()
        XCTAssertEqual(
            report.differences,
            ["id=2: only in the source", "id=3: v is 'c' in the source, 'C' in the target", "id=4: only in the target"])
        XCTAssertEqual(report.onlyInSourceColumns, ["gone"])
        XCTAssertEqual([report.equalRows, report.differentRows, report.missingRows, report.extraRows], [2, 1, 1, 1])
        XCTAssertFalse(report.matches)
    }

    /// Keys compare as the databases order them: integers as numbers (10 after 9), strings by their bytes.
    func testKeysCompareAsTheDatabasesOrderThem() {
        XCTAssertEqual(TableVerifier.compareKeys(["9"], ["10"], kinds: [.integer], count: 1), -1)
        XCTAssertEqual(TableVerifier.compareKeys(["Z"], ["a"], kinds: [.text], count: 1), -1)
        XCTAssertEqual(TableVerifier.compareKeys(["é"], ["z"], kinds: [.text], count: 1), 1, "UTF-8 bytes")
        XCTAssertEqual(TableVerifier.compareKeys(["1.50"], ["1.5"], kinds: [.decimal], count: 1), 0)
        XCTAssertEqual(TableVerifier.compareKeys(["1", "b"], ["1", "a"], kinds: [.integer, .text], count: 2), 1)
    }

    func testNoKeyIsAClearError() {
        let source = Rows("pg", [column("v", .text)], [], key: [])
        XCTAssertThrowsError(try TableVerifier(source: source, target: source).run()) {
            XCTAssertTrue("\($0)".contains("--key"), "\($0)")
        }
    }
}
