import XCTest

@testable import MySQLSource

final class MySQLTextRowsTests: XCTestCase {
    private func append(_ values: [String?], to rows: inout MySQLTextRows) {
        for value in values {
            guard let value else {
                rows.append(nil)
                continue
            }
            Array(value.utf8).withUnsafeBytes { rows.append($0) }
        }
        rows.endRow()
    }

    private func strings(_ rows: MySQLTextRows, _ index: Int) -> [String?] {
        var text: [ArraySlice<UInt8>?] = [nil, nil, nil, nil]
        rows.row(index, into: &text)
        return text.map { $0.map { String(decoding: $0, as: UTF8.self) } }
    }

    func testRowsGiveBackTheirValuesNullsAndEmptyValues() {
        var rows = MySQLTextRows(columnCount: 3, reservingRows: 1, bytes: 4)
        append(["1", nil, "héllo"], to: &rows)
        append(["", "x", nil], to: &rows)
        append([nil, nil, nil], to: &rows)
        XCTAssertEqual(rows.count, 3)
        XCTAssertEqual(strings(rows, 0), ["1", nil, "héllo"])
        XCTAssertEqual(strings(rows, 1), ["", "x", nil], "an empty value is not NULL")
        XCTAssertEqual(strings(rows, 2), [nil, nil, nil])
    }

    func testRemoveAllStartsAgainWithTheSameRoom() {
        var rows = MySQLTextRows(columnCount: 2)
        for i in 0..<100 { append([String(i), String(repeating: "y", count: i)], to: &rows) }
        let capacity = rows.bytes.capacity
        rows.removeAll()
        XCTAssertEqual(rows.count, 0)
        XCTAssertEqual(rows.bytes.count, 0)
        XCTAssertEqual(rows.bytes.capacity, capacity)
        append(["a", "b"], to: &rows)
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(strings(rows, 0), ["a", "b"])
    }
}
