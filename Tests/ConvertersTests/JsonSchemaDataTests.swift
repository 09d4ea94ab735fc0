import Converters
import TributaryCore
import XCTest

/// JSON Schema texts as Confluent's JsonSchemaConverter registers them.
final class JsonSchemaDataTests: XCTestCase {
    /// What Confluent's JsonSchemaConverter registered for a Debezium 2.x PostgreSQL change event of a table
    /// `(id int4 PRIMARY KEY, val text)`, as a registry's error message quoted it in public code.
    static let registeredEnvelope = #"""
        {"type":"object","title":"dbserver1.public.timmyb32r_favourite_table.Envelope","connect.version":1,"properties":{"op":{"type":"string","connect.index":3},"before":{"connect.index":0,"oneOf":[{"type":"null"},{"type":"object","title":"dbserver1.public.timmyb32r_favourite_table.Value","properties":{"val":{"connect.index":1,"oneOf":[{"type":"null"},{"type":"string"}]},"id":{"type":"integer","connect.index":0,"connect.type":"int32"}}}]},"after":{"connect.index":1,"oneOf":[{"type":"null"},{"type":"object","title":"dbserver1.public.timmyb32r_favourite_table.Value","properties":{"val":{"connect.index":1,"oneOf":[{"type":"null"},{"type":"string"}]},"id":{"type":"integer","connect.index":0,"connect.type":"int32"}}}]},"source":{"type":"object","title":"io.debezium.connector.postgresql.Source","connect.index":2,"properties":{"schema":{"type":"string","connect.index":7},"sequence":{"connect.index":6,"oneOf":[{"type":"null"},{"type":"string"}]},"xmin":{"connect.index":11,"oneOf":[{"type":"null"},{"type":"integer","connect.type":"int64"}]},"connector":{"type":"string","connect.index":1},"lsn":{"connect.index":10,"oneOf":[{"type":"null"},{"type":"integer","connect.type":"int64"}]},"name":{"type":"string","connect.index":2},"txId":{"connect.index":9,"oneOf":[{"type":"null"},{"type":"integer","connect.type":"int64"}]},"version":{"type":"string","connect.index":0},"ts_ms":{"type":"integer","connect.index":3,"connect.type":"int64"},"snapshot":{"connect.index":4,"oneOf":[{"type":"null"},{"type":"string","title":"io.debezium.data.Enum","default":"false","connect.version":1,"connect.parameters":{"allowed":"true,last,false,incremental"}}]},"db":{"type":"string","connect.index":5},"table":{"type":"string","connect.index":8}}},"ts_ms":{"connect.index":4,"oneOf":[{"type":"null"},{"type":"integer","connect.type":"int64"}]},"transaction":{"connect.index":5,"oneOf":[{"type":"null"},{"type":"object","title":"event.block","connect.version":1,"properties":{"data_collection_order":{"type":"integer","connect.index":2,"connect.type":"int64"},"id":{"type":"string","connect.index":0},"total_order":{"type":"integer","connect.index":1,"connect.type":"int64"}}}]}}}
        """#

    static func debezium2Envelope() -> Schema {
        let row = Schema.struct(
            name: "dbserver1.public.timmyb32r_favourite_table.Value", optional: true,
            fields: [("id", .int32), ("val", .optionalString)])
        let snapshot = Schema(
            type: .string, optional: true, defaultValue: .string("false"), name: "io.debezium.data.Enum", version: 1,
            parameters: [("allowed", "true,last,false,incremental")])
        let source = Schema.struct(
            name: "io.debezium.connector.postgresql.Source",
            fields: [
                ("version", .string), ("connector", .string), ("name", .string), ("ts_ms", .int64),
                ("snapshot", snapshot), ("db", .string), ("sequence", .optionalString), ("schema", .string),
                ("table", .string), ("txId", .optionalInt64), ("lsn", .optionalInt64), ("xmin", .optionalInt64),
            ])
        let block = Schema.struct(
            name: "event.block", optional: true, version: 1,
            fields: [("id", .string), ("total_order", .int64), ("data_collection_order", .int64)])
        return Schema.struct(
            name: "dbserver1.public.timmyb32r_favourite_table.Envelope", version: 1,
            fields: [
                ("before", row), ("after", row), ("source", source), ("op", .string), ("ts_ms", .optionalInt64),
                ("transaction", block),
            ])
    }

    func testTheDebeziumEnvelopeIsTheTextConfluentRegistered() throws {
        XCTAssertEqual(try JsonSchemaData().schemaText(Self.debezium2Envelope()), Self.registeredEnvelope)
    }

    /// The text Confluent registered reads back into a Connect schema that derives the very same text.
    func testTheRegisteredTextReadsBackIntoItsConnectSchema() throws {
        let data = JsonSchemaData()
        let schema = try data.connectSchema(try JSONNode.parse(Self.registeredEnvelope))
        XCTAssertEqual(schema.fields.map(\.name), ["before", "after", "source", "op", "ts_ms", "transaction"])
        XCTAssertTrue(schema.equalsStructurally(Self.debezium2Envelope()))
        XCTAssertEqual(try data.schemaText(schema), Self.registeredEnvelope)
        XCTAssertThrowsError(try data.connectSchema(try JSONNode.parse(#"{"type":"nothing"}"#)))
    }

    /// `object.additional.properties=false`: struct objects (not map entries) say so right after their type, as
    /// everit prints it; `use.optional.for.nonrequired` makes what an object does not require optional.
    func testAdditionalPropertiesAndNonRequiredOptions() throws {
        let schema = Schema.struct(
            name: "a.R", fields: [("id", .int32), ("m", .map(key: .int32, value: .string))])
        XCTAssertEqual(
            try JsonSchemaData(allowAdditionalProperties: false).schemaText(schema),
            #"{"type":"object","additionalProperties":false,"title":"a.R","properties":{"#
                + #""id":{"type":"integer","connect.index":0,"connect.type":"int32"},"#
                + #""m":{"type":"array","connect.index":1,"connect.type":"map","items":{"type":"object","#
                + #""properties":{"value":{"type":"string","connect.index":1},"#
                + #""key":{"type":"integer","connect.index":0,"connect.type":"int32"}}}}}}"#)
        let text = #"{"type":"object","required":["id"],"properties":{"id":{"type":"integer"},"n":{"type":"string"}}}"#
        let plain = try JsonSchemaData().connectSchema(try JSONNode.parse(text))
        XCTAssertEqual(plain.fields.map(\.schema.isOptional), [false, false])
        let optional = try JsonSchemaData(optionalForNonRequired: true).connectSchema(try JSONNode.parse(text))
        XCTAssertEqual(optional.fields.map(\.schema.isOptional), [false, true])
    }

    func testArraysMapsBytesDecimalsAndDocs() throws {
        let data = JsonSchemaData()
        XCTAssertEqual(
            try data.schemaText(.array(of: .optionalFloat32)),
            #"{"type":"array","items":{"oneOf":[{"type":"null"},{"type":"number","connect.type":"float32"}]}}"#)
        XCTAssertEqual(
            try data.schemaText(.map(key: .string, value: .int16)),
            #"{"type":"object","connect.type":"map","additionalProperties":{"type":"integer","connect.type":"int16"}}"#)
        XCTAssertEqual(
            try data.schemaText(.map(key: .int32, value: .boolean)),
            #"{"type":"array","connect.type":"map","items":{"type":"object","properties":{"#
                + #""value":{"type":"boolean","connect.index":1},"#
                + #""key":{"type":"integer","connect.index":0,"connect.type":"int32"}}}}"#)
        XCTAssertEqual(
            try data.schemaText(ConnectLogical.decimal(scale: 2)),
            #"{"type":"string","title":"org.apache.kafka.connect.data.Decimal","connect.version":1,"#
                + #""connect.type":"bytes","connect.parameters":{"scale":"2"}}"#)
        XCTAssertEqual(
            try JsonSchemaData(decimalFormat: .numeric).schemaText(ConnectLogical.decimal(scale: 2)).prefix(17),
            #"{"type":"number","#)
        XCTAssertEqual(
            try data.schemaText(Schema(type: .int64, defaultValue: .int64(7), doc: "a \"doc\"")),
            #"{"type":"integer","description":"a \"doc\"","default":7,"connect.type":"int64"}"#)
    }
}
