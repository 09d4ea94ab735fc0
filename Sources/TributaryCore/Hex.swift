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

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)
    private static let upperDigits: [UInt8] = Array("0123456789ABCDEF".utf8)
}
