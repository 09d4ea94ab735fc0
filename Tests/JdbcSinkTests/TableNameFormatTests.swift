import XCTest

@testable import JdbcSink

final class TableNameFormatTests: XCTestCase {
    func testFormatsParseOnceIntoParts() {
        XCTAssertEqual(TableNameFormat("${topic}").parts, [.topic])
        XCTAssertEqual(
            TableNameFormat("copy_${source.schema}.${source.table}_x").parts,
            [.text("copy_"), .source("schema"), .text("."), .source("table"), .text("_x")])
        XCTAssertEqual(TableNameFormat("a${other}b${topic}").parts, [.text("a${other}"), .text("b"), .topic])
        XCTAssertEqual(TableNameFormat("${unclosed").parts, [.text("${unclosed")])
        XCTAssertEqual(
            try TableNameFormat("t_${topic}").name(topic: "db.public.zoë", source: nil).get(), "t_db_public_zoë")
        XCTAssertThrowsError(try TableNameFormat("${source.table}").name(topic: "t", source: nil).get())
    }
}
