#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The wall-clock time, for the timestamps records carry (Debezium's `ts_ms`/`ts_us`/`ts_ns`); durations use
/// `ContinuousClock`.
public enum WallClock {
    /// Microseconds since the Unix epoch.
    public static func epochMicros() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }
}
