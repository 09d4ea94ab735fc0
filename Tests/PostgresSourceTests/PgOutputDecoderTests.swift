import Foundation
import XCTest

@testable import PostgresSource

/// Builds pgoutput messages byte by byte, as the server sends them.
struct MessageBytes {
    var bytes: [UInt8] = []
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func char(_ c: Character) { bytes.append(c.asciiValue!) }
    mutating func i16(_ v: Int16) { withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func i32(_ v: Int32) { withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func string(_ s: String) { bytes.append(contentsOf: Array(s.utf8) + [0]) }
    mutating func tuple(_ values: [String?], unchanged: Set<Int> = []) {
        i16(Int16(values.count))
        for (i, v) in values.enumerated() {
            if unchanged.contains(i) {
                char("u")
            } else if let v {
                char("t")
                i32(Int32(v.utf8.count))
                bytes.append(contentsOf: Array(v.utf8))
            } else {
                char("n")
            }
        }
    }
}

final class PgOutputDecoderTests: XCTestCase {
    func testBeginAndCommit() throws {
        var b = MessageBytes()
        b.char("B"); b.u64(0x0000_0001_0000_0010); b.u64(UInt64(bitPattern: 762_000_000_000_000)); b.u32(744)
        XCTAssertEqual(
            try PgOutputDecoder.decode(b.bytes),
            .begin(finalLSN: LSN(0x1_0000_0010), commitTime: 762_000_000_000_000, xid: 744))
        var c = MessageBytes()
        c.char("C"); c.u8(0); c.u64(100); c.u64(148); c.u64(5)
        XCTAssertEqual(
            try PgOutputDecoder.decode(c.bytes), .commit(flags: 0, commitLSN: LSN(100), endLSN: LSN(148), commitTime: 5)
        )
    }

    func testRelation() throws {
        var b = MessageBytes()
        b.char("R"); b.u32(16_384); b.string("public"); b.string("types"); b.char("d"); b.i16(2)
        b.u8(1); b.string("id"); b.u32(23); b.i32(-1)
        b.u8(0); b.string("n"); b.u32(1700); b.i32((10 << 16 | 3) + 4)
        guard case .relation(let r) = try PgOutputDecoder.decode(b.bytes) else { return XCTFail("not a relation") }
        XCTAssertEqual(r.id, 16_384)
        XCTAssertEqual(r.namespace, "public")
        XCTAssertEqual(r.name, "types")
        XCTAssertEqual(r.replicaIdentity, UInt8(ascii: "d"))
        XCTAssertEqual(r.columns.map(\.name), ["id", "n"])
        XCTAssertEqual(r.columns.map(\.isKey), [true, false])
        XCTAssertEqual(r.columns[1].typeModifier, 655_367)
    }

    func testInsertUpdateDeleteTuples() throws {
        var i = MessageBytes()
        i.char("I"); i.u32(7); i.char("N"); i.tuple(["1", nil, "h\u{e9}"], unchanged: [])
        guard case .insert(7, let new) = try PgOutputDecoder.decode(i.bytes) else { return XCTFail("not an insert") }
        XCTAssertEqual(new.kinds, [.text, .null, .text])
        XCTAssertEqual(String(decoding: new.value(2), as: UTF8.self), "h\u{e9}")

        var u = MessageBytes()
        u.char("U"); u.u32(7); u.char("K"); u.tuple(["1", nil, nil]); u.char("N");
        u.tuple(["2", "x", nil], unchanged: [2])
        guard case .update(7, let old?, true, let after) = try PgOutputDecoder.decode(u.bytes) else {
            return XCTFail("not a keyed update")
        }
        XCTAssertEqual(String(decoding: old.value(0), as: UTF8.self), "1")
        XCTAssertEqual(after.kinds, [.text, .text, .unchangedToast])

        var plain = MessageBytes()
        plain.char("U"); plain.u32(7); plain.char("N"); plain.tuple(["3"])
        guard case .update(7, nil, false, _) = try PgOutputDecoder.decode(plain.bytes) else {
            return XCTFail("update without old tuple")
        }

        var d = MessageBytes()
        d.char("D"); d.u32(7); d.char("O"); d.tuple(["1", "a", "b"])
        guard case .delete(7, let before, false) = try PgOutputDecoder.decode(d.bytes) else {
            return XCTFail("not a full delete")
        }
        XCTAssertEqual(before.count, 3)
    }

    func testTruncateMessageOriginType() throws {
        var t = MessageBytes()
        t.char("T"); t.i32(2); t.u8(1); t.u32(10); t.u32(11)
        XCTAssertEqual(try PgOutputDecoder.decode(t.bytes), .truncate(relationIDs: [10, 11], options: 1))
        var m = MessageBytes()
        m.char("M"); m.u8(1); m.u64(99); m.string("pfx"); m.i32(3); m.bytes += [1, 2, 3]
        XCTAssertEqual(
            try PgOutputDecoder.decode(m.bytes),
            .message(transactional: true, lsn: LSN(99), prefix: "pfx", content: [1, 2, 3]))
        var o = MessageBytes()
        o.char("O"); o.u64(5); o.string("node1")
        XCTAssertEqual(try PgOutputDecoder.decode(o.bytes), .origin(commitLSN: LSN(5), name: "node1"))
        var y = MessageBytes()
        y.char("Y"); y.u32(16_500); y.string("public"); y.string("mood")
        XCTAssertEqual(try PgOutputDecoder.decode(y.bytes), .type(oid: 16_500, namespace: "public", name: "mood"))
    }

    func testMalformedInputThrowsInsteadOfCrashing() {
        XCTAssertThrowsError(try PgOutputDecoder.decode([]))
        XCTAssertThrowsError(try PgOutputDecoder.decode([UInt8(ascii: "Z")]))
        XCTAssertThrowsError(try PgOutputDecoder.decode([UInt8(ascii: "B"), 0, 0]))
        var i = MessageBytes()
        i.char("I"); i.u32(7); i.char("N"); i.i16(1); i.char("t"); i.i32(1000); i.bytes += [1, 2]
        XCTAssertThrowsError(try PgOutputDecoder.decode(i.bytes), "value longer than the message")
        var neg = MessageBytes()
        neg.char("I"); neg.u32(7); neg.char("N"); neg.i16(1); neg.char("t"); neg.i32(-5)
        XCTAssertThrowsError(try PgOutputDecoder.decode(neg.bytes))
        var r = MessageBytes()
        r.char("R"); r.u32(1); r.bytes += Array("no terminator".utf8)
        XCTAssertThrowsError(try PgOutputDecoder.decode(r.bytes))
    }

    /// Random and mutated messages: the decoder must return or throw, never trap. Seeded, so that a failure
    /// can be reproduced: the seed is printed, and `TRIBUTARY_FUZZ_SEED` replays it.
    func testRandomBytesNeverCrash() {
        let seed =
            ProcessInfo.processInfo.environment["TRIBUTARY_FUZZ_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 0...UInt64.max)
        print("pgoutput fuzz seed: \(seed) (replay with TRIBUTARY_FUZZ_SEED=\(seed))")
        var generator = SeededGenerator(seed: seed)
        var seeds: [[UInt8]] = []
        var i = MessageBytes()
        i.char("I"); i.u32(7); i.char("N"); i.tuple(["1", nil, "abc"])
        seeds.append(i.bytes)
        var r = MessageBytes()
        r.char("R"); r.u32(1); r.string("s"); r.string("t"); r.char("d"); r.i16(1); r.u8(1); r.string("id"); r.u32(23);
        r.i32(-1)
        seeds.append(r.bytes)
        for _ in 0..<20_000 {
            var bytes: [UInt8]
            if Bool.random(using: &generator) {
                bytes = (0..<Int.random(in: 0..<64, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                if !bytes.isEmpty { bytes[0] = Array("BCORYIUDTM".utf8).randomElement(using: &generator)! }
            } else {
                bytes = seeds.randomElement(using: &generator)!
                for _ in 0..<3 where !bytes.isEmpty {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(
                        in: 0...255, using: &generator)
                }
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator)))
            }
            _ = try? PgOutputDecoder.decode(bytes)
        }
    }
}

/// SplitMix64: a small, seedable generator, so that random tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    func testStreamMessagesOfProtocolTwo() throws {
        var start = MessageBytes()
        start.char("S"); start.u32(900); start.u8(1)
        XCTAssertEqual(try PgOutputDecoder.decode(start.bytes), .streamStart(xid: 900, firstSegment: true))
        XCTAssertEqual(try PgOutputDecoder.decode(Array("E".utf8)), .streamStop)
        var commit = MessageBytes()
        commit.char("c"); commit.u32(900); commit.u8(0); commit.u64(100); commit.u64(148); commit.u64(5)
        XCTAssertEqual(
            try PgOutputDecoder.decode(commit.bytes),
            .streamCommit(xid: 900, commitLSN: LSN(100), endLSN: LSN(148), commitTime: 5))
        var abort = MessageBytes()
        abort.char("A"); abort.u32(900); abort.u32(901)
        XCTAssertEqual(try PgOutputDecoder.decode(abort.bytes), .streamAbort(xid: 900, subxid: 901))
    }

    func testChangesInsideAStreamBlockCarryTheirTransaction() throws {
        var insert = MessageBytes()
        insert.char("I"); insert.u32(901); insert.u32(16384); insert.char("N"); insert.tuple(["1", nil])
        XCTAssertEqual(PgOutputDecoder.streamedXid(insert.bytes), 901)
        guard case .insert(let id, let new) = try PgOutputDecoder.decode(insert.bytes, inStream: true) else {
            return XCTFail("an insert")
        }
        XCTAssertEqual(id, 16384)
        XCTAssertEqual(new.kinds, [.text, .null])
        XCTAssertThrowsError(try PgOutputDecoder.decode(insert.bytes), "without the block, the xid is misread")
        XCTAssertNil(PgOutputDecoder.streamedXid(Array("E".utf8)), "stream control messages carry none")
        XCTAssertNil(PgOutputDecoder.streamedXid([UInt8(ascii: "I"), 0, 0]), "too short")
    }
}
