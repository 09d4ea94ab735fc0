import TributaryCore

extension ConverterFactory {
    /// The settings of the converter `className` names (under `key.converter.` or `value.converter.`); nil for
    /// a class this version does not have.
    public static func definition(_ className: String) -> ConfigDefinition? {
        switch className {
        case JsonConverter.className, "json": return json
        case StringConverter.className: return string
        case ByteArrayConverter.className: return ConfigDefinition("ByteArrayConverter", keys: [])
        case AvroConverter.className: return avro
        case JsonSchemaConverter.className: return jsonSchema
        case ProtobufConverter.className: return protobuf
        case simpleHeaderConverter: return ConfigDefinition("SimpleHeaderConverter", keys: [])
        default: return nil
        }
    }

    /// Every converter's definition, for the reference.
    public static var definitions: [ConfigDefinition] { [json, string, avro, protobuf, jsonSchema] }

    private static let json = ConfigDefinition(
        "JsonConverter (`\(JsonConverter.className)`)",
        keys: [
            .boolean("schemas.enable", default: true, .high, "`{\"schema\":…,\"payload\":…}` or the payload alone."),
            .string(
                "decimal.format", default: "BASE64", .medium, allowed: ["BASE64", "NUMERIC"],
                "How decimals are written."),
            .boolean(
                "replace.null.with.default", default: true, .low, "Write and read a field's default for nulls."),
            .int("schemas.cache.size", default: 1000, .low, range: 0...Int64(Int32.max), "Schemas kept per direction."),
        ])

    private static let string = ConfigDefinition(
        "StringConverter (`\(StringConverter.className)`)",
        keys: [
            .string("converter.encoding", default: "UTF-8", .low, "Only UTF-8."),
            .string("encoding", default: "UTF-8", .low, "Only UTF-8 (older name)."),
        ])

    /// The Schema Registry client's and subject settings Confluent's converters share.
    private static let registry: [ConfigKey] = [
        .list("schema.registry.url", .high, "One or more Schema Registry URLs; tried in turn (required)."),
        .string(
            "basic.auth.credentials.source", default: "URL", .medium, allowed: ["URL", "USER_INFO"],
            "Where the registry's basic auth credentials come from."),
        .password("basic.auth.user.info", "`user:password` with `USER_INFO`."),
        .password("schema.registry.basic.auth.user.info", "`user:password` with `USER_INFO` (older name)."),
        .boolean("auto.register.schemas", default: true, .medium, "Register new schemas."),
        .boolean("use.latest.version", default: false, .medium, "Use the subject's latest version."),
        .string(
            "key.subject.name.strategy", default: "io.confluent.kafka.serializers.subject.TopicNameStrategy",
            .medium, "How the subject of key schemas is named."),
        .string(
            "value.subject.name.strategy", default: "io.confluent.kafka.serializers.subject.TopicNameStrategy",
            .medium, "How the subject of value schemas is named."),
        .int(
            "schema.registry.request.timeout.ms", default: 30_000, .low, range: 1...3_600_000,
            "Timeout of each registry request."),
    ]

    private static let avro = ConfigDefinition(
        "AvroConverter (`\(AvroConverter.className)`)",
        keys: registry + [
            .boolean("connect.meta.data", default: true, .low, "Keep the `connect.*` properties in the Avro schemas."),
            .boolean("scrub.invalid.names", default: false, .low, "Replace characters Avro names cannot hold by `_`."),
            .boolean("ignore.default.for.nullables", default: false, .low, "Write null, not the default, for nulls."),
        ],
        openPrefixes: ["schema.registry.ssl."])

    private static let protobuf = ConfigDefinition(
        "ProtobufConverter (`\(ProtobufConverter.className)`)",
        keys: registry + [
            .boolean(
                "scrub.invalid.names", default: false, .low, "Replace characters Protobuf names cannot hold by `_`."),
            .boolean(
                "optional.for.nullables", default: false, .low, "Optional Connect fields as proto3 `optional` fields."),
            .boolean(
                "wrapper.for.nullables", default: false, .low,
                "Optional primitives as `google.protobuf.*Value` wrappers."),
            .boolean(
                "ignore.default.for.nullables", default: false, .low, "Write nothing, not the default, for nulls."),
            .boolean(
                "enhanced.protobuf.schema.support", default: false, .low,
                "Reading: name structs and enums by their full name, package included."),
            .boolean("int.for.enums", default: false, .low, "Reading: enums as int32, not as their symbol."),
        ],
        openPrefixes: ["schema.registry.ssl."])

    private static let jsonSchema = ConfigDefinition(
        "JsonSchemaConverter (`\(JsonSchemaConverter.className)`)",
        keys: registry + [
            .string(
                "decimal.format", default: "BASE64", .medium, allowed: ["BASE64", "NUMERIC"],
                "How decimals are written."),
            .boolean(
                "object.additional.properties", default: true, .low,
                "false: struct objects refuse properties they do not list (`\"additionalProperties\":false`)."),
            .boolean(
                "use.optional.for.nonrequired", default: false, .low,
                "Reading: properties an object does not list as `required` are optional."),
        ],
        openPrefixes: ["schema.registry.ssl."])
}
