import TributaryCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A region's offsets from UTC, read from the system's time zone database (`/usr/share/zoneinfo`, or `$TZDIR`) in
/// its TZif format (RFC 8536): the transitions the file lists, then its POSIX `TZ` rule for later times.
///
/// The sink reads the files itself rather than through Foundation's `TimeZone`, whose region rules come from ICU:
/// linking Foundation's internationalization and its 40 MB ICU library costs every process several megabytes of
/// memory, sources included, for what is a small table of numbers.
struct ZoneRules: Sendable, Equatable {
    /// Transition instants (seconds since 1970, UTC), ascending.
    let transitions: [Int64]
    /// The offset in force from each transition, in seconds east of UTC.
    let offsets: [Int32]
    /// The offset before the first transition (the file's first time type).
    let initialOffset: Int
    /// The rule after the last transition (the file's footer), nil if it has none.
    let rule: PosixTimeZoneRule?

    /// Where the zone files are: `$TZDIR`, as the C library reads it, or Debian's `/usr/share/zoneinfo`.
    static var directory: String {
        ProcessInfo.processInfo.environment["TZDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/share/zoneinfo"
    }

    /// The rules of region `name` (`Europe/Berlin`), nil if it names no zone file. Only names made of the
    /// characters of the database's names are looked up, so a name cannot reach outside the directory.
    init?(name: String, directory: String = ZoneRules.directory) {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = { (c: UInt8) in
            (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z")) || (c >= 48 && c <= 57)
                || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                || c == UInt8(ascii: ".")
        }
        guard parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && $0.utf8.allSatisfy(allowed) }),
            let data = try? Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
        else { return nil }
        self.init(tzif: Array(data))
    }

    /// Parses a TZif file of any version; nil if it is not one or its counts do not fit its size.
    init?(tzif bytes: [UInt8]) {
        guard let first = TZifHeader(bytes, at: 0) else { return nil }
        var header = first
        var timeSize = 4
        if first.version >= UInt8(ascii: "2") {
            // Version 2 and later repeat the data with 64-bit times after the version 1 block, then the footer.
            guard let second = TZifHeader(bytes, at: first.end + first.dataSize(timeSize: 4)) else { return nil }
            header = second
            timeSize = 8
        }
        let base = header.end
        let indexBase = base + header.timeCount * timeSize
        let typeBase = indexBase + header.timeCount
        let dataEnd = base + header.dataSize(timeSize: timeSize)
        guard header.typeCount > 0, dataEnd <= bytes.count else { return nil }
        var typeOffsets: [Int32] = []
        for type in 0..<header.typeCount {
            typeOffsets.append(
                Int32(bitPattern: UInt32(truncatingIfNeeded: bigEndian(bytes, typeBase + type * 6, 4))))
        }
        var transitions: [Int64] = []
        var offsets: [Int32] = []
        for index in 0..<header.timeCount {
            let raw = bigEndian(bytes, base + index * timeSize, timeSize)
            let time =
                timeSize == 8 ? Int64(bitPattern: raw) : Int64(Int32(bitPattern: UInt32(truncatingIfNeeded: raw)))
            let type = Int(bytes[indexBase + index])
            guard type < header.typeCount, transitions.last.map({ $0 < time }) ?? true else { return nil }
            transitions.append(time)
            offsets.append(typeOffsets[type])
        }
        self.transitions = transitions
        self.offsets = offsets
        initialOffset = Int(typeOffsets[0])
        var footer: PosixTimeZoneRule?
        if timeSize == 8, dataEnd < bytes.count, bytes[dataEnd] == 0x0A,
            let close = bytes[(dataEnd + 1)...].firstIndex(of: 0x0A), close > dataEnd + 1
        {
            footer = PosixTimeZoneRule(String(decoding: bytes[(dataEnd + 1)..<close], as: UTF8.self))
        }
        rule = footer
    }

    /// The offset in force at `t` (seconds since 1970, UTC).
    func offset(atUTCSeconds t: Int64) -> Int {
        guard let firstTransition = transitions.first else { return rule?.offset(atUTCSeconds: t) ?? initialOffset }
        guard t >= firstTransition else { return initialOffset }
        var low = 0
        var high = transitions.count - 1
        while low < high {  // the last transition at or before t
            let middle = (low + high + 1) / 2
            if transitions[middle] <= t { low = middle } else { high = middle - 1 }
        }
        if low == transitions.count - 1, let rule { return rule.offset(atUTCSeconds: t) }
        return Int(offsets[low])
    }
}

/// The `count`-byte big-endian number at `at` (TZif's byte order); the caller checked the bounds.
private func bigEndian(_ bytes: [UInt8], _ at: Int, _ count: Int) -> UInt64 {
    var value: UInt64 = 0
    for i in at..<(at + count) { value = value << 8 | UInt64(bytes[i]) }
    return value
}

/// A TZif header: the version and the counts that size the data block after it.
private struct TZifHeader {
    static let size = 44
    let version: UInt8
    let end: Int
    let utLocalCount, standardWallCount, leapCount, timeCount, typeCount, characterCount: Int

    init?(_ bytes: [UInt8], at start: Int) {
        guard start >= 0, start + Self.size <= bytes.count, Array(bytes[start..<(start + 4)]) == Array("TZif".utf8)
        else { return nil }
        version = bytes[start + 4]
        let counts = (0..<6).map { Int(bigEndian(bytes, start + 20 + $0 * 4, 4)) }
        (utLocalCount, standardWallCount, leapCount) = (counts[0], counts[1], counts[2])
        (timeCount, typeCount, characterCount) = (counts[3], counts[4], counts[5])
        end = start + Self.size
    }

    func dataSize(timeSize: Int) -> Int {
        timeCount * (timeSize + 1) + typeCount * 6 + characterCount + leapCount * (timeSize + 4) + standardWallCount
            + utLocalCount
    }
}

/// A POSIX `TZ` rule (`CET-1CEST,M3.5.0,M10.5.0/3`), as a TZif file's footer gives it for the times after its
/// last transition: a standard offset, and optionally a daylight offset with the rules of its start and end.
struct PosixTimeZoneRule: Sendable, Equatable {
    /// The day a change happens on, in each year.
    enum Day: Sendable, Equatable {
        /// `Jn`: day 1…365, February 29 never counted.
        case julian(Int)
        /// `n`: day 0…365, February 29 counted in leap years.
        case zeroBased(Int)
        /// `Mm.w.d`: weekday `d` (0 is Sunday) of week `w` (5 is the last) of month `m`.
        case monthWeek(month: Int, week: Int, weekday: Int)
    }

    /// When daylight time starts or ends: a day, and the local time of day (seconds, may exceed a day or be
    /// negative) in the offset in force before the change.
    struct Change: Sendable, Equatable {
        var day: Day
        var time: Int
    }

    /// Seconds east of UTC (POSIX spells them west of it).
    var standardOffset: Int
    var daylightOffset: Int?
    var start: Change?
    var end: Change?

    init?(_ text: String) {
        var scanner = PosixRuleScanner(Array(text.utf8))
        guard scanner.name(), let standard = scanner.offset() else { return nil }
        standardOffset = -standard
        guard !scanner.atEnd else { return }
        guard scanner.name() else { return nil }
        let daylight = scanner.peekIsOffset ? scanner.offset().map { -$0 } : standardOffset + 3600
        guard let daylight else { return nil }
        daylightOffset = daylight
        if scanner.atEnd {  // POSIX's default: the United States' rules
            start = Change(day: .monthWeek(month: 3, week: 2, weekday: 0), time: 7200)
            end = Change(day: .monthWeek(month: 11, week: 1, weekday: 0), time: 7200)
            return
        }
        guard scanner.skip(UInt8(ascii: ",")), let start = scanner.change(), scanner.skip(UInt8(ascii: ",")),
            let end = scanner.change(), scanner.atEnd
        else { return nil }
        self.start = start
        self.end = end
    }

    func offset(atUTCSeconds t: Int64) -> Int {
        guard let daylightOffset, let start, let end else { return standardOffset }
        let year = CivilTime.civilFromDays(Int(SinkTemporalText.floorDiv(t + Int64(standardOffset), 86_400))).year
        let starts = Int64(Self.days(start.day, year: year)) * 86_400 + Int64(start.time - standardOffset)
        let ends = Int64(Self.days(end.day, year: year)) * 86_400 + Int64(end.time - daylightOffset)
        let inDaylight = starts < ends ? (starts <= t && t < ends) : !(ends <= t && t < starts)
        return inDaylight ? daylightOffset : standardOffset
    }

    /// Days since 1970 of `day` in `year`.
    static func days(_ day: Day, year: Int) -> Int {
        let january1 = CivilTime.daysFromCivil(year: year, month: 1, day: 1)
        switch day {
        case .julian(let n):
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            return january1 + n - 1 + (leap && n >= 60 ? 1 : 0)
        case .zeroBased(let n): return january1 + n
        case .monthWeek(let month, let week, let weekday):
            let first = CivilTime.daysFromCivil(year: year, month: month, day: 1)
            let next =
                month == 12
                ? CivilTime.daysFromCivil(year: year + 1, month: 1, day: 1)
                : CivilTime.daysFromCivil(year: year, month: month + 1, day: 1)
            let firstWeekday = ((first + 4) % 7 + 7) % 7  // 1970-01-01 was a Thursday
            var result = first + (weekday - firstWeekday + 7) % 7 + (week - 1) * 7
            while result >= next { result -= 7 }
            return result
        }
    }
}

/// Reads the parts of a POSIX `TZ` rule.
private struct PosixRuleScanner {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var atEnd: Bool { position == bytes.count }

    var peekIsOffset: Bool {
        guard position < bytes.count else { return false }
        let c = bytes[position]
        return c == UInt8(ascii: "+") || c == UInt8(ascii: "-") || (c >= 48 && c <= 57)
    }

    mutating func skip(_ c: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == c else { return false }
        position += 1
        return true
    }

    /// A zone abbreviation: letters (`CET`), or anything quoted in angle brackets (`<+0330>`).
    mutating func name() -> Bool {
        if skip(UInt8(ascii: "<")) {
            guard let close = bytes[position...].firstIndex(of: UInt8(ascii: ">")), close > position else {
                return false
            }
            position = close + 1
            return true
        }
        let start = position
        while position < bytes.count, bytes[position] | 0x20 >= UInt8(ascii: "a"),
            bytes[position] | 0x20 <= UInt8(ascii: "z")
        {
            position += 1
        }
        return position - start >= 3
    }

    /// `[+-]hh[:mm[:ss]]` in seconds, as written (POSIX: positive west of UTC).
    mutating func offset() -> Int? {
        var sign = 1
        if skip(UInt8(ascii: "-")) { sign = -1 } else { _ = skip(UInt8(ascii: "+")) }
        guard let hours = number(maxDigits: 3), hours <= 167 else { return nil }
        var seconds = hours * 3600
        if skip(UInt8(ascii: ":")) {
            guard let minutes = number(maxDigits: 2), minutes < 60 else { return nil }
            seconds += minutes * 60
            if skip(UInt8(ascii: ":")) {
                guard let secs = number(maxDigits: 2), secs < 60 else { return nil }
                seconds += secs
            }
        }
        return sign * seconds
    }

    /// `Jn`, `n` or `Mm.w.d`, then an optional `/time` (02:00 when absent).
    mutating func change() -> PosixTimeZoneRule.Change? {
        let day: PosixTimeZoneRule.Day
        if skip(UInt8(ascii: "J")) {
            guard let n = number(maxDigits: 3), (1...365).contains(n) else { return nil }
            day = .julian(n)
        } else if skip(UInt8(ascii: "M")) {
            guard let month = number(maxDigits: 2), (1...12).contains(month), skip(UInt8(ascii: ".")),
                let week = number(maxDigits: 1), (1...5).contains(week), skip(UInt8(ascii: ".")),
                let weekday = number(maxDigits: 1), weekday <= 6
            else { return nil }
            day = .monthWeek(month: month, week: week, weekday: weekday)
        } else {
            guard let n = number(maxDigits: 3), n <= 365 else { return nil }
            day = .zeroBased(n)
        }
        guard skip(UInt8(ascii: "/")) else { return PosixTimeZoneRule.Change(day: day, time: 7200) }
        guard let time = offset() else { return nil }
        return PosixTimeZoneRule.Change(day: day, time: time)
    }

    private mutating func number(maxDigits: Int) -> Int? {
        var value = 0
        var digits = 0
        while position < bytes.count, bytes[position] >= 48, bytes[position] <= 57, digits < maxDigits {
            value = value * 10 + Int(bytes[position] - 48)
            position += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }
}
