import Foundation
import TributaryCore
import XCTest

@testable import Converters

/// `SimpleHeaderFormat` must write what Kafka Connect's `SimpleHeaderConverter` writes for the same values
/// (`fixtures/simple-header/golden.tsv`, made by `scripts/golden/simple-header` from
/// `scripts/golden/SimpleHeaderGolden.java`, whose cases these mirror).
final class SimpleHeaderFormatTests: XCTestCase {
    static let golden: [String: String] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures/simple-header/golden.tsv")
        let text = try! String(contentsOf: url, encoding: .utf8)
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            result[parts[0]] = parts[1]
        }
        return result
    }()

    func testMatchesKafkaConnectSimpleHeaderConverter() throws {
        let key = Schema.struct(
            name: "p.public.t.Key",
            fields: [("id", .int32), ("s", .optionalString), ("b", .optionalBytes), ("d", .optionalFloat64)])
        let vsd = DebeziumSemantic.variableScaleDecimalSchema(optional: false)
        let mixed = Schema.struct(
            name: "K",
            fields: [
                ("dec", ConnectLogical.decimal(scale: 2)), ("tiny", ConnectLogical.decimal(scale: 7)),
                ("big", ConnectLogical.decimal(scale: 0)), ("f", .float32), ("bo", .boolean), ("v", vsd),
                ("l", .int64), ("arr", .array(of: .int16)),
            ])
        let cases: [(String, Value)] = [
            (
                "key",
                .struct(
                    Struct(
                        schema: key, values: [.int32(5), .string("a\"b\\c ü"), .bytes([1, 2]), .float64(1.0e20)]))
            ),
            ("key-nulls", .struct(Struct(schema: key, values: [.int32(-7), .null, .null, .null]))),
            (
                "mixed",
                .struct(
                    Struct(
                        schema: mixed,
                        values: [
                            .decimal(BigDecimal("-12.50")!), .decimal(BigDecimal("0.0000001")!),
                            .decimal(BigDecimal("100000000000000000000")!), .float32(1.5), .boolean(true),
                            .struct(Struct(schema: vsd, values: [.int32(1), .bytes([5])])),
                            .int64(9_007_199_254_740_993),
                            .array([.int16(1), .int16(-2)]),
                        ]))
            ),
            ("string", .string("plain \"text\"")),
            ("int", .int32(42)),
        ]
        XCTAssertEqual(Set(cases.map(\.0)), Set(Self.golden.keys), "every golden case is built here")
        for (name, value) in cases {
            let bytes = try XCTUnwrap(SimpleHeaderFormat.bytes(value), name)
            XCTAssertEqual(String(decoding: bytes, as: UTF8.self), Self.golden[name], name)
        }
        XCTAssertNil(SimpleHeaderFormat.bytes(.null))
    }
}
