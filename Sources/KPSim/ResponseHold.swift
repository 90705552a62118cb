import KPCore
import NIOCore

extension EventLoop {
    /// Runs `work` on this loop now, or `hold` from now when a latency fault holds the answer.
    ///
    /// The hold is a timer of the loop itself, so the answer is written by the thread the timer wakes:
    /// one wake-up, where a `Task.sleep` in the request's task took three (Dispatch's timer thread, the
    /// cooperative pool, then this loop) and overslept a 5 ms fault by 0.25-0.3 ms (docs/load.md).
    func after(_ hold: Duration, _ work: @escaping @Sendable () -> Void) {
        if hold > .zero {
            _ = self.scheduleTask(in: .nanoseconds(DurationGrammar.nanoseconds(hold)), work)
        } else {
            self.execute(work)
        }
    }
}
