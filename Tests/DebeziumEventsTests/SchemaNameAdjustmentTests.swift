import TributaryCore
import XCTest

@testable import DebeziumEvents

/// Debezium's schema name adjusters (`SchemaNameAdjuster.AVRO`, `AVRO_UNICODE`).
final class SchemaNameAdjustmentTests: XCTestCase {
    func testModes() throws {
        XCTAssertEqual(SchemaNameAdjustment.none.adjust("my-server.db.t-1.Value"), "my-server.db.t-1.Value")
        XCTAssertEqual(SchemaNameAdjustment.avro.adjust("my-server.db.t-1.Value"), "my_server.db.t_1.Value")
        XCTAssertEqual(SchemaNameAdjustment.avro.adjust("1srv.public.t.Key"), "_1srv.public.t.Key")
        XCTAssertEqual(SchemaNameAdjustment.avro.adjust("srv.public.ok_name.Envelope"), "srv.public.ok_name.Envelope")
        XCTAssertEqual(
            SchemaNameAdjustment.avroUnicode.adjust("my-server.db.t_1.Value"), "my_u002dserver.db.t_u005f1.Value")
        XCTAssertEqual(SchemaNameAdjustment.avroUnicode.adjust("_x"), "_u005fx")
        XCTAssertEqual(
            try SchemaNameAdjustment(Config(["schema.name.adjustment.mode": "AVRO"])), .avro, "case-insensitive")
        XCTAssertThrowsError(try SchemaNameAdjustment(Config(["schema.name.adjustment.mode": "x"]))) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "schema.name.adjustment.mode")
        }
    }

    /// Field names follow the same rules without dots (Debezium's AVRO_FIELD_NAMER and AVRO_UNICODE_FIELD_NAMER).
    func testFieldNames() throws {
        XCTAssertEqual(SchemaNameAdjustment.avro.adjustField("Mixed Case"), "Mixed_Case")
        XCTAssertEqual(SchemaNameAdjustment.avro.adjustField("a.b-c"), "a_b_c")
        XCTAssertEqual(SchemaNameAdjustment.avro.adjustField("ok_name1"), "ok_name1")
        XCTAssertEqual(SchemaNameAdjustment.avroUnicode.adjustField("a.b"), "a_u002eb")
        XCTAssertEqual(SchemaNameAdjustment.none.adjustField("a b"), "a b")
        XCTAssertEqual(try SchemaNameAdjustment(fieldNamesOf: Config(["field.name.adjustment.mode": "avro"])), .avro)
    }
}
