/// Hexadecimal text of bytes (bytea's hex form, digests, Debezium's `binary.handling.mode=hex`).
public enum Hex {
    public static func lowercase(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        append(bytes, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Upper-case hexadecimal text (percent-encoding, Java's `URLEncoder`).
    public static func uppercase(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.flatMap { [upperDigits[Int($0 >> 4)], upperDigits[Int($0 & 0xF)]] }, as: UTF8.self)
    }

    /// Appends the lower-case hexadecimal digits of `bytes` to `out`.
    public static func append(_ bytes: some Sequence<UInt8>, to out: inout [UInt8]) {
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
    }

    /// The value of one hexadecimal digit, either case; nil for any other byte.
    public static func value(of digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)
    private static let upperDigits: [UInt8] = Array("0123456789ABCDEF".utf8)
}
