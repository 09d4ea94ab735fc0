import Foundation
import TributaryCore

/// Source offsets in a local JSON file (standalone mode's `offset.storage.file.filename`).
///
/// Keys follow Kafka Connect's offset-topic form, `["<connector>",{<partition>}]`; each write replaces the file
/// atomically, so a crash leaves either the old or the new offsets.
public final class FileOffsetStore: @unchecked Sendable {
    private let path: String
    private let lock = NSLock()
    private var data: [String: Any] = [:]

    public init(path: String) throws {
        self.path = path
        if FileManager.default.fileExists(atPath: path) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            if !bytes.isEmpty {
                guard let object = try JSONSerialization.jsonObject(with: bytes) as? [String: Any] else {
                    throw ConfigError.other(key: "offset.storage.file.filename", message: "\(path) is not an offsets file")
                }
                data = object
            }
        }
    }

    static func key(connector: String, partition: OffsetMap) -> String {
        let fields = partition.keys.sorted().map { "\(jsonString($0)):\(json($0 == "" ? .null : partition[$0]!))" }
        return "[\(jsonString(connector)),{\(fields.joined(separator: ","))}]"
    }

    /// The stored offset for a connector's source partition.
    public func offset(connector: String, partition: OffsetMap) -> OffsetMap? {
        lock.lock()
        defer { lock.unlock() }
        guard let object = data[Self.key(connector: connector, partition: partition)] as? [String: Any] else { return nil }
        var result: OffsetMap = [:]
        for (k, v) in object {
            switch v {
            case let n as NSNumber where String(cString: n.objCType) == "c": result[k] = .bool(n.boolValue)
            case let n as NSNumber: result[k] = .int(n.int64Value)
            case let s as String: result[k] = .string(s)
            default: result[k] = .null
            }
        }
        return result
    }

    /// Stores an offset and writes the file.
    public func store(connector: String, partition: OffsetMap, offset: OffsetMap) throws {
        lock.lock()
        defer { lock.unlock() }
        var object: [String: Any] = [:]
        for (k, v) in offset {
            switch v {
            case .null: object[k] = NSNull()
            case .bool(let b): object[k] = b
            case .int(let i): object[k] = i
            case .string(let s): object[k] = s
            }
        }
        data[Self.key(connector: connector, partition: partition)] = object
        let bytes = try JSONSerialization.data(withJSONObject: data, options: [.sortedKeys])
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: bytes) else {
            throw ConfigError.other(key: "offset.storage.file.filename", message: "cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            throw ConfigError.other(key: "offset.storage.file.filename", message: "cannot replace \(path): \(String(cString: strerror(errno)))")
        }
    }

    private static func jsonString(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed])
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }

    private static func json(_ v: OffsetValue) -> String {
        switch v {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .int(let i): String(i)
        case .string(let s): jsonString(s)
        }
    }
}
