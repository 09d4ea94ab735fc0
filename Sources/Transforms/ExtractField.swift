import TributaryCore

/// Kafka Connect's `ExtractField$Key`/`$Value`: replaces the key or value by one of its fields (`field`), with
/// that field's schema. A null value stays null.
final class ExtractField: Transformation {
    private let part: RecordPart
    private let field: String
    private let replaceNullWithDefault: Bool

    convenience init(_ part: RecordPart, _ config: Config) throws(ConfigError) {
        self.init(
            part, field: try config.required("field"),
            replaceNullWithDefault: try config.bool("replace.null.with.default", default: true))
    }

    init(_ part: RecordPart, field: String, replaceNullWithDefault: Bool = true) {
        self.part = part
        self.field = field
        self.replaceNullWithDefault = replaceNullWithDefault
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        let value = part.value(of: record)
        guard let schema = part.schema(of: record) else {
            if value.isNull { return record }
            throw TransformError("ExtractField", "only values with a schema are supported")
        }
        guard let f = schema.field(named: field) else {
            throw TransformError("ExtractField", "Unknown field: \(field)")
        }
        var extracted = Value.null
        if case .struct(let s) = value {
            extracted = s.value(at: f.index, replacingNullWithDefault: replaceNullWithDefault)
        } else if !value.isNull {
            throw TransformError("ExtractField", "only Struct values are supported, found \(value)")
        }
        return part.replacing(record, schema: f.schema, value: extracted)
    }
}
