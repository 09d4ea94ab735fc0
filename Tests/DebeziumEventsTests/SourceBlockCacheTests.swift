import DebeziumEvents
import TributaryCore
import XCTest

final class SourceBlockCacheTests: XCTestCase {
    private let schema = Schema.struct(name: "source", fields: [("table", .string)])

    func testABlockIsBuiltAgainOnlyForADifferentKey() {
        var cache = SourceBlockCache<String>()
        var built: [String] = []
        func block(_ table: String) -> Struct {
            cache.block(for: table) {
                built.append(table)
                return Struct(schema: schema, values: [.string(table)])
            }
        }
        XCTAssertEqual(block("a")[0], .string("a"))
        XCTAssertEqual(block("a")[0], .string("a"))
        XCTAssertEqual(block("b")[0], .string("b"))
        XCTAssertEqual(block("a")[0], .string("a"))
        XCTAssertEqual(built, ["a", "b", "a"], "the last block only is kept")
    }
}
