import TributaryCore

/// Where a record stands in the stream: the LSN of the change it came from, and its place among the records
/// that change produced (a key change gives delete, tombstone and create at one LSN).
struct RecordPosition: Comparable {
    var lsn: LSN
    var part: Int

    init(lsn: LSN, part: Int) {
        self.lsn = lsn
        self.part = part
    }

    /// The position stored in a record's offset.
    init?(_ offset: OffsetMap) {
        guard let lsn = offset["lsn_proc"]?.int64 ?? offset["lsn"]?.int64 else { return nil }
        self.init(lsn: LSN(UInt64(lsn)), part: Int(offset["lsn_part"]?.int64 ?? 0))
    }

    static func < (a: RecordPosition, b: RecordPosition) -> Bool { (a.lsn, a.part) < (b.lsn, b.part) }
}
