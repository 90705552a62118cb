import KPStats

/// A quantile read from a Prometheus histogram, stated with no more precision than its buckets hold.
///
/// The buckets only say how many requests took at most each bound, so a quantile is known to lie
/// in one bucket and nowhere more precisely:
/// - in the first bucket: `≤ 5 ms` (anything from 0 to the bound; `histogram_quantile`'s linear
///   interpolation from 0 would invent a figure the data does not hold);
/// - in the `+Inf` bucket: `> 10 s` (beyond the highest finite bound, by an unknown amount);
/// - in any other bucket: its range, `5–25 ms`, with `histogram_quantile`'s estimate beside it,
///   labelled as one (`≈ 10.00 ms, interpolated`: it assumes the requests spread evenly in the bucket).
public struct BucketQuantile: Sendable, Equatable {
    /// Where the quantile fell.
    public enum Placement: String, Sendable {
        /// The first bucket (its lower edge is 0, or there is none).
        case first
        /// A bucket with two finite bounds above 0.
        case inside
        /// The `+Inf` bucket.
        case overflow
    }

    public var quantile: PromHistogram.Quantile
    public var placement: Placement

    public init(_ quantile: PromHistogram.Quantile) {
        self.quantile = quantile
        if quantile.isInOverflowBucket {
            placement = .overflow
        } else if quantile.lowerBound <= 0 {
            placement = .first
        } else {
            placement = .inside
        }
    }

    /// The bucket alone: `≤ 5 ms`, `5–25 ms`, `> 10 s`.
    public var bucketText: String {
        switch placement {
        case .first: "≤ " + Format.bound(quantile.upperBound)
        case .overflow: "> " + Format.bound(quantile.lowerBound)
        case .inside: Format.boundRange(quantile.lowerBound, quantile.upperBound)
        }
    }

    /// What summary.md prints: the bucket, and inside a bucket the interpolated estimate labelled so.
    public var text: String {
        placement == .inside
            ? bucketText + " (≈ \(Format.latency(quantile.value * 1e9)), interpolated)" : bucketText
    }

    /// The most the quantile can be as far as the buckets say (the bucket's upper bound), or, in the
    /// `+Inf` bucket, the least it is (the highest finite bound). In seconds.
    public var boundingSeconds: Double {
        placement == .overflow ? quantile.lowerBound : quantile.upperBound
    }

    /// Orders quantiles by the bucket they lie in, then by the estimate.
    public static func isLower(_ a: BucketQuantile, _ b: BucketQuantile) -> Bool {
        (a.quantile.upperBound, a.quantile.lowerBound, a.quantile.value)
            < (b.quantile.upperBound, b.quantile.lowerBound, b.quantile.value)
    }

    /// True when both lie in the same bucket.
    public func sameBucket(as other: BucketQuantile) -> Bool {
        quantile.lowerBound == other.quantile.lowerBound && quantile.upperBound == other.quantile.upperBound
    }
}

extension Format {
    /// A server quantile as its bucket allows (``BucketQuantile/text``), or "—".
    public static func bucketQuantile(_ q: PromHistogram.Quantile?) -> String {
        q.map { BucketQuantile($0).text } ?? missing
    }

    /// A bucket bound in seconds, in ms below 1 s and in s from 1 s: `5 ms`, `2.5 ms`, `10 s`.
    public static func bound(_ seconds: Double) -> String {
        if seconds == .infinity { return "+Inf" }
        if seconds == -.infinity { return "-Inf" }
        return abs(seconds) >= 1 ? trimmed(seconds) + " s" : trimmed(seconds * 1000) + " ms"
    }

    /// A bucket's range, one unit when both bounds share it: `5–25 ms`, `1–2.5 s`, `500 ms–1 s`.
    public static func boundRange(_ lower: Double, _ upper: Double) -> String {
        let lo = bound(lower)
        let hi = bound(upper)
        for unit in [" ms", " s"] where lo.hasSuffix(unit) && hi.hasSuffix(unit) {
            return String(lo.dropLast(unit.count)) + "–" + hi
        }
        return lo + "–" + hi
    }
}
