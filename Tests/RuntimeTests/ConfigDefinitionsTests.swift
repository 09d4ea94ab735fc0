import Converters
import Runtime
import TributaryCore
import XCTest

/// The worker's, every connector's and the converters' definitions hold every key those components read; unknown
/// keys of connector and worker files are reported with the closest known key.
final class ConfigDefinitionsTests: XCTestCase {
    private func readKeys(_ values: [String: String], _ build: (Config) throws -> Void) rethrows -> Set<String> {
        var config = Config(values)
        let log = ConfigKeyLog()
        config.readKeys = log
        try build(config)
        return log.all
    }

    func testWorkerAndCommonConnectorKeysAreDefined() throws {
        let worker = try readKeys(["bootstrap.servers": "b", "offset.storage.file.filename": "/tmp/o"]) {
            _ = try WorkerConfig($0, standalone: true)
        }
        XCTAssertEqual(worker.filter { !WorkerConfig.definition.knows($0) }.sorted(), [])
        let common = try readKeys([:]) {
            _ = try ErrorHandlingSettings($0)
            _ = try RetryPolicy($0)
        }
        XCTAssertEqual(common.filter { !ConnectorCommonKeys.definition.knows($0) }.sorted(), [])
    }

    func testConverterKeysAreDefined() throws {
        let builders: [(String, [String: String], (Config) throws -> Void)] = [
            (JsonConverter.className, [:], { _ = try JsonConverter($0, isKey: false) }),
            (StringConverter.className, [:], { _ = try StringConverter($0) }),
            (
                AvroConverter.className, ["schema.registry.url": "http://127.0.0.1:1"],
                { _ = try AvroConverter($0, isKey: false) }
            ),
            (
                JsonSchemaConverter.className, ["schema.registry.url": "http://127.0.0.1:1"],
                { _ = try JsonSchemaConverter($0, isKey: false) }
            ),
        ]
        for (className, values, build) in builders {
            let keys = try readKeys(values, build)
            XCTAssertGreaterThan(keys.count, 1, className)
            let definition = try XCTUnwrap(ConverterFactory.definition(className))
            XCTAssertEqual(keys.filter { !definition.knows($0) }.sorted(), [], className)
        }
    }

    func testUnknownSettingsAreNamedWithTheClosestKey() {
        var plugins = ConnectorPlugins()
        plugins.register(DefinedConnector(), className: "x.Defined")
        let connector = Config([
            "name": "n", "connector.class": "x.Defined", "slot.nmae": "s", "value.converter.schemas.enabled": "false",
            "errors.tolerance": "all", "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "key.converter.encoding": "UTF-8", "snapshot.delay.ms": "5",
        ])
        XCTAssertEqual(
            UnknownSettings.inConnector(connector, worker: Config(), plugins: plugins),
            [
                #"unknown setting "slot.nmae" is ignored; did you mean "slot.name"?"#,
                #"unknown setting "snapshot.delay.ms" is ignored"#,
                #"unknown setting "value.converter.schemas.enabled" is ignored; "#
                    + #"did you mean "value.converter.schemas.enable"?"#,
            ])
        XCTAssertEqual(
            UnknownSettings.inWorker(
                Config(["bootstrap.servers": "b", "offset.flush.intervall.ms": "1", "producer.linger.ms": "5"])),
            [#"unknown setting "offset.flush.intervall.ms" is ignored; did you mean "offset.flush.interval.ms"?"#])
    }
}

private struct DefinedConnector: SourceConnector {
    func validate(_ config: Config) throws {}
    func makeTask(_ config: Config) throws -> SourceTask { fatalError("not run") }
    var configDefinition: ConfigDefinition? {
        ConfigDefinition("Defined", keys: [.string("slot.name", .high, "The slot.")])
    }
}
