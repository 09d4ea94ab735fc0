/// An arbitrary-precision decimal: an unscaled integer and a scale, value = unscaled × 10^-scale.
///
/// The unscaled integer is kept as Connect's `Decimal` logical type serializes it: big-endian two's complement
/// in the fewest bytes (Java's `BigInteger.toByteArray`). The decimal text is kept too, for formats that print
/// the number.
public struct BigDecimal: Sendable, Equatable, CustomStringConvertible {
    /// Big-endian two's complement, minimal length.
    public let unscaled: [UInt8]
    public let scale: Int32

    public init(unscaled: [UInt8], scale: Int32) {
        self.unscaled = unscaled
        self.scale = scale
    }

    /// Parses decimal text such as `-12.50`, `7`, `1e3`, `.5`; the scale is the number of fraction digits
    /// (negative for exponents beyond them), as Java's `new BigDecimal(String)`. Nil if it is not a number.
    @inlinable public init?(_ text: some StringProtocol) {
        var string = String(text)
        guard let value = string.withUTF8({ BigDecimal(utf8: $0) }) else { return nil }
        self = value
    }

    /// `init?(_ text:)` from the text's UTF-8, read in place (a column's bytes as the database sent them).
    public init?(utf8 text: UnsafeBufferPointer<UInt8>) {
        if let small = Self.small(text) {
            self = small
            return
        }
        var digits: [UInt8] = []
        digits.reserveCapacity(text.count)
        var negative = false
        var scale = 0
        var seenPoint = false
        var seenDigit = false
        var exponent = 0
        var iterator = text.makeIterator()
        var first = true
        while let c = iterator.next() {
            switch c {
            case UInt8(ascii: "-") where first: negative = true
            case UInt8(ascii: "+") where first: break
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits.append(c - UInt8(ascii: "0"))
                seenDigit = true
                if seenPoint { scale += 1 }
            case UInt8(ascii: ".") where !seenPoint: seenPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                var expText = ""
                while let e = iterator.next() { expText.append(Character(Unicode.Scalar(e))) }
                guard seenDigit, let e = Int(expText) else { return nil }
                exponent = e
            default: return nil
            }
            first = false
        }
        // Java's BigDecimal refuses scales beyond 32 bits too; never trap on an absurd exponent.
        let (resultScale, overflow) = scale.subtractingReportingOverflow(exponent)
        guard seenDigit, !overflow, let scale32 = Int32(exactly: resultScale) else { return nil }
        self.init(decimalDigits: digits, negative: negative, scale: scale32)
    }

    /// Builds the value from base-10 digits (most significant first) of the unscaled integer.
    public init(decimalDigits: [UInt8], negative: Bool, scale: Int32) {
        // Base-10 digits to base-256 magnitude, little endian.
        var magnitude: [UInt8] = [0]
        for digit in decimalDigits {
            var carry = UInt32(digit)
            for i in magnitude.indices {
                let v = UInt32(magnitude[i]) * 10 + carry
                magnitude[i] = UInt8(truncatingIfNeeded: v)
                carry = v >> 8
            }
            while carry > 0 {
                magnitude.append(UInt8(truncatingIfNeeded: carry))
                carry >>= 8
            }
        }
        while magnitude.count > 1 && magnitude.last == 0 { magnitude.removeLast() }
        let isZero = magnitude.count == 1 && magnitude[0] == 0
        var bytes: [UInt8]
        if negative && !isZero {
            // Two's complement: invert and add one.
            var carry: UInt16 = 1
            bytes = magnitude.map { b in
                let v = UInt16(~b) + carry
                carry = v >> 8
                return UInt8(truncatingIfNeeded: v)
            }
            if bytes.last! & 0x80 == 0 { bytes.append(0xFF) }
            while bytes.count > 1 && bytes[bytes.count - 1] == 0xFF && bytes[bytes.count - 2] & 0x80 != 0 {
                bytes.removeLast()
            }
        } else {
            bytes = magnitude
            if bytes.last! & 0x80 != 0 { bytes.append(0) }
        }
        self.unscaled = bytes.reversed()
        self.scale = scale
    }

    /// The common case of `init?(_ text:)`, without its digit array: plain decimal text of at most 18 digits (the
    /// unscaled value fits an `Int64`). Nil for anything else, which the general parser then reads or refuses.
    private static func small(_ text: UnsafeBufferPointer<UInt8>) -> BigDecimal? {
        var value: Int64 = 0
        var digits = 0
        var scale: Int32 = 0
        var negative = false
        var seenPoint = false
        var first = true
        for c in text {
            switch c {
            case UInt8(ascii: "-") where first: negative = true
            case UInt8(ascii: "+") where first: break
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits += 1
                guard digits <= 18 else { return nil }
                value = value * 10 + Int64(c - UInt8(ascii: "0"))
                if seenPoint { scale += 1 }
            case UInt8(ascii: ".") where !seenPoint: seenPoint = true
            default: return nil
            }
            first = false
        }
        guard digits > 0 else { return nil }
        return BigDecimal(negative ? -value : value, scale: scale)
    }

    public init(_ value: Int64, scale: Int32 = 0) {
        // Big-endian two's complement in the fewest bytes that keep the sign (as `BigInteger.toByteArray`): drop
        // leading bytes while the next one still carries the sign.
        var count = 8
        while count > 1 {
            let signBits = value >> ((count - 1) * 8 - 1)
            guard signBits == 0 || signBits == -1 else { break }
            count -= 1
        }
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = UInt8(truncatingIfNeeded: value >> ((count - 1 - i) * 8)) }
            initialized = count
        }
        self.init(unscaled: bytes, scale: scale)
    }

    /// True if the unscaled value is negative.
    public var isNegative: Bool { (unscaled.first ?? 0) & 0x80 != 0 }

    /// Decimal digits of the unscaled magnitude, most significant first.
    public var unscaledDigits: [UInt8] {
        var magnitude = Array(unscaled.reversed())  // little endian
        if isNegative {
            var carry: UInt16 = 1
            magnitude = magnitude.map { b in
                let v = UInt16(~b) + carry
                carry = v >> 8
                return UInt8(truncatingIfNeeded: v)
            }
        }
        while magnitude.count > 1 && magnitude.last == 0 { magnitude.removeLast() }
        var digits: [UInt8] = []
        while !(magnitude.count == 1 && magnitude[0] == 0) && !magnitude.isEmpty {
            var remainder: UInt32 = 0
            for i in magnitude.indices.reversed() {
                let v = remainder << 8 | UInt32(magnitude[i])
                magnitude[i] = UInt8(v / 10)
                remainder = v % 10
            }
            digits.append(UInt8(remainder))
            while magnitude.count > 1 && magnitude.last == 0 { magnitude.removeLast() }
        }
        if digits.isEmpty { digits = [0] }
        return digits.reversed()
    }

    /// Plain decimal text, as Java's `BigDecimal.toPlainString`.
    public var description: String {
        var digits = unscaledDigits.map { Character(Unicode.Scalar($0 + 48)) }
        var text = ""
        if scale > 0 {
            let s = Int(scale)
            if digits.count <= s { digits.insert(contentsOf: repeatElement("0", count: s - digits.count + 1), at: 0) }
            digits.insert(".", at: digits.count - s)
        } else if scale < 0 && !(digits == ["0"]) {
            digits.append(contentsOf: repeatElement("0", count: Int(-scale)))
        }
        if isNegative { text.append("-") }
        text.append(contentsOf: digits)
        return text
    }

    /// The value as a double (may round).
    public var doubleValue: Double { Double(description) ?? .nan }
}
