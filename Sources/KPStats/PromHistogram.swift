import KPPromText
import KPRecords

/// One series of a Prometheus classic histogram: cumulative `_bucket` counts by upper bound `le`.
///
/// The type is KPPromText's ``KPPromText/HistogramSeries`` (one histogram type, one grouping: the
/// parser's); KPStats adds the maths. Built from a ``KPRecords/MetricFamilyWire`` as kp-scrape
/// records it. The maths mirrors Prometheus: ``delta(since:)`` is what `increase()` over two scrapes
/// gives (with counter-reset handling), ``quantile(_:)`` is `histogram_quantile`'s linear
/// interpolation inside the bucket the rank falls in, and ``aggregate(_:by:)`` is `sum by (label, le)`.
/// Hand-written because no Swift package implements PromQL's bucket maths; the algorithm follows
/// Prometheus' `promql/quantile.go` (`bucketQuantile`) and is unit-tested against hand-checked numbers.
public typealias PromHistogram = HistogramSeries

extension HistogramSeries.Bucket {
    /// A bucket of `count` observations ≤ `upperBound` (the `le` label).
    public init(upperBound: Double, count: Double) {
        self.init(le: upperBound, count: count)
    }

    /// The bucket's upper bound: its `le` label, by the name PromQL's maths uses.
    public var upperBound: Double {
        get { le }
        set { le = newValue }
    }
}

extension HistogramSeries {
    /// A stable text key for a label set: `k1="v1",k2="v2"` sorted by name.
    public static func key(_ labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",")
    }

    /// This series' label-set key (see ``key(_:)``).
    public var key: String { Self.key(labels) }

    /// Total observations: the `+Inf` bucket, else `_count`.
    public var observations: Double? {
        if let last = buckets.last, last.upperBound == .infinity { return last.count }
        return count
    }

    /// Every series of histogram family `family`, sorted by label-set key.
    ///
    /// The grouping (labels without `le`, `_bucket`/`_sum`/`_count`) is KPPromText's
    /// ``KPPromText/MetricFamily/histogramSeries()``, the one histogram grouping of kp-bench;
    /// `_bucket` samples without a parseable `le` (or with `le="NaN"`) are ignored, as Prometheus ignores them.
    public static func series(from family: MetricFamilyWire) -> [PromHistogram] {
        let parsed = MetricFamily(
            name: family.name, type: .histogram, help: family.help,
            samples: family.samples.map { MetricSample(name: $0.name, labels: $0.labels, value: $0.value.value) })
        return sortedByKey(
            parsed.histogramSeries().map { series in
                var series = series
                series.buckets.removeAll { $0.le.isNaN }
                return series
            })
    }

    /// `series` sorted by label-set key, each key built once.
    static func sortedByKey(_ series: [PromHistogram]) -> [PromHistogram] {
        series.map { ($0.key, $0) }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// Parses an `le` label value (`0.005`, `1e-3`, `+Inf`).
    public static func parseBound(_ text: String) -> Double? {
        switch text {
        case "+Inf", "Inf", "inf", "+inf": return .infinity
        default:
            guard let d = Double(text), !d.isNaN else { return nil }
            return d
        }
    }

    /// The outcome of subtracting an earlier scrape from a later one.
    public struct Delta: Sendable, Equatable {
        /// Observations made between the two scrapes, bucket by bucket.
        public var histogram: PromHistogram
        /// True when a bucket or the count went down (the process restarted): the later scrape is
        /// then taken whole, as Prometheus' `increase()` does after a counter reset.
        public var reset: Bool
    }

    /// Observations between `earlier` and this later scrape of the same series.
    ///
    /// Buckets are matched by upper bound; a bound missing from `earlier` counts from 0. A
    /// decrease anywhere means a counter reset, and the delta is then this scrape as a whole.
    public func delta(since earlier: PromHistogram?) -> Delta {
        guard let earlier else { return Delta(histogram: self, reset: false) }
        var before: [Double: Double] = [:]
        for b in earlier.buckets { before[b.upperBound] = b.count }
        var out: [Bucket] = []
        for b in buckets {
            let d = b.count - (before[b.upperBound] ?? 0)
            if d < 0 { return Delta(histogram: self, reset: true) }
            out.append(Bucket(upperBound: b.upperBound, count: d))
        }
        var dCount: Double?
        if let c = count, let e = earlier.count {
            if c < e { return Delta(histogram: self, reset: true) }
            dCount = c - e
        }
        var dSum: Double?
        if let s = sum, let e = earlier.sum { dSum = s - e }
        return Delta(histogram: PromHistogram(labels: labels, buckets: out, sum: dSum, count: dCount), reset: false)
    }

    /// Deltas of every series in `after` against the series with the same labels in `before`.
    ///
    /// Returns the deltas (sorted by label key) and the keys of series that reset in between.
    public static func deltas(after: [PromHistogram], before: [PromHistogram]) -> (
        series: [PromHistogram], resets: [String]
    ) {
        var earlier: [String: PromHistogram] = [:]
        for h in before { earlier[h.key] = h }
        var out: [PromHistogram] = []
        var resets: [String] = []
        for (key, h) in after.map({ ($0.key, $0) }).sorted(by: { $0.0 < $1.0 }) {
            let d = h.delta(since: earlier[key])
            if d.reset { resets.append(key) }
            out.append(d.histogram)
        }
        return (out, resets)
    }

    /// Sums series by the value of `label` (`sum by (label, le)`); series without it group under "".
    ///
    /// Buckets are summed by equal upper bound. A series lacking a bound another series has
    /// contributes its cumulative count at its nearest lower bound (0 if none): a lower estimate,
    /// exact whenever all series share one bucket layout, as apiserver histograms do.
    public static func aggregate(_ series: [PromHistogram], by label: String) -> [String: PromHistogram] {
        var groups: [String: [PromHistogram]] = [:]
        for h in series { groups[h.labels[label] ?? "", default: []].append(h) }
        var out: [String: PromHistogram] = [:]
        for (value, members) in groups {
            let bounds = Set(members.flatMap { $0.buckets.map(\.upperBound) }).sorted()
            var buckets: [Bucket] = []
            for bound in bounds {
                var total = 0.0
                for m in members {
                    total += m.buckets.last(where: { $0.upperBound <= bound })?.count ?? 0
                }
                buckets.append(Bucket(upperBound: bound, count: total))
            }
            let sums = members.compactMap(\.sum)
            let counts = members.compactMap(\.count)
            out[value] = PromHistogram(
                labels: value.isEmpty ? [:] : [label: value], buckets: buckets,
                sum: sums.count == members.count ? sums.reduce(0, +) : nil,
                count: counts.count == members.count ? counts.reduce(0, +) : nil)
        }
        return out
    }

    /// A quantile estimated from buckets, with the bucket it fell in.
    public struct Quantile: Sendable, Equatable {
        /// The estimate (same unit as the bucket bounds).
        public var value: Double
        /// Bounds of the bucket the rank fell in: (`lowerBound`, `upperBound`]. When the rank
        /// falls in the `+Inf` bucket, `upperBound` is `+Inf` and `value` is the highest finite
        /// bound (a lower bound for the true quantile), as Prometheus returns.
        public var lowerBound: Double
        public var upperBound: Double
        /// Total observations the estimate is over.
        public var observations: Double
        /// True when the buckets were not monotonic and had to be fixed up (scrape race).
        public var forcedMonotonic: Bool

        public init(value: Double, lowerBound: Double, upperBound: Double, observations: Double, forcedMonotonic: Bool)
        {
            self.value = value
            self.lowerBound = lowerBound
            self.upperBound = upperBound
            self.observations = observations
            self.forcedMonotonic = forcedMonotonic
        }

        /// True when the quantile lies above the highest finite bucket bound.
        public var isInOverflowBucket: Bool { upperBound == .infinity }
    }

    /// The `q`-quantile (0…1) by Prometheus' `histogram_quantile` rules; nil where Prometheus gives NaN.
    ///
    /// nil when q is outside 0…1 or NaN, when there is no `+Inf` bucket, fewer than two buckets,
    /// or no observations. Otherwise: rank = q × total; the first bucket whose cumulative count
    /// reaches the rank holds it; the value interpolates linearly between that bucket's lower
    /// bound (the previous bound, or 0 for the first bucket) and its upper bound. In the `+Inf`
    /// bucket the highest finite bound is returned; a first bucket with bound ≤ 0 returns that bound.
    public func quantile(_ q: Double) -> Quantile? {
        guard !q.isNaN, q >= 0, q <= 1 else { return nil }
        // Coalesce equal bounds, then force monotonic counts (Prometheus' coalesceBuckets / ensureMonotonic).
        var bs: [Bucket] = []
        for b in buckets.sorted(by: { $0.upperBound < $1.upperBound }) {
            if let last = bs.last, last.upperBound == b.upperBound {
                bs[bs.count - 1].count += b.count
            } else {
                bs.append(b)
            }
        }
        guard bs.count >= 2, bs.last!.upperBound == .infinity else { return nil }
        var forced = false
        var maxSoFar = -Double.infinity
        for i in bs.indices {
            if bs[i].count > maxSoFar {
                maxSoFar = bs[i].count
            } else if bs[i].count < maxSoFar {
                bs[i].count = maxSoFar
                forced = true
            }
        }
        let total = bs.last!.count
        guard total > 0 else { return nil }
        var rank = q * total
        // First bucket among all but +Inf whose count reaches the rank; else the +Inf bucket.
        let b = bs.dropLast().firstIndex(where: { $0.count >= rank }) ?? (bs.count - 1)
        if b == bs.count - 1 {
            let top = bs[bs.count - 2].upperBound
            return Quantile(
                value: top, lowerBound: top, upperBound: .infinity, observations: total, forcedMonotonic: forced)
        }
        if b == 0 && bs[0].upperBound <= 0 {
            return Quantile(
                value: bs[0].upperBound, lowerBound: -.infinity, upperBound: bs[0].upperBound, observations: total,
                forcedMonotonic: forced)
        }
        var start = 0.0
        let end = bs[b].upperBound
        var count = bs[b].count
        if b > 0 {
            start = bs[b - 1].upperBound
            count -= bs[b - 1].count
            rank -= bs[b - 1].count
        }
        let value = count > 0 ? start + (end - start) * (rank / count) : start
        return Quantile(value: value, lowerBound: start, upperBound: end, observations: total, forcedMonotonic: forced)
    }
}
