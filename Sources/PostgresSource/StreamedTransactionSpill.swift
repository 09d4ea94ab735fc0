#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The changes of large transactions that PostgreSQL streams while they are in progress (pgoutput protocol 2),
/// kept on disk until the transaction commits (then read back in order) or rolls back (then dropped): memory stays
/// bounded however large the transaction. One file per transaction, open only during one of its stream blocks.
/// A record is `[lsn u64][subxid u32][length u32][message]`, big-endian.
final class StreamedTransactionSpill {
    struct SpillError: Error, CustomStringConvertible {
        let description: String
    }

    /// One message as it was streamed: where it lies in the WAL, the (sub)transaction it belongs to, its bytes.
    struct Record {
        var lsn: LSN
        var subxid: UInt32
        var message: [UInt8]
    }

    private let directory: String
    private var open: (xid: UInt32, file: UnsafeMutablePointer<FILE>)?
    /// The subtransactions of each transaction that rolled back: their changes are skipped when it commits.
    private var abortedSubtransactions: [UInt32: Set<UInt32>] = [:]
    /// Bytes on disk now, for the log.
    private(set) var bytesSpilled: Int64 = 0

    /// `directory` is made when first needed and emptied now (PostgreSQL streams in-progress transactions again
    /// from their start after a reconnect).
    init(directory: String) {
        self.directory = directory
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { removeAll() }

    private func path(_ xid: UInt32) -> String { directory + "/\(xid).spill" }

    /// A stream block of `xid` begins; its first block starts the transaction afresh.
    func startBlock(xid: UInt32, first: Bool) throws {
        endBlock()
        if first {
            discard(xid: xid)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        guard let file = fopen(path(xid), first ? "wb" : "ab") else {
            throw SpillError(description: "cannot open \(path(xid)) to keep a streamed transaction: errno \(errno)")
        }
        open = (xid, file)
    }

    /// Keeps one message of the open block.
    func append(lsn: LSN, subxid: UInt32, message: UnsafeRawBufferPointer) throws {
        guard let file = open?.file else { throw SpillError(description: "a streamed change outside a stream block") }
        var header = [UInt8]()
        header.reserveCapacity(16)
        withUnsafeBytes(of: lsn.value.bigEndian) { header.append(contentsOf: $0) }
        withUnsafeBytes(of: subxid.bigEndian) { header.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(message.count).bigEndian) { header.append(contentsOf: $0) }
        guard fwrite(header, 1, header.count, file) == header.count,
            message.isEmpty || fwrite(message.baseAddress, 1, message.count, file) == message.count
        else {
            throw SpillError(description: "cannot write a streamed transaction to \(directory): errno \(errno)")
        }
        bytesSpilled += Int64(header.count + message.count)
    }

    /// The open block ends.
    func endBlock() {
        if let file = open?.file { fclose(file) }
        open = nil
    }

    /// `subxid` of `xid` rolled back (or the whole transaction, when they are equal).
    func abort(xid: UInt32, subxid: UInt32) {
        if xid == subxid {
            discard(xid: xid)
        } else {
            abortedSubtransactions[xid, default: []].insert(subxid)
        }
    }

    /// Reads `xid`'s messages back in the order they came, without those of subtransactions that rolled back.
    func reader(xid: UInt32) throws -> Reader {
        endBlock()
        let aborted = abortedSubtransactions.removeValue(forKey: xid) ?? []
        guard let file = fopen(path(xid), "rb") else {
            // A transaction streamed without changes of published tables leaves nothing.
            return Reader(file: nil, aborted: aborted) { [weak self] in self?.discard(xid: xid) }
        }
        return Reader(file: file, aborted: aborted) { [weak self] in self?.discard(xid: xid) }
    }

    /// Drops what is kept for `xid`.
    func discard(xid: UInt32) {
        if open?.xid == xid { endBlock() }
        abortedSubtransactions[xid] = nil
        let file = path(xid)
        if let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int64 {
            bytesSpilled -= size
        }
        unlink(file)
    }

    /// Drops everything (a stop, or a new stream).
    func removeAll() {
        endBlock()
        abortedSubtransactions.removeAll()
        bytesSpilled = 0
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Reads one transaction's records back; removes its file when done.
    final class Reader {
        private var file: UnsafeMutablePointer<FILE>?
        private let aborted: Set<UInt32>
        private let onFinish: () -> Void

        init(file: UnsafeMutablePointer<FILE>?, aborted: Set<UInt32>, onFinish: @escaping () -> Void) {
            self.file = file
            self.aborted = aborted
            self.onFinish = onFinish
        }

        deinit { finish() }

        /// The next record, nil at the end.
        func next() throws -> Record? {
            while let file {
                var header = [UInt8](repeating: 0, count: 16)
                let got = fread(&header, 1, 16, file)
                if got == 0 {
                    finish()
                    return nil
                }
                guard got == 16 else { throw SpillError(description: "a kept streamed transaction is truncated") }
                func load<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
                    header[offset..<(offset + MemoryLayout<T>.size)].reduce(0) { $0 << 8 | T($1) }
                }
                let count = Int(load(12, UInt32.self))
                var message = [UInt8](repeating: 0, count: count)
                guard count == 0 || fread(&message, 1, count, file) == count else {
                    throw SpillError(description: "a kept streamed transaction is truncated")
                }
                let subxid = load(8, UInt32.self)
                if aborted.contains(subxid) { continue }
                return Record(lsn: LSN(load(0, UInt64.self)), subxid: subxid, message: message)
            }
            return nil
        }

        private func finish() {
            if let file { fclose(file) }
            file = nil
            onFinish()
        }
    }
}
