/// What went wrong reading a binlog: a code, and the context.
public struct BinlogError: Error, CustomStringConvertible, Equatable {
    public enum Code: String, Sendable {
        /// The bytes end before the format says they do.
        case truncated
        /// A field holds a value the format does not allow.
        case malformed
        /// The event's CRC32 does not match its bytes.
        case checksumMismatch
        /// Not a binlog file (no `fe 62 69 6e` magic).
        case notABinlog
        /// A column type this version does not decode.
        case unsupportedType
    }

    public let code: Code
    public let context: String

    public init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "binlog \(code.rawValue): \(context)" }
}
