import Foundation
import KPRecords

/// Sleeping until a CLOCK_MONOTONIC instant, and the process's own CPU time.
public enum PreciseSleep {
    /// Sleeps until monotonic `deadlineNs` (returns at once when it has passed).
    ///
    /// `clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)`: an absolute deadline, so a late wake-up
    /// never shifts later deadlines, and EINTR resumes toward the same instant.
    public static func until(_ deadlineNs: Int64) {
        var ts = timespec(tv_sec: Int(deadlineNs / 1_000_000_000), tv_nsec: Int(deadlineNs % 1_000_000_000))
        while true {
            let rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil)
            if rc != EINTR { return }
        }
    }

    /// Lowers the calling thread's timer slack to 1 ns (Linux), so a sleep ends at its deadline
    /// rather than up to 50 µs later (the default slack). Returns false when that is not possible.
    ///
    /// Written through `/proc/<tid>/timerslack_ns` because `prctl(PR_SET_TIMERSLACK)` is a C
    /// variadic function, which Swift cannot call, and `gettid` is not exported to Swift: the
    /// thread id comes from the `/proc/thread-self` link (`<pid>/task/<tid>`). Measured on a
    /// 2-core Firecracker VM: median wake-up lateness 99 µs with the default slack, 40 µs with 1 ns.
    @discardableResult
    public static func tightenTimerSlack() -> Bool {
        #if os(Linux)
            var buf = [CChar](repeating: 0, count: 128)
            let n = readlink("/proc/thread-self", &buf, buf.count - 1)
            guard n > 0 else { return false }
            let link = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard let tid = link.split(separator: "/").last, Int(tid) != nil else { return false }
            let fd = open("/proc/\(tid)/timerslack_ns", O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            let one: [UInt8] = Array("1".utf8)
            return one.withUnsafeBytes { write(fd, $0.baseAddress, 1) } == 1
        #else
            return false
        #endif
    }

    /// This process's CPU time (user + system) so far, seconds, from `getrusage(RUSAGE_SELF)`.
    public static func processCPUSeconds() -> Double {
        #if os(Linux)
            let rusageSelf = __rusage_who_t(RUSAGE_SELF.rawValue)
        #else
            let rusageSelf = RUSAGE_SELF
        #endif
        var ru = rusage()
        guard getrusage(rusageSelf, &ru) == 0 else { return 0 }
        func s(_ tv: timeval) -> Double { Double(tv.tv_sec) + Double(tv.tv_usec) / 1e6 }
        return s(ru.ru_utime) + s(ru.ru_stime)
    }

    /// The calling thread's CPU time so far, ns (`CLOCK_THREAD_CPUTIME_ID`): how busy one of
    /// kp-load's own threads was, which the process total cannot tell on a multi-threaded run.
    public static func threadCPUNs() -> Int64 {
        var ts = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0 else { return 0 }
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// The calling thread's run-queue delay so far, ns: how long it sat runnable waiting for a
    /// core (second field of `/proc/thread-self/schedstat`). Large when other processes starved it,
    /// which its CPU time cannot show. 0 where unavailable.
    public static func threadRunQueueDelayNs() -> Int64 {
        guard let text = try? String(contentsOfFile: "/proc/thread-self/schedstat", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count >= 2 ? Int64(fields[1]) ?? 0 : 0
    }
}
