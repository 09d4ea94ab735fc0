import Converters
import TributaryCore

/// Kafka Connect's `HeaderFrom$Key`/`$Value`: copies (`operation=copy`) or moves (`move`) the key's or value's
/// `fields` into headers named by `headers` (one per field, in order), written as Kafka Connect's default header
/// converter writes them. A move also removes the fields from the struct and its schema. Null values pass.
final class HeaderFrom: Transformation {
    private let part: RecordPart
    private let fields: [String]
    private let headers: [String]
    private let move: Bool
    private let replaceNullWithDefault: Bool
    private let memo = SchemaMemo()

    init(_ part: RecordPart, _ config: Config) throws(ConfigError) {
        self.part = part
        fields = config.list("fields")
        headers = config.list("headers")
        guard !fields.isEmpty else { throw .missing(key: "fields") }
        guard headers.count == fields.count else {
            throw .invalid(
                key: "headers", value: headers.joined(separator: ","), expected: "one header name per field in `fields`"
            )
        }
        let operation = try config.choice("operation", default: "", allowed: ["copy", "move"])
        guard !operation.isEmpty else { throw .missing(key: "operation") }
        move = operation == "move"
        replaceNullWithDefault = try config.bool("replace.null.with.default", default: true)
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        let value = part.value(of: record)
        if value.isNull { return record }
        guard let schema = part.schema(of: record), case .struct(let s) = value else {
            throw TransformError("HeaderFrom", "only Struct values with a schema are supported, found \(value)")
        }
        var copy = record
        for (field, header) in zip(fields, headers) {
            let fieldValue = schema.field(named: field).map {
                s.value(at: $0.index, replacingNullWithDefault: replaceNullWithDefault)
            }
            copy.headers.append(Header(key: header, value: fieldValue.flatMap { SimpleHeaderFormat.bytes($0) }))
        }
        guard move else { return copy }
        let moved = Set(fields)
        let remaining = memo.schema(for: schema) { schema in
            .structCopyingBasics(
                of: schema, fields: schema.fields.filter { !moved.contains($0.name) }.map { ($0.name, $0.schema) })
        }
        let values = schema.fields.filter { !moved.contains($0.name) }.map {
            s.value(at: $0.index, replacingNullWithDefault: replaceNullWithDefault)
        }
        return part.replacing(copy, schema: remaining, value: .struct(Struct(schema: remaining, values: values)))
    }
}
