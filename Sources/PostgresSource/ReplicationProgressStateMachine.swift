import TributaryCore

/// Where a pgoutput stream stands and which WAL position the slot may be confirmed up to: a pure state machine
/// (no I/O), fed with what the stream says and what Kafka acknowledged. `PostgresConnectorTask` does the I/O.
///
/// The rules it keeps:
/// - The slot is confirmed only past transactions all of whose records Kafka acknowledged (and past the
///   transactions without records that follow them).
/// - After a restart, the records of the partly delivered transaction that were delivered are skipped, by
///   transaction id and record position (LSN and part).
/// - With nothing in flight and no transaction open, the slot follows the stream: the end of the last
///   transaction read, or the WAL end the server reports in keepalives (PostgreSQL 15+ sends nothing for
///   transactions that touch no published table, so without this the slot would hold WAL back for ever).
/// - The list of transactions awaiting acknowledgement stays bounded, however many arrive between flushes.
struct ReplicationProgressStateMachine {
    /// A transaction whose commit was read and which the slot is not confirmed past.
    struct CompletedTransaction: Equatable {
        var xid: UInt32
        /// Its last record, or nil if it produced none.
        var lastRecord: RecordPosition?
        /// Where the slot may move once it is in Kafka.
        var endLSN: LSN
    }

    /// At most this many completed transactions are remembered; newer ones are merged, which only makes
    /// confirmation more cautious.
    static let completedLimit = 4096

    /// Where `START_REPLICATION` begins: the end of the last transaction fully delivered before a restart.
    let startLSN: LSN
    /// The transaction being read, if any.
    private(set) var currentXid: UInt32?
    /// The commit time of the transaction being read, in microseconds since the Unix epoch.
    private(set) var currentCommitMicros: Int64 = 0
    /// The LSN of the last commit message read (Debezium's `sequence` names it).
    private(set) var lastCommitLSN: LSN?
    /// The end of the last transaction read: streaming may resume there once its changes are in Kafka.
    private(set) var lastCommitEnd: LSN?
    /// The newest WAL position the server said it sent or wrote.
    private(set) var lastReceivedLSN = LSN.zero
    /// The position the slot is confirmed up to.
    private(set) var confirmedLSN: LSN
    /// The WAL end of the newest keepalive that arrived while no transaction was open.
    private var keepaliveWALEnd = LSN.zero

    /// Records delivered before a restart: skip those of transaction `xid` up to `position`.
    private var resumeSkip: (xid: UInt32, position: RecordPosition)?
    private var lastRecordInTransaction: RecordPosition?
    private(set) var completed: [CompletedTransaction] = []
    /// The newest record handed out, and the newest one Kafka acknowledged.
    private(set) var lastEmitted: (xid: UInt32, position: RecordPosition)?
    private var lastAcknowledged: (xid: UInt32, position: RecordPosition)?

    /// While true, `idle()` confirms nothing: set while a snapshot's records are not all in Kafka, since a crash
    /// then repeats the snapshot and the stream must still hold what changed since it began.
    var holdsIdleConfirmation = false

    /// Starts at `lsn` (a snapshot's position), or where the slot is confirmed when nil.
    init(startingAt lsn: LSN?) {
        self.init(storedOffset: lsn.map { ["lsn_commit": .int(Int64($0.value))] })
        lastCommitLSN = nil
    }

    /// Starts fresh, or from a stored offset (Debezium's `lsn_commit`, `txId`, `lsn_proc`, plus `lsn_part`).
    init(storedOffset: OffsetMap?) {
        var start = LSN.zero
        if let offset = storedOffset {
            if let commit = offset["lsn_commit"]?.int64 {
                start = LSN(UInt64(commit))
                lastCommitLSN = start
                lastCommitEnd = start
            }
            if let xid = offset["txId"]?.int64, let position = RecordPosition(offset) {
                resumeSkip = (UInt32(truncatingIfNeeded: xid), position)
            }
        }
        startLSN = start
        confirmedLSN = start
    }

    /// Where a restart skips to inside the partly delivered transaction, if anywhere.
    var resumePosition: RecordPosition? { resumeSkip?.position }

    /// True when every record handed out was acknowledged by Kafka.
    var everythingAcknowledged: Bool {
        lastEmitted?.xid == lastAcknowledged?.xid && lastEmitted?.position == lastAcknowledged?.position
    }

    // MARK: What the stream says

    /// An XLogData message arrived; `walEnd` is the server's WAL end at sending.
    mutating func received(walEnd: LSN) {
        lastReceivedLSN = max(lastReceivedLSN, walEnd)
    }

    /// A primary keepalive arrived with the server's WAL end.
    mutating func keepalive(walEnd: LSN) {
        lastReceivedLSN = max(lastReceivedLSN, walEnd)
        // Inside a transaction the WAL end may lie past changes still to come; between transactions everything
        // before it was sent (or skipped as unpublished).
        if currentXid == nil { keepaliveWALEnd = max(keepaliveWALEnd, walEnd) }
    }

    /// A Begin message: `commitMicros` is its commit time since the Unix epoch.
    mutating func begin(xid: UInt32, commitMicros: Int64) {
        currentXid = xid
        currentCommitMicros = commitMicros
        lastRecordInTransaction = nil
    }

    /// Whether the record at `position` is handed out; records delivered before a restart are not (and are
    /// then not even built). A record handed out counts as in flight until acknowledged.
    mutating func emit(_ position: RecordPosition) -> Bool {
        guard let xid = currentXid else { return true }
        if delivered(position) { return false }
        lastRecordInTransaction = position
        lastEmitted = (xid, position)
        return true
    }

    /// Whether the record at `position` of the transaction being read reached Kafka before a restart.
    func delivered(_ position: RecordPosition) -> Bool {
        guard let xid = currentXid, let skip = resumeSkip, skip.xid == xid else { return false }
        return position <= skip.position
    }

    /// Stands for the transaction of a record outside any (`standalone(at:)`); no real transaction has id 0.
    static let standaloneXid: UInt32 = 0
    /// The `messageType` of a standalone record's offset (Debezium's name for a logical decoding message).
    static let standaloneMessageType = "MESSAGE"

    /// A record outside any transaction, at `lsn` (a non-transactional logical decoding message): complete at
    /// once, as a transaction of its own that ends just past `lsn`, so that once it is in Kafka a restart does not
    /// read it again (the server resends what starts at or after the position it resumes from). False when the
    /// stream resumed past it.
    mutating func standalone(at lsn: LSN) -> Bool {
        guard lsn >= startLSN else { return false }
        let position = RecordPosition(lsn: lsn, part: 0)
        let end = LSN(lsn.value + 1)
        lastEmitted = (Self.standaloneXid, position)
        append(CompletedTransaction(xid: Self.standaloneXid, lastRecord: position, endLSN: end))
        lastCommitLSN = lsn
        lastCommitEnd = end
        return true
    }

    /// A Commit message at `commitLSN`, ending its transaction at `endLSN`.
    mutating func commit(commitLSN: LSN, endLSN: LSN) {
        if let xid = currentXid {
            append(CompletedTransaction(xid: xid, lastRecord: lastRecordInTransaction, endLSN: endLSN))
            if resumeSkip?.xid == xid { resumeSkip = nil }
        }
        // Debezium's `sequence` names the previous commit by the LSN its message carried.
        lastCommitLSN = commitLSN
        lastCommitEnd = endLSN
        currentXid = nil
    }

    private mutating func append(_ transaction: CompletedTransaction) {
        // Transactions without records that follow each other confirm as one: keep the newest end.
        if transaction.lastRecord == nil, let last = completed.last, last.lastRecord == nil {
            completed[completed.count - 1] = transaction
        } else if completed.count >= Self.completedLimit {
            // Full: the newest entry stands for itself and the one before it. An acknowledgement of the
            // replaced transaction's last record then confirms less than it could (never more), until a later
            // acknowledgement or an idle stream moves the slot; the oldest entries, acknowledged next, stay exact.
            completed[completed.count - 1] = transaction
        } else {
            completed.append(transaction)
        }
    }

    // MARK: What Kafka says

    /// Kafka acknowledged (and the worker stored) the record with `offset`, and everything before it. Returns
    /// the LSN to confirm to the slot, if confirmation moved.
    mutating func acknowledged(_ offset: OffsetMap) -> LSN? {
        var target = offset["lsn_commit"]?.int64.map { LSN(UInt64($0)) } ?? confirmedLSN
        let standalone = offset["messageType"]?.stringValue == Self.standaloneMessageType
        if let xid = offset["txId"]?.int64.map({ UInt32(truncatingIfNeeded: $0) })
            ?? (standalone ? Self.standaloneXid : nil),
            let position = RecordPosition(offset)
        {
            lastAcknowledged = (xid, position)
            if let index = completed.firstIndex(where: {
                $0.xid == xid && (xid != Self.standaloneXid || $0.lastRecord == position)
            }) {
                if completed[index].lastRecord == position {
                    // The record closes its transaction: the whole transaction is in Kafka, and so are the
                    // transactions without records that directly follow it.
                    target = max(target, completed[index].endLSN)
                    completed.removeFirst(index + 1)
                    while let next = completed.first, next.lastRecord == nil {
                        target = max(target, next.endLSN)
                        completed.removeFirst()
                    }
                } else {
                    completed.removeFirst(index)
                }
            }
        }
        let moved = confirm(target)
        return idle() ?? moved
    }

    /// The stream has nothing more to read for now. With every record in Kafka and no transaction open, every
    /// transaction read so far is done and the slot may follow the stream. Returns the LSN to confirm, if
    /// confirmation moved.
    mutating func idle() -> LSN? {
        guard everythingAcknowledged, currentXid == nil, !holdsIdleConfirmation else { return nil }
        var target = keepaliveWALEnd
        if let last = completed.last { target = max(target, last.endLSN) }
        completed.removeAll(keepingCapacity: true)
        return confirm(target)
    }

    private mutating func confirm(_ target: LSN) -> LSN? {
        guard target > confirmedLSN else { return nil }
        confirmedLSN = target
        return target
    }
}
