import TributaryCore
import XCTest

final class LastBuiltTests: XCTestCase {
    func testAValueIsBuiltAgainOnlyForADifferentKey() {
        var cache = LastBuilt<String, String>()
        var built: [String] = []
        func value(_ key: String) -> String {
            cache.value(for: key) {
                built.append(key)
                return key.uppercased()
            }
        }
        XCTAssertEqual([value("a"), value("a"), value("b"), value("a")], ["A", "A", "B", "A"])
        XCTAssertEqual(built, ["a", "b", "a"], "the last value only is kept")
    }
}
