/// The iteration order of a `java.util.HashMap` with String keys, for output that must list entries as Debezium's
/// Java code does (transaction END records, hstore values): buckets by the spread `String.hashCode`, insertion order
/// within a bucket, and a table that doubles from 16 buckets whenever it is more than three quarters full.
public enum JavaHashMapOrder {
    /// `entries` (in insertion order, keys distinct) reordered as a HashMap built from them iterates.
    public static func sorted<Entry>(_ entries: [Entry], key: (Entry) -> String) -> [Entry] {
        var capacity = 16
        while entries.count > capacity * 3 / 4 { capacity *= 2 }
        let buckets = entries.map { bucket(key($0), capacity: capacity) }
        return entries.indices.sorted { (buckets[$0], $0) < (buckets[$1], $1) }.map { entries[$0] }
    }

    /// Java's `String.hashCode` (over UTF-16 units) spread as `HashMap.hash` spreads it, masked to a bucket.
    static func bucket(_ key: String, capacity: Int) -> Int {
        var h: Int32 = 0
        for unit in key.utf16 { h = h &* 31 &+ Int32(unit) }
        let spread = h ^ Int32(bitPattern: UInt32(bitPattern: h) >> 16)
        return Int(spread) & (capacity - 1)
    }
}
