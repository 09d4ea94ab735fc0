import Converters
import TributaryCore
import XCTest

/// `JsonConverter.toConnectData`: reads what Kafka Connect's JsonConverter wrote back into the same Connect data.
final class JsonConverterReadingTests: XCTestCase {
    private func read(_ text: String, _ converter: JsonConverter = JsonConverter()) throws -> SchemaAndValue {
        try converter.toConnectData(topic: "t", bytes: Array(text.utf8))
    }

    private func write(_ data: SchemaAndValue, _ converter: JsonConverter = JsonConverter()) throws -> String {
        try converter.fromConnectData(topic: "t", schema: data.schema, value: data.value).map {
            String(decoding: $0, as: UTF8.self)
        } ?? "<null>"
    }

    private func assertDataError(
        _ text: String, _ converter: JsonConverter = JsonConverter(), contains expected: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try read(text, converter), file: file, line: line) { error in
            let message = (error as? DataError)?.description ?? "\(error)"
            XCTAssertTrue(message.contains(expected), "\(message) does not contain \(expected)", file: file, line: line)
        }
    }

    /// Every case Kafka Connect wrote (the golden file) reads back to its schema and value, and writes again
    /// to the very same bytes.
    func testReadsEveryGoldenCaseBackToTheSameBytes() throws {
        let converter = JsonConverter()
        for (name, schema, value) in JsonConverterGoldenTests.cases {
            let golden = try XCTUnwrap(JsonConverterGoldenTests.golden[name]).withSchemas
            let bytes: [UInt8]? = golden == "<null>" ? nil : Array(golden.utf8)
            let data = try converter.toConnectData(topic: "t", bytes: bytes)
            XCTAssertEqual(try write(data), golden, name)
            switch (data.schema, schema) {
            case (nil, nil): break
            case (let read?, let original?): XCTAssertTrue(read.equalsStructurally(original), name)
            default:
                XCTFail("\(name): schema \(String(describing: data.schema)) read for \(String(describing: schema))")
            }
            // Values compare directly where no default replaced a null and no struct (compared by identity) or
            // NaN (never equal) is involved; the byte comparison above covers those.
            if case .struct = value { continue }
            if value.isNull || name.hasSuffix("nan") { continue }
            XCTAssertEqual(data.value, value, name)
        }
    }

    /// Field names are written from their precomputed keys when plain, and escaped as any string otherwise: a
    /// quote, a backslash, a control character and a character outside the BMP; non-ASCII ones stay raw.
    func testFieldNamesNeedingEscapesAreEscaped() throws {
        let names = ["id", #"q\"uote"#, #"back\\slash"#, #"tab\t"#, "café", #"\uD83D\uDE00"#]
        let fields = names.map { #"{"type":"int32","optional":false,"field":"\#($0)"}"# }.joined(separator: ",")
        let payload = names.enumerated().map { #""\#($1)":\#($0)"# }.joined(separator: ",")
        let text = #"{"schema":{"type":"struct","fields":[\#(fields)],"optional":false},"payload":{\#(payload)}}"#
        XCTAssertEqual(try write(try read(text)), text)
        let schema = Schema.struct(
            name: nil, fields: [("café", .int32), ("a\"b", .int32), ("😀", .int32), ("x", .int32)])
        XCTAssertEqual(schema.jsonKeys, Array(#""café":"x":"#.utf8), "the plain names' keys, one after the other")
        XCTAssertEqual(schema.jsonKeyEnds, [8, 8, 8, 12], "empty ranges for the names to escape")
    }

    func testSchemasAreBuiltOncePerSchemaText() throws {
        let converter = JsonConverter()
        let schema = #"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false}"#
        let a = try read(#"{"schema":\#(schema),"payload":{"id":1}}"#, converter)
        let b = try read(#"{"schema":\#(schema),"payload":{"id":2}}"#, converter)
        let c = try read(#"{"payload":{"id":3},"schema":\#(schema)}"#, converter)
        XCTAssertTrue(a.schema === b.schema && b.schema === c.schema, "one Schema instance per schema text")
        guard case .struct(let s) = c.value else { return XCTFail("\(c.value)") }
        XCTAssertEqual(s["id"], .int32(3))
        let other = try read(#"{"schema":{"type":"int64","optional":true},"payload":null}"#, converter)
        XCTAssertEqual(other.schema?.type, .int64)
        let again = try read(#"{"schema":\#(schema),"payload":{"id":4}}"#, converter)
        XCTAssertTrue(again.schema === a.schema, "the cache keeps more than the last schema")
    }

    func testStructFieldsInAnyOrderUnknownMembersSkippedMissingOnesDefaulted() throws {
        let schema = """
            {"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"},\
            {"type":"string","optional":true,"field":"b"},\
            {"type":"int16","optional":true,"default":7,"field":"c"}],"optional":false,"name":"r"}
            """
        let data = try read(#"{"schema":\#(schema),"payload":{"extra":{"x":[1,{}]},"b":"β","a":-1}}"#)
        XCTAssertEqual(try write(data), #"{"schema":\#(schema),"payload":{"a":-1,"b":"β","c":7}}"#)
        let keepNull = JsonConverter(replaceNullWithDefault: false)
        guard case .struct(let s) = try read(#"{"schema":\#(schema),"payload":{"a":1,"c":null}}"#, keepNull).value
        else { return XCTFail() }
        XCTAssertEqual(s["c"], .null, "replace.null.with.default=false keeps the null")
    }

    func testDecimalsReadFromBase64AndFromNumbers() throws {
        let schema =
            #"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"#
            + #""parameters":{"scale":"2"}}"#
        XCTAssertEqual(try read(#"{"schema":\#(schema),"payload":"MDk="}"#).value, .decimal(BigDecimal("123.45")!))
        XCTAssertEqual(
            try read(#"{"schema":\#(schema),"payload":-12345678901234567890.125}"#).value,
            .decimal(BigDecimal("-12345678901234567890.125")!))
        assertDataError(
            #"{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal"},"#
                + #""payload":"AQ=="}"#,
            contains: "scale parameter not found")
    }

    func testSchemalessReading() throws {
        let converter = JsonConverter(schemasEnabled: false)
        let data = try read(#" {"a":1,"b":[true,null,"x\u00e9\ud83d\ude00",1.5e3],"c":{}} "#, converter)
        XCTAssertNil(data.schema)
        XCTAssertEqual(
            data.value,
            .map([
                MapEntry(key: .string("a"), value: .int64(1)),
                MapEntry(
                    key: .string("b"),
                    value: .array([.boolean(true), .null, .string("xé😀"), .float64(1500)])),
                MapEntry(key: .string("c"), value: .map([])),
            ]))
        XCTAssertEqual(try read("", converter), .null)
        XCTAssertEqual(try converter.toConnectData(topic: "t", bytes: nil), .null)
        XCTAssertEqual(try read("-9223372036854775808", converter).value, .int64(.min))
        assertDataError("9223372036854775808", converter, contains: "does not fit INT64")
    }

    func testMapsWithStringAndOtherKeys() throws {
        let data = try read(
            #"{"schema":{"type":"map","keys":{"type":"int32","optional":false},"#
                + #""values":{"type":"string","optional":true},"#
                + #""optional":false},"payload":[[1,"x"],[2,null]]}"#)
        XCTAssertEqual(
            data.value,
            .map([MapEntry(key: .int32(1), value: .string("x")), MapEntry(key: .int32(2), value: .null)]))
        assertDataError(
            #"{"schema":{"type":"map","keys":{"type":"int32","optional":false},"#
                + #""values":{"type":"string","optional":true},"#
                + #""optional":false},"payload":[[1,"x",3]]}"#,
            contains: "expected length 2")
    }

    /// Jackson would read these as 0, false, null or a truncated number; they are errors naming the field.
    func testValuesOfTheWrongTypeAreErrorsNamingTheField() {
        let schema = """
            {"type":"struct","fields":[{"type":"struct","fields":[\
            {"type":"int8","optional":true,"field":"small"},{"type":"bytes","optional":true,"field":"raw"},\
            {"type":"int32","optional":false,"field":"id"}],"optional":true,"field":"after"}],"optional":false}
            """
        assertDataError(
            #"{"schema":\#(schema),"payload":{"after":{"id":"7"}}}"#, contains: "found STRING (field after.id)")
        assertDataError(#"{"schema":\#(schema),"payload":{"after":{"id":1.5}}}"#, contains: "(field after.id)")
        assertDataError(#"{"schema":\#(schema),"payload":{"after":{"id":1,"small":300}}}"#, contains: "out of range")
        assertDataError(#"{"schema":\#(schema),"payload":{"after":{"id":1,"raw":"!!"}}}"#, contains: "not base64")
        assertDataError(
            #"{"schema":\#(schema),"payload":{"after":{}}}"#,
            contains: "Invalid null value for required INT32 field (field after.id)")
        assertDataError(
            #"{"schema":\#(schema),"payload":{"after":[]}}"#, contains: "Structs should be encoded as JSON objects")
    }

    func testMalformedEnvelopesAndSchemas() {
        let envelope = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields"
        assertDataError(#"{"a":1}"#, contains: envelope)
        assertDataError(#"{"schema":null,"payload":1,"x":2}"#, contains: envelope)
        assertDataError(#"[1]"#, contains: envelope)
        assertDataError(#"{"schema":{"type":"uuid"},"payload":1}"#, contains: "Unknown schema type: uuid")
        assertDataError(#"{"schema":{"optional":true},"payload":1}"#, contains: "Schema must contain 'type' field")
        assertDataError(#"{"schema":{"type":"array"},"payload":[]}"#, contains: "did not specify the element type")
        assertDataError(#"{"schema":{"type":"struct","fields":{}},"payload":{}}"#, contains: "is not an array")
        assertDataError(
            #"{"schema":{"type":"string","parameters":{"a":1}},"payload":"x"}"#, contains: "must have string values")
    }

    func testMalformedJSONIsAnErrorNeverACrash() {
        let converter = JsonConverter(schemasEnabled: false)
        for text in [
            "[1,]", "{\"a\":1,}", "[1 2]", "\"abc", "01", "-", "1.", "1e", "tru", "{\"a\" 1}", "\"\\x\"",
            "\"\\ud800\"", "\"\\udc00\"", "\"a\u{1}\"", "[1]]", "{}x",
        ] {
            XCTAssertThrowsError(try read(text, converter), text)
        }
        XCTAssertThrowsError(try converter.toConnectData(topic: "t", bytes: [0x22, 0xC3, 0x28, 0x22]), "invalid UTF-8")
        XCTAssertThrowsError(
            try converter.toConnectData(topic: "t", bytes: [0x22, 0x5C, 0x6E, 0xC3, 0x28, 0x22]),
            "invalid UTF-8 after an escape")
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        assertDataError(deep, converter, contains: "nesting deeper than 100")
        let deepest = String(repeating: "[", count: 99) + String(repeating: "]", count: 99)
        XCTAssertNoThrow(try read(deepest, converter), "99 levels are read")
        // Every prefix of a real event either reads or fails cleanly.
        let golden = JsonConverterGoldenTests.golden["struct"]!.withSchemas
        let bytes = Array(golden.utf8)
        for end in 0..<bytes.count {
            _ = try? JsonConverter().toConnectData(topic: "t", bytes: Array(bytes[..<end]))
        }
    }

    func testNonFiniteFloatsRoundTrip() throws {
        let data = try read(
            #"{"schema":{"type":"array","items":{"type":"float","optional":false},"optional":false},"#
                + #""payload":["NaN","Infinity","-Infinity",1.5]}"#)
        guard case .array(let items) = data.value, items.count == 4, case .float32(let nan) = items[0] else {
            return XCTFail("\(data.value)")
        }
        XCTAssertTrue(nan.isNaN)
        XCTAssertEqual(Array(items[1...]), [.float32(.infinity), .float32(-.infinity), .float32(1.5)])
        assertDataError(#"{"schema":{"type":"double","optional":false},"payload":"1.5"}"#, contains: "found STRING")
    }

    func testStringAndByteArrayConvertersRead() throws {
        let strings = try StringConverter(Config([:]))
        XCTAssertEqual(
            try strings.toConnectData(topic: "t", bytes: Array("héllo".utf8)),
            SchemaAndValue(schema: .optionalString, value: .string("héllo")))
        XCTAssertEqual(try strings.toConnectData(topic: "t", bytes: nil).value, .null)
        XCTAssertThrowsError(try strings.toConnectData(topic: "t", bytes: [0xFF]))
        let raw = ByteArrayConverter()
        XCTAssertEqual(
            try raw.toConnectData(topic: "t", bytes: [0, 1]),
            SchemaAndValue(schema: .optionalBytes, value: .bytes([0, 1])))
        XCTAssertEqual(try raw.toConnectData(topic: "t", bytes: nil).value, .null)
    }
}
