/// The value built last, with what it was built from. Consecutive records often build equal values: the `source`
/// block of a table's snapshot rows (same database, table, position and time; only the marker of a table's first
/// and last rows differs), or the offset of the snapshot rows of one heap page. Each then takes the value built
/// for the record before, one reference more, instead of a new struct or dictionary.
///
/// `Key` holds everything the value is built from; a value is reused only for an equal key.
public struct LastBuilt<Key: Equatable, Value> {
    private var last: (key: Key, value: Value)?

    public init() {}

    /// The value for `key`: the last one when it was built for an equal key, else `make()`'s, kept for the next.
    public mutating func value(for key: Key, make: () -> Value) -> Value {
        if let last, last.key == key { return last.value }
        let value = make()
        last = (key, value)
        return value
    }
}
