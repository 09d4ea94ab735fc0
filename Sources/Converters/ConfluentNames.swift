import TributaryCore

/// Name rules Confluent's Avro and Protobuf converters share.
enum ConfluentNames {
    /// A name made valid as Confluent's `scrub.invalid.names` does it: URL-encoded, every remaining character that
    /// is not a letter, digit or underscore replaced by `_`, and `x` put before a leading digit (and, for Protobuf,
    /// before a leading underscore). Plain names are returned as they are.
    static func scrub(_ name: String, underscoreFirstIsValid: Bool) -> String {
        guard !name.isEmpty, !isPlain(name, underscoreFirstIsValid: underscoreFirstIsValid) else { return name }
        var encoded = ""
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                encoded.append(Character(Unicode.Scalar(byte)))
            case UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "*"), UInt8(ascii: " "): encoded.append("_")
            default: encoded += "_" + Hex.uppercase([byte])
            }
        }
        if let first = name.utf8.first,
            isDigit(first) || (!underscoreFirstIsValid && first == UInt8(ascii: "_"))
        {
            encoded = "x" + encoded
        }
        return encoded
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func isPlain(_ name: String, underscoreFirstIsValid: Bool) -> Bool {
        guard let first = name.utf8.first, !isDigit(first), underscoreFirstIsValid || first != UInt8(ascii: "_")
        else { return false }
        return name.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z"))
                || isDigit($0) || $0 == UInt8(ascii: "_")
        }
    }
}
