/// Base64 (RFC 4648, with padding), in the standard or the URL-safe alphabet.
public enum Base64 {
    private static let standard: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlSafe: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Appends the encoding of `data` to `out`.
    public static func encode(_ data: [UInt8], into out: inout [UInt8], urlSafe: Bool = false) {
        let alphabet = urlSafe ? Self.urlSafe : Self.standard
        let n = data.count
        out.reserveCapacity(out.count + (n + 2) / 3 * 4)
        var i = 0
        while i + 3 <= n {
            let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2])
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)])
            out.append(alphabet[Int(v & 63)])
            i += 3
        }
        let rest = n - i
        guard rest > 0 else { return }
        let v = UInt32(data[i]) << 16 | (rest == 2 ? UInt32(data[i + 1]) << 8 : 0)
        out.append(alphabet[Int(v >> 18 & 63)])
        out.append(alphabet[Int(v >> 12 & 63)])
        out.append(rest == 2 ? alphabet[Int(v >> 6 & 63)] : UInt8(ascii: "="))
        out.append(UInt8(ascii: "="))
    }

    public static func encodeString(_ data: [UInt8], urlSafe: Bool = false) -> String {
        var out: [UInt8] = []
        encode(data, into: &out, urlSafe: urlSafe)
        return String(decoding: out, as: UTF8.self)
    }
}
