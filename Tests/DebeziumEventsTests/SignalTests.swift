import DebeziumEvents
import XCTest

final class SignalTests: XCTestCase {
    func testExecuteSnapshotAsDebeziumDocumentsIt() throws {
        let signal = try Signal(
            id: "ad-hoc-1", type: "execute-snapshot",
            data: """
                {"data-collections": ["public.a", "public\\\\.b.*"], "type": "INCREMENTAL",
                 "additional-conditions": [{"data-collection": "public.a", "filter": "color = 'blue'"}],
                 "surrogate-key": "code"}
                """)
        XCTAssertEqual(
            signal.action,
            .executeSnapshot(
                .init(
                    kind: .incremental, dataCollections: ["public.a", "public\\.b.*"],
                    additionalConditions: ["public.a": "color = 'blue'"], surrogateKey: "code")))
    }

    func testDefaultsAndTheOlderSingleCondition() throws {
        let signal = try Signal(
            id: "1", type: "execute-snapshot",
            data: #"{"data-collections": ["public.a", "public.b"], "additional-condition": "id > 10"}"#)
        XCTAssertEqual(
            signal.action,
            .executeSnapshot(
                .init(
                    kind: .incremental, dataCollections: ["public.a", "public.b"],
                    additionalConditions: ["public.a": "id > 10", "public.b": "id > 10"])))
        XCTAssertEqual(
            try Signal(id: "2", type: "execute-snapshot", data: #"{"data-collections": ["x"], "type": "blocking"}"#)
                .action,
            .executeSnapshot(.init(kind: .blocking, dataCollections: ["x"])))
    }

    func testTheOtherSignals() throws {
        XCTAssertEqual(try Signal(id: "1", type: "stop-snapshot", data: nil).action, .stopSnapshot(dataCollections: []))
        XCTAssertEqual(
            try Signal(id: "1", type: "stop-snapshot", data: #"{"data-collections": ["public.a"]}"#).action,
            .stopSnapshot(dataCollections: ["public.a"]))
        XCTAssertEqual(try Signal(id: "1", type: "pause-snapshot", data: nil).action, .pauseSnapshot)
        XCTAssertEqual(try Signal(id: "1", type: "resume-snapshot", data: "").action, .resumeSnapshot)
        XCTAssertEqual(
            try Signal(id: "c-open", type: "snapshot-window-open", data: #"{"openWindowTimestamp": "x"}"#).action,
            .openWindow)
        XCTAssertEqual(try Signal(id: "c-close", type: "snapshot-window-close", data: nil).action, .closeWindow)
        XCTAssertEqual(try Signal(id: "1", type: "log", data: #"{"message": "hello"}"#).action, .log("hello"))
    }

    func testBadSignalsSayWhatIsWrong() {
        func reason(_ type: String, _ data: String?) -> String? {
            do {
                _ = try Signal(id: "1", type: type, data: data)
                return nil
            } catch {
                return error.description
            }
        }
        XCTAssertEqual(
            reason("explode", nil),
            "unknown signal type \"explode\" (known: execute-snapshot, stop-snapshot, pause-snapshot, "
                + "resume-snapshot, snapshot-window-open, snapshot-window-close, log)")
        XCTAssertEqual(reason("execute-snapshot", "{}"), "execute-snapshot signal without \"data-collections\"")
        XCTAssertEqual(
            reason("execute-snapshot", "not json"),
            "execute-snapshot signal with data that is not the JSON expected: not json")
        XCTAssertEqual(
            reason("execute-snapshot", #"{"data-collections": ["a"], "type": "sideways"}"#),
            "execute-snapshot of unknown type \"sideways\"")
        XCTAssertEqual(reason("log", "{}"), "log signal without \"message\"")
    }
}
