/// What one scrape of the target's root `/metrics` costs the server, from `kp-scrape --burst N`.
///
/// kp-scrape scrapes once (the idle window's start), waits the idle window, scrapes again (the
/// burst's start), then scrapes N times back to back (the last one is the burst's end). Every
/// figure is read from those scrapes' bodies, as a `sample` reads it; nothing is estimated by the
/// client. ``cpuSecondsPerScrape`` turns the three CPU readings into the server's CPU per scrape.
public struct ScrapeCostRecord: KPRecord {
    public static let kind = RecordKind.scrapeCost
    public var kind: RecordKind = .scrapeCost
    public var v: Int = Schema.currentVersion
    /// CLOCK_MONOTONIC ns when the first scrape was sent.
    public var tNs: Int64
    /// The URL scraped.
    public var source: String
    /// Scrapes in the burst (after its start scrape) that finished; N unless the burst was cut short.
    public var scrapes: Int
    /// Send times (ns) and `process_cpu_seconds_total` of the idle window's start, the burst's start
    /// (the idle window's end) and the burst's last scrape.
    public var idleStartNs: Int64?
    public var idleStartCPUSeconds: Double?
    public var burstStartNs: Int64?
    public var burstStartCPUSeconds: Double?
    public var burstEndNs: Int64?
    public var burstEndCPUSeconds: Double?
    /// The smallest increase of the CPU counter between two consecutive readings of the record: an
    /// upper bound on the counter's step (10 ms clock ticks for a Go server on Linux). Absent when it never moved.
    public var cpuStepSeconds: Double?
    /// Sum of the burst's scrape latencies, ns (request sent to body read, client side).
    public var scrapeNsTotal: Int64?
    /// Size of the last `/metrics` body, bytes.
    public var bodyBytes: Int?
    /// `process_resident_memory_bytes`, `go_memstats_heap_inuse_bytes`, `go_memstats_heap_alloc_bytes`
    /// and `go_memstats_alloc_bytes_total` (cumulative bytes allocated) at the burst's start and end.
    public var rssBytesBefore: Double?
    public var rssBytesAfter: Double?
    public var heapInuseBytesBefore: Double?
    public var heapInuseBytesAfter: Double?
    public var heapAllocBytesBefore: Double?
    public var heapAllocBytesAfter: Double?
    public var allocBytesTotalBefore: Double?
    public var allocBytesTotalAfter: Double?
    /// Figures that are absent: metric name → reason (as in `sample`).
    public var missing: [String: String]?
    /// Set when a scrape failed: the burst stopped there and the CPU figures after it are absent.
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case kind, v, source, scrapes, missing, error
        case tNs = "t_ns"
        case idleStartNs = "idle_start_ns"
        case idleStartCPUSeconds = "idle_start_cpu_seconds"
        case burstStartNs = "burst_start_ns"
        case burstStartCPUSeconds = "burst_start_cpu_seconds"
        case burstEndNs = "burst_end_ns"
        case burstEndCPUSeconds = "burst_end_cpu_seconds"
        case cpuStepSeconds = "cpu_step_seconds"
        case scrapeNsTotal = "scrape_ns_total"
        case bodyBytes = "body_bytes"
        case rssBytesBefore = "rss_bytes_before"
        case rssBytesAfter = "rss_bytes_after"
        case heapInuseBytesBefore = "heap_inuse_bytes_before"
        case heapInuseBytesAfter = "heap_inuse_bytes_after"
        case heapAllocBytesBefore = "heap_alloc_bytes_before"
        case heapAllocBytesAfter = "heap_alloc_bytes_after"
        case allocBytesTotalBefore = "alloc_bytes_total_before"
        case allocBytesTotalAfter = "alloc_bytes_total_after"
    }

    public init(tNs: Int64, source: String, scrapes: Int = 0) {
        self.tNs = tNs
        self.source = source
        self.scrapes = scrapes
    }

    public var record: Record { .scrapeCost(self) }
}

extension ScrapeCostRecord {
    /// The cumulative allocation counter the `alloc_bytes_total_*` fields read.
    public static let allocMetric = "go_memstats_alloc_bytes_total"

    /// The idle window and the burst, in seconds of wall time.
    public var idleWindowSeconds: Double? {
        guard let a = idleStartNs, let b = burstStartNs, b > a else { return nil }
        return Double(b - a) / 1e9
    }
    public var burstSeconds: Double? {
        guard let b = burstStartNs, let c = burstEndNs, c >= b else { return nil }
        return Double(c - b) / 1e9
    }

    /// Server CPU-seconds per scrape.
    ///
    /// With W the idle window, B the burst's wall time, N the burst's scrapes, ΔW and ΔB the CPU
    /// counter's increase over each: the idle window holds the server's idle work and one scrape
    /// (the one that ends it), the burst the same idle work and N scrapes, so with c the cost of one
    /// scrape, `ΔB = N·c + (ΔW − c)·B/W`, i.e. `c = (ΔB − ΔW·B/W) / (N − B/W)`. Nil when a reading is
    /// absent, the counter went down, or the burst is not much shorter than N idle windows.
    public var cpuSecondsPerScrape: Double? {
        guard let w = idleWindowSeconds, let b = burstSeconds, let d = denominator, let a0 = idleStartCPUSeconds,
            let b0 = burstStartCPUSeconds, let c0 = burstEndCPUSeconds, b0 >= a0, c0 >= b0
        else { return nil }
        return ((c0 - b0) - (b0 - a0) * b / w) / d
    }

    /// How far ``cpuSecondsPerScrape`` can be off from the counter's step alone: each of the two
    /// differences is off by less than one step, so `(step + step·B/W) / (N − B/W)`. Nil without a step.
    public var cpuSecondsPerScrapeResolution: Double? {
        guard let s = cpuStepSeconds, let w = idleWindowSeconds, let b = burstSeconds, let d = denominator else {
            return nil
        }
        return (s + s * b / w) / d
    }

    /// The server's idle CPU rate over the idle window without the scrape that ends it, CPU-seconds per second.
    public var idleCPURate: Double? {
        guard let c = cpuSecondsPerScrape, let w = idleWindowSeconds, let a0 = idleStartCPUSeconds,
            let b0 = burstStartCPUSeconds
        else { return nil }
        return max(0, (b0 - a0 - c) / w)
    }

    /// Bytes the server allocated per scrape over the burst (`go_memstats_alloc_bytes_total`), when exposed.
    public var allocBytesPerScrape: Double? {
        guard scrapes > 0, let a = allocBytesTotalBefore, let b = allocBytesTotalAfter, b >= a else { return nil }
        return (b - a) / Double(scrapes)
    }

    private var denominator: Double? {
        guard let w = idleWindowSeconds, let b = burstSeconds, scrapes > 0 else { return nil }
        let d = Double(scrapes) - b / w
        return d >= 1 ? d : nil
    }
}
