import Foundation
import Synchronization

/// The faults kp-sim injects, parsed from the `--fault-*` flags.
///
/// API requests (everything but `/metrics` and `/debug/pprof/*`) get latency, errors and resets;
/// `/metrics` only sees the metrics faults; stalls and crashes affect the whole process.
/// See docs/kp-sim.md for the syntax of each flag.
public struct FaultPlan: Sendable, Equatable {
    /// Extra latency added before an API response is written.
    public enum Latency: Sendable, Equatable {
        case none
        case fixed(Duration)
        case uniform(Duration, Duration)
        /// Log-normal with the given median and 99th percentile.
        case lognormal(p50: Duration, p99: Duration)
    }

    /// A window during which responses are held.
    public struct Stall: Sendable, Equatable {
        /// How long each stall lasts.
        public var duration: Duration
        /// Repeat period (`D/P`), or nil for a one-shot stall.
        public var period: Duration?
        /// Start offset from process start for a one-shot stall (`D@S`).
        public var start: Duration

        /// Time left in the stall at `elapsed` since start, or zero when not stalled.
        public func remaining(at elapsed: Duration) -> Duration {
            if let period {
                // Stalls run during [kP, kP + D) for k >= 1.
                guard elapsed >= period else { return .zero }
                let periodNanos = DurationText.nanos(period)
                let into = DurationText.nanos(elapsed) % periodNanos
                let stallNanos = DurationText.nanos(duration)
                return into < stallNanos ? .nanoseconds(stallNanos - into) : .zero
            }
            if elapsed >= start && elapsed < start + duration { return start + duration - elapsed }
            return .zero
        }
    }

    public var latency: Latency = .none
    public var errorRate: Double = 0
    public var errorStatus: Int = 503
    public var stall: Stall?
    public var crashAfter: Duration?
    public var crashAfterVCPs: Int?
    public var resetRate: Double = 0
    public var metricsDelay: Duration?
    public var metricsMalformed = false
    public var pprofStatus: Int?
    /// `--fault-arm-file`: when set, every fault stays dormant until this file exists, and stall
    /// windows and `--fault-crash-after` count from that moment (see ``FaultArming``).
    public var armFile: String?

    public init() {}

    /// Parses `--fault-latency` text: `fixed:5ms`, `uniform:1ms-10ms` or `lognormal:p50=5ms,p99=50ms`.
    public static func parseLatency(_ text: String) throws(SimConfigurationError) -> Latency {
        let fail = SimConfigurationError(
            "--fault-latency: cannot parse '\(text)'; use fixed:5ms, uniform:1ms-10ms or lognormal:p50=5ms,p99=50ms")
        guard let colon = text.firstIndex(of: ":") else { throw fail }
        let kind = text[..<colon]
        let rest = String(text[text.index(after: colon)...])
        switch kind {
        case "fixed":
            guard let value = DurationText.parse(rest) else { throw fail }
            return .fixed(value)
        case "uniform":
            let parts = rest.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let low = DurationText.parse(String(parts[0])),
                let high = DurationText.parse(String(parts[1])), low <= high
            else { throw fail }
            return .uniform(low, high)
        case "lognormal":
            var p50: Duration?
            var p99: Duration?
            for part in rest.split(separator: ",") {
                let pair = part.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, let value = DurationText.parse(String(pair[1])) else { throw fail }
                switch pair[0] {
                case "p50": p50 = value
                case "p99": p99 = value
                default: throw fail
                }
            }
            guard let p50, let p99, p50 > .zero, p99 >= p50 else { throw fail }
            return .lognormal(p50: p50, p99: p99)
        default:
            throw fail
        }
    }

    /// Parses `--fault-stall` text: `2s/30s` (periodic) or `2s@10s` (one-shot).
    public static func parseStall(_ text: String) throws(SimConfigurationError) -> Stall {
        let fail = SimConfigurationError(
            "--fault-stall: cannot parse '\(text)'; use DURATION/PERIOD (2s/30s) or DURATION@START (2s@10s)")
        if let slash = text.firstIndex(of: "/") {
            guard let duration = DurationText.parse(String(text[..<slash])),
                let period = DurationText.parse(String(text[text.index(after: slash)...])),
                duration > .zero, period > duration
            else { throw fail }
            return Stall(duration: duration, period: period, start: .zero)
        }
        if let at = text.firstIndex(of: "@") {
            guard let duration = DurationText.parse(String(text[..<at])),
                let start = DurationText.parse(String(text[text.index(after: at)...])), duration > .zero
            else { throw fail }
            return Stall(duration: duration, period: nil, start: start)
        }
        throw fail
    }

    /// Parses a probability flag value in [0, 1].
    public static func parseRate(_ text: String, flag: String) throws(SimConfigurationError) -> Double {
        guard let value = Double(text), value >= 0, value <= 1 else {
            throw SimConfigurationError("\(flag): '\(text)' is not a probability; use a number from 0 to 1, e.g. 0.05")
        }
        return value
    }
}

extension DurationText {
    /// Whole nanoseconds in `duration`.
    static func nanos(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// The random source behind fault decisions: seeded (SplitMix64) with `--sim-seed`, else the system RNG.
final class FaultRandom: Sendable {
    private let state: Mutex<UInt64?>

    init(seed: UInt64?) { self.state = Mutex(seed) }

    /// A uniform Double in [0, 1).
    func unit() -> Double {
        let bits: UInt64 = self.state.withLock { seed in
            guard var value = seed else { return UInt64.random(in: .min ... .max) }
            value &+= 0x9E37_79B9_7F4A_7C15
            seed = value
            var z = value
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return Double(bits >> 11) / Double(UInt64(1) << 53)
    }

    /// A latency sample for `latency`.
    func sample(_ latency: FaultPlan.Latency) -> Duration {
        switch latency {
        case .none: return .zero
        case .fixed(let value): return value
        case .uniform(let low, let high):
            let lowNanos = Double(DurationText.nanos(low))
            let highNanos = Double(DurationText.nanos(high))
            return .nanoseconds(Int64(lowNanos + (highNanos - lowNanos) * self.unit()))
        case .lognormal(let p50, let p99):
            let mu = log(Double(DurationText.nanos(p50)))
            let sigma = (log(Double(DurationText.nanos(p99))) - mu) / 2.326_347_874
            // Box-Muller transform for a standard normal sample.
            let u1 = max(self.unit(), 1e-12)
            let u2 = self.unit()
            let normal = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
            let nanos = exp(mu + sigma * normal)
            return .nanoseconds(Int64(min(nanos, 3.6e12)))
        }
    }
}
