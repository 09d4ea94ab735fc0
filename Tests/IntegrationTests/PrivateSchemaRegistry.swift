import Foundation
import XCTest

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The in-memory Schema Registry of `../shared/tools/schema-registry/` on a free loopback port, one per test, so
/// that ids and subjects start empty; optionally with basic authentication.
final class PrivateSchemaRegistry {
    let port: Int
    private let process: Process

    var url: String { "http://127.0.0.1:\(port)" }

    init(user: String? = nil) throws {
        let server = IntegrationEnvironment.repositoryRoot.deletingLastPathComponent()
            .appendingPathComponent("shared/tools/schema-registry/server.py")
        guard FileManager.default.fileExists(atPath: server.path) else {
            throw IntegrationFailure("no Schema Registry stand-in at \(server.path) (../shared beside the clone)")
        }
        port = try PrivateBroker.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", server.path, String(port)] + (user.map { ["--user", $0] } ?? [])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while !PrivateBroker.isOpen(port) {
            guard Date() < deadline, process.isRunning else {
                throw IntegrationFailure("the Schema Registry stand-in did not start on \(port)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// `GET /_dump`: every subject with the schema texts registered under it, in order.
    func subjects(user: String? = nil) throws -> [String: [String]] {
        try XCTUnwrap(try request("GET", "/_dump", body: nil, user: user) as? [String: [String]])
    }

    /// Decodes Confluent-framed `records` with confluent-kafka's own deserializer for `format`, asking this registry
    /// for the schemas: a second opinion on the bytes. `AvroDeserializer` (fastavro), `JSONDeserializer` (which
    /// validates each value against the registered JSON Schema with jsonschema) or `ProtobufDeserializer` (the
    /// registered `.proto` text compiled by protoc, as the real registry serves it with `format=serialized`).
    /// Returns one JSON value per record, with bytes as base64, decimals as text and dates/times as ISO text;
    /// Protobuf messages as protobuf's JSON mapping gives them (field names kept, int64 as text).
    func decodeWithConfluent(
        topic: String, records: [[UInt8]?], isKey: Bool = false, format: String = "avro"
    ) throws -> [Any] {
        let script = #"""
            import base64, datetime, decimal, json, sys
            from confluent_kafka.schema_registry import SchemaRegistryClient
            from confluent_kafka.schema_registry.avro import AvroDeserializer
            from confluent_kafka.schema_registry.json_schema import JSONDeserializer
            from confluent_kafka.serialization import MessageField, SerializationContext
            request = json.load(sys.stdin)
            client = SchemaRegistryClient({"url": request["url"]})
            convert = lambda value: value
            if request["format"] == "json":
                deserializer = JSONDeserializer(None, schema_registry_client=client)
            elif request["format"] == "protobuf":
                import os, tempfile
                from grpc_tools import protoc
                from google.protobuf import descriptor_pb2, descriptor_pool, json_format, timestamp_pb2, wrappers_pb2
                from google.protobuf.message_factory import GetMessageClass
                from google.type import date_pb2, timeofday_pb2
                from confluent_kafka.schema_registry import Schema
                from confluent_kafka.schema_registry.confluent import meta_pb2
                from confluent_kafka.schema_registry.confluent.type import decimal_pb2
                from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer
                known = [descriptor_pb2, timestamp_pb2, wrappers_pb2, date_pb2, timeofday_pb2, meta_pb2, decimal_pb2]
                def compile_proto(text):
                    # The registry knows confluent/meta.proto's options without an import; protoc needs one.
                    if "(confluent.field_meta)" in text:
                        syntax = 'syntax = "proto3";\n'
                        text = text.replace(syntax, syntax + 'import "confluent/meta.proto";\n', 1)
                    files = descriptor_pb2.FileDescriptorSet()
                    for module in known:
                        module.DESCRIPTOR.CopyToProto(files.file.add())
                    with tempfile.TemporaryDirectory() as tmp:
                        with open(os.path.join(tmp, "record.proto"), "w") as f: f.write(text)
                        with open(os.path.join(tmp, "known.pb"), "wb") as f: f.write(files.SerializeToString())
                        out = os.path.join(tmp, "out.pb")
                        if protoc.main(["protoc", "--descriptor_set_in=" + os.path.join(tmp, "known.pb"), "-I" + tmp,
                                        "--descriptor_set_out=" + out, "record.proto"]) != 0:
                            raise Exception("protoc refused the registered schema:\n" + text)
                        compiled = descriptor_pb2.FileDescriptorSet()
                        with open(out, "rb") as f: compiled.ParseFromString(f.read())
                        return compiled.file[0]
                class SerializedRegistry(SchemaRegistryClient):
                    def get_schema(self, schema_id, subject_name=None, fmt=None, reference_format=None):
                        schema = super().get_schema(schema_id, subject_name)
                        if fmt != "serialized": return schema
                        compiled = compile_proto(schema.schema_str).SerializeToString()
                        return Schema(base64.b64encode(compiled).decode(), "PROTOBUF", schema.references)
                client = SerializedRegistry({"url": request["url"]})
                first = next(base64.b64decode(r) for r in request["records"] if r is not None)
                compiled = compile_proto(client.get_schema(int.from_bytes(first[1:5], "big")).schema_str)
                pool = descriptor_pool.DescriptorPool()
                for module in known:
                    pool.AddSerializedFile(module.DESCRIPTOR.serialized_pb)
                pool.Add(compiled)
                name = (compiled.package + "." if compiled.package else "") + compiled.message_type[0].name
                message_class = GetMessageClass(pool.FindMessageTypeByName(name))
                deserializer = ProtobufDeserializer(message_class, {"use.deprecated.format": False}, client)
                def convert(message):
                    if message is None: return None
                    return json_format.MessageToDict(message, preserving_proto_field_name=True)
            else:
                deserializer = AvroDeserializer(client)
            field = MessageField.KEY if request["isKey"] else MessageField.VALUE
            def plain(o):
                if isinstance(o, bytes): return base64.b64encode(o).decode()
                if isinstance(o, decimal.Decimal): return str(o)
                if isinstance(o, (datetime.date, datetime.time, datetime.datetime)): return o.isoformat()
                raise TypeError(type(o))
            out = []
            for record in request["records"]:
                data = None if record is None else base64.b64decode(record)
                out.append(convert(deserializer(data, SerializationContext(request["topic"], field))))
            print(json.dumps(out, default=plain))
            """#
        let request: [String: Any] = [
            "url": url, "topic": topic, "isKey": isKey, "format": format,
            "records": records.map { $0.map { Data($0).base64EncodedString() } ?? NSNull() as Any },
        ]
        let process = Process()
        let venv =
            ProcessInfo.processInfo.environment["TRIBUTARY_VENV"].map { URL(fileURLWithPath: $0) }
            ?? IntegrationEnvironment.repositoryRoot.appendingPathComponent(".venv")
        process.executableURL = venv.appendingPathComponent("bin/python")
        process.arguments = ["-c", script]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: request))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw IntegrationFailure("confluent-kafka's \(format) deserializer failed: \(errorText)")
        }
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [Any])
    }

    /// Registers `schema` under `subject` directly, as another producer would.
    @discardableResult
    func register(subject: String, schema: String) throws -> Int {
        let body = try JSONSerialization.data(withJSONObject: ["schema": schema])
        let object = try request("POST", "/subjects/\(subject)/versions", body: body, user: nil) as? [String: Any]
        return try XCTUnwrap(object?["id"] as? Int)
    }

    private func request(_ method: String, _ path: String, body: Data?, user: String?) throws -> Any {
        let response = try PythonHTTP.request(method, url + path, body: body, user: user)
        guard response.status == 200 else { throw IntegrationFailure("\(method) \(path): HTTP \(response.status)") }
        return try JSONSerialization.jsonObject(with: response.body)
    }
}
