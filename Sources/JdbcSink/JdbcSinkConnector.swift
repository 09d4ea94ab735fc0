import Logging
import TributaryCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Debezium's `io.debezium.connector.jdbc.JdbcSinkConnector`: change events (or plain rows) from Kafka written
/// into a database table per topic, in PostgreSQL, MySQL or MariaDB.
public struct JdbcSinkConnector: SinkConnector {
    public init() {}

    public func validate(_ config: Config) throws {
        _ = try JdbcSinkConfig(config)
    }

    public var configDefinition: ConfigDefinition? { JdbcSinkConfig.definition }

    public func makeTask(_ config: Config) throws -> SinkTask {
        JdbcSinkTask(config: try JdbcSinkConfig(config), name: config.string("name") ?? "jdbc-sink")
    }
}

/// The JDBC sink's task: records read into row changes as they come (`put`), written in one transaction per
/// batch (`flush`), before the worker commits the batch's offsets.
///
/// The database writes a batch on a thread of its own (`WriteBehind`) while the worker reads and converts the next
/// one: `preCommit` waits for the batch before, hands this one over, and gives the worker the offsets of the
/// batches written, never of the one in flight. `flush` writes everything before it returns.
///
/// A record that cannot be written (a value the column cannot hold, a key missing) is found by writing the batch
/// again a row at a time, and then stops the task with that record's position, or with `errors.tolerance=all`
/// goes to the worker's reporter (and the dead letter queue) while the other rows are written.
///
/// With `transaction.boundary.mode=source`, change events are held until their source transaction is whole
/// (`SourceTransactionAssembler`), and the offsets committed stop at the first one held. Beyond
/// `transaction.boundary.max.buffered.records` held, the next transaction to commit is written as it comes, into a
/// target transaction left open across batches and committed with the batch that completes it; if that target
/// transaction is lost (a lost connection), the task fails and its restart reads the source transaction again.
/// Meanwhile the partitions ahead of the next transaction are paused, so that what is held stays near that limit.
public final class JdbcSinkTask: SinkTask {
    private let config: JdbcSinkConfig
    private let reader: RowChangeReader
    private let logger: Logger
    private var writer: SinkWriter?
    private var reporter: ErrantRecordReporter?
    private var pending: [RowChange] = []
    /// The record of each pending change.
    private var pendingRecords: [SinkRecord] = []
    /// Under `transaction.boundary.mode=source`: the events held for their transactions.
    private var transactions: SourceTransactionAssembler<(change: RowChange?, record: SinkRecord)>?
    /// When events were first held without any END record come yet (a transaction topic not consumed?).
    private var heldWithoutEnds: ContinuousClock.Instant?
    private var sawEnd = false
    /// The database's writes, one batch in flight while the next is read.
    private let writeBehind = WriteBehind()
    /// The batch in flight, and the offsets that can be committed once it is written; whether it continues a target
    /// transaction left open, and whether it commits.
    private var inFlight: Batch?
    /// Whether the target holds an open transaction, with parts of a source transaction, for a later batch to
    /// commit.
    private var targetOpen = false
    /// The offsets of what is written, to commit.
    private var written: [TopicPartition: Int64] = [:]
    /// Under `transaction.boundary.mode=source`: partitions ahead of the next transaction to commit, paused while
    /// too many events are held (`updatePauses`).
    public private(set) var pausedPartitions: Set<TopicPartition> = []

    public init(config: JdbcSinkConfig, name: String) {
        self.config = config
        reader = RowChangeReader(config: config)
        var logger = Logger(label: "tributary.jdbc-sink")
        logger[metadataKey: "connector"] = "\(name)"
        self.logger = logger
        if config.transactionBoundaryMode == .source {
            let listed = Set(config.topics)
            let pattern = config.topicsPattern.flatMap { try? Regex($0) }
            transactions = SourceTransactionAssembler { transactionTopic, collection in
                // Debezium's topic of a table: `<topic.prefix>.<collection>`, beside `<topic.prefix>.transaction`.
                let prefix = transactionTopic.split(separator: ".", omittingEmptySubsequences: false).dropLast()
                let topic = (prefix + [Substring(collection)]).joined(separator: ".")
                return listed.contains(topic) || pattern.map { (try? $0.wholeMatch(in: topic)) != nil } ?? false
            }
        }
    }

    public func start(reporter: ErrantRecordReporter?) throws {
        self.reporter = reporter
        writer = try SinkWriter(config: config, logger: logger)
    }

    public func put(_ records: [SinkRecord]) throws {
        // Taken out for the loop (not copied), so that holding a record does not copy what it holds.
        if var assembler = transactions.take() {
            defer { transactions = assembler }
            for record in records { try hold(record, in: &assembler) }
            return
        }
        for record in records {
            guard let change = try read(record) else { continue }
            pending.append(change)
            pendingRecords.append(record)
        }
    }

    /// The change `record` asks for; nil for one the settings skip or the reporter took.
    private func read(_ record: SinkRecord) throws -> RowChange? {
        do {
            return try reader.change(record)
        } catch {
            guard let reporter else { throw error }
            try reporter.report(record, error: error)
            return nil
        }
    }

    /// Gives `record` to the transactions' assembler: an END, another record of the transaction topic, or an event
    /// (kept even when it writes nothing, as it counts in its transaction and holds its partition's place).
    private func hold(
        _ record: SinkRecord, in assembler: inout SourceTransactionAssembler<(change: RowChange?, record: SinkRecord)>
    ) throws {
        let partition = TopicPartition(topic: record.topic, partition: record.partition)
        if let boundary = RowChangeReader.transactionBoundary(record) {
            guard boundary.isEnd else {
                return try assembler.addBegin(id: boundary.id, at: partition, offset: record.offset)
            }
            sawEnd = true
            try assembler.addEnd(
                id: boundary.id, collections: boundary.collections, at: partition, offset: record.offset)
            return
        }
        let transaction = RowChangeReader.transaction(of: record)
        assembler.add((try read(record), record), at: partition, offset: record.offset, transaction: transaction)
    }

    /// Pauses the partitions ahead of the next transaction to commit while more than
    /// `transaction.boundary.max.buffered.records` events are held, and resumes each once half of that or less is
    /// held, or once it is needed (its first event held is of the next transaction). Memory then stays bounded when
    /// some partitions run ahead of the others, as they do while a large transaction is written in parts.
    private func updatePauses(_ assembler: SourceTransactionAssembler<(change: RowChange?, record: SinkRecord)>) {
        let held = assembler.heldCount
        if held > config.transactionBufferLimit {
            pausedPartitions = assembler.partitionsAhead
        } else if held > config.transactionBufferLimit / 2 {
            pausedPartitions.formIntersection(assembler.partitionsAhead)
        } else {
            pausedPartitions = []
        }
        guard !sawEnd, held > 0 else { return }
        let now = ContinuousClock.now
        guard let since = heldWithoutEnds else { return heldWithoutEnds = now }
        if now - since > .seconds(30) {
            logger.warning(
                """
                holding change events for their source transactions, but no END record has come: is the \
                source's transaction topic (<topic.prefix>.transaction) among topics?
                """,
                metadata: ["held": "\(held)", "paused": "\(pausedPartitions.map(\.description).sorted())"])
            heldWithoutEnds = now
        }
    }

    /// Waits for the batch in flight, hands the pending changes to the database's thread, and returns the offsets
    /// up to the last batch written: those of the batch now in flight wait for its write.
    public func preCommit(_ consumed: [TopicPartition: Int64]) throws -> [TopicPartition: Int64] {
        try finishInFlight()
        let offsets = transactions?.committable(consumed) ?? consumed
        guard try startWriting(offsets) else {
            written = offsets
            return offsets
        }
        return written
    }

    /// Writes everything taken (and ready, under `transaction.boundary.mode=source`) before it returns.
    public func flush() throws {
        try finishInFlight()
        guard try startWriting(nil) else { return }
        try finishInFlight()
    }

    /// Hands the pending changes (with the transactions now whole) to the database's thread, to be written in one
    /// transaction; `offsets` can be committed once they are. False when there was nothing to write.
    ///
    /// An error that may pass (a lost connection, a deadlock, a server restarting) rolls the batch back and writes
    /// it again on a new connection, up to `flush.max.retries` times `flush.retry.delay.ms` apart; then it fails
    /// the task (and the worker restarts it by its own policy).
    private func startWriting(_ offsets: [TopicPartition: Int64]?) throws -> Bool {
        var commit = true
        if var assembler = transactions.take() {
            defer { transactions = assembler }
            let wasOpen = assembler.isOpen
            var taken = assembler.takeReady()
            // A batch that completes the transaction open in the target commits it, rather than begin the next.
            if assembler.isOpen || (!wasOpen && assembler.heldCount > config.transactionBufferLimit) {
                taken += assembler.takeOpen()
            }
            // Moved out from the back, not copied.
            taken.reverse()
            while let (change, record) = taken.popLast() {
                guard let change else { continue }
                pending.append(change)
                pendingRecords.append(record)
            }
            commit = !assembler.isOpen
            updatePauses(assembler)
        }
        let continuing = targetOpen
        guard !pending.isEmpty || (continuing && commit) else { return false }
        let batch = Batch(
            changes: pending, records: pendingRecords, offsets: offsets, continuing: continuing, commit: commit)
        inFlight = batch
        targetOpen = !commit
        pending = []
        pendingRecords = []
        let isolatable = reporter != nil
        writeBehind.submit { [self] in
            try retrying(unless: continuing) { try $0.write(batch.changes, commit: commit, isolatable: isolatable) }
        }
        return true
    }

    /// Waits for the batch in flight. A record the database refused in it is found, as the batch is written again a
    /// row at a time, each behind its own savepoint; it then stops the task, or, when errors are tolerated, goes to
    /// the reporter while the other rows are kept. Here, on the worker's thread, as the reporter wants.
    private func finishInFlight() throws {
        guard let batch = inFlight else { return }
        defer { inFlight = nil }
        if let error = writeBehind.wait() {
            guard error is SinkError else { throw error }
            // Without a savepoint (errors are not tolerated), the parts written before went with the record's error.
            if batch.continuing && writer?.isInTransaction != true { throw error }
            let refused = try retrying(unless: batch.continuing) {
                try $0.writeIsolating(batch.changes, keepingTheOthers: reporter != nil, commit: batch.commit)
            }
            if reporter == nil, let first = refused.first { throw first.error }
            for (index, error) in refused { try reporter?.report(batch.records[index], error: error) }
        }
        if let offsets = batch.offsets { written = offsets }
    }

    /// Runs `body` with a connected writer, again on a new connection after an error that may pass; but not when
    /// `continuing` a target transaction left open, whose earlier parts a new connection would not have: then the
    /// error fails the task, whose restart reads them again.
    private func retrying<R>(unless continuing: Bool, _ body: (SinkWriter) throws -> R) throws -> R {
        var retries = 0
        while true {
            do {
                return try body(try connectedWriter())
            } catch  where error.isRetriable && continuing {
                logger.warning(
                    """
                    lost the target transaction holding part of a source transaction \
                    (transaction.boundary.mode=source); the task restarts from the committed offsets
                    """,
                    metadata: ["error": "\(error)"])
                throw error
            } catch  where error.isRetriable && retries < config.flushMaxRetries {
                retries += 1
                logger.warning(
                    "could not write the batch; writing it again on a new connection",
                    metadata: [
                        "error": "\(error)", "retry": "\(retries)", "of": "\(config.flushMaxRetries)",
                    ])
                writer?.close()
                writer = nil
                usleep(UInt32(clamping: config.flushRetryDelay.wholeMicroseconds))
            }
        }
    }

    private func connectedWriter() throws -> SinkWriter {
        if let writer { return writer }
        let connected = try SinkWriter(config: config, logger: logger)
        writer = connected
        return connected
    }

    /// A batch handed to the database's thread.
    private struct Batch {
        var changes: [RowChange]
        var records: [SinkRecord]
        /// What may be committed once it is written (nil: what the worker commits does not wait for it).
        var offsets: [TopicPartition: Int64]?
        /// Whether it continues a target transaction left open by the batch before.
        var continuing: Bool
        /// Whether it commits; a batch with part of a source transaction leaves the target transaction open.
        var commit: Bool
    }

    public func stop() {
        writeBehind.close()
        writer?.close()
        writer = nil
    }
}
