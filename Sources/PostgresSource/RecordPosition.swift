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

    /// The part of a transaction's BEGIN record: before every other record at the LSN of its first change.
    static let beginPart = Int(Int32.min)

    /// The part of the `index`th row of an incremental snapshot window emitted at a close watermark: after the
    /// transaction's BEGIN record, before the watermark's own record.
    static func windowPart(_ index: Int) -> Int { beginPart + 1 + index }

    static func < (a: RecordPosition, b: RecordPosition) -> Bool { (a.lsn, a.part) < (b.lsn, b.part) }
}
