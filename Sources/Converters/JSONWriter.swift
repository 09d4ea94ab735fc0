import TributaryCore

/// Writes JSON text straight into a byte buffer, formatting numbers and strings exactly as Jackson (Kafka
/// Connect's JSON library) does: compact, UTF-8, Java's `Double.toString` / `Float.toString` number forms.
public struct JSONWriter: Sendable {
    public var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inline(__always) public mutating func byte(_ b: UInt8) { bytes.append(b) }

    @inline(__always) public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func raw(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    @inline(__always) public mutating func raw(_ other: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: other) }

    public mutating func null() { raw("null") }

    public mutating func bool(_ v: Bool) { if v { raw("true") } else { raw("false") } }

    public mutating func int(_ v: Int64) {
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        DecimalDigits.append(v.magnitude, to: &bytes)
    }

    /// A quoted JSON string, escaping as Jackson does (`"`, `\`, control characters; everything else raw UTF-8).
    public mutating func string(_ s: String) {
        // Native strings are read in place; a copy is made contiguous only for the others (bridged, lazy).
        if s.utf8.withContiguousStorageIfAvailable({ quoted($0) }) != nil { return }
        var s = s
        s.withUTF8 { quoted($0) }
    }

    private mutating func quoted(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        var runStart = 0
        var i = 0
        while i < utf8.count {
            // Eight bytes at a time while none needs a look of its own.
            if i &+ 8 <= utf8.count,
                !Self.anyNeedsEscape(UnsafeRawPointer(utf8.baseAddress! + i).loadUnaligned(as: UInt64.self))
            {
                i &+= 8
                continue
            }
            let c = utf8[i]
            if c >= 0x20 && c != 0x22 && c != 0x5C && c < 0xF0 {
                i += 1
                continue
            }
            if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
            if c >= 0xF0 {
                // Outside the BMP: Jackson writes the UTF-16 surrogate pair as two escapes.
                let scalar =
                    (UInt32(c & 0x07) << 18) | (UInt32(utf8[i + 1] & 0x3F) << 12)
                    | (UInt32(utf8[i + 2] & 0x3F) << 6) | UInt32(utf8[i + 3] & 0x3F)
                let v = scalar - 0x10000
                unicodeEscape(UInt16(0xD800 + (v >> 10)))
                unicodeEscape(UInt16(0xDC00 + (v & 0x3FF)))
                i += 4
            } else {
                escape(c)
                i += 1
            }
            runStart = i
        }
        if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Whether any of the eight bytes in `w` is one `quoted` escapes or decodes: below 0x20, `"`, `\`, or the
    /// first byte of a four-byte UTF-8 sequence (0xF0 and up). Exact, by the usual bit tricks for bytes in a word.
    @inline(__always)
    static func anyNeedsEscape(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func anyZero(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        let below20 = (w &- 0x20 &* ones) & ~w & highs != 0
        return below20 || anyZero(w ^ (0x22 &* ones)) || anyZero(w ^ (0x5C &* ones)) || anyZero(~w & (0xF0 &* ones))
    }

    private static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)

    private mutating func unicodeEscape(_ unit: UInt16) {
        bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u")])
        for shift in stride(from: 12, through: 0, by: -4) { bytes.append(Self.hex[Int(unit >> UInt16(shift) & 0xF)]) }
    }

    private mutating func escape(_ c: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch c {
        case 0x22: bytes.append(0x22)
        case 0x5C: bytes.append(0x5C)
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        default:
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            bytes.append(Self.hex[Int(c >> 4)])
            bytes.append(Self.hex[Int(c & 0xF)])
        }
    }

    /// Standard base64 with padding, quoted (Jackson's default variant for binary).
    public mutating func base64(_ data: [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        Base64.encode(data, into: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func double(_ v: Double) {
        guard v.isFinite else { return nonFinite(isNaN: v.isNaN, negative: v < 0) }
        javaNumber(v.description, magnitude: v.magnitude)
    }

    public mutating func float(_ v: Float) {
        guard v.isFinite else { return nonFinite(isNaN: v.isNaN, negative: v < 0) }
        javaNumber(v.description, magnitude: Double(v.magnitude))
    }

    /// NaN and infinities as Jackson writes them by default: quoted.
    private mutating func nonFinite(isNaN: Bool, negative: Bool) {
        raw(isNaN ? "\"NaN\"" : negative ? "\"-Infinity\"" : "\"Infinity\"")
    }

    /// Re-spells Swift's shortest round-trip digits in Java's `Double.toString` form: plain notation with at
    /// least one fraction digit for 10^-3 ≤ |v| < 10^7, else `d.dddE±n`.
    private mutating func javaNumber(_ swiftText: String, magnitude: Double) {
        var digits: [UInt8] = []
        var exponent = 0  // value = 0.d1d2d3… × 10^exponent
        var negative = false
        var pointSeen = false
        var integerDigits = 0
        var utf8 = Array(swiftText.utf8)
        if utf8.first == UInt8(ascii: "-") {
            negative = true
            utf8.removeFirst()
        }
        var explicitExponent = 0
        if let e = utf8.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            explicitExponent = Int(String(decoding: utf8[(e + 1)...], as: UTF8.self)) ?? 0
            utf8 = Array(utf8[..<e])
        }
        for c in utf8 {
            if c == UInt8(ascii: ".") {
                pointSeen = true
            } else {
                digits.append(c - UInt8(ascii: "0"))
                if !pointSeen { integerDigits += 1 }
            }
        }
        // Normalise: strip leading zeros (adjusting the exponent) and trailing zeros.
        exponent = integerDigits + explicitExponent
        while digits.count > 1 && digits.first == 0 {
            digits.removeFirst()
            exponent -= 1
        }
        while digits.count > 1 && digits.last == 0 { digits.removeLast() }
        if negative { bytes.append(UInt8(ascii: "-")) }
        if digits == [0] {
            raw("0.0")
            return
        }
        if magnitude >= 1e-3 && magnitude < 1e7 {
            if exponent <= 0 {
                raw("0.")
                for _ in 0..<(-exponent) { bytes.append(UInt8(ascii: "0")) }
                for d in digits { bytes.append(UInt8(ascii: "0") + d) }
            } else {
                for i in 0..<exponent { bytes.append(UInt8(ascii: "0") + (i < digits.count ? digits[i] : 0)) }
                bytes.append(UInt8(ascii: "."))
                if digits.count > exponent {
                    for d in digits[exponent...] { bytes.append(UInt8(ascii: "0") + d) }
                } else {
                    bytes.append(UInt8(ascii: "0"))
                }
            }
        } else {
            bytes.append(UInt8(ascii: "0") + digits[0])
            bytes.append(UInt8(ascii: "."))
            if digits.count > 1 {
                for d in digits[1...] { bytes.append(UInt8(ascii: "0") + d) }
            } else {
                bytes.append(UInt8(ascii: "0"))
            }
            bytes.append(UInt8(ascii: "E"))
            int(Int64(exponent - 1))
        }
    }
}
