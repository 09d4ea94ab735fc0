import XCTest

@testable import PostgresSource

final class SnapshotChunkPlanTests: XCTestCase {
    func testALargeTableIsCutIntoPageRangesThatCoverItWhole() {
        let chunks = SnapshotChunkPlan.chunks(
            [SnapshotChunkPlan.TableSize(pages: 1000, rowsPerPage: 40, byPages: true)], rowsPerChunk: 4000)
        XCTAssertEqual(chunks.count, 10)
        XCTAssertEqual(chunks.first, SnapshotChunk(table: 0, fromPage: nil, toPage: 100))
        XCTAssertEqual(chunks.last, SnapshotChunk(table: 0, fromPage: 900, toPage: nil), "the last is open-ended")
        for (a, b) in zip(chunks, chunks.dropFirst()) {
            XCTAssertEqual(a.toPage, b.fromPage, "no gap, no overlap")
        }
    }

    func testSmallOverriddenAndOldServerTablesAreReadWhole() {
        let chunks = SnapshotChunkPlan.chunks(
            [
                SnapshotChunkPlan.TableSize(pages: 3, rowsPerPage: 40, byPages: true),
                SnapshotChunkPlan.TableSize(pages: 1000, rowsPerPage: 40, byPages: false),
                SnapshotChunkPlan.TableSize(pages: 0, rowsPerPage: nil, byPages: true),
                SnapshotChunkPlan.TableSize(pages: 250, rowsPerPage: 40, byPages: true),
            ], rowsPerChunk: 4000)
        XCTAssertEqual(
            chunks,
            [
                SnapshotChunk(table: 0), SnapshotChunk(table: 1), SnapshotChunk(table: 2),
                SnapshotChunk(table: 3, toPage: 100), SnapshotChunk(table: 3, fromPage: 100, toPage: 200),
                SnapshotChunk(table: 3, fromPage: 200),
            ])
    }

    func testATableNeverAnalyzedIsCutByAnAssumedRowDensity() {
        let chunks = SnapshotChunkPlan.chunks(
            [SnapshotChunkPlan.TableSize(pages: 100, rowsPerPage: nil, byPages: true)], rowsPerChunk: 1000)
        XCTAssertEqual(chunks.count, 10, "100 rows per page assumed: 10 pages a chunk")
    }
}
