import Foundation
import TributaryCore
import XCTest

@testable import JdbcSink

final class WriteBehindTests: XCTestCase {
    private struct Failed: Error {}

    /// A job runs on the writer's thread while its owner goes on; `wait` returns once it ran, with its error.
    func testJobsRunBehindTheirOwnerOneAtATime() {
        let writer = WriteBehind()
        let release = DispatchSemaphore(value: 0)
        let ran = Locked<[String]>([])
        writer.submit {
            release.wait()
            ran.withLock { $0.append("first") }
        }
        ran.withLock { $0.append("owner went on") }
        release.signal()
        XCTAssertNil(writer.wait())
        XCTAssertEqual(ran.withLock { $0 }, ["owner went on", "first"])

        writer.submit { throw Failed() }
        XCTAssertTrue(writer.wait() is Failed, "the job's error")
        XCTAssertNil(writer.wait(), "an error is given once")

        writer.submit { ran.withLock { $0.append("last") } }
        writer.close()
        XCTAssertEqual(ran.withLock { $0 }.last, "last", "close waits for the job in flight")
    }

    func testClosingWithoutJobsEnds() {
        let writer = WriteBehind()
        XCTAssertNil(writer.wait())
        writer.close()
    }
}
