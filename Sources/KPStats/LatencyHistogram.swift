import Histogram
import KPRecords

/// A latency distribution in integer nanoseconds, backed by an HDR histogram.
///
/// Wraps hdrhistogram-swift's `Histogram<UInt64>` (rather than hand-writing bucket maths) with
/// the layout kp-bench uses everywhere: lowest discernible value 1 ns, highest trackable value
/// 3.6e12 ns (one hour), 3 significant digits, so every recorded value is kept to within 0.1 %.
/// Beside the buckets it keeps the exact minimum, maximum and sum of what was recorded, so
/// `min`, `max` and `mean` are exact and survive a round trip through ``KPRecords/HistogramWire``.
///
/// Values below 0 are recorded as 0 and values above the highest trackable value are counted
/// in the top bucket (their exact value still reaches `max` and the sum); ``clampedCount`` says
/// how many were clamped, so a report can say so instead of hiding it.
public struct LatencyHistogram: Sendable, Equatable {
    /// The lowest discernible value, ns.
    public static let defaultLowest: Int64 = 1
    /// The highest trackable value, ns (one hour).
    public static let defaultHighest: Int64 = 3_600_000_000_000
    /// Significant decimal digits kept per value.
    public static let defaultSignificantDigits = 3
    /// The unit written into the wire form.
    public static let unit = "ns"

    /// The underlying HDR histogram (bucket counts only; exact extremes are kept beside it).
    public private(set) var histogram: Histogram<UInt64>
    /// Number of recorded values.
    public private(set) var count: Int64 = 0
    /// Exact smallest and largest recorded values (nil when empty).
    public private(set) var min: Int64?
    public private(set) var max: Int64?
    /// Exact sum of the recorded values, ns (nil when a merged wire form did not carry one).
    public private(set) var sum: Double? = 0
    /// Values that fell outside [0, highest] and were clamped into range.
    public private(set) var clampedCount: Int64 = 0

    /// Lowest and highest trackable values and significant digits of this histogram's layout.
    public let lowest: Int64
    public let highest: Int64
    public let significantDigits: Int

    /// An empty histogram with kp-bench's default layout.
    public init() {
        try! self.init(
            lowest: Self.defaultLowest, highest: Self.defaultHighest, significantDigits: Self.defaultSignificantDigits)
    }

    /// An empty histogram with an explicit layout.
    ///
    /// - Throws: ``StatsError`` when `lowest < 1`, `highest < 2 × lowest` or the digits are not 0…5
    ///   (the library would trap on these).
    public init(lowest: Int64, highest: Int64, significantDigits: Int) throws(StatsError) {
        guard lowest >= 1 else { throw StatsError("histogram lowest must be ≥ 1 (got \(lowest))") }
        guard highest >= 2 * lowest else {
            throw StatsError("histogram highest must be ≥ 2 × lowest (got lowest \(lowest), highest \(highest))")
        }
        guard let digits = SignificantDigits(rawValue: Int8(clamping: significantDigits)),
            (0...5).contains(significantDigits)
        else {
            throw StatsError("histogram significant_digits must be 0…5 (got \(significantDigits))")
        }
        self.lowest = lowest
        self.highest = highest
        self.significantDigits = significantDigits
        self.histogram = Histogram<UInt64>(
            lowestDiscernibleValue: UInt64(lowest), highestTrackableValue: UInt64(highest),
            numberOfSignificantValueDigits: digits)
    }

    /// True when nothing was recorded.
    public var isEmpty: Bool { count == 0 }

    /// Records one value, in ns.
    public mutating func record(_ value: Int64) {
        record(value, count: 1)
    }

    /// Records `count` occurrences of one value, in ns.
    public mutating func record(_ value: Int64, count n: Int64) {
        guard n > 0 else { return }
        var v = value
        if v < 0 {
            v = 0
            clampedCount += n
        } else if v > highest {
            v = highest
            clampedCount += n
        }
        histogram.record(UInt64(v), count: UInt64(n))
        count += n
        min = Swift.min(min ?? value, value)
        max = Swift.max(max ?? value, value)
        if let s = sum { sum = s + Double(value) * Double(n) }
    }

    /// Adds every value of `other` to this histogram.
    ///
    /// With the same layout this is an exact bucket-wise sum (the histogram of the union of both
    /// inputs). With a different layout, `other`'s buckets are re-recorded at their lowest
    /// equivalent values, which keeps counts exact and values to within `other`'s precision.
    public mutating func merge(_ other: LatencyHistogram) {
        guard !other.isEmpty else { return }
        if other.lowest == lowest && other.highest == highest && other.significantDigits == significantDigits {
            histogram.add(other.histogram)
        } else {
            for (value, n) in other.bucketPairs() {
                histogram.record(UInt64(Swift.min(Swift.max(value, 0), highest)), count: UInt64(n))
            }
        }
        count += other.count
        clampedCount += other.clampedCount
        if let m = other.min { min = Swift.min(min ?? m, m) }
        if let m = other.max { max = Swift.max(max ?? m, m) }
        if let s = sum, let o = other.sum { sum = s + o } else { sum = nil }
    }

    /// The value at percentile `p` (0…100), ns; nil when empty.
    ///
    /// HdrHistogram's definition: the highest value equivalent to the bucket holding the
    /// ⌈p/100 × count⌉-th smallest value (at least the first), clamped to the exact [min, max].
    /// So `percentile(100)` is the exact maximum and `percentile(0)` the exact minimum. Computed
    /// by walking the buckets (not `Histogram.valueAtPercentile`) so that the answer is the
    /// same for a histogram rebuilt from its wire form, whose internal max is only bucket-exact.
    public func percentile(_ p: Double) -> Int64? {
        guard count > 0, let lo = min, let hi = max else { return nil }
        if p <= 0 { return lo }
        if p >= 100 { return hi }
        let rank = UInt64(NearestRank.rank(p, count: Int(count)))
        var seen: UInt64 = 0
        for iv in histogram.recordedValues() {
            seen += UInt64(iv.count)
            if seen >= rank {
                let v = Int64(clamping: histogram.highestEquivalentForValue(iv.value))
                return Swift.min(Swift.max(v, lo), hi)
            }
        }
        return hi
    }

    /// ``percentile(_:)`` of each of `ps`, in the order given, from one walk over the buckets (a
    /// spectrum of many percentiles costs one walk, not one each).
    public func percentiles(_ ps: [Double]) -> [Int64?] {
        guard count > 0, let lo = min, let hi = max else { return ps.map { _ in nil } }
        var out = [Int64?](repeating: hi, count: ps.count)
        var pending: [(rank: UInt64, index: Int)] = []
        for (i, p) in ps.enumerated() {
            if p <= 0 {
                out[i] = lo
            } else if p < 100 {
                pending.append((UInt64(NearestRank.rank(p, count: Int(count))), i))
            }
        }
        pending.sort { $0.rank < $1.rank }
        var next = 0
        var seen: UInt64 = 0
        for iv in histogram.recordedValues() {
            if next == pending.count { break }
            seen += UInt64(iv.count)
            guard seen >= pending[next].rank else { continue }
            let v = Swift.min(Swift.max(Int64(clamping: histogram.highestEquivalentForValue(iv.value)), lo), hi)
            while next < pending.count, seen >= pending[next].rank {
                out[pending[next].index] = v
                next += 1
            }
        }
        return out
    }

    /// Mean value, ns: exact (sum / count) when the sum is known, else from bucket midpoints.
    public var mean: Double? {
        guard count > 0 else { return nil }
        if let s = sum { return s / Double(count) }
        return histogram.mean
    }

    /// Non-empty buckets as (lowest equivalent value, count), ascending.
    public func bucketPairs() -> [(Int64, Int64)] {
        histogram.recordedValues().map { iv in
            (Int64(clamping: histogram.lowestEquivalentForValue(iv.value)), Int64(clamping: iv.count))
        }
    }

    /// The sparse wire form carried in records (see ``KPRecords/HistogramWire``).
    public var wire: HistogramWire {
        HistogramWire(
            unit: Self.unit, lowest: lowest, highest: highest, significantDigits: significantDigits, count: count,
            min: min, max: max, sum: sum, buckets: bucketPairs().map { [$0.0, $0.1] })
    }

    /// Rebuilds a histogram from its wire form, exactly: same buckets, count, min, max and sum.
    ///
    /// - Throws: ``StatsError`` naming what is wrong when the wire form is not one this type
    ///   writes: a unit other than `ns`, a bad layout, a pair that is not `[value, count]`, values
    ///   out of order or range, counts that do not add up to `count`.
    public init(wire: HistogramWire) throws(StatsError) {
        guard wire.unit == Self.unit else { throw StatsError("histogram unit '\(wire.unit)' is not ns") }
        try self.init(lowest: wire.lowest, highest: wire.highest, significantDigits: wire.significantDigits)
        var total: Int64 = 0
        var previous: Int64 = -1
        for pair in wire.buckets {
            guard pair.count == 2 else { throw StatsError("histogram bucket \(pair) is not a [value, count] pair") }
            let (value, n) = (pair[0], pair[1])
            guard value > previous else { throw StatsError("histogram bucket values are not ascending at \(value)") }
            guard value >= 0, value <= wire.highest else {
                throw StatsError("histogram bucket value \(value) is outside 0…\(wire.highest)")
            }
            guard n > 0 else { throw StatsError("histogram bucket at \(value) has count \(n) (must be > 0)") }
            previous = value
            histogram.record(UInt64(value), count: UInt64(n))
            let (t, overflow) = total.addingReportingOverflow(n)
            guard !overflow else { throw StatsError("histogram bucket counts overflow") }
            total = t
        }
        guard total == wire.count else {
            throw StatsError("histogram buckets add up to \(total) but count is \(wire.count)")
        }
        if total > 0 {
            guard let lo = wire.min, let hi = wire.max, lo <= hi else {
                throw StatsError("histogram with \(total) values lacks a valid min/max")
            }
            min = lo
            max = hi
        }
        count = total
        sum = wire.sum
    }

    public static func == (a: LatencyHistogram, b: LatencyHistogram) -> Bool {
        a.wire == b.wire && a.clampedCount == b.clampedCount
    }
}

extension LatencyHistogram {
    /// ``wire``, without walking ~33k empty counts when nothing was recorded (most windows of a quiet
    /// op). Same value as `wire`.
    public var fastWire: HistogramWire {
        guard isEmpty else { return wire }
        return HistogramWire(
            unit: Self.unit, lowest: lowest, highest: highest, significantDigits: significantDigits, count: 0, min: nil,
            max: nil, sum: sum, buckets: [])
    }
}
