import TributaryCore
import XCTest

@testable import Transforms

/// Kafka Connect's transforms on unwrapped rows (what they usually see after Debezium's unwrap).
final class KafkaTransformsTests: XCTestCase {
    private let kafka = "org.apache.kafka.connect.transforms."

    private func one(_ type: String, _ settings: [String: String] = [:]) throws -> TransformationChain {
        var all = ["transforms": "x", "transforms.x.type": kafka + type]
        for (k, v) in settings { all["transforms.x." + k] = v }
        return try Fixture.chain(all)
    }

    private let row: SourceRecord = {
        var r = Fixture.change("c", after: Fixture.rowValue(7, "seven"))
        r.valueSchema = Fixture.row
        r.value = Fixture.rowValue(7, "seven")
        r.headers = [Header(key: "keep", value: [1]), Header(key: "drop", value: [2])]
        return r
    }()

    func testInsertFieldAddsTopicTimestampAndStaticFieldsAndPassesTombstones() throws {
        let chain = try one(
            "InsertField$Value",
            ["topic.field": "t!", "timestamp.field": "at", "static.field": "origin", "static.value": "pg"])
        let out = try XCTUnwrap(try chain.apply(row))
        XCTAssertEqual(out.valueSchema?.fields.map(\.name), ["id", "name", "flag", "t", "at", "origin"])
        XCTAssertEqual(out.valueSchema?.field(named: "t")?.schema.isOptional, false)
        XCTAssertEqual(out.valueSchema?.field(named: "at")?.schema.name, ConnectLogical.timestampName)
        XCTAssertEqual(out.valueSchema?.isOptional, false, "Kafka's copySchemaBasics keeps no optionality")
        let value = try XCTUnwrap(out.value.structValue)
        XCTAssertEqual(value["t"], .string("srv.public.t"))
        XCTAssertEqual(value["at"], .int64(1_700_000_000_500))
        XCTAssertEqual(value["flag"], .boolean(true), "replace.null.with.default")
        XCTAssertTrue(try chain.apply(row)?.valueSchema === out.valueSchema, "schema derived once")
        XCTAssertNotNil(try chain.apply(Fixture.tombstone(1)))
        XCTAssertThrowsError(try one("InsertField$Value", ["offset.field": "o"]))
        let keyed = try XCTUnwrap(try one("InsertField$Key", ["static.field": "k", "static.value": "v"]).apply(row))
        XCTAssertEqual(keyed.key.structValue?["k"], .string("v"))
    }

    func testReplaceFieldIncludesExcludesAndRenames() throws {
        let out = try XCTUnwrap(
            try one("ReplaceField$Value", ["exclude": "flag", "renames": "name:label,id:pk"]).apply(row))
        XCTAssertEqual(out.valueSchema?.fields.map(\.name), ["pk", "label"])
        XCTAssertEqual(out.value.structValue?.values, [.int32(7), .string("seven")])
        let included = try XCTUnwrap(try one("ReplaceField$Value", ["include": "name"]).apply(row))
        XCTAssertEqual(included.valueSchema?.fields.map(\.name), ["name"])
        XCTAssertThrowsError(try one("ReplaceField$Value", ["renames": "a"]))
    }

    func testExtractAndHoistField() throws {
        let extracted = try XCTUnwrap(try one("ExtractField$Key", ["field": "id"]).apply(row))
        XCTAssertEqual(extracted.key, .int32(7))
        XCTAssertEqual(extracted.keySchema?.type, .int32)
        XCTAssertThrowsError(try one("ExtractField$Value", ["field": "nope"]).apply(row)) { error in
            XCTAssertTrue("\(error)".contains("Unknown field: nope"), "\(error)")
        }
        let hoisted = try XCTUnwrap(try one("HoistField$Key", ["field": "wrapped"]).apply(extracted))
        XCTAssertEqual(hoisted.keySchema?.fields.map(\.name), ["wrapped"])
        XCTAssertEqual(hoisted.key.structValue?["wrapped"], .int32(7))
    }

    func testFlattenJoinsPathsAndMakesFieldsUnderOptionalStructsOptional() throws {
        let change = Fixture.change("c", after: Fixture.rowValue(1, "a"))
        let flat = try XCTUnwrap(try one("Flatten$Value", ["delimiter": "_"]).apply(change))
        let names = try XCTUnwrap(flat.valueSchema?.fields.map(\.name))
        XCTAssertEqual(Array(names.prefix(4)), ["before_id", "before_name", "before_flag", "after_id"])
        XCTAssertEqual(flat.valueSchema?.field(named: "after_id")?.schema.isOptional, true, "under an optional struct")
        XCTAssertEqual(flat.valueSchema?.field(named: "source_db")?.schema.isOptional, false)
        XCTAssertEqual(flat.valueSchema?.field(named: "after_flag")?.schema.defaultValue, .boolean(true))
        let value = try XCTUnwrap(flat.value.structValue)
        XCTAssertEqual(value["before_id"], .null, "a null struct's fields are null")
        XCTAssertEqual(value["after_id"], .int32(1))
        XCTAssertEqual(value["transaction_total_order"], .int64(3))
        XCTAssertNotNil(try one("Flatten$Value").apply(Fixture.tombstone(1)), "a tombstone stays")
    }

    func testCastFieldsAndWholeValues() throws {
        let cast = try XCTUnwrap(try one("Cast$Value", ["spec": "id:string,flag:int32"]).apply(row))
        XCTAssertEqual(cast.valueSchema?.fields.map(\.schema.type), [.string, .string, .int32])
        XCTAssertEqual(cast.value.structValue?.values, [.string("7"), .string("seven"), .int32(1)])
        XCTAssertEqual(cast.valueSchema?.field(named: "flag")?.schema.defaultValue, .int32(1), "the default is cast")
        XCTAssertEqual(cast.valueSchema?.name, "srv.public.t.Value")
        XCTAssertThrowsError(try one("Cast$Value", ["spec": "name:int8"]).apply(row), "\"seven\" is no number")
        let key = try XCTUnwrap(try one("ExtractField$Key", ["field": "id"]).apply(row))
        XCTAssertEqual(try one("Cast$Key", ["spec": "float64"]).apply(key)?.key, .float64(7))
        XCTAssertEqual(try Cast.cast(.float64(-2.9), from: .float64, to: .int32), .int32(-2), "toward zero")
        XCTAssertEqual(try Cast.cast(.int32(300), from: .int32, to: .int8), .int8(44), "Java's narrowing")
        XCTAssertEqual(try Cast.cast(.int32(19_000), from: ConnectLogical.date(), to: .string), .string("2022-01-08"))
        for spec in ["id:uuid", "int8,id:string", ":int8"] {
            XCTAssertThrowsError(try one("Cast$Value", ["spec": spec]), spec)
        }
    }

    func testHeaderFromCopiesOrMovesFields() throws {
        let copied = try XCTUnwrap(
            try one("HeaderFrom$Value", ["fields": "id,name", "headers": "h_id,h_name", "operation": "copy"]).apply(row)
        )
        XCTAssertEqual(
            Array(copied.headers.suffix(2)),
            [Header(key: "h_id", value: Array("7".utf8)), Header(key: "h_name", value: Array("seven".utf8))])
        XCTAssertTrue(copied.valueSchema === row.valueSchema)
        let moved = try XCTUnwrap(
            try one("HeaderFrom$Value", ["fields": "name", "headers": "n", "operation": "move"]).apply(row))
        XCTAssertEqual(moved.valueSchema?.fields.map(\.name), ["id", "flag"])
        XCTAssertEqual(moved.value.structValue?.values, [.int32(7), .boolean(true)])
        XCTAssertThrowsError(try one("HeaderFrom$Value", ["fields": "a,b", "headers": "x", "operation": "copy"]))
        XCTAssertThrowsError(try one("HeaderFrom$Value", ["fields": "a", "headers": "x"]))
    }

    func testMaskFieldWithEmptyValuesAndReplacements() throws {
        let masked = try XCTUnwrap(try one("MaskField$Value", ["fields": "id,name,flag"]).apply(row))
        XCTAssertEqual(masked.value.structValue?.values, [.int32(0), .string(""), .boolean(false)])
        let replaced = try XCTUnwrap(try one("MaskField$Value", ["fields": "name", "replacement": "***"]).apply(row))
        XCTAssertEqual(replaced.value.structValue?["name"], .string("***"))
        XCTAssertThrowsError(try one("MaskField$Value", ["fields": "id", "replacement": "x"]).apply(row))
    }

    func testSetSchemaMetadataAndValueToKey() throws {
        let renamed = try XCTUnwrap(
            try one("SetSchemaMetadata$Value", ["schema.name": "com.example.Row", "schema.version": "3"]).apply(row))
        XCTAssertEqual(renamed.valueSchema?.name, "com.example.Row")
        XCTAssertEqual(renamed.valueSchema?.version, 3)
        XCTAssertTrue(renamed.value.structValue?.schema === renamed.valueSchema)
        let keyed = try XCTUnwrap(try one("ValueToKey", ["fields": "name,id"]).apply(row))
        XCTAssertNil(keyed.keySchema?.name)
        XCTAssertEqual(keyed.keySchema?.fields.map(\.name), ["name", "id"])
        XCTAssertEqual(keyed.key.structValue?.values, [.string("seven"), .int32(7)])
    }

    func testRoutersAndHeaders() throws {
        let routed = try one(
            "TimestampRouter", ["topic.format": "${topic}_${timestamp}", "timestamp.format": "yyyy-MM-dd'T'HH"])
        XCTAssertEqual(try routed.apply(row)?.topic, "srv.public.t_2023-11-14T22")
        XCTAssertEqual(try one("TimestampRouter").apply(row)?.topic, "srv.public.t-20231114")
        XCTAssertThrowsError(try routed.apply(Fixture.tombstone(1)), "no timestamp")
        XCTAssertEqual(try one("RegexRouter", ["regex": "nomatch", "replacement": "x"]).apply(row)?.topic, row.topic)
        XCTAssertEqual(
            try one("RegexRouter", ["regex": "(?<server>[^.]+)\\.(.*)", "replacement": "${server}-$2"]).apply(row)?
                .topic,
            "srv-public.t", "numbered and named groups, as Java's Matcher")
        XCTAssertEqual(try one("DropHeaders", ["headers": "drop"]).apply(row)?.headers.map(\.key), ["keep"])
        XCTAssertEqual(
            try one("InsertHeader", ["header": "h", "value.literal": "v"]).apply(row)?.headers.last,
            Header(key: "h", value: Array("v".utf8)))
        let hasHeader = try Fixture.chain([
            "transforms": "f", "transforms.f.type": kafka + "Filter", "transforms.f.predicate": "h",
            "predicates": "h", "predicates.h.type": kafka + "predicates.HasHeaderKey", "predicates.h.name": "drop",
        ])
        XCTAssertNil(try hasHeader.apply(row))
        XCTAssertNotNil(try hasHeader.apply(Fixture.tombstone(1)))
    }
}
