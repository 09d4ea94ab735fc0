import TributaryCore

/// The `source` block built last, with what it was built from: the rows a snapshot reads share one block per table
/// (same database, table, position and time; only the marker of a table's first and last rows differs), so that a
/// row takes the block built for the row before instead of a new struct of some fifteen values.
///
/// `Key` holds everything the block is built from; a block is reused only for an equal key.
public struct SourceBlockCache<Key: Equatable> {
    private var last: (key: Key, block: Struct)?

    public init() {}

    /// The block for `key`: the last one when it was built for an equal key, else `make()`'s, kept for the next.
    public mutating func block(for key: Key, make: () -> Struct) -> Struct {
        if let last, last.key == key { return last.block }
        let block = make()
        last = (key, block)
        return block
    }
}
