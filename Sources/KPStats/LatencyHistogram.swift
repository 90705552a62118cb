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
///
/// Two forms hold the same buckets: the library's dense histogram (one count per bucket of the
/// whole range, ~33k with the default layout), which a new histogram starts with, and the list of
/// non-empty buckets, which a histogram read from its wire form (or merged from such) keeps until
/// something is recorded into it. The list's bucket bounds come from the library's
/// own bucket arithmetic, so percentiles, pairs and the wire form are the same from either form;
/// reading a report's thousands of interval histograms costs their non-empty buckets only.
public struct LatencyHistogram: Sendable, Equatable {
    /// The lowest discernible value, ns.
    public static let defaultLowest: Int64 = 1
    /// The highest trackable value, ns (one hour).
    public static let defaultHighest: Int64 = 3_600_000_000_000
    /// Significant decimal digits kept per value.
    public static let defaultSignificantDigits = 3
    /// The unit written into the wire form.
    public static let unit = "ns"

    /// One non-empty bucket: the library's lowest and highest equivalent values of it, and its count.
    struct Bucket: Sendable, Equatable {
        var lowest: UInt64
        var highest: UInt64
        var count: UInt64
    }

    /// The library histogram (nil while ``sparse`` holds the buckets).
    private var dense: Histogram<UInt64>?
    /// The non-empty buckets, ascending, of a histogram read from its wire form, until something is
    /// recorded into it (nil while ``dense`` holds the buckets).
    private var sparse: [Bucket]? = []

    /// The underlying HDR histogram (bucket counts only; exact extremes are kept beside it).
    public var histogram: Histogram<UInt64> { dense ?? Self.densify(sparse ?? [], layout: layout) }
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
    private let digits: SignificantDigits

    /// An empty histogram with kp-bench's default layout.
    public init() {
        try! self.init(
            lowest: Self.defaultLowest, highest: Self.defaultHighest, significantDigits: Self.defaultSignificantDigits)
    }

    /// An empty histogram with an explicit layout, ready to record into (its library histogram made).
    ///
    /// - Throws: ``StatsError`` when `lowest < 1`, `highest < 2 × lowest` or the digits are not 0…5
    ///   (the library would trap on these).
    public init(lowest: Int64, highest: Int64, significantDigits: Int) throws(StatsError) {
        try self.init(listing: lowest, highest: highest, significantDigits: significantDigits)
        dense = layout.makeHistogram()
        sparse = nil
    }

    /// An empty histogram with an explicit layout whose buckets are a list (see the type's notes).
    private init(listing lowest: Int64, highest: Int64, significantDigits: Int) throws(StatsError) {
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
        self.digits = digits
    }

    /// True when nothing was recorded.
    public var isEmpty: Bool { count == 0 }

    /// This histogram's layout, as the library takes it.
    private var layout: Layout { Layout(lowest: lowest, highest: highest, digits: digits) }

    /// A layout and an empty library histogram of it, whose bucket arithmetic (lowest and highest
    /// equivalent values) places the buckets of ``sparse``.
    struct Layout: Equatable {
        var lowest: Int64
        var highest: Int64
        var digits: SignificantDigits

        func makeHistogram() -> Histogram<UInt64> {
            Histogram<UInt64>(
                lowestDiscernibleValue: UInt64(lowest), highestTrackableValue: UInt64(highest),
                numberOfSignificantValueDigits: digits)
        }

        static let standard = Layout(
            lowest: LatencyHistogram.defaultLowest, highest: LatencyHistogram.defaultHighest, digits: .three)
        /// An empty histogram of the default layout, made once: its bucket arithmetic is all the
        /// sparse form asks of it.
        static let standardTemplate = standard.makeHistogram()

        /// An empty histogram of this layout (the shared one for the default layout).
        var template: Histogram<UInt64> { self == .standard ? Self.standardTemplate : makeHistogram() }
    }

    /// A library histogram holding `buckets`.
    private static func densify(_ buckets: [Bucket], layout: Layout) -> Histogram<UInt64> {
        var h = layout.makeHistogram()
        for b in buckets { h.record(b.lowest, count: b.count) }
        return h
    }

    /// Makes ``dense`` the form that holds the buckets (before a record into it).
    private mutating func makeDense() {
        guard dense == nil else { return }
        dense = Self.densify(sparse ?? [], layout: layout)
        sparse = nil
    }

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
        makeDense()
        dense!.record(UInt64(v), count: UInt64(n))
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
            if isEmpty {
                // Nothing of ours to add to: take `other`'s buckets in whichever form it holds them.
                dense = other.dense
                sparse = other.sparse
            } else if let mine = sparse, let theirs = other.sparse {
                sparse = Self.mergeBuckets(mine, theirs)
            } else if let theirs = other.sparse {
                makeDense()
                for b in theirs { dense!.record(b.lowest, count: b.count) }
            } else {
                makeDense()
                dense!.add(other.dense!)
            }
        } else {
            makeDense()
            for (value, n) in other.bucketPairs() {
                dense!.record(UInt64(Swift.min(Swift.max(value, 0), highest)), count: UInt64(n))
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
        if let buckets = sparse {
            for b in buckets {
                seen += b.count
                if seen >= rank { return Swift.min(Swift.max(Int64(clamping: b.highest), lo), hi) }
            }
            return hi
        }
        let histogram = dense!
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
        func settle(_ highestEquivalent: UInt64) {
            let v = Swift.min(Swift.max(Int64(clamping: highestEquivalent), lo), hi)
            while next < pending.count, seen >= pending[next].rank {
                out[pending[next].index] = v
                next += 1
            }
        }
        if let buckets = sparse {
            for b in buckets {
                if next == pending.count { break }
                seen += b.count
                if seen >= pending[next].rank { settle(b.highest) }
            }
            return out
        }
        let histogram = dense!
        for iv in histogram.recordedValues() {
            if next == pending.count { break }
            seen += UInt64(iv.count)
            if seen >= pending[next].rank { settle(histogram.highestEquivalentForValue(iv.value)) }
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
        if let buckets = sparse { return buckets.map { (Int64(clamping: $0.lowest), Int64(clamping: $0.count)) } }
        let histogram = dense!
        return histogram.recordedValues().map { iv in
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
        try self.init(listing: wire.lowest, highest: wire.highest, significantDigits: wire.significantDigits)
        let template = layout.template
        var buckets: [Bucket] = []
        buckets.reserveCapacity(wire.buckets.count)
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
            let low = template.lowestEquivalentForValue(UInt64(value))
            if let last = buckets.last, last.lowest == low {
                // Two values of one bucket: the library would count both in it.
                buckets[buckets.count - 1].count += UInt64(n)
            } else {
                buckets.append(
                    Bucket(lowest: low, highest: template.highestEquivalentForValue(low), count: UInt64(n)))
            }
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
        sparse = buckets
        count = total
        sum = wire.sum
    }

    /// The buckets of both ascending lists, ascending, with the counts of a bucket in both added.
    private static func mergeBuckets(_ a: [Bucket], _ b: [Bucket]) -> [Bucket] {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        var out: [Bucket] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0
        var j = 0
        while i < a.count, j < b.count {
            if a[i].lowest < b[j].lowest {
                out.append(a[i])
                i += 1
            } else if b[j].lowest < a[i].lowest {
                out.append(b[j])
                j += 1
            } else {
                out.append(Bucket(lowest: a[i].lowest, highest: a[i].highest, count: a[i].count + b[j].count))
                i += 1
                j += 1
            }
        }
        out.append(contentsOf: a[i...])
        out.append(contentsOf: b[j...])
        return out
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
