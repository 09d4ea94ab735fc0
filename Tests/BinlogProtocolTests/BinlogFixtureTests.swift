import Foundation
import XCTest

@testable import BinlogProtocol

/// Real binlogs written by MySQL servers (`../shared/fixtures/mysql-binlog`), decoded whole.
final class BinlogFixtureTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/fixtures/mysql-binlog")

    private func bytes(_ name: String) throws -> [UInt8] {
        let url = Self.fixtures.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("fixture \(url.path) not found (../shared beside the checkout)")
        }
        if name.hasSuffix(".gz") {
            let gunzip = Process()
            gunzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
            gunzip.arguments = ["-dc", url.path]
            let pipe = Pipe()
            gunzip.standardOutput = pipe
            try gunzip.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            gunzip.waitUntilExit()
            return [UInt8](data)
        }
        return [UInt8](try Data(contentsOf: url))
    }

    private func decodeAll(_ name: String) throws -> [(BinlogEventHeader, BinlogEvent)] {
        var decoder = BinlogDecoder()
        var events: [(BinlogEventHeader, BinlogEvent)] = []
        for (position, event) in try BinlogFile(try bytes(name)) {
            do {
                events.append(try decoder.decode(event))
            } catch {
                XCTFail("\(name) at \(position): \(error)")
                break
            }
        }
        return events
    }

    private func counts(_ events: [(BinlogEventHeader, BinlogEvent)]) -> [UInt8: Int] {
        events.reduce(into: [:]) { $0[$1.0.typeCode, default: 0] += 1 }
    }

    func testMySQL57WithChecksumsDecodesEveryEvent() throws {
        let events = try decodeAll("mysql-bin.checksum-crc32")
        XCTAssertEqual(
            counts(events), [15: 1, 35: 1, 34: 60, 2: 60, 19: 60, 30: 34, 16: 60, 31: 20, 32: 6, 4: 1],
            "the README's event kinds, as a byte-level count gives them")
        guard case .formatDescription(let format) = events[0].1 else { return XCTFail("no format description first") }
        XCTAssertTrue(format.hasChecksum)
        XCTAssertEqual(format.serverVersion, "5.7.21-log")
        XCTAssertTrue(events.contains { if case .previousGTIDs = $0.1 { true } else { false } })
        XCTAssertEqual(events.filter { $0.1 == .gtid(nil) }.count, 60, "ANONYMOUS_GTID before each transaction")
        let tables = Set(
            events.compactMap { e -> String? in
                if case .tableMap(let map) = e.1 { return map.database + "." + map.table }
                return nil
            })
        XCTAssertTrue(tables.isSuperset(of: ["simu_file_dev.file", "auth.role", "menkor_dev.fund_account"]))
        let rows = events.compactMap { e -> RowsEvent? in
            if case .rows(let rows) = e.1 { return rows }
            return nil
        }
        XCTAssertEqual(rows.count, 60)
        XCTAssertTrue(
            rows.filter { $0.kind == .update }.allSatisfy { $0.after.count == $0.rows.count && !$0.rows.isEmpty })
        if case .rotate(_, let file) = events.last?.1 {
            XCTAssertTrue(file.hasPrefix("mysql-bin."))
        } else {
            XCTFail("the file ends with a rotate")
        }
    }

    /// The same kinds of events without checksums decode the same way, and a flipped byte in a checksummed file is
    /// a checksum mismatch, not a wrong value.
    func testChecksumsAreVerifiedAndOptional() throws {
        let events = try decodeAll("mysql-bin.checksum-none")
        guard case .formatDescription(let format) = events.first?.1 else { return XCTFail("no format description") }
        XCTAssertFalse(format.hasChecksum)
        XCTAssertGreaterThan(events.filter { if case .rows = $0.1 { true } else { false } }.count, 0)

        var bytes = try bytes("mysql-bin.checksum-crc32")
        var decoder = BinlogDecoder()
        var iterator = try BinlogFile(bytes).makeIterator()
        _ = try decoder.decode(try XCTUnwrap(iterator.next()).event)
        let second = try XCTUnwrap(iterator.next())
        bytes[second.position + BinlogEventHeader.size + 2] ^= 0x01
        XCTAssertThrowsError(try decoder.decode(bytes[second.event.indices])) {
            XCTAssertEqual(($0 as? BinlogError)?.code, .checksumMismatch)
        }
    }

    /// MySQL 5.5's Sakila load: DDL in QUERY events and WRITE_ROWS v1 with the data.
    func testSakilaRowsDecodeToTheirValues() throws {
        let events = try decodeAll("mysql-bin.sakila.gz")
        XCTAssertEqual(counts(events), [15: 1, 2: 54, 19: 18, 23: 1374, 16: 15])
        var actors: [[BinlogValue?]] = []
        var tables: [UInt64: TableMap] = [:]
        for (_, event) in events {
            switch event {
            case .tableMap(let map): tables[map.tableID] = map
            case .rows(let rows) where tables[rows.tableID]?.table == "actor": actors += rows.rows
            default: break
            }
        }
        XCTAssertEqual(actors.count, 200)
        XCTAssertEqual(actors.first?[0], .integer(1, width: 2))
        XCTAssertEqual(actors.first?[1], .bytes(ArraySlice("PENELOPE".utf8)))
        XCTAssertEqual(actors.first?[2], .bytes(ArraySlice("GUINESS".utf8)))
        let ddl = events.compactMap { e -> String? in
            if case .query(let q) = e.1 { return q.sql }
            return nil
        }
        XCTAssertTrue(ddl.contains { $0.contains("CREATE TABLE actor") }, "\(ddl.prefix(5))")
    }

    /// Aurora's own event type (100) is passed over as another event, MySQL 8's compressed transaction (40) kept
    /// for `decodePayload`.
    func testAuroraPaddingAndMySQL8Files() throws {
        let aurora = try decodeAll("mysql-bin.aurora-padding")
        XCTAssertEqual(counts(aurora), [15: 1, 35: 1, 34: 1, 100: 1, 2: 1])
        XCTAssertTrue(aurora.contains { $0.1 == .other(.other(100)) })
        let compressed = try decodeAll("mysql-bin.compressed")
        XCTAssertEqual(counts(compressed), [15: 1, 35: 1, 34: 1, 40: 1, 4: 1])
        XCTAssertTrue(compressed.contains { if case .transactionPayload = $0.1 { true } else { false } })
        guard case .formatDescription(let format) = compressed.first?.1 else { return XCTFail("no format description") }
        XCTAssertTrue(format.serverVersion.hasPrefix("8.0.28"), format.serverVersion)
    }

    /// MySQL 8.0.28's compressed transaction: its events come out of the zstd payload (without checksums of their
    /// own) and decode with the table maps inside it.
    func testACompressedTransactionDecodesToItsEvents() throws {
        var decoder = BinlogDecoder()
        var inner: [(BinlogEventHeader, BinlogEvent)] = []
        for (_, event) in try BinlogFile(try bytes("mysql-bin.compressed")) {
            let (_, decoded) = try decoder.decode(event)
            guard case .transactionPayload(let payload) = decoded else { continue }
            XCTAssertEqual(payload.compression, .zstd)
            XCTAssertEqual(payload.uncompressedSize, 960)
            try decoder.decodePayload(payload) { header, event in inner.append((header, event)) }

            // A payload cut short is an error, not a crash or a silent stop.
            var cut = payload
            cut.payload.removeLast(40)
            var other = decoder
            XCTAssertThrowsError(try other.decodePayload(cut) { _, _ in })
        }
        XCTAssertEqual(inner.map(\.0.typeCode), [2, 19, 31, 16])
        guard case .query(let begin) = inner[0].1, case .tableMap(let map) = inner[1].1,
            case .rows(let update) = inner[2].1
        else { return XCTFail("\(inner.map(\.1))") }
        XCTAssertEqual(begin.sql, "BEGIN")
        XCTAssertEqual(update.tableID, map.tableID)
        XCTAssertEqual(update.kind, .update)
        XCTAssertEqual(update.rows.count, update.after.count)
        XCTAssertGreaterThan(update.rows.count, 0)
        XCTAssertEqual(decoder.tables[map.tableID]?.table, map.table, "the payload's table map is kept")
    }
}
