import XCTest

@testable import Converters

final class JSONDocumentTests: XCTestCase {
    func testValidDocuments() {
        for text in [#"{"a":[1,2.5e3,true,null,"x"]}"#, " 12 ", #""text""#, "null", "[]", #"{"a":{"b":{}}}"#] {
            XCTAssertTrue(JSONDocument.isValid(Array(text.utf8)), text)
        }
        for text in ["", "{", #"{"a":1,}"#, "[1 2]", "01", "nul", "{} {}", "\"\u{01}\"", "[1]x"] {
            XCTAssertFalse(JSONDocument.isValid(Array(text.utf8)), text)
        }
        XCTAssertFalse(JSONDocument.isValid([0x22, 0xFF, 0x22]), "invalid UTF-8")
        let deep = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        XCTAssertFalse(JSONDocument.isValid(Array(deep.utf8)), "nesting beyond the limit")
    }

    /// PostgreSQL's `jsonb` and MySQL's JSON print the same document differently: keys in another order, spaces,
    /// numbers spelled another way. Their canonical forms are equal.
    func testCanonicalFormsOfEqualDocuments() {
        let equal: [(String, String)] = [
            (#"{"b": [2, {"d": 1, "c": 0}], "a": 1}"#, #"{"a":1,"b":[2,{"c":0,"d":1}]}"#),
            (#"{"n": 1.0, "m": 10E-1, "k": 5e-1}"#, #"{"k":0.5,"m":1,"n":1}"#),
            (#"  "caf\u00e9 \/ \"x\""  "#, #""café / \"x\"""#),
            ("[true, false, null]", "[true,false,null]"),
            ("-0", "0"),
        ]
        for (a, b) in equal {
            XCTAssertEqual(JSONDocument.canonical(a), JSONDocument.canonical(b), a)
            XCTAssertNotNil(JSONDocument.canonical(a), a)
        }
        XCTAssertEqual(JSONDocument.canonical(#"{"b":1, "a":[1, 2]}"#), #"{"a":[1,2],"b":1}"#)
        XCTAssertNotEqual(JSONDocument.canonical(#"{"a":1}"#), JSONDocument.canonical(#"{"a":"1"}"#))
        XCTAssertNotEqual(JSONDocument.canonical("[1,2]"), JSONDocument.canonical("[2,1]"))
        // Integers beyond 64 bits compare as doubles, as most JSON readers take them; beyond a double, as written.
        XCTAssertEqual(JSONDocument.canonical("123456789012345678901234567890"), "1.2345678901234568E29")
        XCTAssertEqual(JSONDocument.canonical("1e400"), "1e400")
        XCTAssertNil(JSONDocument.canonical("{"))
        XCTAssertNil(JSONDocument.canonical("[1] 2"))
    }
}
