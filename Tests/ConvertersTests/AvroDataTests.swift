import TributaryCore
import XCTest

@testable import Converters

/// Avro schemas derived from Connect schemas, compared with the text Confluent's AvroConverter registered for
/// the same Connect schemas (taken from real registries: a Debezium MySQL envelope, a JDBC source table).
final class AvroDataTests: XCTestCase {
    private let avro = AvroData()

    func testDebeziumEnvelopeMatchesConfluentsText() throws {
        let value = Schema.struct(
            name: "inventory.inventory.customers.Value", optional: true,
            fields: [
                ("id", .int32), ("first_name", .string), ("last_name", .optionalString), ("email", .string),
            ])
        let snapshot = Schema(
            type: .string, optional: true, defaultValue: .string("false"), name: "io.debezium.data.Enum", version: 1,
            parameters: [("allowed", "true,last,false")])
        let source = Schema.struct(
            name: "io.debezium.connector.mysql.Source",
            fields: [
                ("version", .string), ("connector", .string), ("name", .string), ("ts_ms", .int64),
                ("snapshot", snapshot), ("db", .string), ("table", .optionalString), ("server_id", .int64),
                ("gtid", .optionalString), ("file", .string), ("pos", .int64), ("row", .int32),
                ("thread", .optionalInt64), ("query", .optionalString),
            ])
        let transaction = Schema.struct(
            name: nil, optional: true,
            fields: [("id", .string), ("total_order", .int64), ("data_collection_order", .int64)])
        let envelope = Schema.struct(
            name: "inventory.inventory.customers.Envelope",
            fields: [
                ("before", value), ("after", value), ("source", source), ("op", .string), ("ts_ms", .optionalInt64),
                ("transaction", transaction),
            ])
        let expected = #"""
            {"type":"record","name":"Envelope","namespace":"inventory.inventory.customers","fields":[{"name":"before","type":["null",{"type":"record","name":"Value","fields":[{"name":"id","type":"int"},{"name":"first_name","type":"string"},{"name":"last_name","type":["null","string"],"default":null},{"name":"email","type":"string"}],"connect.name":"inventory.inventory.customers.Value"}],"default":null},{"name":"after","type":["null","Value"],"default":null},{"name":"source","type":{"type":"record","name":"Source","namespace":"io.debezium.connector.mysql","fields":[{"name":"version","type":"string"},{"name":"connector","type":"string"},{"name":"name","type":"string"},{"name":"ts_ms","type":"long"},{"name":"snapshot","type":[{"type":"string","connect.version":1,"connect.parameters":{"allowed":"true,last,false"},"connect.default":"false","connect.name":"io.debezium.data.Enum"},"null"],"default":"false"},{"name":"db","type":"string"},{"name":"table","type":["null","string"],"default":null},{"name":"server_id","type":"long"},{"name":"gtid","type":["null","string"],"default":null},{"name":"file","type":"string"},{"name":"pos","type":"long"},{"name":"row","type":"int"},{"name":"thread","type":["null","long"],"default":null},{"name":"query","type":["null","string"],"default":null}],"connect.name":"io.debezium.connector.mysql.Source"}},{"name":"op","type":"string"},{"name":"ts_ms","type":["null","long"],"default":null},{"name":"transaction","type":["null",{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{"name":"id","type":"string"},{"name":"total_order","type":"long"},{"name":"data_collection_order","type":"long"}]}],"default":null}],"connect.name":"inventory.inventory.customers.Envelope"}
            """#
        let derived = try avro.avroSchema(for: envelope)
        XCTAssertEqual(derived.text, expected)
        XCTAssertEqual(derived.fullName, "inventory.inventory.customers.Envelope")
    }

    func testLogicalTypesInt8AndDefaultsMatchConfluentsText() throws {
        let schema = Schema.struct(
            name: "gn_news_company_table",
            fields: [
                ("relevance", ConnectLogical.decimal(scale: 2, precision: 5, optional: true)),
                ("ncc_flag", .optionalInt8),
                ("published_at", ConnectLogical.timestamp()),
                ("day", ConnectLogical.date(optional: true)),
                (
                    "UPDATE_TIME",
                    Schema(type: .int64, defaultValue: .int64(0), name: "io.debezium.time.Timestamp", version: 1)
                ),
                ("small", .int16),
                ("clock", ConnectLogical.time()),
            ])
        let expected = #"""
            {"type":"record","name":"gn_news_company_table","fields":[{"name":"relevance","type":["null",{"type":"bytes","scale":2,"precision":5,"connect.version":1,"connect.parameters":{"scale":"2","connect.decimal.precision":"5"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}],"default":null},{"name":"ncc_flag","type":["null",{"type":"int","connect.type":"int8"}],"default":null},{"name":"published_at","type":{"type":"long","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Timestamp","logicalType":"timestamp-millis"}},{"name":"day","type":["null",{"type":"int","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Date","logicalType":"date"}],"default":null},{"name":"UPDATE_TIME","type":{"type":"long","connect.version":1,"connect.default":0,"connect.name":"io.debezium.time.Timestamp"},"default":0},{"name":"small","type":{"type":"int","connect.type":"int16"}},{"name":"clock","type":{"type":"int","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Time","logicalType":"time-millis"}}],"connect.name":"gn_news_company_table"}
            """#
        XCTAssertEqual(try avro.avroSchema(for: schema).text, expected)
    }

    func testDecimalWithoutPrecisionGetsConfluentsDefaultOf64() throws {
        let text = try avro.avroSchema(for: ConnectLogical.decimal(scale: 3)).text
        XCTAssertEqual(
            text,
            #"{"type":"bytes","scale":3,"precision":64,"connect.version":1,"connect.parameters":{"scale":"3"},"#
                + #""connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}"#)
    }

    func testMapsArraysAndUnnamedStructs() throws {
        let schema = Schema.struct(
            name: nil,
            fields: [
                ("tags", .array(of: .string)),
                ("attributes", .map(key: .string, value: .optionalString, optional: true)),
                ("counts", .map(key: .int32, value: .int64)),
                ("inner", .struct(name: nil, fields: [("x", .boolean)])),
            ])
        let expected = #"""
            {"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{"name":"tags","type":{"type":"array","items":"string"}},{"name":"attributes","type":["null",{"type":"map","values":["null","string"]}],"default":null},{"name":"counts","type":{"type":"array","items":{"type":"record","name":"MapEntry","fields":[{"name":"key","type":"int"},{"name":"value","type":"long"}]}}},{"name":"inner","type":{"type":"record","name":"ConnectDefault2","fields":[{"name":"x","type":"boolean"}]}}]}
            """#
        XCTAssertEqual(try avro.avroSchema(for: schema).text, expected)
    }

    func testConnectMetaDataOffDropsConnectProperties() throws {
        let plain = AvroData(settings: .init(connectMetaData: false))
        let schema = Schema.struct(
            name: "a.b.Value", version: 3,
            fields: [("d", ConnectLogical.date()), ("n", Schema(type: .int16, doc: "small"))])
        XCTAssertEqual(
            try plain.avroSchema(for: schema).text,
            #"{"type":"record","name":"Value","namespace":"a.b","fields":[{"name":"d","type":{"type":"int","#
                + #""logicalType":"date"}},{"name":"n","type":"int"}]}"#)
    }

    func testInvalidNamesFailWithAHintOrAreScrubbed() throws {
        let schema = Schema.struct(name: "server-1.db.orders-2024.Value", fields: [("order-id", .int32)])
        XCTAssertThrowsError(try avro.avroSchema(for: Schema.struct(name: "x.Bad-Name", fields: []))) { error in
            XCTAssertTrue("\(error)".contains("Bad-Name"), "\(error)")
            XCTAssertTrue("\(error)".contains("schema.name.adjustment.mode=avro"), "\(error)")
        }
        XCTAssertThrowsError(try avro.avroSchema(for: schema)) { error in
            XCTAssertTrue("\(error)".contains("order-id"), "\(error)")
        }
        let scrubbing = AvroData(settings: .init(scrubInvalidNames: true))
        XCTAssertEqual(
            try scrubbing.avroSchema(for: schema).text,
            #"{"type":"record","name":"Value","namespace":"server_1.db.orders_2024","fields":[{"name":"order_id","#
                + #""type":"int"}],"connect.name":"server-1.db.orders-2024.Value"}"#)
    }

    func testASelfReferencingStructIsReferredToByName() throws {
        // Connect has no recursive schemas, but a struct whose array holds structs of the same name resolves
        // to the record being built, as Confluent's cycle references do.
        let node = Schema.struct(name: "tree.Node", fields: [("v", .int32)])
        let tree = Schema.struct(name: "tree.Node", fields: [("v", .int32), ("children", .array(of: node))])
        XCTAssertEqual(
            try avro.avroSchema(for: tree).text,
            #"{"type":"record","name":"Node","namespace":"tree","fields":[{"name":"v","type":"int"},"#
                + #"{"name":"children","type":{"type":"array","items":"Node"}}],"connect.name":"tree.Node"}"#)
    }
}
