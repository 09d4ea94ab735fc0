/// One finding of `tributary validate` about the environment a connector needs (the database's settings,
/// privileges, slots): what was checked, how it came out, and what to do when it is not right.
public struct EnvironmentCheck: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        case passed, warning, failed
    }

    public let outcome: Outcome
    /// What was checked (`wal_level`, `publication dbz_publication`).
    public let subject: String
    /// What was found.
    public let detail: String
    /// What to do about it, for warnings and failures.
    public let fix: String?

    public init(_ outcome: Outcome, _ subject: String, _ detail: String, fix: String? = nil) {
        self.outcome = outcome
        self.subject = subject
        self.detail = detail
        self.fix = fix
    }
}

/// Findings collected group by group: a group whose query fails becomes one failed finding naming it, and the
/// checks go on with the next group.
public final class EnvironmentChecks {
    public private(set) var all: [EnvironmentCheck] = []

    public init() {}

    public func add(_ outcome: EnvironmentCheck.Outcome, _ subject: String, _ detail: String, fix: String? = nil) {
        all.append(EnvironmentCheck(outcome, subject, detail, fix: fix))
    }

    /// Runs one group of checks; an error it throws becomes a failed finding about `subject`.
    public func section(_ subject: String, _ body: () throws -> Void) {
        do {
            try body()
        } catch {
            add(.failed, subject, "\(error)")
        }
    }
}
