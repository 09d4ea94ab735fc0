import TributaryCore

/// Debezium's `schema.include.list` / `schema.exclude.list` / `table.include.list` / `table.exclude.list`:
/// comma-separated regular expressions matched case-insensitively against the whole `schema` or `schema.table`
/// (MySQL's databases take the place of schemas). Each source names the system schemas it never captures.
public struct TableFilter: @unchecked Sendable {
    private let isSystemSchema: @Sendable (String) -> Bool
    private let schemaInclude: [Regex<AnyRegexOutput>]
    private let schemaExclude: [Regex<AnyRegexOutput>]
    private let tableInclude: [Regex<AnyRegexOutput>]
    private let tableExclude: [Regex<AnyRegexOutput>]
    /// `schema.table` names (lower case) captured whatever the lists say: the signal tables, as Debezium adds
    /// `signal.data.collection` to its filters.
    private var alwaysIncluded: Set<String> = []

    /// Only the tables that `key` lists (all when it is empty), for lists such as
    /// `snapshot.include.collection.list`.
    public init(tablesListedIn key: String, _ config: Config) throws {
        isSystemSchema = { _ in false }
        schemaInclude = []
        schemaExclude = []
        tableInclude = try Self.patterns(key, config)
        tableExclude = []
    }

    static func patterns(_ key: String, _ config: Config) throws -> [Regex<AnyRegexOutput>] {
        try config.list(key).map { p in
            do {
                return try Regex(p).ignoresCase()
            } catch {
                throw ConfigError.invalid(key: key, value: p, expected: "a regular expression")
            }
        }
    }

    /// `schemaLists` names the lists of schemas: `schema` (`schema.include.list`), or `database` for MySQL.
    public init(
        _ config: Config, schemaLists: String = "schema",
        isSystemSchema: @escaping @Sendable (String) -> Bool = { _ in false }
    ) throws {
        self.isSystemSchema = isSystemSchema
        func patterns(_ key: String) throws -> [Regex<AnyRegexOutput>] { try Self.patterns(key, config) }
        schemaInclude = try patterns(schemaLists + ".include.list")
        schemaExclude = try patterns(schemaLists + ".exclude.list")
        tableInclude = try patterns("table.include.list")
        tableExclude = try patterns("table.exclude.list")
        if !schemaInclude.isEmpty && !schemaExclude.isEmpty {
            throw ConfigError.other(
                key: schemaLists + ".exclude.list", message: "cannot be used together with \(schemaLists).include.list")
        }
        if !tableInclude.isEmpty && !tableExclude.isEmpty {
            throw ConfigError.other(
                key: "table.exclude.list", message: "cannot be used together with table.include.list")
        }
    }

    /// This filter, capturing `tables` (`schema.table`) too.
    public func including(_ tables: [String]) -> TableFilter {
        var copy = self
        copy.alwaysIncluded.formUnion(tables.map { $0.lowercased() })
        return copy
    }

    /// Whether changes of `schema.table` are captured. System schemas never are.
    public func includes(schema: String, table: String) -> Bool {
        if isSystemSchema(schema) { return false }
        func matches(_ list: [Regex<AnyRegexOutput>], _ s: String) -> Bool {
            list.contains { (try? $0.wholeMatch(in: s)) != nil }
        }
        let full = schema + "." + table
        if !alwaysIncluded.isEmpty && alwaysIncluded.contains(full.lowercased()) { return true }
        if !schemaInclude.isEmpty && !matches(schemaInclude, schema) { return false }
        if matches(schemaExclude, schema) { return false }
        if !tableInclude.isEmpty && !matches(tableInclude, full) { return false }
        return !matches(tableExclude, full)
    }

    /// Whether a schema (a MySQL database) passes the schema lists, whatever its tables: for statements about
    /// the schema itself.
    public func includes(schema: String) -> Bool {
        if isSystemSchema(schema) { return false }
        if !schemaInclude.isEmpty && !schemaInclude.contains(where: { (try? $0.wholeMatch(in: schema)) != nil }) {
            return false
        }
        return !schemaExclude.contains { (try? $0.wholeMatch(in: schema)) != nil }
    }

    /// Where a table stands in snapshot order: the position of the first `table.include.list` pattern that
    /// matches it (0 without such a list). Debezium reads tables in the order the list names them, and
    /// alphabetically among those one pattern matches.
    public func snapshotRank(schema: String, table: String) -> Int {
        let full = schema + "." + table
        return tableInclude.firstIndex { (try? $0.wholeMatch(in: full)) != nil } ?? 0
    }
}

/// An include list or an exclude list (not both) of comma-separated regular expressions, matched
/// case-insensitively against whole names: Debezium's `message.prefix.include.list` /
/// `message.prefix.exclude.list` and lists like them.
public struct NameFilter: @unchecked Sendable {
    private let include: [Regex<AnyRegexOutput>]
    private let exclude: [Regex<AnyRegexOutput>]

    public init(include includeKey: String, exclude excludeKey: String, _ config: Config) throws {
        include = try TableFilter.patterns(includeKey, config)
        exclude = try TableFilter.patterns(excludeKey, config)
        if !include.isEmpty && !exclude.isEmpty {
            throw ConfigError.other(key: excludeKey, message: "cannot be used together with \(includeKey)")
        }
    }

    /// Whether neither list has a pattern: every name passes.
    public var isEmpty: Bool { include.isEmpty && exclude.isEmpty }

    /// Whether `name` passes: listed by the include list (when there is one) and not by the exclude list.
    public func includes(_ name: String) -> Bool {
        func matches(_ list: [Regex<AnyRegexOutput>]) -> Bool {
            list.contains { (try? $0.wholeMatch(in: name)) != nil }
        }
        if !include.isEmpty && !matches(include) { return false }
        return !matches(exclude)
    }
}
