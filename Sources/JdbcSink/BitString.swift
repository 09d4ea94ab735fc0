import TributaryCore

/// Debezium's `io.debezium.data.Bits` as the bit string both targets read (`0101`, most significant bit first):
/// its bytes are the bits as a number, little-endian, as Java's `BitSet` gives them.
enum BitString {
    /// The `length` parameter of a Bits schema: the column's width (1 when absent), `Int32.max` for an unbounded
    /// `varbit`.
    static func width(_ schema: Schema) -> Int {
        schema.parameter("length").flatMap { Int($0) }.map { max(1, $0) } ?? 1
    }

    /// Whether the bits are an unbounded `varbit`'s (Debezium gives those the length `Int32.max`).
    static func isUnbounded(_ length: Int) -> Bool { length >= Int(Int32.max) }

    /// `length` bits, the most significant first; an unbounded one as wide as its highest set bit. Nil when a bit
    /// beyond `length` is set: the value would not fit its column.
    static func text(_ bytes: [UInt8], length: Int) -> String? {
        let highest = bytes.indices.last { bytes[$0] != 0 }.map { $0 * 8 + (7 - bytes[$0].leadingZeroBitCount) }
        let width = isUnbounded(length) ? (highest ?? -1) + 1 : length
        if let highest, highest >= width { return nil }
        var out = [UInt8](repeating: UInt8(ascii: "0"), count: width)
        for bit in 0..<((highest ?? -1) + 1) where bytes[bit / 8] & (1 << (bit % 8)) != 0 {
            out[width - 1 - bit] = UInt8(ascii: "1")
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A Bits value as the bit string of its schema's length; an error when it does not fit.
    static func text(_ bytes: [UInt8], _ schema: Schema) throws(SinkTypeError) -> String {
        let length = width(schema)
        guard let text = text(bytes, length: length) else {
            throw SinkTypeError("bits wider than their length \(length)")
        }
        return text
    }
}
