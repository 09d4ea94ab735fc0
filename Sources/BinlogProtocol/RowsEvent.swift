/// A WRITE/UPDATE/DELETE_ROWS event (v1 or v2) decoded with its table map: one image per row, two (before and
/// after) for updates. Columns left out of an image (`binlog_row_image=MINIMAL`) are nil.
public struct RowsEvent: Equatable, Sendable {
    public enum Kind: Equatable, Sendable { case write, update, delete }

    public var kind: Kind
    public var tableID: UInt64
    public var flags: UInt16
    /// Each row: its image (delete, write) or its before image (update).
    public var rows: [[BinlogValue?]]
    /// Each updated row's after image, in the order of `rows`; empty for writes and deletes.
    public var after: [[BinlogValue?]]

    init(
        _ r: inout ByteReader, kind: Kind, version: Int, tableIDSize: Int, tables: [UInt64: TableMap]
    ) throws(BinlogError) {
        self.kind = kind
        tableID = try r.littleEndian(tableIDSize)
        flags = try r.uint16()
        if version == 2 {
            // Extra data: its length counts its own two bytes.
            let extra = Int(try r.uint16())
            try r.skip(max(0, extra - 2))
        }
        guard let table = tables[tableID] else {
            throw BinlogError(.malformed, "rows event for table id \(tableID) without a table map before it")
        }
        let count = try r.length()
        guard count == table.columns.count else {
            throw BinlogError(
                .malformed,
                "rows event of \(count) columns for \(table.database).\(table.table) of \(table.columns.count)")
        }
        let present = try r.bitmap(count)
        let presentAfter = kind == .update ? try r.bitmap(count) : present
        var rows: [[BinlogValue?]] = []
        var after: [[BinlogValue?]] = []
        while r.remaining > 0 {
            let before = r.remaining
            rows.append(try Self.image(&r, table: table, present: present))
            // An image of no columns reads nothing: the bytes after it cannot be rows.
            guard r.remaining < before else { throw BinlogError(.malformed, "rows event whose images read no bytes") }
            if kind == .update { after.append(try Self.image(&r, table: table, present: presentAfter)) }
        }
        self.rows = rows
        self.after = after
    }

    private static func image(
        _ r: inout ByteReader, table: TableMap, present: [Bool]
    ) throws(BinlogError) -> [BinlogValue?] {
        // The null bitmap has a bit per present column; read in place rather than as an array per row.
        let nulls = try r.take((present.count { $0 } + 7) / 8)
        var values: [BinlogValue?] = []
        values.reserveCapacity(present.count)
        var index = 0
        for (column, isPresent) in present.enumerated() {
            guard isPresent else {
                values.append(nil)
                continue
            }
            let isNull = nulls[nulls.startIndex + index / 8] & (1 << UInt8(index % 8)) != 0
            index += 1
            values.append(isNull ? .null : try BinlogValue.read(table.columns[column], from: &r))
        }
        return values
    }
}
