/// Decodes `pgoutput` messages from bytes. Pure: no I/O, no clock; malformed input throws, never traps.
public enum PgOutputDecoder {
    public struct DecodeError: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// The message types that carry their (sub)transaction's xid inside a block of a streamed transaction.
    static let streamedTags: Set<UInt8> = Set("RYIUDTM".utf8)

    /// The xid a message inside a stream block carries, without decoding the rest; nil for messages without one.
    public static func streamedXid<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UInt32? {
        guard let tag = bytes.first, streamedTags.contains(tag), bytes.count >= 5 else { return nil }
        return bytes.dropFirst().prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// `inStream`: the message comes from a block of a streamed transaction, where changes, relations, types and
    /// messages carry an xid after their type.
    public static func decode(_ bytes: [UInt8], inStream: Bool = false) throws(DecodeError) -> PgOutputMessage {
        var r = ByteReader(bytes)
        let tag = try r.u8()
        if inStream && streamedTags.contains(tag) { _ = try r.u32() }
        switch tag {
        case UInt8(ascii: "S"):
            return .streamStart(xid: try r.u32(), firstSegment: try r.u8() == 1)
        case UInt8(ascii: "E"):
            return .streamStop
        case UInt8(ascii: "c"):
            let xid = try r.u32()
            _ = try r.u8()
            return .streamCommit(
                xid: xid, commitLSN: LSN(try r.u64()), endLSN: LSN(try r.u64()), commitTime: try r.i64())
        case UInt8(ascii: "A"):
            return .streamAbort(xid: try r.u32(), subxid: try r.u32())
        case UInt8(ascii: "B"):
            return .begin(finalLSN: LSN(try r.u64()), commitTime: try r.i64(), xid: try r.u32())
        case UInt8(ascii: "C"):
            return .commit(
                flags: try r.u8(), commitLSN: LSN(try r.u64()), endLSN: LSN(try r.u64()), commitTime: try r.i64())
        case UInt8(ascii: "O"):
            return .origin(commitLSN: LSN(try r.u64()), name: try r.cString())
        case UInt8(ascii: "R"):
            let id = try r.u32()
            let namespace = try r.cString()
            let name = try r.cString()
            let identity = try r.u8()
            let n = Int(try r.i16())
            guard n >= 0 else { throw DecodeError(description: "relation \(name): negative column count") }
            var columns: [Relation.Column] = []
            columns.reserveCapacity(n)
            for _ in 0..<n {
                let flags = try r.u8()
                columns.append(
                    Relation.Column(
                        isKey: flags & 1 == 1, name: try r.cString(), typeOID: try r.u32(), typeModifier: try r.i32()))
            }
            return .relation(
                Relation(
                    id: id, namespace: namespace.isEmpty ? "pg_catalog" : namespace, name: name,
                    replicaIdentity: identity, columns: columns))
        case UInt8(ascii: "Y"):
            return .type(oid: try r.u32(), namespace: try r.cString(), name: try r.cString())
        case UInt8(ascii: "I"):
            let id = try r.u32()
            try r.expect(UInt8(ascii: "N"), "insert")
            return .insert(relationID: id, new: try tuple(&r))
        case UInt8(ascii: "U"):
            let id = try r.u32()
            var kind = try r.u8()
            var old: TupleData?
            var keyOnly = false
            if kind == UInt8(ascii: "K") || kind == UInt8(ascii: "O") {
                keyOnly = kind == UInt8(ascii: "K")
                old = try tuple(&r)
                kind = try r.u8()
            }
            guard kind == UInt8(ascii: "N") else { throw DecodeError(description: "update: expected N, got \(kind)") }
            return .update(relationID: id, old: old, oldIsKeyOnly: keyOnly, new: try tuple(&r))
        case UInt8(ascii: "D"):
            let id = try r.u32()
            let kind = try r.u8()
            guard kind == UInt8(ascii: "K") || kind == UInt8(ascii: "O") else {
                throw DecodeError(description: "delete: expected K or O, got \(kind)")
            }
            return .delete(relationID: id, old: try tuple(&r), oldIsKeyOnly: kind == UInt8(ascii: "K"))
        case UInt8(ascii: "T"):
            let n = Int(try r.i32())
            guard n >= 0 else { throw DecodeError(description: "truncate: negative relation count") }
            let options = try r.u8()
            var ids: [UInt32] = []
            for _ in 0..<n { ids.append(try r.u32()) }
            return .truncate(relationIDs: ids, options: options)
        case UInt8(ascii: "M"):
            let flags = try r.u8()
            let lsn = LSN(try r.u64())
            let prefix = try r.cString()
            let n = Int(try r.i32())
            return .message(transactional: flags & 1 == 1, lsn: lsn, prefix: prefix, content: Array(try r.take(n)))
        default:
            throw DecodeError(description: "unknown pgoutput message type \(tag)")
        }
    }

    private static func tuple(_ r: inout ByteReader) throws(DecodeError) -> TupleData {
        let n = Int(try r.i16())
        guard n >= 0 else { throw DecodeError(description: "tuple: negative column count") }
        var kinds: [TupleData.Kind] = []
        var ranges: [(Int, Int)] = []
        kinds.reserveCapacity(n)
        ranges.reserveCapacity(n)
        for _ in 0..<n {
            let k = try r.u8()
            guard let kind = TupleData.Kind(rawValue: k) else {
                throw DecodeError(description: "tuple: unknown column kind \(k)")
            }
            kinds.append(kind)
            if kind == .text || kind == .binary {
                let len = Int(try r.i32())
                guard len >= 0 else { throw DecodeError(description: "tuple: negative value length") }
                let start = r.position
                _ = try r.take(len)
                ranges.append((start, len))
            } else {
                ranges.append((0, 0))
            }
        }
        // The reader spans the whole message, so this array shares the message's storage (no copy).
        return TupleData(bytes: Array(r.bytes), kinds: kinds, ranges: ranges)
    }
}

/// Big-endian reads over a byte array, throwing at the end instead of trapping.
/// A bounds-checked cursor over big-endian fields: pgoutput messages, and binary values inside them.
struct ByteReader {
    let bytes: ArraySlice<UInt8>
    private(set) var position: Int

    init(_ bytes: [UInt8]) { self.init(bytes[...]) }

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    typealias DecodeError = PgOutputDecoder.DecodeError

    mutating func take(_ n: Int) throws(DecodeError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.endIndex - position else {
            throw DecodeError(description: "message truncated at byte \(position - bytes.startIndex)")
        }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    mutating func u8() throws(DecodeError) -> UInt8 { try take(1).first! }

    mutating func expect(_ b: UInt8, _ what: String) throws(DecodeError) {
        let got = try u8()
        guard got == b else {
            throw DecodeError(description: "\(what): expected \(Character(Unicode.Scalar(b))), got \(got)")
        }
    }

    mutating func u64() throws(DecodeError) -> UInt64 {
        try take(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func i64() throws(DecodeError) -> Int64 { Int64(bitPattern: try u64()) }

    mutating func u32() throws(DecodeError) -> UInt32 {
        try take(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func i32() throws(DecodeError) -> Int32 { Int32(bitPattern: try u32()) }

    mutating func u16() throws(DecodeError) -> UInt16 {
        try take(2).reduce(0) { $0 << 8 | UInt16($1) }
    }

    mutating func i16() throws(DecodeError) -> Int16 { Int16(bitPattern: try u16()) }

    /// The bytes not read yet, all of them.
    mutating func rest() -> ArraySlice<UInt8> {
        defer { position = bytes.endIndex }
        return bytes[position...]
    }

    mutating func cString() throws(DecodeError) -> String {
        guard let end = bytes[position...].firstIndex(of: 0) else {
            throw DecodeError(description: "unterminated string at byte \(position)")
        }
        defer { position = end + 1 }
        return String(decoding: bytes[position..<end], as: UTF8.self)
    }
}
