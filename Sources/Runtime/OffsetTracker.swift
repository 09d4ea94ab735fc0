import TributaryCore

/// Tracks records sent to Kafka in order and tells which source offset is safe to store: the offset of the
/// newest record such that it and every record before it were acknowledged.
///
/// Tokens are handed out consecutively from 1; acknowledgements may arrive in any order.
struct OffsetTracker {
    private var entries: [(offset: OffsetMap, acked: Bool)] = []
    private var head = 0
    /// Token of `entries[0]`.
    private var base: UInt64 = 1
    private(set) var nextToken: UInt64 = 1
    /// Records sent and not yet acknowledged.
    private(set) var inFlight = 0
    /// The newest offset all of whose predecessors are acknowledged and which was not yet taken.
    private var committable: OffsetMap?

    /// Registers a record about to be sent; returns its token.
    mutating func add(_ offset: OffsetMap) -> UInt64 {
        entries.append((offset, false))
        inFlight += 1
        defer { nextToken += 1 }
        return nextToken
    }

    /// Marks a record acknowledged.
    mutating func ack(_ token: UInt64) {
        guard token >= base else { return }
        let i = Int(token - base)
        guard i < entries.count, !entries[i].acked else { return }
        entries[i].acked = true
        inFlight -= 1
        while head < entries.count && entries[head].acked {
            committable = entries[head].offset
            head += 1
        }
        if head > 4096 && head * 2 > entries.count {
            entries.removeFirst(head)
            base += UInt64(head)
            head = 0
        }
    }

    /// The offset to store now, if it moved since the last call.
    mutating func takeCommittable() -> OffsetMap? {
        defer { committable = nil }
        return committable
    }
}
