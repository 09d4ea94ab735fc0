import DebeziumEvents
import TributaryCore
import XCTest

final class ColumnMappersTests: XCTestCase {
    func testFirstMatchingRuleInDebeziumsOrder() throws {
        let mappers = try ColumnMappers(
            Config([
                "column.mask.hash.SHA-256.with.salt.pepper": "public\\.t\\.(email|name)",
                "column.propagate.source.type": ".*",
                "column.truncate.to.5.chars": "public\\.t\\.name",
                "column.mask.with.3.chars": "public\\.t\\.email",
                "datatype.propagate.source.type": ".+\\.VARCHAR",
                "column.mask.hash.v2.MD5.with.salt.s": "public\\.t\\.v2",
            ]))
        XCTAssertEqual(mappers.mapper(table: "public.t", column: "name", typeName: "TEXT"), .truncate(5))
        XCTAssertEqual(mappers.mapper(table: "public.t", column: "email", typeName: "TEXT"), .mask("***"))
        XCTAssertEqual(mappers.mapper(table: "PUBLIC.T", column: "other", typeName: "INT4"), .propagateSourceType)
        XCTAssertEqual(
            mappers.mapper(table: "public.t", column: "v2", typeName: "INT4"), .propagateSourceType,
            "propagation comes before hashes")
        let onlyHashes = try ColumnMappers(
            Config([
                "column.mask.hash.SHA-256.with.salt.pepper": "public\\.t\\.email",
                "column.mask.hash.v2.MD5.with.salt.s": "public\\.t\\.v2",
            ]))
        XCTAssertEqual(
            onlyHashes.mapper(table: "public.t", column: "email", typeName: "VARCHAR"),
            .hash(ColumnMappers.HashAlgorithm(javaName: "SHA-256")!, salt: Array("pepper".utf8), v2: false))
        XCTAssertEqual(
            onlyHashes.mapper(table: "public.t", column: "v2", typeName: "VARCHAR"),
            .hash(ColumnMappers.HashAlgorithm(javaName: "MD5")!, salt: Array("s".utf8), v2: true))
        XCTAssertNil(onlyHashes.mapper(table: "public.t", column: "x", typeName: "VARCHAR"))
        XCTAssertNil(try ColumnMappers(Config([:])).mapper(table: "public.t", column: "name", typeName: "TEXT"))
    }

    /// Debezium 3.6.3 wrote `cb755529…` (cut to the column's 50 characters) for this value, salt and algorithm.
    func testHashesAsDebeziumDoes() {
        let sha256 = ColumnMappers.HashAlgorithm(javaName: "SHA-256")!
        let v1 = ColumnMappers.hash("alice@example.com", algorithm: sha256, salt: Array("pepper".utf8), v2: false)
        XCTAssertEqual(String(v1.prefix(50)), "cb755529ea5548e3797d230ab3a54ec1a3b7aa098c166456ec")
        XCTAssertEqual(
            ColumnMappers.hash("abc", algorithm: ColumnMappers.HashAlgorithm(javaName: "MD5")!, salt: [], v2: true),
            "900150983cd24fb0d6963f7d28e17f72", "v2 digests the UTF-8 bytes")
        XCTAssertEqual(
            ColumnMappers.hash(
                "abc", algorithm: ColumnMappers.HashAlgorithm(javaName: "SHA-512/256")!, salt: [], v2: true),
            "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23", "Java's names beyond the usual")
        XCTAssertNil(ColumnMappers.HashAlgorithm(javaName: "SHA-999"))
    }

    func testMalformedSettingsNameTheKey() {
        XCTAssertThrowsError(try ColumnMappers(Config(["column.mask.hash.SHA3-999.with.salt.x": "a"]))) {
            XCTAssertTrue("\($0)".contains("column.mask.hash.SHA3-999.with.salt.x"), "\($0)")
        }
        XCTAssertThrowsError(try ColumnMappers(Config(["column.truncate.to.x.chars": "a"]))) {
            XCTAssertTrue("\($0)".contains("column.truncate.to.x.chars"), "\($0)")
        }
        XCTAssertThrowsError(try MessageKeyColumns(Config(["message.key.columns": "public.t"]))) {
            XCTAssertTrue("\($0)".contains("message.key.columns"), "\($0)")
        }
    }

    func testMessageKeyColumns() throws {
        let keys = try MessageKeyColumns(Config(["message.key.columns": "public.a:x, y; public\\.b.*:z"]))
        XCTAssertEqual(keys.columns(for: "public.a"), ["x", "y"])
        XCTAssertEqual(keys.columns(for: "public.bee"), ["z"])
        XCTAssertNil(keys.columns(for: "public.c"))
    }
}
