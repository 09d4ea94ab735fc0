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
/// go out as soon as nothing precedes them in their partition.
///
/// A pure state machine: the records come in with `add` and `addEnd`, `takeReady` hands out what may be written, and
/// `committable` says up to where the consumer may commit (never past a record still held, so that a restart reads
/// it again).
struct SourceTransactionAssembler<Item> {
    private struct Entry {
        var offset: Int64
        var item: Item
        var transaction: SourceTransaction?
    }

    /// A partition's held events, in offset order (`head`: the first still held).
    private struct Queue {
        var entries: [Entry] = []
        var head = 0

        var first: Entry? { head < entries.count ? entries[head] : nil }

        mutating func removeFirst() -> Entry {
            let entry = entries[head]
            head += 1
            if head == entries.count {
                entries.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 && head * 2 >= entries.count {
                entries.removeFirst(head)
                head = 0
            }
            return entry
        }
    }

    private struct End {
        var id: String
        /// The events the transaction has in the tables this sink consumes.
        var expected: Int64
        var offset: Int64
    }

    /// Whether a table of an END record (its `data_collection`, `schema.table` or `database.table`) is consumed by
    /// this sink: the transaction waits only for events of those.
    private let consumes: (_ transactionTopic: String, _ collection: String) -> Bool
    private var queues: [TopicPartition: Queue] = [:]
    private var ends: [End] = []
    private var endsHead = 0
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
    var heldCount: Int { queues.values.reduce(0) { $0 + $1.entries.count - $1.head } }

    /// A change event (or any data record), with its transaction when it has one.
    mutating func add(_ item: Item, at partition: TopicPartition, offset: Int64, transaction: SourceTransaction?) {
        queues[partition, default: Queue()].entries.append(Entry(offset: offset, item: item, transaction: transaction))
        if let transaction { seen[transaction.id, default: 0] += 1 }
        consumed(partition, offset)
    }

    /// A record of the transaction topic other than an END (a BEGIN): only its offset counts.
    mutating func skip(at partition: TopicPartition, offset: Int64) {
        consumed(partition, offset)
    }

    /// An END record: the transaction's counts per table (`data_collections`).
    mutating func addEnd(
        id: String, collections: [(name: String, count: Int64)], at partition: TopicPartition, offset: Int64
    ) throws(SinkError) {
        if let endPartition, endPartition != partition {
            throw SinkError(
                .unsupportedRecord, position: "\(partition)@\(offset)",
                "transaction.boundary.mode=source needs the transaction topic in one partition (it also has "
                    + "\(endPartition)), to know the commit order: create it with one partition")
        }
        endPartition = partition
        let expected = collections.reduce(Int64(0)) { consumes(partition.topic, $1.name) ? $0 + $1.count : $0 }
        ends.append(End(id: id, expected: expected, offset: offset))
        consumed(partition, offset)
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
            for partition in Array(queues.keys) {
                while let first = queues[partition]?.first, first.transaction == nil {
                    ready.append(queues[partition]!.removeFirst().item)
                    progressed = true
                }
            }
            guard endsHead < ends.count else { break }
            let end = ends[endsHead]
            guard seen[end.id, default: 0] >= end.expected else { break }
            var whole: [Entry] = []
            for partition in Array(queues.keys) {
                while let first = queues[partition]?.first, first.transaction?.id == end.id {
                    whole.append(queues[partition]!.removeFirst())
                }
            }
            whole.sort { $0.transaction!.order < $1.transaction!.order }
            ready.append(contentsOf: whole.lazy.map(\.item))
            seen[end.id] = nil
            endsHead += 1
            if endsHead == ends.count {
                ends.removeAll(keepingCapacity: true)
                endsHead = 0
            }
            progressed = true
        }
        return ready
    }

    /// The offsets the consumer may commit, given those after everything it consumed: in each partition, the first
    /// record still held (an event, or the END of a transaction not yet whole), else everything consumed.
    mutating func committable(_ consumed: [TopicPartition: Int64]) -> [TopicPartition: Int64] {
        for (partition, offset) in consumed { positions[partition] = max(positions[partition] ?? 0, offset) }
        var out = positions
        for (partition, queue) in queues {
            if let first = queue.first { out[partition] = min(out[partition] ?? first.offset, first.offset) }
        }
        if let endPartition, endsHead < ends.count {
            out[endPartition] = min(out[endPartition] ?? ends[endsHead].offset, ends[endsHead].offset)
        }
        return out
    }
}
