/// The type a `# TYPE` line declares for a metric family.
///
/// Families without a `# TYPE` line are ``untyped``, as in the 0.0.4 text format.
public enum MetricType: String, Sendable, Hashable, CaseIterable {
    /// A monotonically increasing value.
    case counter
    /// A value that can go up and down.
    case gauge
    /// Cumulative `_bucket{le=…}` counts plus `_sum` and `_count`.
    case histogram
    /// `{quantile=…}` values plus `_sum` and `_count`.
    case summary
    /// No `# TYPE` line (or `# TYPE … untyped`).
    case untyped
}

/// One exposition line: a sample's full name, labels, value and optional timestamp.
///
/// For histograms and summaries `name` keeps its suffix (`_bucket`, `_sum`, `_count`, `_created`),
/// so the original line can be told apart from its family.
public struct MetricSample: Sendable, Hashable {
    /// The sample's name as written, e.g. `etcd_disk_wal_fsync_duration_seconds_bucket`.
    public var name: String
    /// Label names to unescaped values.
    public var labels: [String: String]
    /// The value; may be `+Inf`, `-Inf` or NaN.
    public var value: Double
    /// The optional timestamp in ms since the Unix epoch.
    public var timestampMs: Int64?

    /// Creates a sample.
    public init(name: String, labels: [String: String] = [:], value: Double, timestampMs: Int64? = nil) {
        self.name = name
        self.labels = labels
        self.value = value
        self.timestampMs = timestampMs
    }

    public static func == (a: MetricSample, b: MetricSample) -> Bool {
        // NaN == NaN here, so parsed documents compare equal to themselves.
        a.name == b.name && a.labels == b.labels && a.timestampMs == b.timestampMs
            && (a.value == b.value || (a.value.isNaN && b.value.isNaN))
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.name)
        hasher.combine(self.labels)
        hasher.combine(self.value.isNaN ? Double.nan.bitPattern : self.value.bitPattern)
        hasher.combine(self.timestampMs)
    }
}

/// A metric family: the samples that share a name (and, for histograms and summaries, a base name).
///
/// Families keep the order of their first appearance in the input; samples keep input order.
public struct MetricFamily: Sendable, Hashable {
    /// The family name (for histograms and summaries, without suffixes).
    public var name: String
    /// The declared type.
    public var type: MetricType
    /// The unescaped `# HELP` text, if present.
    public var help: String?
    /// The family's samples in input order.
    public var samples: [MetricSample]

    /// Creates a family.
    public init(name: String, type: MetricType = .untyped, help: String? = nil, samples: [MetricSample] = []) {
        self.name = name
        self.type = type
        self.help = help
        self.samples = samples
    }
}

/// One series of a classic Prometheus histogram: cumulative buckets, sum and count.
public struct HistogramSeries: Sendable, Hashable {
    /// One cumulative bucket: `count` observations were ≤ `le`.
    public struct Bucket: Sendable, Hashable {
        /// The upper bound (`+Inf` for the last bucket).
        public var le: Double
        /// Cumulative count of observations ≤ `le`.
        public var count: Double

        /// Creates a bucket.
        public init(le: Double, count: Double) {
            self.le = le
            self.count = count
        }
    }

    /// The series' labels, without `le`.
    public var labels: [String: String]
    /// Buckets in ascending `le` order.
    public var buckets: [Bucket]
    /// The `_sum` sample, if present.
    public var sum: Double?
    /// The `_count` sample, if present.
    public var count: Double?

    /// Creates a series; `buckets` are sorted by `le`.
    public init(labels: [String: String], buckets: [Bucket], sum: Double? = nil, count: Double? = nil) {
        self.labels = labels
        self.buckets = buckets.sorted { $0.le < $1.le }
        self.sum = sum
        self.count = count
    }
}

/// One series of a summary: quantiles, sum and count.
public struct SummarySeries: Sendable, Hashable {
    /// The series' labels, without `quantile`.
    public var labels: [String: String]
    /// `(quantile, value)` pairs in ascending quantile order.
    public var quantiles: [(quantile: Double, value: Double)]
    /// The `_sum` sample, if present.
    public var sum: Double?
    /// The `_count` sample, if present.
    public var count: Double?

    /// Creates a series.
    public init(labels: [String: String], quantiles: [(quantile: Double, value: Double)], sum: Double?, count: Double?)
    {
        self.labels = labels
        self.quantiles = quantiles
        self.sum = sum
        self.count = count
    }

    public static func == (a: SummarySeries, b: SummarySeries) -> Bool {
        a.labels == b.labels && a.sum == b.sum && a.count == b.count
            && a.quantiles.elementsEqual(b.quantiles) { $0.quantile == $1.quantile && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.labels)
        for (q, v) in self.quantiles {
            hasher.combine(q)
            hasher.combine(v)
        }
        hasher.combine(self.sum)
        hasher.combine(self.count)
    }
}

extension MetricFamily {
    /// The family's histogram series, grouped by labels without `le`, in first-appearance order.
    ///
    /// Buckets are sorted by `le`. Returns an empty array if the family is not a histogram.
    public func histogramSeries() -> [HistogramSeries] {
        guard self.type == .histogram else { return [] }
        return self.grouped(
            partSuffix: "_bucket", partLabel: "le", empty: { HistogramSeries(labels: $0, buckets: []) },
            addPart: { $0.buckets.append(.init(le: $1, count: $2)) }, setSum: { $0.sum = $1 },
            setCount: { $0.count = $1 }
        ).map { item in
            var item = item
            item.buckets.sort { $0.le < $1.le }
            return item
        }
    }

    /// The family's summary series, grouped by labels without `quantile`, in first-appearance order.
    ///
    /// Returns an empty array if the family is not a summary.
    public func summarySeries() -> [SummarySeries] {
        guard self.type == .summary else { return [] }
        return self.grouped(
            partSuffix: "", partLabel: "quantile",
            empty: { SummarySeries(labels: $0, quantiles: [], sum: nil, count: nil) },
            addPart: { $0.quantiles.append(($1, $2)) }, setSum: { $0.sum = $1 }, setCount: { $0.count = $1 }
        ).map { item in
            var item = item
            item.quantiles.sort { $0.quantile < $1.quantile }
            return item
        }
    }

    /// The one grouping of a histogram's or summary's samples into series: by labels without
    /// `partLabel` (`le` or `quantile`), in first-appearance order. A part sample (`_bucket`, or the
    /// bare name for a summary) whose `partLabel` does not parse as a float is skipped.
    private func grouped<Series>(
        partSuffix: Substring, partLabel: String, empty: ([String: String]) -> Series,
        addPart: (inout Series, Double, Double) -> Void, setSum: (inout Series, Double) -> Void,
        setCount: (inout Series, Double) -> Void
    ) -> [Series] {
        var result: [Series] = []
        var slots: [[String: String]: Int] = [:]
        // A series' samples come one after another in the exposition format, so the previous sample's
        // series is checked first, label by label; hashing whole label sets (and copying one to drop
        // `partLabel`) only happens when a new series starts.
        var previous: (key: [String: String], slot: Int)?
        for sample in self.samples {
            let role: SampleRole
            switch self.suffix(of: sample) {
            case partSuffix?:
                guard let text = sample.labels[partLabel], let bound = PromTextParser.parseFloat(text) else { continue }
                role = .part(bound)
            case "_sum":
                role = .sum
            case "_count":
                role = .count
            default:
                continue
            }
            let isPart = if case .part = role { true } else { false }
            let slot: Int
            if let previous, Self.labels(sample.labels, match: previous.key, part: isPart ? partLabel : nil) {
                slot = previous.slot
            } else {
                var key = sample.labels
                if isPart { key.removeValue(forKey: partLabel) }
                if let known = slots[key] {
                    slot = known
                } else {
                    slot = result.count
                    slots[key] = slot
                    result.append(empty(key))
                }
                previous = (key, slot)
            }
            switch role {
            case .part(let bound): addPart(&result[slot], bound, sample.value)
            case .sum: setSum(&result[slot], sample.value)
            case .count: setCount(&result[slot], sample.value)
            }
        }
        return result
    }

    /// Whether `labels` is `key`, or `key` plus the part label when `part` names it (its presence in
    /// `labels` was checked by the caller): every label of `key` is in `labels` with the same value
    /// and the counts agree.
    private static func labels(_ labels: [String: String], match key: [String: String], part: String?) -> Bool {
        if let part, key[part] != nil { return false }
        guard labels.count == key.count + (part == nil ? 0 : 1) else { return false }
        for (name, value) in key where labels[name] != value { return false }
        return true
    }
}

/// What a sample of a histogram or summary holds: one part (a bucket at `le`, or a quantile), the
/// sum or the count.
private enum SampleRole {
    case part(Double)
    case sum, count
}

extension MetricFamily {
    /// What follows the family name in a sample's name (`_bucket`, `_sum`, …), or nil if unrelated.
    fileprivate func suffix(of sample: MetricSample) -> Substring? {
        guard sample.name.hasPrefix(self.name) else { return nil }
        return sample.name[sample.name.utf8.index(sample.name.startIndex, offsetBy: self.name.utf8.count)...]
    }
}

extension Array where Element == MetricFamily {
    /// The family named `name`, if present.
    ///
    /// - Parameter name: The family name (histograms and summaries without suffix).
    public func family(named name: String) -> MetricFamily? {
        self.first { $0.name == name }
    }

    /// The value of the first sample named exactly `name` whose labels are exactly `labels`.
    ///
    /// With the default empty `labels` this is the kplane memory test's `parsePromGauge`: the first
    /// line that starts with `"<name> "` (an unlabelled sample). Samples of histograms and summaries
    /// are found by their full name (`x_count`).
    ///
    /// - Parameters:
    ///   - name: The sample name as written.
    ///   - labels: The exact label set (default: none).
    /// - Returns: The value, or nil if no such sample exists.
    public func value(of name: String, labels: [String: String] = [:]) -> Double? {
        for family in self where name.hasPrefix(family.name) {
            if let sample = family.samples.first(where: { $0.name == name && $0.labels == labels }) {
                return sample.value
            }
        }
        return nil
    }

    /// The histogram series of family `name` whose labels (without `le`) are exactly `labels`.
    ///
    /// - Parameters:
    ///   - name: The histogram family name (without `_bucket`).
    ///   - labels: The series' labels without `le` (default: none).
    /// - Returns: Buckets sorted by `le`, with sum and count; nil if absent or not a histogram.
    public func histogram(named name: String, labels: [String: String] = [:]) -> HistogramSeries? {
        self.family(named: name)?.histogramSeries().first { $0.labels == labels }
    }

    /// The summary series of family `name` whose labels (without `quantile`) are exactly `labels`.
    ///
    /// - Parameters:
    ///   - name: The summary family name.
    ///   - labels: The series' labels without `quantile` (default: none).
    /// - Returns: Quantiles sorted ascending, with sum and count; nil if absent or not a summary.
    public func summary(named name: String, labels: [String: String] = [:]) -> SummarySeries? {
        self.family(named: name)?.summarySeries().first { $0.labels == labels }
    }
}
