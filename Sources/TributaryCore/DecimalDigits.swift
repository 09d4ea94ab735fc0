/// Decimal digits written straight into a byte buffer, zero-padded to a width: for the text forms built byte by
/// byte (timestamps, binary values rendered as text), without an array or a String per number.
public enum DecimalDigits {
    public static func append(_ v: UInt64, minimumWidth: Int = 1, to out: inout [UInt8]) {
        var count = 1
        var t = v
        while t >= 10 {
            t /= 10
            count += 1
        }
        let width = max(count, minimumWidth)
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
        // One uniqueness check for the digits, not one per digit.
        out.withUnsafeMutableBufferPointer { buffer in
            var rest = v
            var i = buffer.count - 1
            while rest > 0 {
                buffer[i] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
                i -= 1
            }
        }
    }
}
