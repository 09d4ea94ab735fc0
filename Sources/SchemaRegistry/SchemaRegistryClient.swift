import TributaryCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The format of a registered schema (`schemaType`; Avro when absent).
public enum RegistrySchemaType: String, Sendable {
    case avro = "AVRO"
    case json = "JSON"
    case protobuf = "PROTOBUF"
}

/// A schema as the registry stores it: its text and format.
public struct RegistrySchema: Sendable, Equatable {
    public var text: String
    public var type: RegistrySchemaType

    public init(text: String, type: RegistrySchemaType) {
        self.text = text
        self.type = type
    }
}

/// A client for the Confluent Schema Registry REST API: registers and looks up schemas under subjects, reads
/// the latest version and schemas by id.
///
/// It tries the configured URLs in turn, starting with the last one that answered, so that one registry
/// instance going away does not stop the converters. It keeps no cache itself; the converters cache ids per
/// schema, so the registry is called once per schema and subject.
public final class SchemaRegistryClient {
    public let settings: SchemaRegistrySettings
    private let http: CurlHTTPClient
    private var current = 0
    /// How many HTTP requests were sent (for tests and metrics).
    public private(set) var requestCount = 0

    /// Fails (naming `schema.registry.url`) only when libcurl cannot be loaded.
    public init(settings: SchemaRegistrySettings) throws(ConfigError) {
        self.settings = settings
        do {
            self.http = try CurlHTTPClient(tls: settings.tls, timeoutMilliseconds: settings.requestTimeoutMilliseconds)
        } catch {
            throw .other(key: "schema.registry.url", message: error.reason)
        }
    }

    /// Registers `schema` under `subject` (or finds it registered) and returns its id
    /// (`POST /subjects/{subject}/versions`).
    public func register(subject: String, schema: RegistrySchema) throws(SchemaRegistryError) -> Int32 {
        let object = try call(
            .post, "/subjects/\(Self.escape(subject))/versions", body: Self.body(schema), operation: "register",
            subject: subject)
        return try Self.id(in: object, operation: "register", subject: subject, registry: registryDescription)
    }

    /// The id of `schema`, which must already be registered under `subject` (`POST /subjects/{subject}`).
    public func lookup(subject: String, schema: RegistrySchema) throws(SchemaRegistryError) -> Int32 {
        let object = try call(
            .post, "/subjects/\(Self.escape(subject))", body: Self.body(schema), operation: "lookup", subject: subject)
        return try Self.id(in: object, operation: "lookup", subject: subject, registry: registryDescription)
    }

    /// The latest schema registered under `subject`, with its id (`GET /subjects/{subject}/versions/latest`).
    public func latest(subject: String) throws(SchemaRegistryError) -> (id: Int32, schema: RegistrySchema) {
        let object = try call(
            .get, "/subjects/\(Self.escape(subject))/versions/latest", body: nil, operation: "latest version",
            subject: subject)
        let id = try Self.id(in: object, operation: "latest version", subject: subject, registry: registryDescription)
        return (
            id,
            try Self.schema(in: object, operation: "latest version", subject: subject, registry: registryDescription)
        )
    }

    /// The schema with `id` (`GET /schemas/ids/{id}`).
    public func schema(id: Int32) throws(SchemaRegistryError) -> RegistrySchema {
        let object = try call(.get, "/schemas/ids/\(id)", body: nil, operation: "schema by id", subject: nil)
        return try Self.schema(in: object, operation: "schema by id", subject: nil, registry: registryDescription)
    }

    /// The URLs as error messages show them: without user info.
    public var registryDescription: String {
        settings.urls.map { url in
            guard let scheme = url.firstRange(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else {
                return url
            }
            return String(url[..<scheme.upperBound]) + String(url[url.index(after: at)...])
        }.joined(separator: ",")
    }

    private static let headers = [
        "Content-Type: application/vnd.schemaregistry.v1+json",
        "Accept: application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; q=0.9, "
            + "application/json; q=0.5",
    ]

    /// Sends the request to each URL in turn until one answers with a status below 500; returns the JSON object.
    private func call(
        _ method: CurlHTTPClient.Method, _ path: String, body: [UInt8]?, operation: String, subject: String?
    ) throws(SchemaRegistryError) -> RegistryResponse {
        var failure = SchemaRegistryError(
            code: .unreachable, operation: operation, subject: subject, registry: registryDescription,
            message: "no URL configured")
        for attempt in 0..<settings.urls.count {
            let index = (current + attempt) % settings.urls.count
            requestCount += 1
            let response: CurlHTTPClient.Response
            do {
                response = try http.send(
                    method, url: settings.urls[index] + path, body: body, headers: Self.headers,
                    userInfo: settings.userInfo)
            } catch {
                failure.code = .unreachable
                failure.message = error.reason
                continue
            }
            let object = try? JSONDecoder().decode(RegistryResponse.self, from: Data(response.body))
            if (200..<300).contains(response.status), let object {
                current = index
                return object
            }
            failure.code = .rejected(status: response.status, errorCode: object?.errorCode)
            failure.message =
                object?.message.map { "\($0) (HTTP \(response.status))" }
                ?? "HTTP \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))"
            if (200..<300).contains(response.status) { failure.code = .invalidResponse }
            // A 4xx is the registry's answer about the request; another URL would give the same.
            if response.status < 500 { break }
        }
        throw failure
    }

    /// The members of the registry's answers that the client reads; a registry may send more.
    struct RegistryResponse: Decodable {
        var id: Int?
        var schema: String?
        var schemaType: String?
        var errorCode: Int?
        var message: String?

        enum CodingKeys: String, CodingKey {
            case id, schema, schemaType, message
            case errorCode = "error_code"
        }
    }

    /// A request's body: the schema, and its type unless Avro (the registry's default).
    private struct RegistrationRequest: Encodable {
        var schema: String
        var schemaType: String?
    }

    private static func body(_ schema: RegistrySchema) -> [UInt8] {
        let request = RegistrationRequest(
            schema: schema.text, schemaType: schema.type == .avro ? nil : schema.type.rawValue)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(request)) ?? Data())
    }

    private static func id(
        in object: RegistryResponse, operation: String, subject: String?, registry: String
    )
        throws(SchemaRegistryError) -> Int32
    {
        guard let id = object.id, let id32 = Int32(exactly: id) else {
            throw SchemaRegistryError(
                code: .invalidResponse, operation: operation, subject: subject, registry: registry,
                message: "the response has no schema id")
        }
        return id32
    }

    private static func schema(
        in object: RegistryResponse, operation: String, subject: String?, registry: String
    )
        throws(SchemaRegistryError) -> RegistrySchema
    {
        guard let text = object.schema else {
            throw SchemaRegistryError(
                code: .invalidResponse, operation: operation, subject: subject, registry: registry,
                message: "the response has no schema")
        }
        let type = object.schemaType.flatMap(RegistrySchemaType.init(rawValue:)) ?? .avro
        return RegistrySchema(text: text, type: type)
    }

    /// A subject as a URL path segment: everything but unreserved characters percent-encoded.
    static func escape(_ segment: String) -> String {
        var result = ""
        for byte in segment.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                result.append(Character(Unicode.Scalar(byte)))
            default: result += "%" + Hex.uppercase([byte])
            }
        }
        return result
    }
}
