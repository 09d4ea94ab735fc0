import TributaryCore

/// A change event's place in its source transaction (its `transaction` block).
struct SourceTransaction: Equatable {
    /// The transaction, as `identity(of:)` gives it.
    var id: String
    /// `total_order`: the event's position among the transaction's events (1-based).
    var order: Int64

    /// What names a transaction in all its records. MySQL's ids (a GTID, or the binlog position of its BEGIN) are
    /// the same in all; PostgreSQL's are `<xid>:<lsn>` with the LSN of whatever was read last (as Debezium's are),
    /// so only the xid names the transaction there.
    static func identity(of id: String) -> String {
        guard let colon = id.firstIndex(of: ":"), colon != id.startIndex,
            id.utf8.allSatisfy({ $0 == UInt8(ascii: ":") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            id[id.index(after: colon)...].allSatisfy({ $0 != ":" })
        else { return id }
        return String(id[..<colon])
    }
}

/// `transaction.boundary.mode=source`: holds change events back until their source transaction is whole, and hands
/// out whole transactions in the source's commit order, so that the target commits each one at once.
///
/// The source's transaction metadata (`provide.transaction.metadata=true`) says what whole is: each change event
/// carries its transaction's id and its position in it (`total_order`), and the END record on the transaction topic
/// counts the transaction's events per table. A transaction is whole when the END has come and as many of its events
/// as the END counts for the tables this sink consumes. Ends are taken in their topic's order (the commit order; the
/// topic must have one partition); within a partition of the data topics, nothing is handed out before what precedes
/// it, so that each key's changes stay in order. Events without a transaction (snapshot reads, tombstones, flat rows)
/// go out as soon as nothing precedes them in their partition, or with the transaction's event before them (a
/// delete's tombstone).
///
/// A transaction too large to hold (`takeOpen`) is handed out in parts while it is the next to commit, the first one
/// whose BEGIN or END came and that is not whole yet: the task writes the parts into one target transaction that it
/// commits once the rest has come (`isOpen` false again), so that memory stays bounded however large a transaction
/// is.
///
/// A pure state machine: the records come in with `add`, `addBegin` and `addEnd`, `takeReady` (and `takeOpen`) hand
/// out what may be written, and `committable` says up to where the consumer may commit (never past a record still
/// held, nor past the first part of a transaction handed out but not whole, so that a restart reads it again).
struct SourceTransactionAssembler<Item> {
    private struct Entry {
        var offset: Int64
        /// Nil once handed out.
        var item: Item?
        var transaction: SourceTransaction?
    }

    /// A partition's held events, in offset order (`head`: the first still held). Its events are looked at in place
    /// and moved out, so that neither copies what an event holds.
    private struct Queue {
        var entries: [Entry] = []
        var head = 0

        var count: Int { entries.count - head }
        var firstOffset: Int64? { head < entries.count ? entries[head].offset : nil }

        /// Whether the first event held is of transaction `id`.
        func startsWith(_ id: String) -> Bool { head < entries.count && entries[head].transaction?.id == id }

        /// Hands out the events without a transaction at the head.
        mutating func takeUntransacted(into out: inout [Item]) {
            while head < entries.count, entries[head].transaction == nil { out.append(removeFirst()) }
        }

        /// Hands out the events of transaction `id` at the head, each with its place in the transaction and
        /// followed by the events without a transaction after it (a delete's tombstone), in their order.
        mutating func takeMembers(of id: String, into out: inout [(order: Int64, sequence: Int, item: Item?)]) {
            while head < entries.count, entries[head].transaction?.id == id,
                let order = entries[head].transaction?.order
            {
                out.append((order, 0, removeFirst()))
                var sequence = 1
                while head < entries.count, entries[head].transaction == nil {
                    out.append((order, sequence, removeFirst()))
                    sequence += 1
                }
            }
        }

        private mutating func removeFirst() -> Item {
            let item = entries[head].item.take()!
            head += 1
            if head == entries.count {
                entries.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 && head * 2 >= entries.count {
                entries.removeFirst(head)
                head = 0
            }
            return item
        }
    }

    /// A transaction named on the transaction topic, in commit order: by its BEGIN, its END, or both.
    private struct Boundary {
        var id: String
        /// The BEGIN's offset, when it was consumed.
        var begin: Int64?
        /// The END's offset, and the events the transaction has in the tables this sink consumes.
        var end: (offset: Int64, expected: Int64)?

        /// Where a restart must read the transaction topic again to learn of this transaction.
        var offset: Int64 { begin ?? end!.offset }
    }

    /// Whether a table of an END record (its `data_collection`, `schema.table` or `database.table`) is consumed by
    /// this sink: the transaction waits only for events of those.
    private let consumes: (_ transactionTopic: String, _ collection: String) -> Bool
    private var queues: [TopicPartition: Queue] = [:]
    /// The transactions not yet handed out whole, in commit order (`boundariesHead`: the first).
    private var boundaries: [Boundary] = []
    private var boundariesHead = 0
    /// The transactions whose BEGIN came and END not yet, by id: their index in `boundaries`.
    private var unended: [String: Int] = [:]
    /// Of the transaction handed out in parts (`takeOpen`): the offset of its first part, per partition.
    private var openFrom: [TopicPartition: Int64] = [:]
    /// The transaction topic's partition (there must be only one).
    private var endPartition: TopicPartition?
    /// How many events of each transaction came.
    private var seen: [String: Int64] = [:]
    /// The offset after the last record consumed, per partition.
    private var positions: [TopicPartition: Int64] = [:]

    init(consumes: @escaping (_ transactionTopic: String, _ collection: String) -> Bool) {
        self.consumes = consumes
    }

    /// The events held.
    var heldCount: Int { queues.values.reduce(0) { $0 + $1.count } }

    /// The transactions' boundaries kept (those handed out are dropped from time to time).
    var boundariesKept: Int { boundaries.count }

    /// Whether a transaction was handed out in parts and its rest has not: what was written of it must not commit.
    private(set) var isOpen = false

    /// A change event (or any data record), with its transaction when it has one.
    mutating func add(_ item: Item, at partition: TopicPartition, offset: Int64, transaction: SourceTransaction?) {
        queues[partition, default: Queue()].entries.append(Entry(offset: offset, item: item, transaction: transaction))
        if let transaction { seen[transaction.id, default: 0] += 1 }
        consumed(partition, offset)
    }

    /// A BEGIN record: the transaction is the next to commit once those before it are whole. A BEGIN again of a
    /// transaction not ended (a source that restarted within it sends it anew) adds nothing.
    mutating func addBegin(id: String, at partition: TopicPartition, offset: Int64) throws(SinkError) {
        try checkTransactionTopic(partition, offset)
        if unended[id] == nil {
            unended[id] = boundaries.count
            boundaries.append(Boundary(id: id, begin: offset))
        }
        consumed(partition, offset)
    }

    /// An END record: the transaction's counts per table (`data_collections`).
    mutating func addEnd(
        id: String, collections: [(name: String, count: Int64)], at partition: TopicPartition, offset: Int64
    ) throws(SinkError) {
        try checkTransactionTopic(partition, offset)
        let expected = collections.reduce(Int64(0)) { consumes(partition.topic, $1.name) ? $0 + $1.count : $0 }
        if let begun = unended.removeValue(forKey: id) {
            boundaries[begun].end = (offset, expected)
        } else {
            boundaries.append(Boundary(id: id, end: (offset, expected)))
        }
        consumed(partition, offset)
    }

    private mutating func checkTransactionTopic(_ partition: TopicPartition, _ offset: Int64) throws(SinkError) {
        if let endPartition, endPartition != partition {
            throw SinkError(
                .unsupportedRecord, position: "\(partition)@\(offset)",
                "transaction.boundary.mode=source needs the transaction topic in one partition (it also has "
                    + "\(endPartition)), to know the commit order: create it with one partition")
        }
        endPartition = partition
    }

    private mutating func consumed(_ partition: TopicPartition, _ offset: Int64) {
        positions[partition] = max(positions[partition] ?? 0, offset + 1)
    }

    /// What may be written now, in order: events without a transaction that nothing precedes, and whole
    /// transactions in commit order, each one's events in the source's order.
    mutating func takeReady() -> [Item] {
        var ready: [Item] = []
        var progressed = true
        while progressed {
            progressed = false
            let before = ready.count
            for index in queues.values.indices { queues.values[index].takeUntransacted(into: &ready) }
            if ready.count > before { progressed = true }
            guard boundariesHead < boundaries.count else { break }
            let next = boundaries[boundariesHead]
            guard let end = next.end, seen[next.id, default: 0] >= end.expected else { break }
            takeHeads(of: next.id, into: &ready)
            seen[next.id] = nil
            isOpen = false
            openFrom.removeAll()
            boundariesHead += 1
            compactBoundaries()
            progressed = true
        }
        return ready
    }

    /// Drops the boundaries handed out, once they are half of those kept (a stream always has one begun).
    private mutating func compactBoundaries() {
        if boundariesHead == boundaries.count {
            boundaries.removeAll(keepingCapacity: true)
        } else if boundariesHead >= 1024 && boundariesHead * 2 >= boundaries.count {
            boundaries.removeFirst(boundariesHead)
            for id in unended.keys { unended[id]! -= boundariesHead }
        } else {
            return
        }
        boundariesHead = 0
    }

    /// Of the next transaction to commit, not whole yet, what has come so far and nothing precedes: parts of a
    /// transaction too large to hold, to be written and committed only with its rest. Call after `takeReady`.
    mutating func takeOpen() -> [Item] {
        guard boundariesHead < boundaries.count else { return [] }
        let id = boundaries[boundariesHead].id
        for (partition, queue) in queues where openFrom[partition] == nil && queue.startsWith(id) {
            openFrom[partition] = queue.firstOffset
        }
        var parts: [Item] = []
        takeHeads(of: id, into: &parts)
        if !parts.isEmpty { isOpen = true }
        return parts
    }

    /// The partitions whose first event held is of a transaction after the next one to commit (all those holding
    /// events while no transaction is known to be next): none of their later records is needed to complete the next
    /// transaction, so a consumer short of memory can pause them (`transaction.boundary.max.buffered.records`) until
    /// it is written. Within a partition events come in commit order, so a partition that reached a later
    /// transaction holds all of its events of the next one already. Call after `takeReady`.
    var partitionsAhead: Set<TopicPartition> {
        let next = boundariesHead < boundaries.count ? boundaries[boundariesHead].id : nil
        var out: Set<TopicPartition> = []
        for (partition, queue) in queues where queue.count > 0 && !(next.map(queue.startsWith) ?? false) {
            out.insert(partition)
        }
        return out
    }

    /// The events of transaction `id` at the heads of the partitions, in the source's order, each followed by the
    /// records without a transaction that follow it in its partition (a delete's tombstone), in their order.
    private mutating func takeHeads(of id: String, into out: inout [Item]) {
        var taken: [(order: Int64, sequence: Int, item: Item?)] = []
        for index in queues.values.indices { queues.values[index].takeMembers(of: id, into: &taken) }
        taken.sort { ($0.order, $0.sequence) < ($1.order, $1.sequence) }
        for index in taken.indices { out.append(taken[index].item.take()!) }
    }

    /// The offsets the consumer may commit, given those after everything it consumed: in each partition, the first
    /// record still held (an event, the first part of a transaction handed out in parts, or the BEGIN or END of a
    /// transaction not yet whole), else everything consumed.
    mutating func committable(_ consumed: [TopicPartition: Int64]) -> [TopicPartition: Int64] {
        for (partition, offset) in consumed { positions[partition] = max(positions[partition] ?? 0, offset) }
        var out = positions
        for (partition, queue) in queues {
            if let first = queue.firstOffset { out[partition] = min(out[partition] ?? first, first) }
        }
        for (partition, offset) in openFrom { out[partition] = min(out[partition] ?? offset, offset) }
        if let endPartition, boundariesHead < boundaries.count {
            let offset = boundaries[boundariesHead].offset
            out[endPartition] = min(out[endPartition] ?? offset, offset)
        }
        return out
    }
}
