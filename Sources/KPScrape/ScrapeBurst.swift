import KPCore
import KPRecords

/// Burst mode (`kp-scrape --burst N`): what one scrape of `/metrics` costs the server.
///
/// One scrape starts an idle window; after it, a second scrape ends the window and starts the
/// burst; then N scrapes back to back, on one connection, each waiting for the previous answer.
/// The `scrape_cost` record carries the CPU counter at those three points, the burst's memory
/// figures before and after, and the counter's smallest step seen; ``KPRecords/ScrapeCostRecord``
/// turns them into CPU-seconds per scrape. A failed scrape ends the burst: the record then says
/// why and covers the scrapes before it.
public struct ScrapeBurst: Sendable {
    /// Scrapes in the burst.
    public var scrapes: Int
    /// Time between the first two scrapes, in which the server does only its idle work.
    public var idleWindow: Duration
    /// The burst stops once this long has passed since it started, even short of `scrapes`.
    public var maxDuration: Duration?

    /// The cumulative allocation counter kp-scrape asks for beside the sample figures (a `--metric`
    /// family of the scraper): bytes the server allocated per scrape.
    public static let allocMetric = ScrapeCostRecord.allocMetric
    /// The phase label of the burst's scrapes (in `--save-raw` file names).
    public static let phase = "scrape-cost"

    public init(scrapes: Int, idleWindow: Duration, maxDuration: Duration? = nil) {
        self.scrapes = scrapes
        self.idleWindow = idleWindow
        self.maxDuration = maxDuration
    }

    /// The record, the error records of the scrapes' side effects, and whether a scrape got no answer in time.
    public struct Result: Sendable {
        public var record: ScrapeCostRecord
        public var errors: [ErrorRecord]
        public var timedOut: Bool
    }

    /// Runs the burst with `scraper` (configured with ``allocMetric`` among its families to get the
    /// allocation figures). Cancelling the calling task ends it with an `error` in the record.
    public func run(scraper: Scraper) async -> Result {
        var errors: [ErrorRecord] = []
        var readings: [Double] = []
        var missing: [String: String] = [:]
        var timedOut = false
        var record = ScrapeCostRecord(tNs: MonotonicClock.now(), source: scraper.configuration.metricsURL)

        /// One scrape; nil (with the record's error set) when it failed.
        func scrape(_ what: String) async -> SampleRecord? {
            let outcome = await scraper.sample(phase: Self.phase)
            errors += outcome.errors
            if let bytes = outcome.bodyBytes { record.bodyBytes = bytes }
            guard outcome.succeeded else {
                record.error = "\(what) failed: \(outcome.sample.error ?? "no figures")"
                if outcome.timedOut { timedOut = true }
                return nil
            }
            if let cpu = outcome.sample.cpuSeconds { readings.append(cpu) }
            for (metric, reason) in outcome.sample.missing ?? [:] where Self.used.contains(metric) {
                missing[metric] = reason
            }
            return outcome.sample
        }

        func finish() -> Result {
            record.cpuStepSeconds = Self.smallestStep(readings)
            record.missing = missing.isEmpty ? nil : missing
            return Result(record: record, errors: errors, timedOut: timedOut)
        }

        guard let first = await scrape("the idle window's first scrape") else { return finish() }
        record.tNs = first.tNs
        record.idleStartNs = first.tNs
        record.idleStartCPUSeconds = first.cpuSeconds
        do {
            try await Task.sleep(for: idleWindow)
        } catch {
            record.error = "interrupted by a signal in the idle window"
            return finish()
        }
        guard let start = await scrape("the burst's first scrape") else { return finish() }
        record.burstStartNs = start.tNs
        record.burstStartCPUSeconds = start.cpuSeconds
        record.rssBytesBefore = start.rssBytes
        record.heapInuseBytesBefore = start.heapInuseBytes
        record.heapAllocBytesBefore = start.heapAllocBytes
        record.allocBytesTotalBefore = Self.allocBytes(in: start)
        let stopNs = maxDuration.map { start.tNs + ScrapeSeries.ns($0) }
        var total: Int64 = 0
        var last: SampleRecord?
        for i in 1...max(scrapes, 1) {
            if Task.isCancelled {
                record.error = "interrupted by a signal after \(i - 1) of \(scrapes) scrapes"
                break
            }
            if let stopNs, MonotonicClock.now() >= stopNs { break }
            guard let s = await scrape("scrape \(i) of \(scrapes)") else { break }
            last = s
            record.scrapes = i
            total += s.scrapeNs ?? 0
        }
        record.scrapeNsTotal = total
        if let last {
            record.burstEndNs = last.tNs
            record.burstEndCPUSeconds = last.cpuSeconds
            record.rssBytesAfter = last.rssBytes
            record.heapInuseBytesAfter = last.heapInuseBytes
            record.heapAllocBytesAfter = last.heapAllocBytes
            record.allocBytesTotalAfter = Self.allocBytes(in: last)
        }
        return finish()
    }

    /// The metrics the record reads (their reasons go into its `missing` when absent).
    static let used: Set<String> = [
        "process_cpu_seconds_total", "process_resident_memory_bytes", "go_memstats_heap_inuse_bytes",
        "go_memstats_heap_alloc_bytes", allocMetric,
    ]

    /// The first unlabelled ``allocMetric`` sample of the scrape's carried families.
    static func allocBytes(in sample: SampleRecord) -> Double? {
        sample.families?.first { $0.name == allocMetric }?.samples.first {
            $0.name == allocMetric && $0.labels.isEmpty && $0.value.value.isFinite
        }?.value.value
    }

    /// The smallest positive increase between consecutive readings (nil when the counter never moved).
    static func smallestStep(_ readings: [Double]) -> Double? {
        zip(readings, readings.dropFirst()).map { $1 - $0 }.filter { $0 > 0 }.min()
    }
}
