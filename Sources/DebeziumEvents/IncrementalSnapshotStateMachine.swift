import Logging
import TributaryCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Debezium's incremental snapshot (the watermark algorithm of DBLog), as a pure state machine: which table is
/// read, from which key on, which rows of the chunk read are still to be emitted, and what a restart resumes from.
/// The connector does the I/O around it.
///
/// One chunk goes like this:
/// 1. `beginChunk(id:)`; the connector inserts the open watermark (`<id>-open`) into the signal table.
/// 2. It reads the next `incremental.snapshot.chunk.size` rows by key (`chunkRead`), which fill the window.
/// 3. It inserts the close watermark (`<id>-close`).
/// 4. Reading the stream, between the two watermarks (`open`), every change of a row in the window takes that
///    row out of it (`changed`): the streamed change is newer than the read, or as new.
/// 5. At the close watermark (`close`) the rows left go out as reads (`op: "r"`), and the next chunk begins.
///
/// The context (tables still to read, the last key handed out, the table's largest key when it began) goes into
/// every record's offset while a snapshot runs, so that a restart resumes right after the last row that reached
/// Kafka: the window's rows go out in key order.
public struct IncrementalSnapshotStateMachine<Row> {
    public typealias Collection = IncrementalSnapshotCollection
    public typealias Context = IncrementalSnapshotContext
    typealias OffsetKey = IncrementalSnapshotContext.OffsetKey

    /// A row of the window: its identity among the table's changes (`fingerprint`), its chunk key, and the row.
    public struct WindowRow {
        public let fingerprint: [UInt8]
        public let chunkKey: [String?]
        public let row: Row

        public init(fingerprint: [UInt8], chunkKey: [String?], row: Row) {
            self.fingerprint = fingerprint
            self.chunkKey = chunkKey
            self.row = row
        }
    }

    /// Nil while no snapshot runs.
    public private(set) var context: Context? {
        didSet { encodeContext(previous: oldValue) }
    }
    /// The chunk whose watermarks are awaited, if any.
    public private(set) var chunkID: String?
    /// True between the chunk's open and close watermarks in the stream.
    public private(set) var windowOpen = false
    /// `pause-snapshot` holds the next chunk back until `resume-snapshot`.
    public private(set) var paused = false

    private var window: [WindowRow?] = []
    private var windowPositions: [[UInt8]: Int] = [:]
    /// The chunk key of the chunk's last row: the next chunk starts after it.
    private var chunkEnd: [String?]?
    /// `stop-snapshot` requests (patterns; empty: everything), applied when the next chunk begins.
    private var stopRequests: [[String]] = []
    /// The context as offset entries, encoded when it changes rather than for every record.
    private var encoded: OffsetMap = [:]
    /// The snapshot's progress for the snapshot metrics: its table count and the rows handed out per table begun.
    private var progress: SnapshotStatus?

    public init() {}

    /// Restores the context from a stored offset; nil context when no snapshot was running.
    public init(storedOffset offset: OffsetMap?) throws {
        guard let text = offset?[OffsetKey.collections]?.stringValue else { return }
        let collections = try JSONDecoder().decode([Collection].self, from: Data(text.utf8))
        guard !collections.isEmpty else { return }
        context = Context(
            collections: collections, lastKey: try Self.decodeKey(offset?[OffsetKey.lastKey]),
            maximumKey: try Self.decodeKey(offset?[OffsetKey.maximumKey]),
            correlationID: offset?[OffsetKey.correlationID]?.stringValue)
        encodeContext(previous: nil)
        progress = SnapshotStatus(running: true, totalTables: collections.count, tables: [])
    }

    /// The snapshot a stored offset holds; none (said in `logger`) when its context cannot be read, rather than a
    /// task that cannot start.
    public init(storedOffset offset: OffsetMap?, logger: Logger) {
        do {
            try self.init(storedOffset: offset)
        } catch {
            logger.warning(
                "the stored offset's incremental snapshot context is unreadable; that snapshot is not resumed",
                metadata: ["error": "\(error)"])
            self.init()
        }
    }

    /// A snapshot of `collections` that goes on after `lastKey` in the first (an interrupted snapshot resumed).
    public init(resuming collections: [Collection], lastKey: [String?]?) {
        guard !collections.isEmpty else { return }
        context = Context(collections: collections, lastKey: lastKey)
        encodeContext(previous: nil)
        progress = SnapshotStatus(running: true, totalTables: collections.count, tables: [])
    }

    public var isRunning: Bool { context != nil }
    /// The table being read.
    public var current: Collection? { context?.collections.first }
    /// Rows of the window not (yet) superseded by the stream.
    public var windowCount: Int { windowPositions.count }

    /// The progress of the latest incremental snapshot, for the snapshot metrics (nil before the first): its
    /// tables, the rows handed out of each one begun (the one being read included), whether it runs or is paused.
    public var status: SnapshotStatus? {
        guard var status = progress else { return nil }
        status.running = isRunning
        status.paused = paused && isRunning
        if let current = current?.id, status.tables.last?.name != current {
            status.tables.append(SnapshotStatus.Table(name: current, rows: 0, estimatedRows: -1))
        }
        return status
    }

    // MARK: Requests

    /// `execute-snapshot`: adds the tables not already queued. True when no chunk is under way, so one must be
    /// read now.
    public mutating func execute(_ collections: [Collection], correlationID: String?) -> Bool {
        guard var running = context else {
            guard !collections.isEmpty else { return false }
            context = Context(collections: collections, correlationID: correlationID)
            progress = SnapshotStatus(running: true, totalTables: collections.count, tables: [])
            return true
        }
        for c in collections where !running.collections.contains(where: { $0.id == c.id }) {
            running.collections.append(c)
            progress?.totalTables += 1
        }
        running.correlationID = correlationID
        context = running
        return false
    }

    /// `stop-snapshot` for the tables whose ids match `patterns` (all when empty); applied when the next chunk
    /// begins, after the current window, as Debezium applies it.
    public mutating func requestStop(_ patterns: [String]) {
        stopRequests.append(patterns)
    }

    public mutating func pause() { paused = true }

    /// `resume-snapshot`: true when a chunk must be read now.
    public mutating func resume() -> Bool {
        defer { paused = false }
        return paused && isRunning && chunkID == nil
    }

    // MARK: Chunks

    /// Starts a chunk named `id` (pending stops applied first). False when there is nothing to read: no snapshot
    /// left, or paused.
    public mutating func beginChunk(id: String, matches: (_ pattern: String, _ collection: String) -> Bool) -> Bool {
        applyStops(matches)
        window.removeAll(keepingCapacity: true)
        windowPositions.removeAll(keepingCapacity: true)
        chunkEnd = nil
        windowOpen = false
        guard isRunning, !paused else {
            chunkID = nil
            return false
        }
        chunkID = id
        return true
    }

    /// The current table's largest chunk key, read when its snapshot begins; nil when the table is empty, which
    /// finishes it.
    public mutating func maximumKeyRead(_ key: [String?]?) {
        guard let key else { return finishCollection() }
        context?.maximumKey = key
    }

    /// The rows of the current table after the last key, up to the maximum key, in key order. None: the table is
    /// done, and the connector goes on with the next one in the same window (false). `end`: where the next chunk
    /// starts when that is not the last row's key (chunks of heap pages).
    public mutating func chunkRead(_ rows: [WindowRow], end: [String?]? = nil) -> Bool {
        guard let last = rows.last else {
            finishCollection()
            return false
        }
        window.reserveCapacity(rows.count)
        for row in rows {
            windowPositions[row.fingerprint] = window.count
            window.append(row)
        }
        chunkEnd = end ?? last.chunkKey
        return true
    }

    /// A range of the current table without rows: the next chunk starts at `key`.
    public mutating func skip(to key: [String?]) {
        context?.lastKey = key
    }

    /// The current table is done (or cannot be read): the next one follows, from its start.
    public mutating func finishCollection() {
        guard var running = context else { return }
        if let id = current?.id, progress?.tables.last?.name != id {
            progress?.tables.append(SnapshotStatus.Table(name: id, rows: 0, estimatedRows: -1))
        }
        running.collections.removeFirst()
        running.lastKey = nil
        running.maximumKey = nil
        context = running.collections.isEmpty ? nil : running
    }

    /// The chunk could not be read (the database refused): its table is given up, the window dropped.
    public mutating func abandonChunk() {
        window.removeAll()
        windowPositions.removeAll()
        chunkID = nil
        windowOpen = false
        finishCollection()
    }

    // MARK: The stream

    /// A `snapshot-window-open` row arrived; true when it opens this chunk's window (after a restart, older
    /// watermarks come again and are ignored).
    public mutating func open(signalID: String) -> Bool {
        guard let chunkID, signalID == chunkID + "-open" else { return false }
        windowOpen = true
        return true
    }

    /// A `snapshot-window-close` row arrived: when it closes this chunk's window, the rows to hand out, in key
    /// order (each through `handedOut`, then `windowEmitted`).
    public mutating func close(signalID: String) -> [WindowRow]? {
        guard let chunkID, signalID == chunkID + "-close" else { return nil }
        windowOpen = false
        let rows = window.compactMap { $0 }
        window.removeAll(keepingCapacity: true)
        windowPositions.removeAll(keepingCapacity: true)
        return rows
    }

    /// A change of `collection`'s row `fingerprint` was streamed: inside the window it supersedes the row read.
    public mutating func changed(collection: String, fingerprint: [UInt8]) {
        guard windowOpen, collection == current?.id, let position = windowPositions.removeValue(forKey: fingerprint)
        else { return }
        window[position] = nil
    }

    /// `collection` was truncated: inside the window no row read before may come back after it.
    public mutating func truncated(collection: String) {
        guard windowOpen, collection == current?.id else { return }
        window.removeAll(keepingCapacity: true)
        windowPositions.removeAll(keepingCapacity: true)
    }

    /// A window row is handed out: its offset (read after this) resumes after it.
    public mutating func handedOut(_ row: WindowRow) {
        context?.lastKey = row.chunkKey
        guard let id = current?.id, var status = progress else { return }
        if let last = status.tables.indices.last, status.tables[last].name == id {
            status.tables[last].rows += 1
        } else {
            status.tables.append(SnapshotStatus.Table(name: id, rows: 1, estimatedRows: -1))
        }
        progress = status
    }

    /// The window went out: the next chunk starts after the chunk's last row, emitted or superseded.
    public mutating func windowEmitted() {
        if let chunkEnd { context?.lastKey = chunkEnd }
        chunkID = nil
    }

    /// Adds the context to a record's offset while a snapshot runs.
    public func addOffsetEntries(to offset: inout OffsetMap) {
        guard context != nil else { return }
        offset.merge(encoded) { $1 }
    }

    // MARK: Helpers

    private mutating func applyStops(_ matches: (String, String) -> Bool) {
        guard !stopRequests.isEmpty else { return }
        defer { stopRequests.removeAll() }
        guard var running = context else { return }
        for patterns in stopRequests {
            running.collections.removeAll { c in patterns.isEmpty || patterns.contains { matches($0, c.id) } }
        }
        if running.collections.first?.id != context?.collections.first?.id {
            running.lastKey = nil
            running.maximumKey = nil
        }
        context = running.collections.isEmpty ? nil : running
    }

    /// Re-encodes the parts of the context that changed (a window's rows change only the last key).
    private mutating func encodeContext(previous: Context?) {
        guard let context else { return encoded.removeAll() }
        if previous == nil || previous?.collections != context.collections {
            var collections = "["
            for (i, c) in context.collections.enumerated() {
                if i > 0 { collections += "," }
                collections += "{\"incremental_snapshot_collections_id\":" + Context.json(c.id)
                collections +=
                    ",\"incremental_snapshot_collections_additional_condition\":" + Context.json(c.additionalCondition)
                collections +=
                    ",\"incremental_snapshot_collections_surrogate_key\":" + Context.json(c.surrogateKey) + "}"
            }
            encoded[OffsetKey.collections] = .string(collections + "]")
        }
        if previous == nil || previous?.lastKey != context.lastKey {
            encoded[OffsetKey.lastKey] = context.lastKey.map { .string(Context.keyJSON($0)) }
        }
        if previous == nil || previous?.maximumKey != context.maximumKey {
            encoded[OffsetKey.maximumKey] = context.maximumKey.map { .string(Context.keyJSON($0)) }
        }
        encoded[OffsetKey.correlationID] = context.correlationID.map { .string($0) }
    }

    private static func decodeKey(_ value: OffsetValue?) throws -> [String?]? {
        guard let text = value?.stringValue else { return nil }
        return try Context.key(fromJSON: text)
    }
}

/// A table to snapshot, with Debezium's options.
public struct IncrementalSnapshotCollection: Equatable, Sendable, Codable {
    /// `schema.table` (`database.table` for MySQL).
    public var id: String
    /// `additional-conditions`: a condition rows must meet to be read.
    public var additionalCondition: String?
    /// `surrogate-key`: the column chunks are read by instead of the primary key.
    public var surrogateKey: String?

    public init(id: String, additionalCondition: String? = nil, surrogateKey: String? = nil) {
        self.id = id
        self.additionalCondition = additionalCondition
        self.surrogateKey = surrogateKey
    }

    /// The captured tables `request` names, in order: its data collections are regular expressions over the ids
    /// of `captured`; one that matches none stays as written, to be reported when its turn comes.
    public static func expand(_ request: Signal.ExecuteSnapshot, captured: [String]) -> [IncrementalSnapshotCollection]
    {
        var ids: [String] = []
        for pattern in request.dataCollections {
            let matched = captured.filter { id($0, matches: pattern) }
            for id in matched.isEmpty ? [pattern] : matched where !ids.contains(id) { ids.append(id) }
        }
        return ids.map { id in
            IncrementalSnapshotCollection(
                id: id, additionalCondition: request.additionalConditions.first { Self.id(id, matches: $0.key) }?.value,
                surrogateKey: request.surrogateKey)
        }
    }

    /// Whether a data collection id matches a signal's pattern: a regular expression matched whole and
    /// case-insensitively, as Debezium matches it (or the same name, when the pattern is not one).
    public static func id(_ id: String, matches pattern: String) -> Bool {
        guard let regex = try? Regex(pattern).ignoresCase() else { return id == pattern }
        return (try? regex.wholeMatch(in: id)) != nil
    }

    enum CodingKeys: String, CodingKey {
        case id = "incremental_snapshot_collections_id"
        case additionalCondition = "incremental_snapshot_collections_additional_condition"
        case surrogateKey = "incremental_snapshot_collections_surrogate_key"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(additionalCondition, forKey: .additionalCondition)
        try container.encode(surrogateKey, forKey: .surrogateKey)
    }
}

/// What a restart needs: kept in the offset of every record while a snapshot runs.
public struct IncrementalSnapshotContext: Equatable, Sendable {
    /// The offset keys (Debezium's names; the keys are JSON arrays of text forms here, where Debezium stores
    /// serialized Java arrays).
    public enum OffsetKey {
        public static let collections = "incremental_snapshot_collections"
        public static let lastKey = "incremental_snapshot_primary_key"
        public static let maximumKey = "incremental_snapshot_maximum_key"
        public static let correlationID = "incremental_snapshot_correlation_id"
    }

    /// The tables still to read; the first is being read.
    public var collections: [IncrementalSnapshotCollection]
    /// The chunk key (text forms) of the last row of the current table handed out: reading resumes after it.
    public var lastKey: [String?]?
    /// The current table's largest chunk key when its snapshot began: reading stops there (newer rows come
    /// through the stream).
    public var maximumKey: [String?]?
    /// The id of the signal that asked for the snapshot.
    public var correlationID: String?

    /// Removes the context's entries from an offset: where a snapshot is over, or was never running.
    public static func removeEntries(from offset: inout OffsetMap) {
        for key in [OffsetKey.collections, OffsetKey.lastKey, OffsetKey.maximumKey, OffsetKey.correlationID] {
            offset[key] = nil
        }
    }

    /// A chunk key as offsets keep it: a JSON array of its text forms and nulls.
    public static func keyJSON(_ key: [String?]) -> String {
        "[" + key.map(json).joined(separator: ",") + "]"
    }

    /// A chunk key read back from its JSON array text.
    public static func key(fromJSON text: String) throws -> [String?] {
        try JSONDecoder().decode([String?].self, from: Data(text.utf8))
    }

    /// A JSON string (or null), escaped as JSON requires.
    static func json(_ value: String?) -> String {
        guard let value else { return "null" }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
