import TributaryCore
import XCTest

@testable import Transforms

/// Every key a transform or predicate reads is in its type's definition, and every type the chain builds has one.
final class TransformDefinitionsTests: XCTestCase {
    /// Settings each type needs to be built (and that make it read its optional keys).
    private let settings: [String: [String: String]] = [
        "ExtractNewRecordState": ["add.fields": "op", "add.headers": "op", "route.by.field": "x"],
        "ByLogicalTableRouter": [
            "topic.regex": "x", "topic.replacement": "y", "key.field.regex": "a", "key.field.replacement": "b",
        ],
        "ToLogicalTopicRouter": ["topic.regex": "x", "topic.replacement": "y"],
        "outbox.EventRouter": ["table.field.event.timestamp": "t", "table.field.event.schema.version": "v"],
        "InsertField": ["static.field": "s", "static.value": "v"],
        "ReplaceField": ["renames": "a:b"],
        "ExtractField": ["field": "f"], "HoistField": ["field": "f"], "Flatten": [:], "Cast": ["spec": "int8"],
        "MaskField": ["fields": "f"], "SetSchemaMetadata": ["schema.name": "n", "schema.version": "2"],
        "TimestampConverter": ["target.type": "string", "format": "yyyy"],
        "HeaderFrom": ["fields": "f", "headers": "h", "operation": "copy"], "ValueToKey": ["fields": "f"],
        "RegexRouter": ["regex": "x", "replacement": "y"], "TimestampRouter": [:], "Filter": [:],
        "DropHeaders": ["headers": "h"], "InsertHeader": ["header": "h", "value.literal": "v"],
        "TopicNameMatches": ["pattern": "x"], "HasHeaderKey": ["name": "h"], "RecordIsTombstone": [:],
    ]

    func testEveryKeyReadIsDefined() throws {
        for (type, definition) in TransformationChain.definitions {
            let simple = type.components(separatedBy: "transforms.").last!.replacingOccurrences(
                of: "predicates.", with: "")
            var config = Config(try XCTUnwrap(settings[simple], "settings for \(simple)"))
            let log = ConfigKeyLog()
            config.readKeys = log
            if type.contains(".predicates.") {
                _ = try TransformationChain.predicate(type, config)
            } else {
                let keyed = [
                    "ExtractNewRecordState", "ByLogicalTableRouter", "ToLogicalTopicRouter", "outbox.EventRouter",
                    "ValueToKey", "RegexRouter", "TimestampRouter", "Filter", "DropHeaders", "InsertHeader",
                ]
                _ = try TransformationChain.transformation(keyed.contains(simple) ? type : type + "$Value", config)
            }
            XCTAssertEqual(log.all.filter { !definition.knows($0) }.sorted(), [], type)
        }
    }

    func testEverySupportedTypeHasADefinition() {
        for type in TransformationChain.supportedTransformations {
            XCTAssertNotNil(TransformationChain.definition(forType: type), type)
        }
    }

    func testConfiguredTransformsKeysAreKnownUnderTheirAliases() {
        let config = Config([
            "transforms": "u,r", "transforms.u.type": "io.debezium.transforms.ExtractNewRecordState",
            "transforms.u.add.feilds": "op", "transforms.r.type": "com.example.Mine", "transforms.r.anything": "1",
            "predicates": "p", "predicates.p.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            "predicates.p.pattern": "x", "transforms.u.predicate": "p",
        ])
        let unknown = TransformationChain.configuredDefinition(config).unknownKeys(
            in: Config(config.values.filter { $0.key.hasPrefix("transforms.") || $0.key.hasPrefix("predicates.") }))
        XCTAssertEqual(unknown.map(\.key), ["transforms.u.add.feilds"])
        XCTAssertEqual(unknown.last?.suggestion, "transforms.u.add.fields")
    }
}
