import KPCore
import KPRecords

/// The reporter thread's loop, one for the read/write generator and the snapshot schedule: close a
/// window at every `--report-interval` boundary from `startNs` (boundaries missed while the thread
/// was late are skipped: the next is the first after the close), and once the schedule is done,
/// keep closing until nothing is in flight or `timeoutNs` + 1 s has passed. Sleeps at most 5 ms at
/// a time so the drain is noticed promptly. The caller closes the last window after it returns.
enum ReportWindows {
    static func run(
        startNs: Int64, intervalNs: Int64, timeoutNs: Int64, scheduleDone: () -> Bool, inflight: () -> Int,
        closeWindow: () -> Int64
    ) {
        var k: Int64 = 1
        var drainDeadline: Int64?
        while true {
            let boundary = startNs + k * intervalNs
            let now = MonotonicClock.now()
            if now >= boundary {
                let end = closeWindow()
                k = (end - startNs) / intervalNs + 1
                continue
            }
            if scheduleDone() {
                if inflight() == 0 { break }
                if drainDeadline == nil { drainDeadline = now + timeoutNs + 1_000_000_000 }
                if let d = drainDeadline, now >= d { break }
            }
            PreciseSleep.until(min(boundary, now + 5_000_000))
        }
    }
}
