/// A part of a table that one snapshot reader reads: a range of heap pages, or the whole table.
struct SnapshotChunk: Equatable, Sendable {
    /// The table's index in the snapshot.
    var table: Int
    /// The first heap page, or nil from the table's start.
    var fromPage: UInt32? = nil
    /// The page after the chunk's last, or nil to the table's end (pages added since the size was read included).
    var toPage: UInt32? = nil
}

/// How a snapshot's tables are cut into chunks for `snapshot.max.threads` readers: by heap pages, each chunk about
/// `rowsPerChunk` rows, so that one large table is read on every connection. Chunks come in the snapshot's order
/// (tables in order, pages ascending within one), the order their rows are emitted in.
enum SnapshotChunkPlan {
    /// What the plan needs to know of a table.
    struct TableSize: Equatable {
        /// Heap pages now (`pg_relation_size` / `block_size`).
        var pages: Int64
        /// Rows per page, from the statistics (`reltuples / relpages`), or nil when never analyzed.
        var rowsPerPage: Double?
        /// False for a table read whole: a select override, or a server without TID range scans (before 14).
        var byPages: Bool
    }

    /// Rows per page assumed for a table that was never analyzed: narrow rows, so that chunks err on the small side.
    static let assumedRowsPerPage = 100.0

    static func chunks(_ tables: [TableSize], rowsPerChunk: Int) -> [SnapshotChunk] {
        var chunks: [SnapshotChunk] = []
        for (index, table) in tables.enumerated() {
            let rowsPerPage = max(1, table.rowsPerPage ?? assumedRowsPerPage)
            let pagesPerChunk = max(1, Int64((Double(max(1, rowsPerChunk)) / rowsPerPage).rounded(.up)))
            guard table.byPages, table.pages > pagesPerChunk else {
                chunks.append(SnapshotChunk(table: index))
                continue
            }
            var from: Int64 = 0
            while from < table.pages {
                let to = from + pagesPerChunk
                chunks.append(
                    SnapshotChunk(
                        table: index, fromPage: from == 0 ? nil : UInt32(clamping: from),
                        toPage: to >= table.pages ? nil : UInt32(clamping: to)))
                from = to
            }
        }
        return chunks
    }
}
