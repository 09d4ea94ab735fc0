/// The events of a binlog file's bytes: the `fe 62 69 6e` magic, then events back to back, each as long as its
/// header says.
public struct BinlogFile: Sequence {
    public static let magic: [UInt8] = [0xFE, 0x62, 0x69, 0x6E]
    private let bytes: [UInt8]

    public init(_ bytes: [UInt8]) throws(BinlogError) {
        guard bytes.starts(with: Self.magic) else { throw BinlogError(.notABinlog, "no binlog magic at the start") }
        self.bytes = bytes
    }

    /// Each event's bytes, with the file position it starts at.
    public struct Iterator: IteratorProtocol {
        let bytes: [UInt8]
        var position = 4

        public mutating func next() -> (position: Int, event: ArraySlice<UInt8>)? {
            guard bytes.count - position >= BinlogEventHeader.size else { return nil }
            let size = BinlogEventHeader.eventSize(in: bytes, at: position)
            guard size >= BinlogEventHeader.size, position + size <= bytes.count else { return nil }
            defer { position += size }
            return (position, bytes[position..<position + size])
        }
    }

    public func makeIterator() -> Iterator { Iterator(bytes: bytes) }
}
