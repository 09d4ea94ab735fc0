import TributaryCore
import XCTest

@testable import Converters

/// Kafka Connect's StringConverter prints Java's `toString()`; ByteArrayConverter passes bytes through.
final class StringConverterTests: XCTestCase {
    private func text(_ schema: Schema?, _ value: Value) throws -> String? {
        try StringConverter(Config()).fromConnectData(topic: "t", schema: schema, value: value).map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    func testStructsListsMapsAndNumbersPrintAsJavaDoes() throws {
        let inner = Schema.struct(name: "In", fields: [("x", .int32)])
        let schema = Schema.struct(
            name: "K",
            fields: [
                ("id", .int64), ("name", .optionalString), ("skip", .optionalString), ("d", .float64),
                ("f", .float32), ("tags", .array(of: .string)), ("m", .map(key: .string, value: .int32)),
                ("in", inner), ("day", ConnectLogical.date()), ("at", ConnectLogical.timestamp()),
            ])
        let value = Value.struct(
            Struct(
                schema: schema,
                values: [
                    .int64(42), .string("a b"), .null, .float64(1e10), .float32(0.1),
                    .array([.string("x"), .string("y")]),
                    .map([MapEntry(key: .string("k"), value: .int32(1))]),
                    .struct(Struct(schema: inner, values: [.int32(3)])),
                    .int32(19_000), .int64(1_700_000_000_123),
                ]))
        XCTAssertEqual(
            try text(schema, value),
            "Struct{id=42,name=a b,d=1.0E10,f=0.1,tags=[x, y],m={k=1},in=Struct{x=3},day=Sat Jan 08 00:00:00 UTC 2022,"
                + "at=Tue Nov 14 22:13:20 UTC 2023}")
        XCTAssertNil(try text(.optionalString, .null))
        XCTAssertEqual(try text(.float64, .float64(.nan)), "NaN")
    }

    func testDecimalsUseJavasBigDecimalToString() {
        XCTAssertEqual(StringConverter.javaString(BigDecimal("12.50")!), "12.50")
        XCTAssertEqual(StringConverter.javaString(BigDecimal("0.00000123")!), "0.00000123")
        XCTAssertEqual(StringConverter.javaString(BigDecimal("0.000000123")!), "1.23E-7")
        XCTAssertEqual(StringConverter.javaString(BigDecimal("-1e3")!), "-1E+3")
        XCTAssertEqual(StringConverter.javaString(BigDecimal(unscaled: [0], scale: -2)), "0E+2")
    }

    func testByteArrayConverterAndTheFactory() throws {
        let bytes = ByteArrayConverter()
        XCTAssertEqual(try bytes.fromConnectData(topic: "t", schema: .bytes, value: .bytes([1, 2])), [1, 2])
        XCTAssertNil(try bytes.fromConnectData(topic: "t", schema: nil, value: .null))
        XCTAssertThrowsError(try bytes.fromConnectData(topic: "t", schema: .string, value: .string("x")))
        let config = Config([
            "key.converter": StringConverter.className, "value.converter": ByteArrayConverter.className,
            "key.converter.converter.encoding": "latin1",
        ])
        XCTAssertThrowsError(try ConverterFactory.make(config, prefix: "key.converter", isKey: true)) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "key.converter.converter.encoding")
        }
        XCTAssertTrue(try ConverterFactory.make(config, prefix: "value.converter", isKey: false) is ByteArrayConverter)
        XCTAssertNoThrow(
            try ConverterFactory.checkHeaderConverter(
                Config(["header.converter": ConverterFactory.simpleHeaderConverter])))
        XCTAssertThrowsError(
            try ConverterFactory.checkHeaderConverter(Config(["header.converter": JsonConverter.className]))
        ) { XCTAssertEqual(($0 as? ConfigError)?.key, "header.converter") }
    }

    func testReadingKeepsTextAndRefusesBytesThatAreNotUTF8() throws {
        let converter = try StringConverter(Config())
        for text in ["", "plain ascii text", "é€😀 and ascii"] {
            XCTAssertEqual(try converter.toConnectData(topic: "t", bytes: Array(text.utf8)).value, .string(text))
        }
        XCTAssertEqual(try converter.toConnectData(topic: "t", bytes: nil).value, .null)
        XCTAssertThrowsError(try converter.toConnectData(topic: "t", bytes: Array("ascii, then".utf8) + [0xC3, 0x28]))
    }
}
