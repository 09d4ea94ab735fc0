/// How a schema's subject is named (`key.subject.name.strategy`, `value.subject.name.strategy`), as Confluent's
/// serializers name it.
public enum SubjectNameStrategy: String, Sendable, CaseIterable {
    /// `<topic>-key` or `<topic>-value`: one schema history per topic (the default).
    case topicName = "io.confluent.kafka.serializers.subject.TopicNameStrategy"
    /// The record's full name: one history per record type, across topics.
    case recordName = "io.confluent.kafka.serializers.subject.RecordNameStrategy"
    /// `<topic>-<record full name>`: several record types in one topic.
    case topicRecordName = "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"

    /// The strategy named by its class name or its simple name (`TopicNameStrategy`).
    public init?(className: String) {
        guard
            let match = Self.allCases.first(where: {
                $0.rawValue == className || $0.rawValue.hasSuffix("." + className)
            })
        else { return nil }
        self = match
    }

    public func subject(topic: String, isKey: Bool, recordName: String) -> String {
        switch self {
        case .topicName: topic + (isKey ? "-key" : "-value")
        case .recordName: recordName
        case .topicRecordName: topic + "-" + recordName
        }
    }
}
