import KPRecords

/// One resource figure of a `sample` record, with the names it goes by.
public enum ResourceFigure: String, CaseIterable, Sendable {
    case cpuSeconds = "cpu_seconds"
    case heapInuse = "heap_inuse_bytes"
    case heapAlloc = "heap_alloc_bytes"
    case rss = "rss_bytes"
    case goroutines
    case openFds = "open_fds"

    /// The Prometheus metric the figure is scraped from.
    public var metric: String {
        switch self {
        case .cpuSeconds: "process_cpu_seconds_total"
        case .heapInuse: "go_memstats_heap_inuse_bytes"
        case .heapAlloc: "go_memstats_heap_alloc_bytes"
        case .rss: "process_resident_memory_bytes"
        case .goroutines: "go_goroutines"
        case .openFds: "process_open_fds"
        }
    }

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
        switch self {
        case .cpuSeconds: sample.cpuSeconds
        case .heapInuse: sample.heapInuseBytes
        case .heapAlloc: sample.heapAllocBytes
        case .rss: sample.rssBytes
        case .goroutines: sample.goroutines
        case .openFds: sample.openFds
        }
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
