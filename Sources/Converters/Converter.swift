import TributaryCore

/// Turns Connect data into the bytes of a Kafka record key or value (Kafka Connect's `Converter`).
///
/// A converter instance belongs to one task thread; implementations may keep caches without locking.
public protocol Converter: AnyObject {
    /// Serializes `value` with `schema`; nil means a Kafka null (a tombstone value or a null key).
    func fromConnectData(topic: String, schema: Schema?, value: Value) throws -> [UInt8]?
}

/// Reads Kafka record keys or values back into Connect data (the other half of Kafka Connect's `Converter`), for
/// sinks.
public protocol ReadingConverter: Converter {
    /// Deserializes a key or value; nil bytes (a null key or a tombstone) read as a null value without schema.
    func toConnectData(topic: String, bytes: [UInt8]?) throws -> SchemaAndValue
}

/// A Connect schema (nil when schemaless) with a value, as Kafka Connect's `SchemaAndValue`.
public struct SchemaAndValue: Sendable, Equatable {
    public let schema: Schema?
    public let value: Value

    public init(schema: Schema?, value: Value) {
        self.schema = schema
        self.value = value
    }

    public static let null = SchemaAndValue(schema: nil, value: .null)

    public static func == (lhs: SchemaAndValue, rhs: SchemaAndValue) -> Bool {
        guard lhs.value == rhs.value else { return false }
        switch (lhs.schema, rhs.schema) {
        case (nil, nil): return true
        case (let a?, let b?): return a.equalsStructurally(b)
        default: return false
        }
    }
}

/// A value that does not fit its schema, or bytes that are not what the converter reads.
public struct DataError: Error, CustomStringConvertible {
    public let message: String
    /// The struct fields, outermost first, down to the value that failed (`after.price`).
    public var fieldPath: [String] = []

    public init(_ message: String) {
        self.message = message
    }

    public var description: String {
        fieldPath.isEmpty ? message : "\(message) (field \(fieldPath.joined(separator: ".")))"
    }
}

/// Builds converters from worker or connector settings (`key.converter=org.apache.kafka.connect.json.JsonConverter`,
/// `key.converter.schemas.enable=false`, …).
public enum ConverterFactory {
    /// The converter named by `config[prefix]` (e.g. `key.converter`), configured with the settings under
    /// `prefix.`.
    public static func make(_ config: Config, prefix: String, isKey: Bool) throws -> Converter {
        let className = config.string(prefix) ?? JsonConverter.className
        let settings = Config(config.withPrefix(prefix + "."))
        switch className {
        case JsonConverter.className, "json":
            do {
                return try JsonConverter(settings, isKey: isKey)
            } catch let error as ConfigError {
                throw error.prefixed(prefix + ".")
            }
        case AvroConverter.className:
            do throws(ConfigError) {
                return try AvroConverter(settings, isKey: isKey)
            } catch {
                throw error.prefixed(prefix + ".")
            }
        case StringConverter.className:
            do throws(ConfigError) {
                return try StringConverter(settings)
            } catch {
                throw error.prefixed(prefix + ".")
            }
        case JsonSchemaConverter.className:
            do throws(ConfigError) {
                return try JsonSchemaConverter(settings, isKey: isKey)
            } catch {
                throw error.prefixed(prefix + ".")
            }
        case ProtobufConverter.className:
            do throws(ConfigError) {
                return try ProtobufConverter(settings, isKey: isKey)
            } catch {
                throw error.prefixed(prefix + ".")
            }
        case ByteArrayConverter.className:
            return ByteArrayConverter()
        default:
            throw ConfigError.invalid(
                key: prefix, value: className,
                expected: "one of "
                    + [
                        JsonConverter.className, AvroConverter.className, ProtobufConverter.className,
                        JsonSchemaConverter.className, StringConverter.className, ByteArrayConverter.className,
                    ].joined(separator: ", "))
        }
    }

    /// The converter settings a connector runs with: the worker's, overridden by the connector's own
    /// `key.converter*`, `value.converter*` and `header.converter*` settings, as in Kafka Connect.
    public static func settings(worker: Config, connector: Config) -> Config {
        var merged = worker
        for (k, v) in connector.values
        where k.hasPrefix("key.converter") || k.hasPrefix("value.converter") || k.hasPrefix("header.converter") {
            merged[k] = v
        }
        return merged
    }

    /// Kafka Connect's default header converter, the one Tributary writes headers with.
    public static let simpleHeaderConverter = "org.apache.kafka.connect.storage.SimpleHeaderConverter"

    /// Refuses a `header.converter` other than `SimpleHeaderConverter`: headers would silently be written
    /// differently from what the setting asks.
    public static func checkHeaderConverter(_ config: Config) throws(ConfigError) {
        guard let className = config.string("header.converter"), className != simpleHeaderConverter else { return }
        throw .invalid(
            key: "header.converter", value: className, expected: simpleHeaderConverter + " (the only one supported yet)"
        )
    }
}
