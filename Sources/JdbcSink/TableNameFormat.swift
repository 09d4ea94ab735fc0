import TributaryCore

/// `collection.name.format` parsed once: literal text, `${topic}` (its dots as underscores) and `${source.<field>}`
/// (a field of the change event's `source` block), so that naming a record's table is a few appends.
struct TableNameFormat: Sendable {
    enum Part: Sendable, Equatable {
        case text(String)
        case topic
        case source(String)
    }

    let parts: [Part]

    init(_ format: String) {
        var parts: [Part] = []
        var rest = Substring(format)
        while let open = rest.firstRange(of: "${"), let close = rest[open.upperBound...].firstIndex(of: "}") {
            let name = rest[open.upperBound..<close]
            let part: Part? =
                name == "topic" ? .topic : name.hasPrefix("source.") ? .source(String(name.dropFirst(7))) : nil
            guard let part else {
                parts.append(.text(String(rest[..<rest.index(after: close)])))
                rest = rest[rest.index(after: close)...]
                continue
            }
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            parts.append(part)
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        self.parts = parts
    }

    /// Whether a name needs the `source` block (which tombstones lack).
    var needsSource: Bool { parts.contains { if case .source = $0 { true } else { false } } }

    /// The table of a record of `topic` with the `source` block; a failure names the field `source` lacks.
    func name(topic: String, source: Struct?) -> Result<String, MissingSourceField> {
        var name = ""
        for part in parts {
            switch part {
            case .text(let text): name += text
            case .topic:
                for scalar in topic.unicodeScalars { name.unicodeScalars.append(scalar == "." ? "_" : scalar) }
            case .source(let field):
                guard let source, case .string(let text) = source[field] else { return .failure(.init(field: field)) }
                name += text
            }
        }
        return .success(name)
    }

    /// The `${source.<field>}` a record could not fill.
    struct MissingSourceField: Error {
        let field: String
    }
}
