/// Rows as the server sends them in the text protocol, stored flat: every value's bytes in one buffer and each
/// value's place in it. Reading a batch of rows then takes three buffers, however many rows and columns it holds,
/// and none once they are reused (`removeAll()`).
public struct MySQLTextRows {
    /// The columns of each row.
    public let columnCount: Int
    /// The rows appended.
    public private(set) var count = 0
    /// Every value's bytes, row after row.
    public private(set) var bytes: [UInt8] = []
    /// Each value's start in `bytes`, row after row.
    private var starts: [Int] = []
    /// Each value's length, -1 for NULL.
    private var lengths: [Int] = []

    /// Empty rows of `columnCount` columns, with room for `rows` rows of `bytes` bytes in all.
    public init(columnCount: Int, reservingRows rows: Int = 0, bytes: Int = 0) {
        self.columnCount = columnCount
        starts.reserveCapacity(rows * columnCount)
        lengths.reserveCapacity(rows * columnCount)
        self.bytes.reserveCapacity(bytes)
    }

    /// Appends the next value of the row being appended: its bytes, nil for NULL. After `columnCount` values,
    /// `endRow()`.
    @inline(__always)
    mutating func append(_ value: UnsafeRawBufferPointer?) {
        starts.append(bytes.count)
        lengths.append(value?.count ?? -1)
        if let value { bytes.append(contentsOf: value) }
    }

    /// Ends the row whose values were just appended.
    mutating func endRow() {
        count += 1
        precondition(starts.count == count * columnCount, "a row of \(columnCount) columns got another count")
    }

    /// Removes every row, keeping the buffers' room.
    mutating func removeAll() {
        count = 0
        bytes.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
    }

    /// Row `index`'s values (nil for NULL) into `text`, replacing what it held: slices of the shared buffer.
    public func row(_ index: Int, into text: inout [ArraySlice<UInt8>?]) {
        precondition(index >= 0 && index < count, "row \(index) of \(count)")
        text.removeAll(keepingCapacity: true)
        let first = index * columnCount
        for i in first..<first + columnCount {
            let length = lengths[i]
            text.append(length < 0 ? nil : bytes[starts[i]..<starts[i] + length])
        }
    }
}
