import XCTest

@testable import Converters
@testable import TributaryCore

final class ProtobufReadingTests: XCTestCase {
    private let header: [UInt8] = [0, 0, 0, 0, 1, 0]

    /// What the converter writes reads back with the schema Confluent's `toConnectSchema` gives: simple names, every
    /// field optional with its tag, int8/int16 from `connect.type`, logical types back, `…Entry` messages as maps.
    func testWrittenRecordsReadBack() throws {
        let inner = Schema.struct(name: "a.Inner", optional: true, fields: [("x", .int32)])
        let schema = Schema.struct(
            name: "a.b.Row",
            fields: [
                ("small", .int16), ("n", .int64), ("s", .optionalString), ("amount", ConnectLogical.decimal(scale: 2)),
                ("day", ConnectLogical.date()), ("at", ConnectLogical.time()), ("ts", ConnectLogical.timestamp()),
                ("tags", .array(of: .string)), ("counts", .map(key: .string, value: .int32)), ("inner", inner),
                ("f", .float64),
            ])
        let value = Struct(
            schema: schema,
            values: [
                .int16(-3), .int64(1 << 40), .null, .decimal(BigDecimal("-12.34")!), .int32(-141_428),
                .int32(45_296_789), .int64(-1), .array([.string("a"), .string("")]),
                .map([MapEntry(key: .string("k"), value: .int32(0))]),
                .struct(Struct(schema: inner, values: [.int32(7)])),
                .float64(0.5),
            ])
        let file = try ProtobufData().file(for: schema)
        var encoder = ProtobufEncoder(bytes: header, ignoreDefaultForNullables: false)
        try encoder.write(file.root, value)

        let read = try ProtobufReadSchema(text: file.text, settings: .init()).read(encoder.bytes, from: 5)
        let connect = try XCTUnwrap(read.schema)
        XCTAssertEqual(connect.name, "Row")
        XCTAssertEqual(
            connect.fields.map(\.schema.type),
            [
                .int16, .int64, .string, .bytes, .int32, .int32, .int64, .array, .map, .struct, .float64,
            ])
        XCTAssertTrue(connect.fields.allSatisfy(\.schema.isOptional))
        XCTAssertEqual(connect.fields[0].schema.parameters?.map(\.1), ["1"], "io.confluent.connect.protobuf.Tag")
        XCTAssertEqual(connect.fields[3].schema.name, ConnectLogical.decimalName)
        XCTAssertEqual(
            connect.fields[3].schema.parameters?.map(\.0),
            ["scale", "io.confluent.connect.protobuf.Tag"])
        XCTAssertEqual(connect.fields[8].schema.name, "connect_default1", "from the entry's name, ConnectDefault1Entry")
        XCTAssertEqual(connect.fields[9].schema.name, "Inner")
        guard case .struct(let row) = read.value else { return XCTFail("not a struct: \(read.value)") }
        XCTAssertEqual(
            row.values,
            [
                .int16(-3), .int64(1 << 40), .string(""), .decimal(BigDecimal("-12.34")!), .int32(-141_428),
                .int32(45_296_789), .int64(-1), .array([.string("a"), .string("")]),
                .map([MapEntry(key: .string("k"), value: .int32(0))]),
                .struct(Struct(schema: connect.fields[9].schema, values: [.int32(7)])), .float64(0.5),
            ], "a null string reads as \"\": proto3 keeps no presence for it")

        // Writing what was read gives the same payload (the text differs: the package is not read back).
        var again = ProtobufEncoder(bytes: header, ignoreDefaultForNullables: false)
        try again.write(try ProtobufData().file(for: connect).root, row)
        XCTAssertEqual(again.bytes, encoder.bytes)
    }

    /// A schema as protoc users write it: comments, options, `map<K, V>`, a oneof, an enum, signed and fixed types,
    /// a nested type named by a qualified path; bytes worked out by hand.
    func testHandWrittenSchemaReads() throws {
        let text = """
            syntax = "proto3";
            package shop.v1;
            import "google/protobuf/timestamp.proto";
            option java_package = "com.example.shop";
            /* An order. */
            message Order {
              enum Status { UNKNOWN = 0; PAID = 1; SHIPPED = 2 [deprecated = true]; }
              message Line { string sku = 1; }
              reserved 9, 10 to 12;
              sint32 delta = 1;  // zig-zag
              fixed64 big = 2;
              uint32 count = 3 [json_name = "cnt"];
              Status status = 4;
              map<string, Order.Line> lines = 5;
              oneof payment { string card = 6; int64 points = 7; }
              repeated Status history = 8;
              google.protobuf.Timestamp at = 13;
            }
            """
        let bytes: [UInt8] =
            header + [
                0x08, 0x03,  // delta = -2
                0x11, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // big = 2^64 - 1
                0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F,  // count = 2^32 - 1
                0x20, 0x02,  // status = SHIPPED
                0x2A, 0x08, 0x0A, 0x01, 0x6B, 0x12, 0x03, 0x0A, 0x01, 0x7A,  // lines {k: {sku: z}}
                0x38, 0x05,  // points = 5
                0x42, 0x02, 0x01, 0x02,  // history, packed: PAID, SHIPPED
                0x6A, 0x02, 0x08, 0x01,  // at = 1 s
                0x78, 0x01,  // field 15, unknown: skipped
            ]
        let read = try ProtobufReadSchema(text: text, settings: .init()).read(bytes, from: 5)
        let schema = try XCTUnwrap(read.schema)
        XCTAssertEqual(
            schema.fields.map(\.name), ["payment", "delta", "big", "count", "status", "lines", "history", "at"],
            "oneofs first")
        XCTAssertEqual(schema.fields[0].schema.name, "io.confluent.connect.protobuf.Union.payment")
        XCTAssertEqual(schema.fields[1].schema.parameters?.first?.1, "sint32")
        XCTAssertEqual(
            schema.fields[4].schema.parameters?.prefix(2).map(\.0),
            [
                "io.confluent.connect.protobuf.Enum", "io.confluent.connect.protobuf.Enum.UNKNOWN",
            ])
        XCTAssertEqual(schema.fields[5].schema.name, "lines")
        guard case .struct(let order) = read.value else { return XCTFail("\(read.value)") }
        XCTAssertEqual(order.values[1], .int32(-2))
        XCTAssertEqual(order.values[2], .int64(-1))
        XCTAssertEqual(order.values[3], .int64(4_294_967_295))
        XCTAssertEqual(order.values[4], .string("SHIPPED"))
        guard case .map(let lines) = order.values[5], case .struct(let line)? = lines.first?.value else {
            return XCTFail("\(order.values[5])")
        }
        XCTAssertEqual(lines.first?.key, .string("k"))
        XCTAssertEqual(line.values, [.string("z")])
        guard case .struct(let payment) = order.values[0] else { return XCTFail("\(order.values[0])") }
        XCTAssertEqual(payment.values, [.null, .int64(5)])
        XCTAssertEqual(order.values[6], .array([.string("PAID"), .string("SHIPPED")]))
        XCTAssertEqual(order.values[7], .int64(1000))
    }

    func testDamagedRecordsFailCleanly() throws {
        let schema = Schema.struct(
            name: "a.R", fields: [("s", .string), ("inner", Schema.struct(name: "a.I", fields: [("n", .int64)]))])
        let file = try ProtobufData().file(for: schema)
        var encoder = ProtobufEncoder(bytes: header, ignoreDefaultForNullables: false)
        let inner = schema.fields[1].schema
        try encoder.write(
            file.root,
            Struct(schema: schema, values: [.string("héllo"), .struct(Struct(schema: inner, values: [.int64(-5)]))]))
        let reader = try ProtobufReadSchema(text: file.text, settings: .init())
        XCTAssertNoThrow(try reader.read(encoder.bytes, from: 5))
        // Protobuf cannot tell a record cut between two fields from one without the later fields.
        for cut in 6..<encoder.bytes.count where cut != 6 && cut != 14 {
            XCTAssertThrowsError(try reader.read(Array(encoder.bytes.prefix(cut)), from: 5), "cut at \(cut)")
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var damaged = encoder.bytes
            damaged[Int.random(in: 6..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            _ = try? reader.read(damaged, from: 5)
        }
        XCTAssertThrowsError(try reader.read(header + [0x0A, 0x7F, 0x41], from: 5), "a length beyond the bytes")
        let dates = Schema.struct(
            name: "a.D",
            fields: [("d", ConnectLogical.date()), ("t", ConnectLogical.time()), ("ts", ConnectLogical.timestamp())])
        let datesReader = try ProtobufReadSchema(text: try ProtobufData().file(for: dates).text, settings: .init())
        let huge: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        XCTAssertThrowsError(try datesReader.read(header + [0x0A, 0x0A, 0x08] + huge, from: 5), "year 2^63 - 1")
        XCTAssertThrowsError(try datesReader.read(header + [0x12, 0x0A, 0x08] + huge, from: 5), "hours 2^63 - 1")
        XCTAssertThrowsError(try datesReader.read(header + [0x1A, 0x0A, 0x08] + huge, from: 5), "seconds 2^63 - 1")
        XCTAssertThrowsError(try reader.read(header + [0x0A, 0x02, 0xC3, 0x28], from: 5), "invalid UTF-8")
        XCTAssertThrowsError(
            try ProtobufReadSchema(text: "message A { B b = 1; }", settings: .init()).read(
                header, from: 5), "an undefined type")
        XCTAssertThrowsError(try ProtobufReadSchema(text: "message A { int32 a = ", settings: .init()))
        let deep = String(repeating: "message M { ", count: 10_000) + String(repeating: "}", count: 10_000)
        XCTAssertThrowsError(try ProtobufReadSchema(text: deep, settings: .init()), "nesting is limited")
    }
}
