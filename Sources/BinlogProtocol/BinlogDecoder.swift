import TributaryCore

/// Decodes binlog events one at a time, in order: a state machine over the format description (checksums,
/// post-header lengths) and the table maps that rows events refer to. No I/O: bytes in, events out, so that a
/// file and a replication stream share it.
public struct BinlogDecoder: Sendable {
    public private(set) var format: BinlogEvent.FormatDescription?
    /// Table maps by table id, as the latest TABLE_MAP of each gave them.
    public private(set) var tables: [UInt64: TableMap] = [:]
    /// Whether to check each event's CRC32 (when the format description says there is one).
    public var verifiesChecksums = true

    /// Whether events carry a CRC32 before a format description says (a stream's first, fake ROTATE does when the
    /// server checksums).
    public var checksumsBeforeFormat = false

    public init(checksumsBeforeFormat: Bool = false) {
        self.checksumsBeforeFormat = checksumsBeforeFormat
    }

    /// Decodes one whole event (header, body and any checksum).
    public mutating func decode(_ event: ArraySlice<UInt8>) throws(BinlogError) -> (BinlogEventHeader, BinlogEvent) {
        var r = ByteReader(event)
        let header = try BinlogEventHeader(&r)
        guard Int(header.eventSize) == event.count else {
            throw BinlogError(.malformed, "event of \(event.count) bytes whose header says \(header.eventSize)")
        }
        if header.type == .formatDescription {
            let description = try Self.formatDescription(&r, header: header)
            format = description
            return (header, .formatDescription(description))
        }
        let checksummed = format?.hasChecksum ?? checksumsBeforeFormat
        if checksummed {
            guard event.count >= BinlogEventHeader.size + 4 else {
                throw BinlogError(.truncated, "event without its CRC32")
            }
            let body = event.dropLast(4)
            let stored = event.suffix(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            if verifiesChecksums && BinlogChecksum.crc32(body) != stored {
                throw BinlogError(.checksumMismatch, "\(header.type) event ending at \(header.nextPosition)")
            }
            r = ByteReader(body)
            try r.skip(BinlogEventHeader.size)
        }
        return (header, try body(&r, header: header))
    }

    /// Decodes the events inside a TRANSACTION_PAYLOAD (which carry no checksums of their own), handing each to
    /// `body` as soon as it is whole: memory holds one event and one piece of decompressed output.
    public mutating func decodePayload(
        _ payload: BinlogEvent.TransactionPayload,
        _ body: (BinlogEventHeader, BinlogEvent) throws(BinlogError) -> Void
    ) throws(BinlogError) {
        var pending: [UInt8] = []
        var decoder = self
        decoder.format?.hasChecksum = false
        decoder.checksumsBeforeFormat = false
        func drain() throws(BinlogError) {
            var start = 0
            while pending.count - start >= BinlogEventHeader.size {
                let size = BinlogEventHeader.eventSize(in: pending, at: start)
                guard size >= BinlogEventHeader.size else {
                    throw BinlogError(.malformed, "an event of \(size) bytes in a transaction payload")
                }
                guard pending.count - start >= size else { break }
                let (header, event) = try decoder.decode(pending[start..<start + size])
                try body(header, event)
                start += size
            }
            pending.removeFirst(start)
        }
        switch payload.compression {
        case .none:
            pending = payload.payload
            try drain()
        case .zstd:
            let stream = try ZstdStream()
            let complete = try stream.decompress(payload.payload[...]) { (piece) throws(BinlogError) in
                pending.append(contentsOf: piece)
                try drain()
            }
            guard complete else { throw BinlogError(.truncated, "a transaction payload's zstd frame ends early") }
        case .other(let code):
            throw BinlogError(.unsupportedType, "transaction payload compressed with method \(code)")
        }
        guard pending.isEmpty else {
            throw BinlogError(.truncated, "a transaction payload ends inside an event (\(pending.count) bytes left)")
        }
        tables = decoder.tables
    }

    private func postHeaderLength(_ code: UInt8, default value: Int) -> Int {
        guard let lengths = format?.postHeaderLengths, Int(code) >= 1, Int(code) <= lengths.count else { return value }
        return Int(lengths[Int(code) - 1])
    }

    private mutating func body(_ r: inout ByteReader, header: BinlogEventHeader) throws(BinlogError) -> BinlogEvent {
        let type = header.type
        switch type {
        case .rotate:
            let position = try r.uint64()
            return .rotate(position: position, file: String(decoding: r.rest(), as: UTF8.self))
        case .query:
            let threadID = try r.uint32()
            let seconds = try r.uint32()
            let databaseLength = Int(try r.uint8())
            let errorCode = try r.uint16()
            let statusLength = postHeaderLength(header.typeCode, default: 13) >= 13 ? Int(try r.uint16()) : 0
            try r.skip(statusLength)
            let database = String(decoding: try r.take(databaseLength), as: UTF8.self)
            try r.skip(1)
            return .query(
                BinlogEvent.Query(
                    threadID: threadID, executionSeconds: seconds, errorCode: errorCode, database: database,
                    sql: String(decoding: r.rest(), as: UTF8.self)))
        case .xid:
            return .xid(try r.uint64())
        case .tableMap:
            let map = try TableMap(&r, tableIDSize: postHeaderLength(header.typeCode, default: 8) == 6 ? 4 : 6)
            tables[map.tableID] = map
            return .tableMap(map)
        case .gtid:
            _ = try r.uint8()  // flags
            let sid = Array(try r.take(16))
            let gno = try r.uint64()
            return .gtid(Self.uuid(sid) + ":\(gno)")
        case .anonymousGTID:
            return .gtid(nil)
        case .previousGTIDs:
            var sets: [String] = []
            for _ in 0..<(try r.uint64()) {
                let sid = Self.uuid(Array(try r.take(16)))
                var intervals: [String] = []
                for _ in 0..<(try r.uint64()) {
                    let start = try r.uint64()
                    let end = try r.uint64()  // exclusive
                    guard end > start else { throw BinlogError(.malformed, "GTID interval \(start) to \(end)") }
                    intervals.append(end - start == 1 ? "\(start)" : "\(start)-\(end - 1)")
                }
                sets.append(([sid] + intervals).joined(separator: ":"))
            }
            return .previousGTIDs(sets.joined(separator: ","))
        case .mariaDBGTID:
            let sequence = try r.uint64()
            let domain = try r.uint32()
            let flags = try r.uint8()
            return .mariaDBGTID(
                BinlogEvent.MariaDBGTID(domain: domain, server: header.serverID, sequence: sequence),
                standalone: flags & 0x01 != 0)
        case .mariaDBGTIDList:
            let count = Int(try r.uint32() & 0x0FFF_FFFF)
            var list: [BinlogEvent.MariaDBGTID] = []
            for _ in 0..<count {
                let domain = try r.uint32()
                let server = try r.uint32()
                list.append(BinlogEvent.MariaDBGTID(domain: domain, server: server, sequence: try r.uint64()))
            }
            return .mariaDBGTIDList(list)
        case .transactionPayload:
            // Fields (type, length, value: each a length-encoded integer) up to an end mark, then the payload.
            var compression = BinlogEvent.TransactionPayload.Compression.none
            var uncompressedSize: UInt64 = 0
            while true {
                let field = try r.packedInteger()
                if field == 0 { break }
                var value = ByteReader(try r.take(try r.length()))
                switch field {
                case 2:
                    let code = try value.packedInteger()
                    compression = code == 0 ? .zstd : code == 255 ? .none : .other(code)
                case 3: uncompressedSize = try value.packedInteger()
                default: break
                }
            }
            return .transactionPayload(
                BinlogEvent.TransactionPayload(
                    compression: compression, uncompressedSize: uncompressedSize, payload: Array(r.rest())))
        case .mariaDBAnnotateRows:
            return .rowsQuery(String(decoding: r.rest(), as: UTF8.self))
        case .rowsQuery:
            try r.skip(1)  // a length byte that only counts up to 255
            return .rowsQuery(String(decoding: r.rest(), as: UTF8.self))
        default:
            guard let kind = type.rowsKind else { return .other(type) }
            let version = [.writeRowsV2, .updateRowsV2, .deleteRowsV2].contains(type) ? 2 : 1
            return .rows(
                try RowsEvent(
                    &r, kind: kind, version: version,
                    tableIDSize: postHeaderLength(header.typeCode, default: 8) == 6 ? 4 : 6, tables: tables))
        }
    }

    private static func formatDescription(
        _ r: inout ByteReader, header: BinlogEventHeader
    ) throws(BinlogError) -> BinlogEvent.FormatDescription {
        let binlogVersion = try r.uint16()
        let serverVersion = String(decoding: try r.take(50).prefix { $0 != 0 }, as: UTF8.self)
        _ = try r.uint32()  // created
        let headerLength = Int(try r.uint8())
        var lengths = Array(r.rest())
        // From MySQL 5.6.1 (and MariaDB 5.3) the description ends with the checksum algorithm and 4 checksum bytes.
        var hasChecksum = false
        if Self.knowsChecksums(serverVersion), lengths.count >= 5 {
            hasChecksum = lengths[lengths.count - 5] == 1
            lengths.removeLast(5)
        }
        return BinlogEvent.FormatDescription(
            binlogVersion: binlogVersion, serverVersion: serverVersion, headerLength: headerLength,
            postHeaderLengths: lengths, hasChecksum: hasChecksum)
    }

    /// Whether a server of `version` writes the checksum algorithm into its format description.
    static func knowsChecksums(_ version: String) -> Bool {
        let numbers = version.prefix { $0.isNumber || $0 == "." }.split(separator: ".").compactMap { Int($0) }
        guard numbers.count >= 3 else { return false }
        if version.lowercased().contains("mariadb") { return (numbers[0], numbers[1]) >= (5, 3) }
        return (numbers[0], numbers[1], numbers[2]) >= (5, 6, 1)
    }

    private static func uuid(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        for (i, group) in [0..<4, 4..<6, 6..<8, 8..<10, 10..<16].enumerated() {
            if i > 0 { out.append(UInt8(ascii: "-")) }
            Hex.append(bytes[group], to: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
