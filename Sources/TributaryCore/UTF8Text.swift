/// Strings from bytes that must be UTF-8, for the converters' readers.
///
/// `String(validating:as:)` is generic over the encoding, and each call looks its specializations up at run time.
/// Most text in records is ASCII, which is valid UTF-8 as it is: it is recognised eight bytes at a time and made a
/// `String` directly. Anything else is validated by the standard library.
public enum UTF8Text {
    /// The text of `bytes`, or nil if they are not valid UTF-8.
    public static func string(validating bytes: UnsafeBufferPointer<UInt8>) -> String? {
        if isASCII(bytes) { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The text of `bytes`, or nil if they are not valid UTF-8.
    public static func string(validating bytes: ArraySlice<UInt8>) -> String? {
        bytes.withUnsafeBufferPointer { string(validating: $0) }
    }

    /// Whether every byte is below 0x80.
    public static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        let highBits: UInt64 = 0x8080_8080_8080_8080
        var i = 0
        while i + 8 <= bytes.count {
            if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & highBits != 0 { return false }
            i += 8
        }
        while i < bytes.count {
            if bytes[i] >= 0x80 { return false }
            i += 1
        }
        return true
    }
}
