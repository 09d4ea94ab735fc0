import TributaryCore

/// Tracks records sent to Kafka in order and tells which source offset is safe to store: the offset of the
/// newest record such that it and every record before it were acknowledged.
///
/// Tokens are handed out consecutively from 1; acknowledgements may arrive in any order. Memory is bounded by
/// the records in flight: acknowledged entries at the front are dropped as the front moves.
struct OffsetTracker {
    private var entries: [(offset: OffsetMap, topic: String, acked: Bool)] = []
    private var head = 0
    /// Token of `entries[0]`.
    private var base: UInt64 = 1
    /// The token the next `add` hands out.
    private(set) var nextToken: UInt64 = 1
    /// Records sent and not yet acknowledged.
    private(set) var inFlight = 0
    /// The newest offset all of whose predecessors are acknowledged and which was not yet taken: the entry at
    /// `committableIndex`, kept as an index while the entry is, so that each acknowledgement does not copy an offset.
    private var committable: OffsetMap?
    private var committableIndex: Int?

    /// Registers a record that was handed to the producer with token `nextToken`; returns that token.
    @discardableResult
    mutating func add(_ offset: OffsetMap, topic: String = "") -> UInt64 {
        entries.append((offset, topic, false))
        inFlight += 1
        defer { nextToken += 1 }
        return nextToken
    }

    /// Registers an offset that has no record to deliver: it becomes committable once everything before it is.
    mutating func addAcknowledged(_ offset: OffsetMap) {
        ack(add(offset))
    }

    /// Marks a record acknowledged.
    mutating func ack(_ token: UInt64) {
        guard let i = index(of: token), !entries[i].acked else { return }
        entries[i].acked = true
        inFlight -= 1
        let oldHead = head
        while head < entries.count && entries[head].acked { head += 1 }
        if head > oldHead { committableIndex = head - 1 }
        if head > 4096 && head * 2 > entries.count {
            takeCommittableEntry()
            entries.removeFirst(head)
            base += UInt64(head)
            head = 0
        }
    }

    /// The record a token stands for, for error messages.
    func context(of token: UInt64) -> RecordContext? {
        index(of: token).map { RecordContext(topic: entries[$0].topic, sourceOffset: entries[$0].offset) }
    }

    private func index(of token: UInt64) -> Int? {
        guard token >= base else { return nil }
        let i = Int(token - base)
        return i < entries.count ? i : nil
    }

    /// Entries kept, acknowledged or not: bounded by the records in flight plus one compaction step.
    var retainedCount: Int { entries.count }

    /// The offset to store now, if it moved since the last call.
    mutating func takeCommittable() -> OffsetMap? {
        takeCommittableEntry()
        defer { committable = nil }
        return committable
    }

    /// Copies the committable entry's offset out of `entries`, before they are dropped or the offset taken.
    private mutating func takeCommittableEntry() {
        guard let index = committableIndex else { return }
        committable = entries[index].offset
        committableIndex = nil
    }
}
