import TributaryCore
import XCTest

@testable import Transforms

/// Kafka Connect's TimestampConverter (the reference comparison in the integration tests runs it on real events).
final class TimestampConverterTests: XCTestCase {
    private func converter(_ settings: [String: String], part: String = "Value") throws -> TransformationChain {
        var all = [
            "transforms": "t", "transforms.t.type": "org.apache.kafka.connect.transforms.TimestampConverter$" + part,
        ]
        for (k, v) in settings { all["transforms.t." + k] = v }
        return try Fixture.chain(all)
    }

    private func record(_ schema: Schema?, _ value: Value) -> SourceRecord {
        var r = Fixture.change("c", after: Fixture.rowValue(1, "x"))
        r.valueSchema = schema
        r.value = value
        return r
    }

    private let row = Schema.struct(
        name: "r",
        fields: [("id", .int32), ("at", Schema(type: .int64, optional: true, name: "io.debezium.time.MicroTimestamp"))])

    func testAFieldOfMicrosecondsBecomesTextWithTheSchemaDerivedOnce() throws {
        let chain = try converter([
            "field": "at", "target.type": "string", "format": "yyyy-MM-dd HH:mm:ss.SSS",
            "unix.precision": "microseconds",
        ])
        let first = try XCTUnwrap(
            try chain.apply(
                record(row, .struct(Struct(schema: row, values: [.int32(1), .int64(1_709_214_301_123_456)])))))
        XCTAssertEqual(first.valueSchema?.field(named: "at")?.schema.type, .string)
        XCTAssertEqual(first.valueSchema?.field(named: "at")?.schema.isOptional, true)
        XCTAssertEqual(first.valueSchema?.name, "r")
        XCTAssertEqual(first.value.structValue?["at"], .string("2024-02-29 13:45:01.123"))
        let second = try XCTUnwrap(
            try chain.apply(record(row, .struct(Struct(schema: row, values: [.int32(2), .null])))))
        XCTAssertTrue(second.valueSchema === first.valueSchema, "one derived schema per input schema")
        XCTAssertEqual(second.value.structValue?["at"], .null)
    }

    func testWholeValuesBetweenEveryKind() throws {
        let text = try converter(["target.type": "Timestamp", "format": "yyyy-MM-dd'T'HH:mm:ssXXX"])
        let out = try XCTUnwrap(try text.apply(record(.string, .string("2024-02-29T13:45:01+01:00"))))
        XCTAssertEqual(out.valueSchema?.name, ConnectLogical.timestampName)
        XCTAssertEqual(out.value, .int64(1_709_210_701_000))
        XCTAssertThrowsError(try text.apply(record(.string, .string("yesterday")))) { error in
            XCTAssertTrue("\(error)".contains("does not match pattern (yyyy-MM-dd'T'HH:mm:ssXXX)"), "\(error)")
        }
        let date = try converter(["target.type": "Date"])
        let day = try XCTUnwrap(try date.apply(record(ConnectLogical.timestamp(), .int64(-1))))
        XCTAssertEqual(day.value, .int32(-1), "the day is rounded down, also before 1970")
        XCTAssertEqual(day.valueSchema?.name, ConnectLogical.dateName)
        let time = try converter(["target.type": "Time"])
        XCTAssertEqual(try time.apply(record(ConnectLogical.timestamp(), .int64(-1)))?.value, .int32(86_399_999))
        let seconds = try converter(["target.type": "unix", "unix.precision": "seconds"])
        XCTAssertEqual(try seconds.apply(record(ConnectLogical.date(), .int32(2)))?.value, .int64(172_800))
        let nanos = try converter(["target.type": "unix", "unix.precision": "nanoseconds"])
        XCTAssertEqual(
            try nanos.apply(record(ConnectLogical.timestamp(), .int64(.max)))?.value, .int64(.max),
            "saturates as Java's TimeUnit")
        XCTAssertThrowsError(try seconds.apply(record(.int32, .int32(1)))) { error in
            XCTAssertTrue("\(error)".contains("does not correspond to a known timestamp type format"), "\(error)")
        }
    }

    func testSchemalessMapsAndValues() throws {
        let chain = try converter(["field": "at", "target.type": "string", "format": "yyyy"])
        let out = try XCTUnwrap(
            try chain.apply(record(nil, .map([MapEntry(key: .string("at"), value: .int64(0))]))))
        XCTAssertEqual(out.value, .map([MapEntry(key: .string("at"), value: .string("1970"))]))
        let missing = try XCTUnwrap(try chain.apply(record(nil, .map([]))))
        XCTAssertEqual(missing.value, .map([MapEntry(key: .string("at"), value: .null)]), "as Java's HashMap.put")
        XCTAssertEqual(try chain.apply(record(nil, .null))?.value, .null)
    }

    func testConfigurationErrorsNameTheKey() {
        func key(_ settings: [String: String]) -> String? {
            do {
                _ = try converter(settings)
                return nil
            } catch {
                return (error as? ConfigError)?.key
            }
        }
        XCTAssertEqual(key([:]), "transforms.t.target.type")
        XCTAssertEqual(key(["target.type": "datetime"]), "transforms.t.target.type")
        XCTAssertEqual(key(["target.type": "string"]), "transforms.t.format")
        XCTAssertEqual(key(["target.type": "unix", "unix.precision": "days"]), "transforms.t.unix.precision")
        XCTAssertEqual(key(["target.type": "string", "format": "yyyy-qq"]), "transforms.t.format")
    }
}
