import Converters
import TributaryCore

/// Debezium's `io.debezium.transforms.ExtractNewRecordState` ("unwrap"): replaces a change event's envelope by
/// its `after` row, for consumers that want plain rows.
///
/// - `delete.tombstone.handling.mode`: what deletes and tombstones become: `tombstone` (default: the delete
///   becomes a record with a null value, the tombstone is dropped), `drop`, `rewrite` (the `before` row with
///   `__deleted=true`; other rows get `__deleted=false`), `rewrite-with-tombstone`, `delete-to-tombstone`.
/// - `add.fields` / `add.headers` (`op`, `source.ts_ms`, `table`, `transaction.id`, `name:newName`, …, with
///   `add.fields.prefix` / `add.headers.prefix`, default `__`).
/// - `route.by.field`: the topic becomes that field's value.
/// - `drop.fields.header.name`: the fields a header lists (`["a","b"]`, as the header converter writes a list) are
///   dropped from the value (and the key with `drop.fields.from.key`); with `drop.fields.keep.schema.compatible`
///   (the default) only optional ones.
///
/// Records that are not change events (heartbeats, schema changes) pass unchanged; truncates are dropped.
final class ExtractNewRecordState: Transformation {
    enum DeleteTombstoneHandling: String, CaseIterable {
        case drop, tombstone, rewrite
        case rewriteWithTombstone = "rewrite-with-tombstone"
        case deleteToTombstone = "delete-to-tombstone"
    }

    /// A field of the envelope (or of its `source` or `transaction` block) to add, and the name it gets.
    struct FieldReference {
        let parent: String?
        let field: String
        let newField: String

        init(prefix: String, _ text: String) throws(ConfigError) {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let path = parts[0].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard parts.count <= 2, (1...2).contains(path.count) else {
                throw .invalid(key: "add.fields", value: text, expected: "field, struct.field or field:newName")
            }
            field = path.count == 1 ? path[0] : path[1]
            parent = path.count == 1 ? Self.parent(of: field) : path[0]
            newField = prefix + (parts.count == 2 ? parts[1] : path.count == 1 ? field : "\(parent!)_\(field)")
        }

        /// Where an unqualified name lives: the transaction block, the envelope itself, or the source block.
        private static func parent(of field: String) -> String? {
            switch field {
            case "id", "total_order", "data_collection_order": "transaction"
            case "op", "ts_ms", "ts_us", "ts_ns": nil
            case "updateDescription": "updateDescription"
            default: "source"
            }
        }

        /// The field of the envelope (or of its block) this refers to, if the envelope has it.
        func source(in envelope: Schema) -> Field? {
            let parentSchema = parent.map { envelope.field(named: $0)?.schema } ?? envelope
            return parentSchema?.field(named: field) ?? envelope.field(named: field)
        }

        /// The added field's schema: the original's basics, optional; nil if the envelope has no such field.
        func schema(in envelope: Schema) -> Schema? {
            source(in: envelope)?.schema.copyingBasics(optional: true)
        }

        func value(in envelope: Struct) -> Value {
            let parentValue = parent.map { envelope[$0] } ?? .struct(envelope)
            guard case .struct(let p) = parentValue else { return .null }
            return p.schema.field(named: field) != nil ? p[field] : envelope[field]
        }
    }

    private let handling: DeleteTombstoneHandling
    private let routeByField: String?
    private let addFields: [FieldReference]
    private let addHeaders: [FieldReference]
    private let after = ExtractField(.value, field: "after")
    private let before = ExtractField(.value, field: "before")
    private let deletedTrue: InsertField
    private let dropFieldsHeader: String?
    private let dropFieldsFromKey: Bool
    private let dropFieldsKeepSchemaCompatible: Bool
    /// ReplaceField transforms by part and excluded fields: each keeps its derived schemas.
    private var droppers: [String: ReplaceField] = [:]
    private let deletedFalse: InsertField
    /// Output schemas by input row schema and operation (Debezium keys its cache the same way).
    private var schemas: [String: [ObjectIdentifier: (input: Schema, output: Schema)]] = [:]

    init(_ config: Config) throws(ConfigError) {
        for legacy in ["delete.handling.mode", "drop.tombstones"] where config.string(legacy) != nil {
            throw .other(
                key: legacy,
                message: "removed in Debezium 2.5+; use delete.tombstone.handling.mode "
                    + "(drop, tombstone, rewrite, rewrite-with-tombstone, delete-to-tombstone)")
        }
        dropFieldsHeader = config.string("drop.fields.header.name")
        dropFieldsFromKey = try config.bool("drop.fields.from.key", default: false)
        dropFieldsKeepSchemaCompatible = try config.bool("drop.fields.keep.schema.compatible", default: true)
        handling = try config.enumeration("delete.tombstone.handling.mode", default: .tombstone)
        routeByField = config.string("route.by.field")
        let fieldsPrefix = config.values["add.fields.prefix"] ?? "__"
        let headersPrefix = config.values["add.headers.prefix"] ?? "__"
        var fields: [FieldReference] = []
        for text in config.list("add.fields") { fields.append(try FieldReference(prefix: fieldsPrefix, text)) }
        var headers: [FieldReference] = []
        for text in config.list("add.headers") { headers.append(try FieldReference(prefix: headersPrefix, text)) }
        addFields = fields
        addHeaders = headers
        let replaceNull = try config.bool("replace.null.with.default", default: true)
        deletedTrue = InsertField(staticField: "__deleted", value: "true", replaceNullWithDefault: replaceNull)
        deletedFalse = InsertField(staticField: "__deleted", value: "false", replaceNullWithDefault: replaceNull)
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        let isTombstone = record.value.isNull
        let isEnvelope = record.valueSchema?.name?.hasSuffix(".Envelope") == true
        var record = record
        if (isEnvelope || isTombstone) && !addHeaders.isEmpty { addHeaders(to: &record) }
        if isTombstone { return handling == .rewriteWithTombstone ? record : nil }
        guard isEnvelope, case .struct(let envelope) = record.value else { return record }

        guard var unwrapped = try after.apply(record) else { return nil }
        if unwrapped.value.isNull {
            guard let previous = try before.apply(record), !previous.value.isNull else {
                return nil  // a truncate
            }
            switch handling {
            case .drop: return nil
            case .tombstone: break
            case .deleteToTombstone:
                unwrapped.valueSchema = nil
                unwrapped.value = .null
            case .rewrite, .rewriteWithTombstone:
                guard let rewritten = try deletedTrue.apply(previous) else { return nil }
                unwrapped = rewritten
            }
            if let routeByField, case .struct(let row) = previous.value { route(&unwrapped, by: row[routeByField]) }
            unwrapped = try droppingFields(unwrapped)
            if !unwrapped.value.isNull { unwrapped = try withAddedFields(unwrapped, envelope: envelope) }
        } else {
            if handling == .rewrite || handling == .rewriteWithTombstone {
                guard let rewritten = try deletedFalse.apply(unwrapped) else { return nil }
                unwrapped = rewritten
            }
            if let routeByField, case .struct(let row) = unwrapped.value { route(&unwrapped, by: row[routeByField]) }
            unwrapped = try withAddedFields(unwrapped, envelope: envelope)
            unwrapped = try droppingFields(unwrapped)
        }
        return unwrapped
    }

    /// Drops the fields `drop.fields.header.name` lists, as Debezium does through Kafka's ReplaceField.
    private func droppingFields(_ record: SourceRecord) throws -> SourceRecord {
        guard let dropFieldsHeader, let header = record.headers.last(where: { $0.key == dropFieldsHeader }),
            let bytes = header.value
        else { return record }
        let text = String(decoding: bytes, as: UTF8.self)
        let names: [String]
        if case .array(let items)? = try? JSONNode.parse(text) {
            names = items.compactMap(\.string)
        } else {
            names = text.split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
        }
        guard !names.isEmpty else { return record }
        var result = record
        if dropFieldsFromKey, !result.key.isNull {
            result = try drop(names, from: .key, result)
        }
        return try drop(names, from: .value, result)
    }

    private func drop(_ names: [String], from part: RecordPart, _ record: SourceRecord) throws -> SourceRecord {
        guard let schema = part.schema(of: record) else { return record }
        let dropped =
            dropFieldsKeepSchemaCompatible
            ? schema.fields.filter { $0.schema.isOptional && names.contains($0.name) }.map(\.name) : names
        guard !dropped.isEmpty else { return record }
        let key = "\(part == .key ? "k" : "v"):" + dropped.joined(separator: ",")
        let replace: ReplaceField
        if let known = droppers[key] {
            replace = known
        } else {
            replace = try ReplaceField(part, Config(["exclude": dropped.joined(separator: ",")]))
            if droppers.count >= 64 { droppers.removeAll() }
            droppers[key] = replace
        }
        return try replace.apply(record) ?? record
    }

    private func route(_ record: inout SourceRecord, by value: Value) {
        if case .string(let topic) = value, !topic.trimmed.isEmpty { record.topic = topic }
    }

    private func addHeaders(to record: inout SourceRecord) {
        guard case .struct(let envelope) = record.value else {
            // A tombstone: only the operation is known.
            for reference in addHeaders where reference.field == "op" {
                record.headers.append(Header(key: reference.newField, value: Array("d".utf8)))
            }
            return
        }
        for reference in addHeaders where reference.source(in: envelope.schema) != nil {
            let value = reference.value(in: envelope)
            record.headers.append(Header(key: reference.newField, value: SimpleHeaderFormat.bytes(value)))
        }
    }

    /// The row with the `add.fields` appended; Debezium rebuilds the row's schema here even without any, which
    /// makes it a required struct.
    private func withAddedFields(_ record: SourceRecord, envelope: Struct) throws -> SourceRecord {
        guard let rowSchema = record.valueSchema, case .struct(let row) = record.value else {
            throw TransformError("ExtractNewRecordState", "the row is not a struct: \(record.value)")
        }
        let op: String = if case .string(let op) = envelope["op"] { op } else { "" }
        let schema: Schema
        if let cached = schemas[op]?[ObjectIdentifier(rowSchema)] {
            schema = cached.output
        } else {
            var fields = rowSchema.fields.map { ($0.name, $0.schema) }
            for reference in addFields {
                if let s = reference.schema(in: envelope.schema) { fields.append((reference.newField, s)) }
            }
            schema = .structCopyingBasics(of: rowSchema, fields: fields)
            if schemas[op, default: [:]].count >= 64 { schemas[op] = [:] }
            schemas[op, default: [:]][ObjectIdentifier(rowSchema)] = (rowSchema, schema)
        }
        var values = row.values
        for reference in addFields where reference.source(in: envelope.schema) != nil {
            values.append(reference.value(in: envelope))
        }
        var copy = record
        copy.valueSchema = schema
        copy.value = .struct(Struct(schema: schema, values: values))
        return copy
    }
}
