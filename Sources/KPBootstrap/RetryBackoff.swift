import Foundation

/// Bounded exponential backoff with jitter, for 429 and 5xx answers.
///
/// The n-th consecutive retry (n from 0) waits `min(cap, base × 2ⁿ)`, then jitter takes up to
/// `jitter` of it away (uniformly), so that 12 workers hitting the same overload do not retry in lock
/// step. A `Retry-After` answer (seconds) raises the wait to that value, still bounded by `cap`.
public struct RetryBackoff: Sendable, Equatable {
    public var base: Duration
    public var cap: Duration
    /// Fraction in `0...1` of the computed wait that jitter may remove; 0 makes the wait deterministic.
    public var jitter: Double

    public init(base: Duration = .milliseconds(200), cap: Duration = .seconds(5), jitter: Double = 0.5) {
        self.base = base
        self.cap = cap
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The wait before retry number `retry` (0 for the first), given an optional `Retry-After` header value.
    public func delay(retry: Int, retryAfter: String? = nil) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(retry: retry, retryAfter: retryAfter, using: &generator)
    }

    /// As ``delay(retry:retryAfter:)`` with a given random source (tests).
    public func delay<G: RandomNumberGenerator>(retry: Int, retryAfter: String?, using generator: inout G) -> Duration {
        let capNs = Self.ns(cap)
        let baseNs = max(Self.ns(base), 1)
        let shift = min(max(retry, 0), 40)
        let raw = baseNs > capNs >> shift ? capNs : min(capNs, baseNs << shift)
        var waitNs = raw
        if jitter > 0, raw > 0 {
            let cut = Double(raw) * jitter * Double.random(in: 0..<1, using: &generator)
            waitNs = raw - Int64(cut)
        }
        if let retryAfter, let seconds = Int64(retryAfter.trimmingCharacters(in: .whitespaces)), seconds >= 0 {
            waitNs = max(
                waitNs,
                min(
                    seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow ? capNs : seconds * 1_000_000_000,
                    capNs))
        }
        return .nanoseconds(waitNs)
    }

    static func ns(_ d: Duration) -> Int64 {
        let c = d.components
        return c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
    }
}
