/// A place in a server's binlog: a file (`mariadb-bin.000012`) and a byte position in it. Files of one server
/// sort by their numeric extension.
public struct BinlogPosition: Comparable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var file: String
    public var position: UInt64

    public init(file: String, position: UInt64) {
        self.file = file
        self.position = position
    }

    /// The file's sequence number (the digits after its last dot).
    var fileNumber: UInt64 {
        guard let dot = file.lastIndex(of: ".") else { return 0 }
        return UInt64(file[file.index(after: dot)...]) ?? 0
    }

    public static func < (a: BinlogPosition, b: BinlogPosition) -> Bool {
        (a.fileNumber, a.file, a.position) < (b.fileNumber, b.file, b.position)
    }

    public var description: String { "\(file):\(position)" }
}
