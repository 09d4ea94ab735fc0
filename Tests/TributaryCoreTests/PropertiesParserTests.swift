import TributaryCore
import XCTest

final class PropertiesParserTests: XCTestCase {
    func testJavaPropertiesForms() {
        let text = """
            # comment
            ! also a comment
            a=1
              b : two words  
            c 3
            d=line one \\
                continued
            e=tab\\tand\\u00e9
            f=
            table.include.list=inventory\\\\..*
            key\\ with\\ spaces=x
            """
        let pairs = Dictionary(PropertiesParser.parse(text), uniquingKeysWith: { $1 })
        XCTAssertEqual(pairs["a"], "1")
        XCTAssertEqual(pairs["b"], "two words  ")
        XCTAssertEqual(pairs["c"], "3")
        XCTAssertEqual(pairs["d"], "line one continued")
        XCTAssertEqual(pairs["e"], "tab\tand\u{e9}")
        XCTAssertEqual(pairs["f"], "")
        XCTAssertEqual(pairs["table.include.list"], "inventory\\..*")
        XCTAssertEqual(pairs["key with spaces"], "x")
        XCTAssertEqual(pairs.count, 8)
    }

    func testLaterKeysOverrideEarlierOnes() {
        XCTAssertEqual(Config(properties: "a=1\na=2")["a"], "2")
    }
}
