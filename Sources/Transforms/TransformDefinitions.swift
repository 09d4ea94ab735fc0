import TributaryCore

/// The settings of each transform and predicate type, documented: what unknown keys under
/// `transforms.<alias>.` and `predicates.<alias>.` are checked against, and what the reference lists.
extension TransformationChain {
    private static let replaceNull = ConfigKey.boolean(
        "replace.null.with.default", default: true, .low, "Use a field's default for its null value.")

    /// Every type's definition, keyed by class name without the `$Key`/`$Value` suffix.
    public static let definitions: [(type: String, definition: ConfigDefinition)] = {
        let debezium = "io.debezium.transforms."
        let router: [ConfigKey] = [
            .string("topic.regex", required: true, .high, "A regular expression on whole topic names."),
            .string("topic.replacement", required: true, .high, "The new topic (`$1`… for groups)."),
            .boolean("key.enforce.uniqueness", default: true, .low, "Add the physical table to keys."),
            .string("key.field.name", default: "__dbz__physicalTableIdentifier", .low, "The key field naming it."),
            .string("key.field.regex", .low, "A regular expression on the old topic for the key field's value."),
            .string("key.field.replacement", .low, "The key field's value (`$1`…); required with the regex."),
            .string(
                "schema.name.adjustment.mode", default: "none", .low, allowed: ["none", "avro", "avro_unicode"],
                "How renamed schema names are adjusted."),
            .int("logical.table.cache.size", default: 16, .low, range: 1...Int64(Int32.max), "Accepted."),
            .int("logical.destination.cache.size", default: 16, .low, range: 1...Int64(Int32.max), "Accepted."),
        ]
        let entries: [(String, [ConfigKey])] = [
            (
                debezium + "ExtractNewRecordState",
                [
                    .string(
                        "delete.tombstone.handling.mode", default: "tombstone", .medium,
                        allowed: ["tombstone", "drop", "rewrite", "rewrite-with-tombstone", "delete-to-tombstone"],
                        "What deletes and tombstones become."),
                    .list(
                        "add.fields", .low, "Envelope fields added to the row (`op`, `source.ts_ms`, `field:alias`)."),
                    .string("add.fields.prefix", default: "__", .low, "Prefix of added fields."),
                    .list("add.headers", .low, "Envelope fields added as headers."),
                    .string("add.headers.prefix", default: "__", .low, "Prefix of added headers."),
                    .string("route.by.field", .low, "A row field whose value becomes the topic."),
                    .string("drop.fields.header.name", .low, "A header listing fields to drop from the value."),
                    .boolean("drop.fields.from.key", default: false, .low, "Drop the listed fields from the key too."),
                    .boolean(
                        "drop.fields.keep.schema.compatible", default: true, .low,
                        "Drop only the listed fields that are optional, so schemas stay compatible."),
                    .string("delete.handling.mode", .low, "Removed in Debezium 3: refused, naming its replacement."),
                    .string("drop.tombstones", .low, "Removed in Debezium 3: refused, naming its replacement."),
                    replaceNull,
                ]
            ),
            (debezium + "ByLogicalTableRouter", router),
            (
                debezium + "ToLogicalTopicRouter",
                router.map {
                    $0.name == "key.field.name"
                        ? .string(
                            "key.field.name", default: "__dbz__sourceIdentifier", .low, "The key field naming it.")
                        : $0
                }
            ),
            (
                debezium + "outbox.EventRouter",
                [
                    .string("table.field.event.id", default: "id", .medium, "The event id column (the `id` header)."),
                    .string("table.field.event.key", default: "aggregateid", .medium, "The event key column."),
                    .string("table.field.event.type", default: "type", .low, "The event type column."),
                    .string("table.field.event.payload", default: "payload", .medium, "The payload column."),
                    .string("table.field.event.timestamp", .low, "A column with the record's timestamp."),
                    .string("table.field.event.schema.version", .low, "A column with the value schema's version."),
                    .list("table.fields.additional.placement", .medium, "`column:header|envelope|partition[:alias]`,…"),
                    .string(
                        "table.field.additional.missing", default: "error", .low, allowed: ["error", "ignore"],
                        "What a missing additional column does."),
                    .string("route.by.field", default: "aggregatetype", .medium, "The column routing events."),
                    .string("route.topic.regex", default: "(?<routedByValue>.*)", .low, "A regular expression on it."),
                    .string(
                        "route.topic.replacement", default: "outbox.event.${routedByValue}", .medium, "The topic."),
                    .boolean(
                        "route.tombstone.on.empty.payload", default: false, .low, "An empty payload: a tombstone."),
                    .string(
                        "table.op.invalid.behavior", default: "warn", .low, allowed: ["warn", "error", "fatal"],
                        "What an update of the outbox table does."),
                    .boolean(
                        "table.expand.json.payload", default: false, .medium, "A JSON text payload becomes a struct."),
                    .string(
                        "table.json.payload.null.behavior", default: "ignore", .low,
                        allowed: ["ignore", "optional_bytes"],
                        "Nulls in an expanded payload: left out or optional bytes."),
                    .string(
                        "field.name.adjustment.mode", default: "none", .low, allowed: ["none", "avro", "avro_unicode"],
                        "How an expanded payload's member names become field names."),
                ]
            ),
            (
                kafka + "InsertField",
                [
                    .string("topic.field", .medium, "Field for the topic (`name!` required, `name?` optional)."),
                    .string("partition.field", .medium, "Field for the partition."),
                    .string("offset.field", .medium, "Not for source records: refused."),
                    .string("timestamp.field", .medium, "Field for the record's timestamp."),
                    .string("static.field", .medium, "Field for `static.value`."),
                    .string("static.value", .medium, "The static value."),
                    replaceNull,
                ]
            ),
            (
                kafka + "ReplaceField",
                [
                    .list("include", .medium, "Fields kept."), .list("exclude", .medium, "Fields dropped."),
                    .list("whitelist", .low, "Older name of include."),
                    .list("blacklist", .low, "Older name of exclude."),
                    .list("renames", .medium, "`old:new`,…"), replaceNull,
                ]
            ),
            (kafka + "ExtractField", [.string("field", required: true, .medium, "The field extracted."), replaceNull]),
            (kafka + "HoistField", [.string("field", required: true, .medium, "The field wrapping the value.")]),
            (kafka + "Flatten", [.string("delimiter", default: ".", .medium, "Joins nested field names.")]),
            (
                kafka + "Cast",
                [.list("spec", .high, "`field:type`,… or one type (required)."), replaceNull]
            ),
            (
                kafka + "MaskField",
                [
                    .list("fields", .high, "Fields masked."), .string("replacement", .low, "The mask value."),
                    replaceNull,
                ]
            ),
            (
                kafka + "SetSchemaMetadata",
                [
                    .string("schema.name", .high, "The schema name."),
                    .int("schema.version", .high, "The schema version."),
                ]
            ),
            (
                kafka + "TimestampConverter",
                [
                    .string("field", default: "", .high, "The field converted (empty: the whole key or value)."),
                    .string(
                        "target.type", required: true, .high, allowed: ["string", "unix", "Date", "Time", "Timestamp"],
                        "What it becomes."),
                    .string("format", .medium, "A SimpleDateFormat pattern (UTC) for text."),
                    .string(
                        "unix.precision", default: "milliseconds", .low,
                        allowed: ["seconds", "milliseconds", "microseconds", "nanoseconds"], "Unit of Unix times."),
                    replaceNull,
                ]
            ),
            (
                kafka + "HeaderFrom",
                [
                    .list("fields", .high, "Fields copied or moved."), .list("headers", .high, "Their headers."),
                    .string("operation", required: true, .high, allowed: ["copy", "move"], "Copy or move."),
                    replaceNull,
                ]
            ),
            (kafka + "ValueToKey", [.list("fields", .high, "Value fields that make the key."), replaceNull]),
            (
                kafka + "RegexRouter",
                [
                    .string("regex", required: true, .high, "A regular expression on whole topic names."),
                    .string("replacement", required: true, .high, "The new topic (`$1`…)."),
                ]
            ),
            (
                kafka + "TimestampRouter",
                [
                    .string("topic.format", default: "${topic}-${timestamp}", .high, "The new topic."),
                    .string("timestamp.format", default: "yyyyMMdd", .high, "A SimpleDateFormat pattern (UTC)."),
                ]
            ),
            (kafka + "Filter", []),
            (kafka + "DropHeaders", [.list("headers", .high, "Headers dropped.")]),
            (
                kafka + "InsertHeader",
                [
                    .string("header", required: true, .high, "The header."),
                    .string("value.literal", .high, "Its value (required)."),
                ]
            ),
            (predicates + "TopicNameMatches", [.string("pattern", required: true, .high, "A regular expression.")]),
            (predicates + "HasHeaderKey", [.string("name", required: true, .high, "The header.")]),
            (predicates + "RecordIsTombstone", []),
        ]
        return entries.map { ($0.0, ConfigDefinition("`\($0.0)`", keys: $0.1)) }
    }()

    /// The definition of a transform or predicate type (`…$Key`/`…$Value` included); nil for an unknown type.
    public static func definition(forType type: String) -> ConfigDefinition? {
        let base = split(type).base
        return definitions.first { $0.type == base }?.definition
    }

    /// The keys a connector's transforms and predicates may have, under their aliases.
    public static func configuredDefinition(_ config: Config) -> ConfigDefinition {
        var keys: [ConfigKey] = []
        var prefixes: [String] = []
        for (list, extra) in [
            ("transforms", ["type", "predicate", "negate"]), ("predicates", ["type"]),
        ] {
            for alias in config.list(list) {
                let prefix = "\(list).\(alias)."
                keys += extra.map { .string(prefix + $0, .high, "") }
                if let type = config.string(prefix + "type"), let definition = definition(forType: type) {
                    keys += definition.prefixed(prefix).keys
                } else {
                    prefixes.append(prefix)  // an unknown type is reported by the chain itself
                }
            }
        }
        return ConfigDefinition("Transforms", keys: keys, openPrefixes: prefixes)
    }
}
