import TributaryCore

/// `use.time.zone`: the zone of the target's wall-clock times. Values with an offset (Debezium's `ZonedTimestamp`
/// and `ZonedTime`) are written as that zone's wall-clock time where the column holds no offset (MySQL's
/// `DATETIME`), and the session runs in the zone, so that a wall-clock time the database reads into an instant
/// (`timestamptz`, MySQL's `TIMESTAMP`) is read in it. Values without an offset (`Timestamp`, `Date`, `Time` and
/// their micro and nano forms) are written as they are, as Debezium's sink writes them whatever the zone.
public struct SinkTimeZone: Sendable, Equatable, CustomStringConvertible {
    /// How the zone was named: a region (`Europe/Berlin`), or a fixed offset in seconds east of UTC.
    public enum Kind: Sendable, Equatable {
        case region(String)
        case fixed(seconds: Int)
    }

    public let kind: Kind
    /// The region's rules, from the system's time zone database; nil for a fixed offset.
    private let rules: ZoneRules?

    public static let utc = SinkTimeZone(kind: .fixed(seconds: 0), rules: nil)

    private init(kind: Kind, rules: ZoneRules?) {
        self.kind = kind
        self.rules = rules
    }

    /// The zone `name` stands for, as Java's `ZoneId.of` reads it: a region (`Europe/Berlin`), `UTC`/`GMT`/`Z`,
    /// an offset in whole minutes (`+02:00`, `-0530`, `+2`), or an offset after `UTC`/`GMT`/`UT`
    /// (`UTC+02:00`); nil if none.
    public init?(_ name: String) {
        let upper = name.uppercased()
        if ["Z", "UTC", "GMT", "UT", "UCT", "ETC/UTC", "ETC/GMT", "ETC/UCT", "ZULU", "UNIVERSAL"].contains(upper) {
            self = .utc
            return
        }
        for prefix in ["UTC", "GMT", "UT", ""] where upper.hasPrefix(prefix) {
            let rest = upper.dropFirst(prefix.count)
            guard rest.first == "+" || rest.first == "-" else { continue }
            guard let seconds = Self.offsetSeconds(rest) else { return nil }
            self.init(kind: .fixed(seconds: seconds), rules: nil)
            return
        }
        guard name.contains("/"), let rules = ZoneRules(name: name) else { return nil }
        self.init(kind: .region(name), rules: rules)
    }

    /// `±H`, `±HH`, `±HHMM` or `±HH:MM`, within ±18 hours as Java allows (whole minutes: the databases' session
    /// zones take no seconds).
    private static func offsetSeconds(_ text: Substring) -> Int? {
        let parts = text.dropFirst().split(separator: ":", omittingEmptySubsequences: false)
        guard parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }) else { return nil }
        let fields: [Substring]
        switch parts.count {
        case 1 where parts[0].count <= 2: fields = [parts[0]]
        case 1 where parts[0].count == 4: fields = [parts[0].prefix(2), parts[0].suffix(2)]
        case 2 where parts[0].count <= 2 && parts[1].count == 2: fields = parts
        default: return nil
        }
        let numbers = fields.compactMap { Int($0) } + [0]
        guard numbers[1] < 60 else { return nil }
        let seconds = numbers[0] * 3600 + numbers[1] * 60
        guard seconds <= 18 * 3600 else { return nil }
        return (text.first == "-" ? -1 : 1) * seconds
    }

    public var isUTC: Bool { kind == .fixed(seconds: 0) }

    /// The zone's offset from UTC, in seconds, at `utcSeconds` since 1970.
    public func offset(atUTCSeconds utcSeconds: Int64) -> Int {
        switch kind {
        case .fixed(let seconds): seconds
        case .region: rules?.offset(atUTCSeconds: utcSeconds) ?? 0
        }
    }

    /// The zone's offset now: the one a time of day without a date is written with, as Debezium's sink takes it
    /// (today's date).
    public var currentOffset: Int { offset(atUTCSeconds: WallClock.epochMicros() / 1_000_000) }

    /// `+HH:MM`, and `:SS` for the seconds of old local mean times (Berlin's was +00:53:28).
    static func offsetText(_ seconds: Int) -> String {
        let magnitude = abs(seconds)
        let text =
            (seconds < 0 ? "-" : "+") + SinkTemporalText.pad(magnitude / 3600, 2) + ":"
            + SinkTemporalText.pad(magnitude / 60 % 60, 2)
        return magnitude % 60 == 0 ? text : text + ":" + SinkTemporalText.pad(magnitude % 60, 2)
    }

    /// The region's name, or the offset as `+HH:MM`.
    public var description: String {
        switch kind {
        case .region(let name): name
        case .fixed(let seconds): Self.offsetText(seconds)
        }
    }
}
