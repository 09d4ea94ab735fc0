import TributaryCore
/// A MySQL GTID set (`3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7-9,…`): for each source server's UUID, the
/// transaction numbers executed, as closed intervals. It is what `@@gtid_executed`, `@@gtid_purged`, the
/// PREVIOUS_GTIDS event and Debezium's `gtids` offset hold, and what a replica sends in COM_BINLOG_DUMP_GTID to be
/// sent every transaction it lacks.
///
/// MySQL 8.4's tagged GTIDs (`uuid:tag:1-5`) are not read: such a text is not a set here.
public struct MySQLGTIDSet: Equatable, Sendable, CustomStringConvertible {
    /// Per UUID (lowercase, with dashes), the intervals, sorted, disjoint and not adjacent.
    public private(set) var intervals: [String: [ClosedRange<UInt64>]] = [:]

    public init() {}

    /// Reads the text form; whitespace and line breaks (`SHOW MASTER STATUS` puts one after each comma) are
    /// ignored, and the empty text is the empty set. Nil when the text is not a GTID set.
    public init?(_ text: String) {
        let compact = text.filter { !$0.isWhitespace }
        for part in compact.split(separator: ",") {
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 2, let uuid = Self.normalizedUUID(fields[0]) else { return nil }
            for field in fields.dropFirst() {
                let bounds = field.split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2, let start = UInt64(bounds[0]), start > 0,
                    let end = bounds.count == 2 ? UInt64(bounds[1]) : start, end >= start
                else { return nil }
                insert(uuid: uuid, start...end)
            }
        }
    }

    public var isEmpty: Bool { intervals.isEmpty }

    /// Adds one transaction, `uuid:number` as GTID events name it. False when that is not a GTID.
    @discardableResult
    public mutating func insert(_ gtid: String) -> Bool {
        let fields = gtid.split(separator: ":")
        guard fields.count == 2, let uuid = Self.normalizedUUID(fields[0]), let number = UInt64(fields[1]), number > 0
        else { return false }
        insert(uuid: uuid, number...number)
        return true
    }

    /// Adds the transactions `range` of the server `uuid` (normalized: lowercase, with dashes).
    mutating func insert(uuid: String, _ range: ClosedRange<UInt64>) {
        var merged = range
        var kept: [ClosedRange<UInt64>] = []
        for existing in intervals[uuid] ?? [] {
            // Overlapping or adjacent intervals become one.
            if existing.upperBound &+ 1 >= merged.lowerBound && merged.upperBound &+ 1 >= existing.lowerBound {
                merged = min(existing.lowerBound, merged.lowerBound)...max(existing.upperBound, merged.upperBound)
            } else {
                kept.append(existing)
            }
        }
        kept.append(merged)
        intervals[uuid] = kept.sorted { $0.lowerBound < $1.lowerBound }
    }

    /// Whether every transaction of `other` is in this set too.
    public func isSuperset(of other: MySQLGTIDSet) -> Bool {
        other.intervals.allSatisfy { uuid, ranges in
            let mine = intervals[uuid] ?? []
            return ranges.allSatisfy { range in
                mine.contains { $0.contains(range.lowerBound) && $0.contains(range.upperBound) }
            }
        }
    }

    /// Debezium's text form: UUIDs in order, each interval as `start-end`.
    public var description: String {
        intervals.keys.sorted().map { uuid in
            ([uuid] + intervals[uuid]!.map { "\($0.lowerBound)-\($0.upperBound)" }).joined(separator: ":")
        }.joined(separator: ",")
    }

    /// The binary form of PREVIOUS_GTIDS and COM_BINLOG_DUMP_GTID: the number of UUIDs (8 bytes), then for each
    /// its 16 bytes, its number of intervals (8 bytes) and each interval's start and exclusive end (8 bytes each),
    /// little endian.
    public var encoded: [UInt8] {
        let uuids = intervals.keys.sorted()
        var out: [UInt8] = []
        out.reserveCapacity(8 + uuids.reduce(0) { $0 + 24 + 16 * intervals[$1]!.count })
        func append(_ value: UInt64) {
            for shift in stride(from: 0, to: 64, by: 8) {
                out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            }
        }
        append(UInt64(uuids.count))
        for uuid in uuids {
            var digits = uuid.utf8.filter { $0 != UInt8(ascii: "-") }.makeIterator()
            while let high = digits.next(), let low = digits.next() {
                out.append(Hex.value(of: high)! << 4 | Hex.value(of: low)!)
            }
            let ranges = intervals[uuid]!
            append(UInt64(ranges.count))
            for range in ranges {
                append(range.lowerBound)
                append(range.upperBound + 1)
            }
        }
        return out
    }

    /// `8-4-4-4-12` hexadecimal digits, lowercased; nil otherwise.
    private static func normalizedUUID(_ text: Substring) -> String? {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12], groups.allSatisfy({ $0.allSatisfy(\.isHexDigit) }) else {
            return nil
        }
        return text.lowercased()
    }
}
