import Converters
import TributaryCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Source offsets in a local JSON file (standalone mode's `offset.storage.file.filename`).
///
/// Keys follow Kafka Connect's offset-topic form, `["<connector>",{<partition>}]`; each write replaces the file
/// atomically, so a crash leaves either the old or the new offsets. Writes happen under the store's lock, so
/// with several connectors the file always ends with the newest offsets of each.
public final class FileOffsetStore: OffsetBackingStore {
    private let path: String
    private let offsets: Locked<[String: [String: OffsetValue]]>

    public init(path: String) throws {
        self.path = path
        var loaded: [String: [String: OffsetValue]] = [:]
        if FileManager.default.fileExists(atPath: path) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            if !bytes.isEmpty {
                do {
                    loaded = try JSONDecoder().decode([String: [String: OffsetValue]].self, from: bytes)
                } catch {
                    throw ConfigError.other(
                        key: "offset.storage.file.filename", message: "\(path) is not an offsets file: \(error)")
                }
            }
        }
        offsets = Locked(loaded)
    }

    /// The key Kafka Connect uses for a connector's source partition: `["name",{"k":v,…}]`, keys sorted.
    static func key(connector: String, partition: OffsetMap) -> String {
        var w = JSONWriter(capacity: 64)
        w.byte(UInt8(ascii: "["))
        w.string(connector)
        w.raw(",{")
        for (i, k) in partition.keys.sorted().enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.string(k)
            w.byte(UInt8(ascii: ":"))
            switch partition[k]! {
            case .null: w.null()
            case .bool(let b): w.bool(b)
            case .int(let n): w.int(n)
            case .string(let s): w.string(s)
            }
        }
        w.raw("}]")
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// The stored offset for a connector's source partition.
    public func offset(connector: String, partition: OffsetMap) -> OffsetMap? {
        let key = Self.key(connector: connector, partition: partition)
        return offsets.withLock { $0[key] }
    }

    /// Stores an offset and rewrites the file.
    public func store(connector: String, partition: OffsetMap, offset: OffsetMap) throws {
        let key = Self.key(connector: connector, partition: partition)
        try offsets.withLock { all in
            let previous = all[key]
            all[key] = offset
            do {
                try write(all)
            } catch {
                all[key] = previous
                throw error
            }
        }
    }

    private func write(_ all: [String: [String: OffsetValue]]) throws {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let bytes = try encoder.encode(all)
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try bytes.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ConfigError.other(key: "offset.storage.file.filename", message: "cannot write \(path): \(error)")
        }
    }
}

extension OffsetValue: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let n = try? c.decode(Int64.self) {
            self = .int(n)
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else {
            self = .string(try c.decode(String.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        }
    }
}
