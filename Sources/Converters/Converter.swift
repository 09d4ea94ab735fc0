import TributaryCore

/// Turns Connect data into the bytes of a Kafka record key or value (Kafka Connect's `Converter`).
///
/// A converter instance belongs to one task thread; implementations may keep caches without locking.
public protocol Converter: AnyObject {
    /// Serializes `value` with `schema`; nil means a Kafka null (a tombstone value or a null key).
    func fromConnectData(topic: String, schema: Schema?, value: Value) throws -> [UInt8]?
}

/// A value that does not fit its schema.
public struct DataError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
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
        case ByteArrayConverter.className:
            return ByteArrayConverter()
        default:
            throw ConfigError.invalid(
                key: prefix, value: className,
                expected: "one of "
                    + [
                        JsonConverter.className, AvroConverter.className, StringConverter.className,
                        ByteArrayConverter.className,
                    ].joined(separator: ", "))
        }
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
