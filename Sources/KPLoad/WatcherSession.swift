import Foundation
import KPCore
import KPRecords
import KPStats
import Synchronization

/// kp-load's watchers for one load phase: opened after the pre-warm, reported on a thread of their
/// own, closed after the load phase (and its drain) ended.
///
/// ``finish()`` waits on the reporter itself: the reporter thread hands its `watch_final` to a
/// continuation, and ``finish()`` awaits the task that holds it.
final class WatcherSession: Sendable {
    let fanout: WatchFanout
    private let reporter = Mutex<Task<WatchFinalRecord, Never>?>(nil)

    init(fanout: WatchFanout) {
        self.fanout = fanout
    }

    /// Opens every watch, then starts the reporter thread (`watch_interval` records through `emit`).
    func start(emit: @escaping @Sendable (Record) -> Void) async {
        let startNs = MonotonicClock.now()
        await fanout.start()
        StandardError.write(
            "kp-load: \(fanout.configuration.watcherCount) watch streams open (\(fanout.configuration.watchersPerCluster) per hot cluster and resource)\n"
        )
        let fanout = self.fanout
        let task = Task {
            await withCheckedContinuation { (done: CheckedContinuation<WatchFinalRecord, Never>) in
                let t = Thread { done.resume(returning: fanout.runReporter(startNs: startNs, emit: emit)) }
                t.name = "kp-load-watch-reporter"
                t.start()
            }
        }
        reporter.withLock { $0 = task }
    }

    /// Stops the watchers, waits for the reporter's `watch_final` (none when ``start(emit:)`` never
    /// ran) and writes its line on stderr.
    func finish() async {
        fanout.stop()
        guard let reporter = reporter.withLock({ $0 }) else { return }
        let f = await reporter.value
        let c = f.counts
        let hist = try? LatencyHistogram(wire: c.delivery)
        func ms(_ v: Int64?) -> String { v.map { String(format: "%.2fms", Double($0) / 1e6) } ?? "-" }
        StandardError.write(
            "kp-load: watchers: \(c.events) events (\(String(format: "%.1f", f.eventsPerSecond))/s), \(c.matched) matched, \(c.unmatched) unmatched, \(c.bookmarks) bookmarks; delivery p50 \(ms(hist?.percentile(50))) p99 \(ms(hist?.percentile(99))); ends by the server \(c.ends.isEmpty ? "none" : c.ends.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")); re-established \(c.reestablished); ended by kp-load's stop \(c.stopped ?? 0)\n"
        )
    }
}
