import Converters
import DebeziumEvents
import Logging
import TributaryCore

/// Debezium's outbox `EventRouter` (`io.debezium.transforms.outbox.EventRouter`): turns the inserts of an outbox
/// table into the events they carry.
///
/// Each insert (or snapshot read) becomes a record on the topic `route.topic.replacement` makes of the row's
/// `route.by.field` (default `outbox.event.<aggregatetype>`), keyed by `table.field.event.key`, whose value is the
/// `table.field.event.payload` column (or, when additional fields go to the envelope, a struct of `payload` and
/// those fields), with an `id` header holding the event id. Deletes and tombstones are dropped; updates are dropped
/// with a warning or an error log, or fail (`table.op.invalid.behavior`). Records that are not change events pass
/// unchanged. With `table.expand.json.payload`, a payload of JSON text becomes a struct (`OutboxPayloadExpansion`).
final class OutboxEventRouter: Transformation {
    private enum Placement: String { case header, envelope, partition }
    private struct AdditionalField {
        let field: String
        let placement: Placement
        let alias: String
    }

    private enum InvalidOperation: String, CaseIterable { case warn, error, fatal }
    private enum MissingField: String, CaseIterable { case error, ignore }

    private let eventID: String
    private let eventKey: String
    private let eventTimestamp: String?
    private let payloadField: String
    private let schemaVersionField: String?
    private let routeBy: String
    /// Kafka's RegexRouter with `route.topic.regex` and `route.topic.replacement`, on the routing value.
    private let routes: RegexReplacement
    private let tombstoneOnEmptyPayload: Bool
    private let invalidOperation: InvalidOperation
    private let additional: [AdditionalField]
    private let missing: MissingField
    private let onlyHeaders: Bool
    private let expansion: OutboxPayloadExpansion?
    private let logger = Logger(label: "tributary.transforms.outbox")
    private var valueSchemas: [ObjectIdentifier: (payload: Schema, value: Schema)] = [:]
    private var versionedSchemas: [Int32: Schema] = [:]

    init(_ config: Config) throws(ConfigError) {
        eventID = config.string("table.field.event.id") ?? "id"
        eventKey = config.string("table.field.event.key") ?? "aggregateid"
        eventTimestamp = config.string("table.field.event.timestamp")
        payloadField = config.string("table.field.event.payload") ?? "payload"
        schemaVersionField = config.string("table.field.event.schema.version")
        routeBy = config.string("route.by.field") ?? "aggregatetype"
        routes = RegexReplacement(
            try JavaRegex(config.string("route.topic.regex") ?? "(?<routedByValue>.*)", key: "route.topic.regex"),
            replacement: config.string("route.topic.replacement") ?? "outbox.event.${routedByValue}")
        tombstoneOnEmptyPayload = try config.bool("route.tombstone.on.empty.payload", default: false)
        invalidOperation = try config.enumeration("table.op.invalid.behavior", default: .warn)
        missing = try config.enumeration("table.field.additional.missing", default: .error)
        let nullBehavior = try config.choice(
            "table.json.payload.null.behavior", default: "ignore", allowed: ["ignore", "optional_bytes"])
        expansion =
            try config.bool("table.expand.json.payload", default: false)
            ? OutboxPayloadExpansion(
                nullsAsBytes: nullBehavior == "optional_bytes",
                fieldNames: try SchemaNameAdjustment(fieldNamesOf: config))
            : nil
        var fields: [AdditionalField] = []
        for entry in config.list("table.fields.additional.placement") {
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false).map { String($0).trimmed }
            guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty,
                let placement = Placement(rawValue: parts[1].lowercased())
            else {
                throw .invalid(
                    key: "table.fields.additional.placement", value: entry,
                    expected: "field:placement or field:placement:alias, placement one of header, envelope, partition")
            }
            fields.append(
                AdditionalField(field: parts[0], placement: placement, alias: parts.count == 3 ? parts[2] : parts[0]))
        }
        additional = fields
        onlyHeaders = !fields.contains { $0.placement == .envelope }
    }

    func apply(_ record: SourceRecord) throws -> SourceRecord? {
        if record.value.isNull { return nil }
        guard let envelope = record.value.structValue, let name = record.valueSchema?.name, name.hasSuffix(".Envelope")
        else { return record }
        guard case .string(let op) = envelope["op"] else { return record }
        switch op {
        case "d": return nil
        case "u":
            switch invalidOperation {
            case .warn:
                logger.warning("Unexpected update message received and ignored", metadata: ["topic": "\(record.topic)"])
            case .error:
                logger.error("Unexpected update message received and ignored", metadata: ["topic": "\(record.topic)"])
            case .fatal:
                throw TransformError("EventRouter", "Unexpected update message received on \(record.topic), fail.")
            }
            return nil
        default: break
        }
        guard let event = envelope["after"].structValue else {
            throw TransformError("EventRouter", "the change event has no after state to read the outbox event from")
        }
        let eventSchema = event.schema
        func value(_ field: String) throws -> (Value, Schema) {
            guard let f = eventSchema.field(named: field) else {
                throw TransformError("EventRouter", "\(field) is not a valid field name")
            }
            return (event.value(at: f.index, replacingNullWithDefault: true), f.schema)
        }
        guard eventSchema.field(named: payloadField) != nil else {
            throw TransformError("EventRouter", "Unable to find payload field \(payloadField) in event")
        }
        var (payload, payloadSchema) = try value(payloadField)
        if let expansion, case .string(let text) = payload {
            do {
                (payloadSchema, payload) = try expansion.expand(text, key: payloadField)
            } catch {
                logger.warning("JSON expansion failed; the payload stays text", metadata: ["error": "\(error)"])
            }
        }
        let timestamp = try eventTimestampMillis(envelope, event)
        guard eventSchema.field(named: eventID) != nil else {
            throw TransformError("EventRouter", "Unable to find event-id field \(eventID) in event")
        }
        var headers = record.headers
        headers.append(Header(key: "id", value: SimpleHeaderFormat.bytes(try value(eventID).0)))
        guard case .string(let routedBy) = try value(routeBy).0 else {
            throw TransformError("EventRouter", "the \(routeBy) field that routes the event is not a string or is null")
        }

        var valueSchema: Schema?
        var envelopeValues: [Value] = []
        if !onlyHeaders {
            var version: Int32?
            if let schemaVersionField {
                guard case .int32(let v) = try value(schemaVersionField).0 else {
                    throw TransformError("EventRouter", "\(schemaVersionField) is not an int32")
                }
                version = v
            }
            valueSchema = try self.valueSchema(payloadSchema, eventSchema, version: version, routedTopic: routedBy)
            envelopeValues = [payload] + Array(repeating: .null, count: valueSchema!.fields.count - 1)
        }
        var partition: Int32?
        for field in additional {
            if missing == .ignore && eventSchema.field(named: field.field) == nil { continue }
            let v = try value(field.field).0
            switch field.placement {
            case .envelope:
                if let index = valueSchema?.field(named: field.alias)?.index { envelopeValues[index] = v }
            case .header:
                headers.append(Header(key: field.alias, value: SimpleHeaderFormat.bytes(v)))
            case .partition:
                guard case .int32(let p) = v else {
                    throw TransformError("EventRouter", "the partition field \(field.field) is not an int32")
                }
                partition = p
            }
        }

        var out = record
        let isEmpty: Bool =
            switch payload {
            case .null: true
            case .string(let s): s.trimmed.isEmpty
            default: false
            }
        if isEmpty && tombstoneOnEmptyPayload {
            out.valueSchema = nil
            out.value = .null
        } else if onlyHeaders {
            out.valueSchema = payloadSchema
            out.value = payload
        } else {
            out.valueSchema = valueSchema
            out.value = .struct(Struct(schema: valueSchema!, values: envelopeValues))
        }
        (out.key, out.keySchema) = try value(eventKey)
        out.kafkaPartition = partition
        out.timestamp = timestamp
        out.headers = headers
        out.topic = routes.apply(routedBy) ?? routedBy
        return out
    }

    /// The record's timestamp: the configured field (Debezium's Timestamp, MicroTimestamp or NanoTimestamp, as
    /// Debezium's router reads them) or the change event's `ts_ms`.
    private func eventTimestampMillis(_ envelope: Struct, _ event: Struct) throws -> Int64? {
        let processed: Int64? = if case .int64(let ms) = envelope["ts_ms"] { ms } else { nil }
        guard let eventTimestamp else { return processed }
        guard let field = event.schema.field(named: eventTimestamp) else {
            throw TransformError("EventRouter", "Unable to find timestamp field \(eventTimestamp) in event")
        }
        guard case .int64(let v) = event.value(at: field.index, replacingNullWithDefault: true) else {
            return processed
        }
        switch field.schema.name {
        case DebeziumSemantic.timestamp?: return v
        case DebeziumSemantic.microTimestamp?: return v / 1000
        case DebeziumSemantic.nanoTimestamp?: return v / 1_000_000
        case nil:
            throw TransformError(
                "EventRouter",
                "Unsupported field type \(field.schema.type.rawValue.uppercased()) (without logical schema name) "
                    + "for event timestamp")
        case let name?: throw TransformError("EventRouter", "Unsupported field type \(name) for event timestamp")
        }
    }

    /// The value struct: `payload` and the envelope fields, named after the row schema with the routed topic
    /// inserted (`srv.public.outbox.<topic>.Value`). As in Debezium, built once per payload schema (or per schema
    /// version, with `table.field.event.schema.version`).
    private func valueSchema(_ payload: Schema, _ event: Schema, version: Int32?, routedTopic: String) throws -> Schema
    {
        if let version, let known = versionedSchemas[version] { return known }
        if version == nil, let known = valueSchemas[ObjectIdentifier(payload)] { return known.value }
        var fields: [(String, Schema)] = [("payload", payload)]
        for field in additional where field.placement == .envelope {
            guard let f = event.field(named: field.field) else {
                if missing == .error {
                    throw TransformError("EventRouter", "Unable to find field \(field.field) in event")
                }
                continue
            }
            fields.append((field.alias, f.schema))
        }
        let name: String
        if let original = event.name {
            if let dot = original.lastIndex(of: ".") {
                name = original[...dot] + routedTopic + "." + original[original.index(after: dot)...]
            } else {
                name = routedTopic + "." + original
            }
        } else {
            name = routedTopic
        }
        let schema = Schema.struct(name: name, version: version.map(Int.init), fields: fields)
        if let version {
            versionedSchemas[version] = schema
        } else {
            if valueSchemas.count >= 10_000 { valueSchemas.removeAll() }
            valueSchemas[ObjectIdentifier(payload)] = (payload, schema)
        }
        return schema
    }
}
