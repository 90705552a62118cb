import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Monotonic time in integer nanoseconds (CLOCK_MONOTONIC).
///
/// All `*_ns` time points in records are CLOCK_MONOTONIC readings of the host that ran the tool,
/// so records from different tools of one run on one host can be compared; only differences
/// are meaningful. Wall-clock time appears only in `run_meta`, `run_end` and `endpoint`.
public enum MonotonicClock {
    public static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
