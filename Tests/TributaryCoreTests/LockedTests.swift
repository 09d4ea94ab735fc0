import TributaryCore
import XCTest

final class LockedTests: XCTestCase {
    /// A consumer waits for what producers on other threads add, and sees every item once, in the order added.
    func testWaitersSeeEveryChangeTheyWaitFor() {
        let queue = Locked<(items: [Int], ended: Bool)>(([], false))
        let count = 10_000
        DetachedThread.start {
            for i in 0..<count {
                queue.withLock(when: { $0.items.count < 8 }, do: { $0.items.append(i) })
                queue.notifyAll()
            }
            queue.withLock { $0.ended = true }
            queue.notifyAll()
        }
        var seen: [Int] = []
        while true {
            let taken = queue.withLock(
                when: { !$0.items.isEmpty || $0.ended },
                do: { state -> [Int]? in
                    if state.items.isEmpty { return nil }
                    defer { state.items.removeAll() }
                    return state.items
                })
            queue.notifyAll()
            guard let taken else { break }
            seen += taken
        }
        XCTAssertEqual(seen, Array(0..<count))
    }
}
