/// Decimal digits written straight into a byte buffer, zero-padded to a width: for the text forms built byte by
/// byte (JSON numbers, timestamps, binary values rendered as text), without an array or a String per number.
public enum DecimalDigits {
    /// The most digits a `UInt64` has.
    @usableFromInline static let maxDigits = 20

    /// Inlinable: the JSON converter writes every number through it.
    @inlinable
    public static func append(_ v: UInt64, minimumWidth: Int = 1, to out: inout [UInt8]) {
        // The digits are written from the end of a buffer on the stack, then appended at once: one pass over the
        // number, and one bounds and uniqueness check for the output.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxDigits) { digits in
            var i = maxDigits
            var rest = v
            repeat {
                i -= 1
                digits[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest > 0
            let count = maxDigits - i
            if minimumWidth > count { for _ in count..<minimumWidth { out.append(UInt8(ascii: "0")) } }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[i...]))
        }
    }
}
