/// One resource figure of a `sample` record: its JSON field, the Prometheus metric it is read from,
/// and the property that holds it.
///
/// ``SampleRecord/figures`` is kp-bench's one metric → field table: kp-scrape fills a sample by it,
/// kp-report reads one by it.
public struct SampleFigure: @unchecked Sendable {  // key paths are immutable values
    /// The record's JSON key, e.g. `heap_inuse_bytes`.
    public let field: String
    /// The metric in the target's `/metrics`, e.g. `go_memstats_heap_inuse_bytes`.
    public let metric: String
    /// The property of ``SampleRecord`` that holds the figure.
    public let keyPath: WritableKeyPath<SampleRecord, Double?>
}

extension SampleRecord {
    /// Every resource figure, in the record's documented order (docs/records.md).
    public static var figures: [SampleFigure] {
        [
            SampleFigure(field: "cpu_seconds", metric: "process_cpu_seconds_total", keyPath: \.cpuSeconds),
            SampleFigure(field: "heap_inuse_bytes", metric: "go_memstats_heap_inuse_bytes", keyPath: \.heapInuseBytes),
            SampleFigure(field: "heap_alloc_bytes", metric: "go_memstats_heap_alloc_bytes", keyPath: \.heapAllocBytes),
            SampleFigure(field: "rss_bytes", metric: "process_resident_memory_bytes", keyPath: \.rssBytes),
            SampleFigure(field: "goroutines", metric: "go_goroutines", keyPath: \.goroutines),
            SampleFigure(field: "open_fds", metric: "process_open_fds", keyPath: \.openFds),
        ]
    }

    /// The figure whose JSON key is `field`.
    public static func figure(field: String) -> SampleFigure? {
        figures.first { $0.field == field }
    }
}
