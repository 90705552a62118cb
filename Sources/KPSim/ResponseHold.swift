import NIOCore

extension EventLoop {
    /// Runs `work` on this loop now, or `hold` from now when a latency fault holds the answer.
    ///
    /// The hold is a timer of the loop itself, so the answer is written by the thread the timer wakes:
    /// one wake-up, where a `Task.sleep` in the request's task takes three (Dispatch's timer thread, the
    /// cooperative pool, then this loop) and oversleeps a 5 ms fault by 0.25-0.3 ms (docs/load.md,
    /// "Checking latencies on the wire").
    func after(_ hold: Duration, _ work: @escaping @Sendable () -> Void) {
        if hold > .zero {
            _ = self.scheduleTask(in: TimeAmount(hold), work)
        } else {
            self.execute(work)
        }
    }
}

extension SimResponse {
    /// Waits out `hold` in the request's task: for a streamed answer, whose chunks must follow its head
    /// in order, so its head cannot be scheduled ahead of them on the loop.
    func waitOutHold() async {
        if self.hold > .zero { try? await Task.sleep(for: self.hold, tolerance: .zero) }
    }
}
