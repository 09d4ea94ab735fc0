import TributaryCore

/// Kafka Connect's `Filter`: drops every record; used with a predicate.
final class Filter: Transformation {
    func apply(_ record: SourceRecord) throws -> SourceRecord? { nil }
}

/// Kafka Connect's `DropHeaders`: removes the headers named in `headers`.
final class DropHeaders: Transformation {
    private let names: Set<String>

    init(_ config: Config) throws(ConfigError) {
        names = Set(config.list("headers"))
        guard !names.isEmpty else { throw .missing(key: "headers") }
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        var copy = record
        copy.headers.removeAll { names.contains($0.key) }
        return copy
    }
}

/// Kafka Connect's `InsertHeader`: adds header `header` with the text `value.literal`.
final class InsertHeader: Transformation {
    private let header: Header

    init(_ config: Config) throws(ConfigError) {
        guard let literal = config.values["value.literal"] else { throw .missing(key: "value.literal") }
        header = Header(key: try config.required("header"), value: Array(literal.utf8))
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        var copy = record
        copy.headers.append(header)
        return copy
    }
}
