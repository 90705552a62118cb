import KPRecords

/// One resource figure of a `sample` record, with the names it goes by.
public enum ResourceFigure: String, CaseIterable, Sendable {
    case cpuSeconds = "cpu_seconds"
    case heapInuse = "heap_inuse_bytes"
    case heapAlloc = "heap_alloc_bytes"
    case rss = "rss_bytes"
    case goroutines
    case openFds = "open_fds"

    /// The figure's entry in ``KPRecords/SampleRecord/figures``, the one metric → field table.
    public var figure: SampleFigure {
        guard let f = SampleRecord.figure(field: rawValue) else { preconditionFailure("no sample figure \(rawValue)") }
        return f
    }

    /// The Prometheus metric the figure is scraped from.
    public var metric: String { figure.metric }

    /// The name used in the report's tables.
    public var title: String {
        switch self {
        case .cpuSeconds: "CPU seconds"
        case .heapInuse: "heap in-use"
        case .heapAlloc: "heap alloc"
        case .rss: "RSS"
        case .goroutines: "goroutines"
        case .openFds: "fds"
        }
    }

    /// True for byte counts.
    public var isBytes: Bool { self == .heapInuse || self == .heapAlloc || self == .rss }

    /// The figure's value in `sample`, nil when absent.
    public func value(in sample: SampleRecord) -> Double? {
        sample[keyPath: figure.keyPath]
    }

    /// Why the figure is absent from `sample` (nil when it is present): the scraper's reason
    /// from `missing` (keyed by metric or field name), else the scrape's `error`.
    public func missingReason(in sample: SampleRecord) -> String? {
        guard value(in: sample) == nil else { return nil }
        if let r = sample.missing?[metric] ?? sample.missing?[rawValue] { return r }
        if let e = sample.error { return "scrape failed: \(e)" }
        return "not in the sample record"
    }
}
