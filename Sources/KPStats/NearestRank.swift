/// Percentiles of a plain list of numbers by the nearest-rank method.
///
/// The p-th percentile (0 < p ≤ 100) of n sorted values is the value at 1-based rank
/// ⌈p/100 × n⌉: always one of the observed values, never an interpolation. p ≤ 0 gives the
/// minimum. This is the definition HdrHistogram uses too, so a step duration's p99 across
/// clusters and a request's p99 from a histogram mean the same thing. Used for per-step
/// bootstrap durations across clusters (a few thousand values at most, so sorting is fine).
public enum NearestRank {
    /// The 1-based rank of percentile `p` among `count` values (1…count; 0 when count is 0).
    ///
    /// A product that is an integer up to floating-point error (e.g. 99 % of 100) is not
    /// rounded up to the next rank.
    public static func rank(_ p: Double, count: Int) -> Int {
        guard count > 0 else { return 0 }
        if p <= 0 { return 1 }
        if p >= 100 { return count }
        let exact = p * Double(count) / 100
        let r = Int((exact - 1e-9).rounded(.up))
        return Swift.min(Swift.max(r, 1), count)
    }

    /// The p-th percentile of `values` (any order); nil when empty or when a value is NaN.
    public static func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty, !values.contains(where: \.isNaN) else { return nil }
        let sorted = values.sorted()
        return sorted[rank(p, count: sorted.count) - 1]
    }

    /// Count, min, p50, p90, p99, max and mean of `values` in one sort; nil when empty.
    public static func summary(_ values: [Double]) -> Summary? {
        guard !values.isEmpty, !values.contains(where: \.isNaN) else { return nil }
        let s = values.sorted()
        func at(_ p: Double) -> Double { s[rank(p, count: s.count) - 1] }
        return Summary(
            count: s.count, min: s[0], p50: at(50), p90: at(90), p99: at(99), max: s[s.count - 1],
            mean: s.reduce(0, +) / Double(s.count))
    }

    /// The usual percentiles of a list of values.
    public struct Summary: Sendable, Equatable {
        public var count: Int
        public var min: Double
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var max: Double
        /// Arithmetic mean.
        public var mean: Double

        public init(count: Int, min: Double, p50: Double, p90: Double, p99: Double, max: Double, mean: Double) {
            self.count = count
            self.min = min
            self.p50 = p50
            self.p90 = p90
            self.p99 = p99
            self.max = max
            self.mean = mean
        }
    }
}
