import TributaryCore

/// Runs one job at a time on a thread of its own: the JDBC sink's database writes, so that the worker reads and
/// converts the next batch while the database writes the one before. A job's error is kept until the owner
/// waits for it; a new job is given only after that wait, so at most one batch is in flight.
final class WriteBehind: @unchecked Sendable {
    private enum Slot {
        case idle
        case given(() throws -> Void)
        case running
        case finished((any Error)?)
        case closing
    }

    private let slot = Locked(Slot.idle)
    private var started = false

    /// Runs `job` on the writer's thread. The job before must have been waited for.
    func submit(_ job: @escaping () throws -> Void) {
        if !started {
            started = true
            DetachedThread.start { [self] in loop() }
        }
        slot.withLock {
            guard case .idle = $0 else { preconditionFailure("a write is given while another is in flight") }
            $0 = .given(job)
        }
        slot.notifyAll()
    }

    /// Waits until the job given last has run, and returns its error (nil when it succeeded or none was given).
    func wait() -> (any Error)? {
        slot.withLock(
            when: {
                switch $0 {
                case .given, .running: false
                case .idle, .finished, .closing: true
                }
            },
            do: {
                guard case .finished(let error) = $0 else { return nil }
                $0 = .idle
                return error
            })
    }

    /// Ends the thread after the job in flight (whose error is dropped: the owner is stopping).
    func close() {
        _ = wait()
        slot.withLock { $0 = .closing }
        slot.notifyAll()
    }

    private func loop() {
        while true {
            let job: (() throws -> Void)? = slot.withLock(
                when: {
                    switch $0 {
                    case .given, .closing: true
                    case .idle, .running, .finished: false
                    }
                },
                do: {
                    guard case .given(let job) = $0 else { return nil }
                    $0 = .running
                    return job
                })
            guard let job else { return }
            var failure: (any Error)?
            do { try job() } catch { failure = error }
            slot.withLock { $0 = .finished(failure) }
            slot.notifyAll()
        }
    }
}
