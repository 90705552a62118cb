import Foundation

/// CPU time this process used (all threads, user + system), from `getrusage(RUSAGE_SELF)`.
enum CPUClock {
    struct Reading {
        var userSeconds: Double
        var systemSeconds: Double
        var total: Double { userSeconds + systemSeconds }
    }

    static func now() -> Reading {
        var usage = rusage()
        // getrusage(RUSAGE_SELF) cannot fail with a valid pointer; a failure leaves zeros, which the
        // result's cpu_seconds = 0 would show plainly.
        if getrusage(RUSAGE_SELF.rawValue, &usage) != 0 { return Reading(userSeconds: 0, systemSeconds: 0) }
        return Reading(userSeconds: seconds(usage.ru_utime), systemSeconds: seconds(usage.ru_stime))
    }

    private static func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
}
