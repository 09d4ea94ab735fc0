/// A PostgreSQL log sequence number: a byte position in the write-ahead log.
public struct LSN: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var value: UInt64

    public init(_ value: UInt64) { self.value = value }

    /// Parses PostgreSQL's `XXXXXXXX/XXXXXXXX` form.
    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let hi = UInt64(parts[0], radix: 16), let lo = UInt64(parts[1], radix: 16) else {
            return nil
        }
        value = hi << 32 | lo
    }

    public static let zero = LSN(0)

    /// PostgreSQL's `XXXXXXXX/XXXXXXXX` form.
    public var description: String {
        String(value >> 32, radix: 16, uppercase: true) + "/" + String(value & 0xFFFF_FFFF, radix: 16, uppercase: true)
    }

    public static func < (a: LSN, b: LSN) -> Bool { a.value < b.value }
}
