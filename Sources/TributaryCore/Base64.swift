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

    /// Value of each standard-alphabet character, 0xFF for bytes outside the alphabet.
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in standard.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    /// Decodes standard-alphabet base64, with or without trailing padding; nil if `text` is not base64.
    public static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3 + 2)
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for c in text {
            if c == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            let v = decodeTable[Int(c)]
            guard v != 0xFF, padding == 0 else { return nil }
            accumulator = accumulator << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // Leftover bits must be zero padding of a 2- or 3-character final group; padding completes it to 4.
        let characters = text.count - padding
        guard characters % 4 != 1, padding <= 2, padding == 0 || (characters + padding) % 4 == 0,
            accumulator & ((1 << UInt32(bits)) - 1) == 0
        else { return nil }
        return out
    }
}
