import XCTest

@testable import BinlogProtocol

/// Corrupt events (bytes flipped, events cut short) with checksums not checked: the decoder throws or decodes
/// something, and never traps. Real events from the fixtures, mutated by a seeded generator so that a failure
/// reproduces (`BINLOG_FUZZ_SEED` picks another seed).
final class BinlogMalformedInputTests: XCTestCase {
    /// xorshift64*: a small deterministic generator.
    private struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
    }

    private func mutateAndDecode(_ file: String, rounds: Int) throws {
        let url = BinlogFixtureTests.fixtures.appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("fixture \(file) not found") }
        let bytes = [UInt8](try Data(contentsOf: url))
        // BINLOG_FUZZ_SEED explores other mutations locally; CI runs the fixed one.
        let seed = ProcessInfo.processInfo.environment["BINLOG_FUZZ_SEED"].flatMap { UInt64($0) } ?? 1
        var generator = Seeded(state: 0x5EED_0000_0000_0000 | seed)
        var decoder = BinlogDecoder()
        var events: [ArraySlice<UInt8>] = []
        for (_, event) in try BinlogFile(bytes) {
            _ = try? decoder.decode(event)
            events.append(event)
        }
        decoder.verifiesChecksums = false
        var outcomes = (decoded: 0, refused: 0)
        for _ in 0..<rounds {
            for event in events.dropFirst() {
                var mutated = Array(event)
                // Keep the header's size field honest half the time, so that bodies get decoded.
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let at = Int.random(in: 0..<mutated.count, using: &generator)
                    if at >= 9 && at < 13 && Bool.random(using: &generator) { continue }
                    mutated[at] = UInt8.random(in: 0...255, using: &generator)
                }
                if Bool.random(using: &generator) {
                    mutated.removeLast(Int.random(in: 0..<mutated.count, using: &generator))
                }
                var copy = decoder
                do {
                    if case .transactionPayload(let payload) = try copy.decode(mutated[...]).1 {
                        try copy.decodePayload(payload) { _, _ in }
                    }
                    outcomes.decoded += 1
                } catch {
                    outcomes.refused += 1
                }
            }
        }
        XCTAssertGreaterThan(outcomes.refused, 0)
    }

    func testCorruptMySQL57EventsNeverTrap() throws {
        try mutateAndDecode("mysql-bin.checksum-crc32", rounds: 200)
        try mutateAndDecode("mysql-bin.checksum-none", rounds: 200)
    }

    func testCorruptTableMapsAndRowsWithEveryTypeNeverTrap() throws {
        try mutateAndDecode("mysql-bin.compressed", rounds: 2000)
        try mutateAndDecode("mysql-bin.aurora-padding", rounds: 2000)
    }

    /// Field values no server writes: lengths beyond what an Int holds, counts beyond the bytes there are.
    func testImpossibleLengthsAreRefused() {
        var huge = ByteReader([0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF][...])
        XCTAssertThrowsError(try huge.length())
        var blob = ByteReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF][...])
        XCTAssertThrowsError(try BinlogValue.read(.blob(lengthBytes: 8), from: &blob))
        var datetime = ByteReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF][...])
        XCTAssertNoThrow(try BinlogValue.read(.datetime, from: &datetime), "an odd value, but a value")
    }
}
