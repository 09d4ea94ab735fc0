import Converters
import Transforms
import TributaryCore

/// Settings no definition knows: misspellings (with the closest known key) and Debezium or Kafka Connect settings
/// Tributary does not read. Kafka Connect ignores unknown keys, and so does Tributary, but it says so, once, at the
/// start and in `tributary validate`.
public enum UnknownSettings {
    /// One message per unknown key of a connector file (`worker`: the worker's settings, for its converters).
    public static func inConnector(_ config: Config, worker: Config, plugins: ConnectorPlugins) -> [String] {
        let own: ConfigDefinition?
        if let sink = plugins.sinkConnector(for: config) {
            own = sink.configDefinition.map { $0.merging(SinkTaskRunner.definition) }
        } else {
            own = (try? plugins.sourceConnector(for: config))?.configDefinition
        }
        guard let own else { return [] }
        let definition = ConnectorCommonKeys.definition.merging(own)
            .merging(TransformationChain.configuredDefinition(config))
            .merging(converters(ConverterFactory.settings(worker: worker, connector: config)))
        return messages(definition.unknownKeys(in: config))
    }

    /// One message per unknown key of the worker file.
    public static func inWorker(_ worker: Config) -> [String] {
        messages(WorkerConfig.definition.merging(converters(worker)).unknownKeys(in: worker))
    }

    /// The settings of the configured converters under their prefixes; a class this version does not have (an
    /// error of its own) leaves its prefix open.
    private static func converters(_ config: Config) -> ConfigDefinition {
        var definition = ConfigDefinition("Converters", keys: [])
        for prefix in ["key.converter", "value.converter", "header.converter"] {
            let className =
                config.string(prefix)
                ?? (prefix == "header.converter" ? ConverterFactory.simpleHeaderConverter : JsonConverter.className)
            definition = definition.merging(
                ConverterFactory.definition(className)?.prefixed(prefix + ".")
                    ?? ConfigDefinition("", keys: [], openPrefixes: [prefix + "."]))
        }
        return definition
    }

    private static func messages(_ unknown: [(key: String, suggestion: String?)]) -> [String] {
        unknown.map { key, suggestion in
            "unknown setting \"\(key)\" is ignored" + (suggestion.map { "; did you mean \"\($0)\"?" } ?? "")
        }
    }
}
