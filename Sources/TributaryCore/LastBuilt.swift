/// The value built last, with what it was built from. Consecutive records often build equal values: the `source`
/// block of a table's snapshot rows (same database, table, position and time; only the marker of a table's first
/// and last rows differs), or the offset of the snapshot rows of one heap page. Each then takes the value built
/// for the record before, one reference more, instead of a new struct or dictionary.
///
/// `Key` holds everything the value is built from; a value is reused only for an equal key. Inlinable, so that the
/// modules calling it per record get it specialized for their key and value: unspecialized, each call looked up the
/// metadata of its generic tuple at run time, which cost more than the build it saved.
public struct LastBuilt<Key: Equatable, Value> {
    @usableFromInline var last: (key: Key, value: Value)?

    @inlinable public init() {}

    /// The value for `key`: the last one when it was built for an equal key, else `make()`'s, kept for the next.
    @inlinable public mutating func value(for key: Key, make: () -> Value) -> Value {
        if let last, last.key == key { return last.value }
        let value = make()
        last = (key, value)
        return value
    }
}
