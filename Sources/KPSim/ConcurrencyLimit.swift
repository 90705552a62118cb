import NIOCore
import Synchronization

/// `--sim-max-concurrency N`: at most N API requests are served at once, across all VCPs; the rest
/// wait, first come first served, before their service begins.
///
/// Service runs from admission until the answer is written (the `--fault-latency` hold included),
/// so with a fixed service time S the emulator's capacity is N / S requests per second, and load
/// beyond it queues here as it would in a saturated server. Probes (`/readyz`, `/livez`,
/// `/healthz`), `/metrics` and `/debug/pprof/*` never wait (``SimApplication`` asks only for API
/// requests), and a watch gives its slot back once its head is written: a long-running request is
/// not in the limit, as upstream's max-inflight filter leaves watches out.
///
/// Without a limit ``acquire()`` admits at once and counts nothing.
final class ConcurrencyLimit: Sendable {
    /// The limit, nil when unlimited.
    let limit: Int?

    struct State {
        var inUse = 0
        var nextTicket: UInt64 = 0
        /// Waiting tickets in arrival order; a ticket no longer in `waiters` (cancelled) is skipped.
        var order = CircularBuffer<UInt64>()
        var waiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
        /// Requests admitted, and those of them that had to wait first.
        var admitted = 0
        var waited = 0
        /// Requests that gave up (their client went away) while waiting.
        var abandoned = 0
        var waitSeconds = RequestMetrics.Histogram()
    }

    private let state = Mutex(State())

    init(limit: Int?) { self.limit = limit }

    /// Waits for a free slot (FIFO). Returns the slot, which must be given back with
    /// ``Slot/release()`` once the answer is written (its deinit gives it back otherwise), or nil
    /// when the calling task was cancelled while it waited.
    func acquire() async -> Slot? {
        guard let limit else { return Slot(owner: nil) }
        let immediate: Bool = self.state.withLock { s in
            guard s.inUse < limit && s.waiters.isEmpty else { return false }
            s.inUse += 1
            s.admitted += 1
            return true
        }
        if immediate { return Slot(owner: self) }
        let start = ContinuousClock.now
        let ticket = self.state.withLock { s in
            s.nextTicket += 1
            return s.nextTicket
        }
        let admitted = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let now: Bool? = self.state.withLock { s in
                    // Checked under the lock that the cancellation handler also takes: a cancel either
                    // happened before (seen here) or finds the ticket in `waiters`.
                    if Task.isCancelled {
                        s.abandoned += 1
                        return false
                    }
                    // A slot may have come free since the first look.
                    if s.inUse < limit && s.waiters.isEmpty {
                        s.inUse += 1
                        s.admitted += 1
                        return true
                    }
                    s.order.append(ticket)
                    s.waiters[ticket] = continuation
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            let continuation = self.state.withLock { s in
                let c = s.waiters.removeValue(forKey: ticket)
                if c != nil { s.abandoned += 1 }
                return c
            }
            continuation?.resume(returning: false)
        }
        guard admitted else { return nil }
        let seconds = DurationText.seconds(ContinuousClock.now - start)
        self.state.withLock { s in
            s.waited += 1
            if let index = RequestMetrics.durationBuckets.firstIndex(where: { seconds <= $0 }) {
                s.waitSeconds.buckets[index] += 1
            }
            s.waitSeconds.sum += seconds
            s.waitSeconds.count += 1
        }
        return Slot(owner: self)
    }

    /// Hands the freed slot to the longest-waiting request, or marks it free.
    fileprivate func release() {
        let next: CheckedContinuation<Bool, Never>? = self.state.withLock { s in
            while let ticket = s.order.popFirst() {
                if let c = s.waiters.removeValue(forKey: ticket) {
                    // The slot passes straight on: `inUse` stays.
                    s.admitted += 1
                    return c
                }
            }
            s.inUse -= 1
            return nil
        }
        next?.resume(returning: true)
    }

    /// Slots in use, requests waiting, and the counters since start.
    func snapshot() -> (inUse: Int, waiting: Int, state: State) {
        self.state.withLock { s in (s.inUse, s.waiters.count, s) }
    }

    /// One admitted request's slot. Given back once, by ``release()`` or, failing that, its deinit.
    final class Slot: Sendable {
        private let owner: ConcurrencyLimit?
        private let released = Atomic<Bool>(false)

        fileprivate init(owner: ConcurrencyLimit?) { self.owner = owner }

        /// Gives the slot back (again: nothing).
        func release() {
            guard let owner, !self.released.exchange(true, ordering: .acquiringAndReleasing) else { return }
            owner.release()
        }

        deinit { self.release() }
    }
}
