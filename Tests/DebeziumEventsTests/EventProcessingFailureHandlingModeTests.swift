import DebeziumEvents
import Logging
import TributaryCore
import XCTest

final class EventProcessingFailureHandlingModeTests: XCTestCase {
    private struct Failure: RetriableError {
        let isRetriable: Bool
    }

    func testFailRethrowsOthersSkipUnlessTheFailureMayPass() throws {
        let logger = Logger(label: "test")
        XCTAssertEqual(try EventProcessingFailureHandlingMode(Config([:])), .fail)
        XCTAssertThrowsError(
            try EventProcessingFailureHandlingMode.fail.handle(Failure(isRetriable: false), at: "x", logger: logger))
        for mode in [EventProcessingFailureHandlingMode.warn, .skip, .ignore] {
            XCTAssertNoThrow(try mode.handle(Failure(isRetriable: false), at: "LSN 0/1", logger: logger), "\(mode)")
            XCTAssertThrowsError(try mode.handle(Failure(isRetriable: true), at: "LSN 0/1", logger: logger), "\(mode)")
        }
        XCTAssertEqual(
            try EventProcessingFailureHandlingMode(Config(["event.processing.failure.handling.mode": "warn"])), .warn)
    }
}
