import TributaryCore

/// Debezium's `op` codes: what happened to the row.
public enum Operation: String, Sendable, CaseIterable {
    case create = "c"
    /// A row read by a snapshot.
    case read = "r"
    case update = "u"
    case delete = "d"
    case truncate = "t"
    case message = "m"

    /// Debezium's `skipped.operations`: a comma-separated list of c, u, d, t (or `none`); its default skips
    /// truncates.
    public static func skipped(_ config: Config, key: String = "skipped.operations") throws -> Set<Operation> {
        guard config.string(key) != nil else { return [.truncate] }
        var result: Set<Operation> = []
        for code in config.list(key).map({ $0.lowercased() }) where code != "none" {
            guard let op = Operation(rawValue: code), [.create, .update, .delete, .truncate].contains(op) else {
                throw ConfigError.invalid(key: key, value: code, expected: "a list of c, u, d, t, or none")
            }
            result.insert(op)
        }
        return result
    }
}

/// The value of `source.snapshot`: whether (and where in a snapshot) an event was read by one.
public enum SnapshotMarker: String, Sendable, CaseIterable {
    case `true`
    case first
    case firstInDataCollection = "first_in_data_collection"
    case lastInDataCollection = "last_in_data_collection"
    case last
    case `false`
    case incremental

    /// The marker of a snapshot record, as Debezium sets it: the last record of the whole snapshot is `last`,
    /// the first `first`; otherwise the last and first of each table are `last_in_data_collection` and
    /// `first_in_data_collection`, the rest `true`.
    public static func snapshot(first: Bool, last: Bool, firstInTable: Bool, lastInTable: Bool) -> SnapshotMarker {
        if last { return .last }
        if first { return .first }
        if lastInTable { return .lastInDataCollection }
        if firstInTable { return .firstInDataCollection }
        return .true
    }
}
