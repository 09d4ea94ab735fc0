import XCTest

@testable import Converters
@testable import TributaryCore

final class ProtobufDataTests: XCTestCase {
    /// The `.proto` text Confluent's ProtobufConverter registered for a Debezium SQL Server table (quoted in
    /// redpanda-data/console issue 1184): int16 and Decimal parameters as `(confluent.field_meta)` options, the
    /// Decimal's file imported, no import for the option's own file.
    func testRegisteredTextEqualsConfluents() throws {
        let schema = Schema.struct(
            name: "test.db_test.dbo.User_Setup.Value",
            fields: [
                ("timestamp", .bytes), ("User_ID", .string), ("Allow_Posting_From", .optionalInt64),
                ("Allow_Posting_To", .optionalInt64), ("Register_Time", Schema(type: .int16, optional: true)),
                ("Max_Auto_Value", ConnectLogical.decimal(scale: 20, precision: 38, optional: true)),
            ])
        let expected = """
            syntax = "proto3";
            package test.db_test.dbo.User_Setup;

            import "confluent/type/decimal.proto";

            message Value {
              bytes timestamp = 1;
              string User_ID = 2;
              int64 Allow_Posting_From = 3;
              int64 Allow_Posting_To = 4;
              int32 Register_Time = 5 [(confluent.field_meta) = {
                params: [
                  {
                    key: "connect.type",
                    value: "int16"
                  }
                ]
              }];
              confluent.type.Decimal Max_Auto_Value = 6 [(confluent.field_meta) = {
                params: [
                  {
                    value: "38",
                    key: "precision"
                  },
                  {
                    value: "20",
                    key: "scale"
                  }
                ]
              }];
            }

            """
        let file = try ProtobufData().file(for: schema)
        XCTAssertEqual(file.text, expected)
        XCTAssertEqual(file.recordName, "test.db_test.dbo.User_Setup.Value")
    }

    /// A Debezium envelope: `before` and `after` share one nested `Value` message, `source` gets its own, and
    /// nested messages follow the fields after a blank line.
    func testEnvelopeNestsEachStructOnce() throws {
        let value = Schema.struct(name: "db.public.t.Value", optional: true, fields: [("id", .int32)])
        let source = Schema.struct(
            name: "io.debezium.connector.postgresql.Source", fields: [("db", .string), ("lsn", .optionalInt64)])
        let envelope = Schema.struct(
            name: "db.public.t.Envelope",
            fields: [
                ("before", value), ("after", value), ("source", source), ("op", .string), ("ts_ms", .optionalInt64),
            ])
        let text = try ProtobufData().file(for: envelope).text
        XCTAssertEqual(
            text,
            """
            syntax = "proto3";
            package db.public.t;

            message Envelope {
              Value before = 1;
              Value after = 2;
              Source source = 3;
              string op = 4;
              int64 ts_ms = 5;

              message Value {
                int32 id = 1;
              }
              message Source {
                string db = 1;
                int64 lsn = 2;
              }
            }

            """)
    }

    func testNamesAsConfluentGivesThem() throws {
        let point = Schema.struct(name: "geo.point", fields: [("x", .float64)])
        let schema = Schema.struct(
            name: nil,
            fields: [
                ("point", point), ("tags", .map(key: .string, value: .string)),
                ("by_key", .map(key: .string, value: .int64, name: "some.key_counts")),
                ("bad-name", .int32),
            ])
        let file = try ProtobufData(settings: .init(scrubInvalidNames: true)).file(for: schema)
        XCTAssertNil(file.package)
        XCTAssertEqual(file.root.name, "ConnectDefault1")
        XCTAssertEqual(
            file.root.fields.map { "\($0.label.rawValue) \($0.typeName) \($0.name)" },
            [
                " pointMessage point", "repeated ConnectDefault2Entry tags", "repeated KeyCountsEntry by_key",
                " int32 bad_name",
            ])
        XCTAssertEqual(file.root.nested.map(\.name), ["pointMessage", "ConnectDefault2Entry", "KeyCountsEntry"])
        XCTAssertEqual(ProtobufData.mapEntryName("Foo_BAR"), "FooBarEntry")
        XCTAssertEqual(ConfluentNames.scrub("_x", underscoreFirstIsValid: false), "x_x")
        XCTAssertEqual(ConfluentNames.scrub("1a b", underscoreFirstIsValid: true), "x1a_b")
    }

    /// Confluent gives structs of one name one message; two different ones would write each other's fields.
    func testDifferentStructsOfOneNameAreRefused() throws {
        let a = Schema.struct(name: "x.Point", fields: [("x", .int32)])
        let b = Schema.struct(name: "y.Point", fields: [("x", .int32), ("y", .int32)])
        XCTAssertNoThrow(
            try ProtobufData().file(for: .struct(name: "r.R", fields: [("a", a), ("b", a.withOptional(true))])))
        XCTAssertThrowsError(try ProtobufData().file(for: .struct(name: "r.R", fields: [("a", a), ("b", b)])))
        let dated = Schema.struct(name: "z.Point", fields: [("x", ConnectLogical.date())])
        XCTAssertThrowsError(try ProtobufData().file(for: .struct(name: "r.R", fields: [("a", a), ("b", dated)])))
        let tagged = Schema.struct(
            name: "Point",
            fields: [("x", Schema(type: .int32, parameters: [("io.confluent.connect.protobuf.Tag", "1")]))])
        XCTAssertNoThrow(
            try ProtobufData().file(for: .struct(name: "r.R", fields: [("a", a), ("b", tagged)])),
            "parameters aside, as structs read back carry their tags")
        XCTAssertThrowsError(try ProtobufData().file(for: .struct(name: "r.Point", fields: [("p", b)])), "its parent")
    }

    func testOptionalAndWrapperLabels() throws {
        let schema = Schema.struct(
            name: "a.B", fields: [("n", .optionalInt32), ("m", .int32), ("d", ConnectLogical.date(optional: true))])
        let optional = try ProtobufData(settings: .init(optionalForNullables: true)).file(for: schema)
        XCTAssertEqual(
            optional.root.fields.map { "\($0.label.rawValue) \($0.typeName)" },
            ["optional int32", " int32", "optional google.type.Date"])
        let wrapped = try ProtobufData(settings: .init(wrapperForNullables: true)).file(for: schema)
        XCTAssertEqual(
            wrapped.root.fields.map(\.typeName), ["google.protobuf.Int32Value", "int32", "google.type.Date"])
        XCTAssertEqual(wrapped.imports, ["google/protobuf/wrappers.proto", "google/type/date.proto"])
    }

    /// Bytes worked out by hand from the Protobuf encoding rules.
    func testEncodingByHand() throws {
        let inner = Schema.struct(name: "a.Inner", optional: true, fields: [("s", .string)])
        let schema = Schema.struct(
            name: "a.R",
            fields: [
                ("i", .int32), ("zero", .int32), ("neg", .int16), ("list", .array(of: .int64)), ("inner", inner),
                ("ts", ConnectLogical.timestamp()), ("amount", ConnectLogical.decimal(scale: 2)),
            ])
        let value = Struct(
            schema: schema,
            values: [
                .int32(150), .int32(0), .int16(-1), .array([.int64(1), .int64(300)]),
                .struct(Struct(schema: inner, values: [.string("hi")])), .int64(-1), .decimal(BigDecimal("-1.50")!),
            ])
        var encoder = ProtobufEncoder(bytes: [], ignoreDefaultForNullables: false)
        try encoder.write(try ProtobufData().file(for: schema).root, value)
        XCTAssertEqual(
            encoder.bytes,
            [
                0x08, 0x96, 0x01,  // i = 150
                0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,  // neg = -1, sign-extended
                0x22, 0x03, 0x01, 0xAC, 0x02,  // list, packed: 1, 300
                0x2A, 0x04, 0x0A, 0x02, 0x68, 0x69,  // inner { s = "hi" }
                0x32, 0x11, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,  // ts: seconds = -1
                0x10, 0xC0, 0x8F, 0xAE, 0xDC, 0x03,  // nanos = 999,000,000
                0x3A, 0x08, 0x0A, 0x02, 0xFF, 0x6A, 0x10, 0x03, 0x18, 0x02,  // amount: -150, precision 3, scale 2
            ])
    }

    func testLongBodiesGetWideLengths() throws {
        let schema = Schema.struct(
            name: "a.R", fields: [("inner", Schema.struct(name: "a.I", fields: [("s", .string)])), ("n", .int32)])
        let inner = schema.fields[0].schema
        let long = String(repeating: "x", count: 200)
        var encoder = ProtobufEncoder(bytes: [], ignoreDefaultForNullables: false)
        try encoder.write(
            try ProtobufData().file(for: schema).root,
            Struct(schema: schema, values: [.struct(Struct(schema: inner, values: [.string(long)])), .int32(1)]))
        XCTAssertEqual(Array(encoder.bytes.prefix(6)), [0x0A, 0xCB, 0x01, 0x0A, 0xC8, 0x01])
        XCTAssertEqual(encoder.bytes.count, 3 + 3 + 200 + 2)
        XCTAssertEqual(Array(encoder.bytes.suffix(2)), [0x10, 0x01])
    }

    func testValuesProtobufCannotHoldFailWithTheirField() {
        let schema = Schema.struct(
            name: "a.R",
            fields: [("list", .array(of: Schema(type: .string, optional: true))), ("t", ConnectLogical.time())])
        var encoder = ProtobufEncoder(bytes: [], ignoreDefaultForNullables: false)
        let root = try! ProtobufData().file(for: schema).root
        XCTAssertThrowsError(
            try encoder.write(root, Struct(schema: schema, values: [.array([.string("a"), .null]), .int32(0)]))
        ) { XCTAssertEqual(($0 as? DataError)?.fieldPath, ["list"]) }
        XCTAssertThrowsError(try encoder.write(root, Struct(schema: schema, values: [.array([]), .int32(-5)]))) {
            XCTAssertEqual(($0 as? DataError)?.fieldPath, ["t"])
        }
        XCTAssertThrowsError(try ProtobufData().file(for: .string), "records must be structs")
    }
}
