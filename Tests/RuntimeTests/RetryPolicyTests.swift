import Runtime
import TributaryCore
import XCTest

final class RetryPolicyTests: XCTestCase {
    func testDelaysDoubleUpToTheMaximum() {
        let policy = RetryPolicy(maxRetries: -1, initialDelay: .milliseconds(300), maxDelay: .seconds(2))
        XCTAssertEqual(
            (1...6).map { policy.delay(beforeAttempt: $0) },
            [
                .milliseconds(300), .milliseconds(600), .milliseconds(1200), .seconds(2), .seconds(2), .seconds(2),
            ])
    }

    func testRetriesRunOut() {
        let policy = RetryPolicy(maxRetries: 2)
        XCTAssertNotNil(policy.delay(beforeAttempt: 2))
        XCTAssertNil(policy.delay(beforeAttempt: 3))
        XCTAssertNil(RetryPolicy(maxRetries: 0).delay(beforeAttempt: 1))
    }

    /// Restarts in a row run out; a task that ran well for a while before it failed starts the count afresh, so
    /// a connector that fails now and then over weeks is not given up on.
    func testRestartsInARowRunOutAndALongRunStartsAfresh() {
        var backoff = RestartBackoff(RetryPolicy(maxRetries: 2, initialDelay: .milliseconds(10), maxDelay: .seconds(1)))
        XCTAssertEqual(backoff.delay(afterRunning: .milliseconds(5)), .milliseconds(10))
        XCTAssertEqual(backoff.delay(afterRunning: .milliseconds(5)), .milliseconds(20))
        XCTAssertNil(backoff.delay(afterRunning: .milliseconds(5)), "a third restart in a row")
        for _ in 0..<10 {
            XCTAssertEqual(backoff.delay(afterRunning: .seconds(4)), .milliseconds(10), "after a long run")
        }
        XCTAssertEqual(backoff.delay(afterRunning: .seconds(3)), .milliseconds(20), "three maximum delays is not long")
        XCTAssertNil(backoff.delay(afterRunning: .zero))
    }

    func testReadsDebeziumKeys() throws {
        let policy = try RetryPolicy(
            Config([
                "errors.max.retries": "5", "errors.retry.delay.initial.ms": "100", "errors.retry.delay.max.ms": "1000",
            ]))
        XCTAssertEqual(policy.maxRetries, 5)
        XCTAssertEqual(policy.initialDelay, .milliseconds(100))
        XCTAssertEqual(policy.maxDelay, .seconds(1))
        XCTAssertThrowsError(try RetryPolicy(Config(["errors.max.retries": "-2"]))) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "errors.max.retries")
        }
    }
}
