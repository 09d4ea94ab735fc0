import TributaryCore

/// A Kafka Connect worker configuration (`connect-standalone.properties`): where Kafka is, the default
/// converters, where offsets live and how often they are stored.
public struct WorkerConfig: Sendable {
    public var config: Config
    public var bootstrapServers: String
    public var offsetFile: String?
    public var offsetFlushIntervalMilliseconds: Int
    /// `task.shutdown.graceful.timeout.ms` (Kafka Connect's default 5000): how long a stopping task waits for
    /// Kafka to acknowledge what is in flight.
    public var shutdownTimeoutMilliseconds: Int
    /// `task.send.immediately.below.records` (Tributary's): a poll that brings fewer records than this means the
    /// source has caught up, and its records go to Kafka at once instead of waiting out `linger.ms`; 0 turns it
    /// off. Low latency when the source is quiet, full batches when it is busy.
    public var sendImmediatelyBelowRecords: Int
    /// librdkafka settings for producers: `producer.*` and `kafka.*` keys with the prefix removed, plus
    /// `bootstrap.servers` and, where set, `security.protocol` / `sasl.*` / `ssl.*` from the worker itself.
    public var producerProperties: [String: String]

    public init(_ config: Config, standalone: Bool) throws {
        self.config = config
        bootstrapServers = try config.required("bootstrap.servers")
        offsetFile = config.string("offset.storage.file.filename")
        if standalone && offsetFile == nil { throw ConfigError.missing(key: "offset.storage.file.filename") }
        offsetFlushIntervalMilliseconds = try config.int(
            "offset.flush.interval.ms", default: 60_000, range: 1...86_400_000)
        shutdownTimeoutMilliseconds = try config.int(
            "task.shutdown.graceful.timeout.ms", default: 5_000, range: 0...86_400_000)
        sendImmediatelyBelowRecords = try config.int(
            "task.send.immediately.below.records", default: 16, range: 0...1_000_000)
        var producer: [String: String] = [:]
        for (k, v) in config.values
        where k.hasPrefix("security.") || k.hasPrefix("sasl.") || k.hasPrefix("ssl.") || k == "client.id" {
            producer[k] = v
        }
        producer.merge(config.withPrefix("kafka.")) { $1 }
        producer.merge(config.withPrefix("producer.")) { $1 }
        producer["bootstrap.servers"] = bootstrapServers
        producerProperties = producer
    }
}
