import TributaryCore

/// Debezium's `schema.name.adjustment.mode`: how the schema names derived from topic names (`<topic>.Key`,
/// `.Value`, `.Envelope`) are made valid Avro full names, for converters that need them (Avro, Protobuf).
///
/// - `none` (Debezium's default): as they are.
/// - `avro`: every character other than a letter, a digit, `_` or `.` becomes `_`; a leading digit gets `_`
///   before it.
/// - `avro_unicode`: such characters (and `_` itself) become `_uXXXX`, their UTF-16 code in hex, so that
///   different names stay different.
public enum SchemaNameAdjustment: String, Sendable, CaseIterable {
    case none
    case avro
    case avroUnicode = "avro_unicode"

    /// Reads `schema.name.adjustment.mode`.
    public init(_ config: Config) throws(ConfigError) {
        self = try config.enumeration("schema.name.adjustment.mode", default: .none)
    }

    /// Reads `field.name.adjustment.mode` (the same modes, for the fields made of columns).
    public init(fieldNamesOf config: Config) throws(ConfigError) {
        self = try config.enumeration("field.name.adjustment.mode", default: .none)
    }

    /// A schema (full) name made valid: dots separate its parts.
    public func adjust(_ name: String) -> String { adjust(name, allowingDots: true) }

    /// A field name made valid, as Debezium's `AVRO_FIELD_NAMER`/`AVRO_UNICODE_FIELD_NAMER`: no dots.
    public func adjustField(_ name: String) -> String { adjust(name, allowingDots: false) }

    private func adjust(_ name: String, allowingDots: Bool) -> String {
        guard self != .none, !name.isEmpty else { return name }
        let unicode = self == .avroUnicode
        func letter(_ u: UInt16) -> Bool { (u >= 0x61 && u <= 0x7A) || (u >= 0x41 && u <= 0x5A) }
        func digit(_ u: UInt16) -> Bool { u >= 0x30 && u <= 0x39 }
        func replacement(_ u: UInt16) -> String {
            guard unicode else { return "_" }
            let hex = String(u, radix: 16)
            return "_u" + (hex.count <= 2 ? "00" + hex : hex)
        }
        var result = ""
        var changed = false
        for (i, u) in name.utf16.enumerated() {
            let valid =
                i == 0
                ? letter(u) || (!unicode && u == 0x5F)
                : letter(u) || digit(u) || (allowingDots && u == 0x2E) || (!unicode && u == 0x5F)
            if valid {
                result.unicodeScalars.append(Unicode.Scalar(u).map { $0 } ?? "_")
            } else {
                result += replacement(u)
                // A leading digit is kept after its replacement, as Debezium's avro mode keeps it.
                if i == 0 && digit(u) && !unicode { result.unicodeScalars.append(Unicode.Scalar(u)!) }
                changed = true
            }
        }
        return changed ? result : name
    }
}
