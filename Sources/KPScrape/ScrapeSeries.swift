import KPCore
import KPRecords

/// Continuous mode: one scrape per tick until stopped, a count is reached or a duration has passed.
///
/// Ticks are at `start + k × interval`, so the cadence does not drift by the scrape time. A scrape
/// that overruns its interval moves the next scrape to the next tick still ahead (missed ticks are
/// skipped, not bunched). With a duration D, a scrape is
/// started only at ticks before `start + D`. Cancelling the calling task stops the series; a scrape
/// cut short by that cancellation is dropped (it measured nothing), every finished one was emitted.
public struct ScrapeSeries: Sendable {
    public var interval: Duration
    /// Stop after this many samples.
    public var count: Int?
    /// Stop once this much time has passed since the first scrape.
    public var duration: Duration?

    public init(interval: Duration, count: Int? = nil, duration: Duration? = nil) {
        self.interval = interval
        self.count = count
        self.duration = duration
    }

    /// Runs the series; `emit` gets each scrape's outcome as soon as it is done. Returns how many were emitted.
    @discardableResult
    public func run(scraper: Scraper, phase: String, emit: (Scraper.Outcome) -> Void) async -> Int {
        let intervalNs = max(Self.ns(interval), 1)
        let startNs = MonotonicClock.now()
        let endNs = duration.map { startNs + Self.ns($0) }
        var emitted = 0
        var tick: Int64 = 0
        while !Task.isCancelled {
            if let count, emitted >= count { break }
            if let endNs, startNs + tick * intervalNs >= endNs { break }
            let outcome = await scraper.sample(phase: phase)
            if Task.isCancelled && !outcome.succeeded { break }
            emit(outcome)
            emitted += 1
            if let count, emitted >= count { break }
            let now = MonotonicClock.now()
            tick = max(tick + 1, (now - startNs) / intervalNs + 1)
            let nextNs = startNs + tick * intervalNs
            if let endNs, nextNs >= endNs { break }
            do {
                try await Task.sleep(for: .nanoseconds(nextNs - now))
            } catch {
                break
            }
        }
        return emitted
    }

    static func ns(_ d: Duration) -> Int64 {
        let c = d.components
        return c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
    }
}
