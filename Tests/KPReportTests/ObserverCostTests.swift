import Foundation
import KPRecords
import Testing

@testable import KPReport

/// `## Observer cost`: the scrape_cost arithmetic and the section, on known numbers.
@Suite struct ObserverCostTests {
    static let s = Fixtures.s

    /// Idle window 31 → 32 s (CPU 6.86 → 6.92), then 20 scrapes in 0.2 s (CPU → 7.16), counter step 10 ms:
    /// c = (0.24 − 0.06 · 0.2 / 1) / (20 − 0.2) = 0.228 / 19.8 s.
    static func record(deltaIdle: Double = 0.06, deltaBurst: Double = 0.24, burstNs: Int64 = 200_000_000)
        -> ScrapeCostRecord
    {
        var r = ScrapeCostRecord(tNs: 31 * s, source: "https://127.0.0.1:6443/metrics", scrapes: 20)
        r.idleStartNs = 31 * s
        r.idleStartCPUSeconds = 6.86
        r.burstStartNs = 32 * s
        r.burstStartCPUSeconds = 6.86 + deltaIdle
        r.burstEndNs = 32 * s + burstNs
        r.burstEndCPUSeconds = 6.86 + deltaIdle + deltaBurst
        r.cpuStepSeconds = 0.01
        r.scrapeNsTotal = 20 * 9_000_000
        r.bodyBytes = 20_480
        r.rssBytesBefore = 100 * Fixtures.mib
        r.rssBytesAfter = 102 * Fixtures.mib
        r.heapInuseBytesBefore = 50 * Fixtures.mib
        r.heapInuseBytesAfter = 49 * Fixtures.mib
        r.missing = [ScrapeCostRecord.allocMetric: "not exposed"]
        return r
    }

    /// launch t=0 (CPU 5.0), baseline t=30 s (CPU 6.8: 6.0 % idle), post-bootstrap t=60 s; --series-interval 1s.
    static func report(_ costs: [ScrapeCostRecord], flags: [String: String] = ["series-interval": "1s"]) -> Report {
        var data = RunData()
        var meta = Fixtures.meta()
        for (k, v) in flags { meta.flags[k] = v }
        data.add(meta.record, from: "meta.jsonl")
        for r in [
            Fixtures.sample("launch", t: 0, cpu: 5.0, heap: 90 * Fixtures.mib, rss: 200 * Fixtures.mib, gor: 100),
            Fixtures.sample(
                "baseline", t: 30 * s, cpu: 6.8, heap: 90 * Fixtures.mib, rss: 200 * Fixtures.mib, gor: 100),
            Fixtures.sample(
                "post-bootstrap", t: 60 * s, cpu: 9.8, heap: 120 * Fixtures.mib, rss: 300 * Fixtures.mib, gor: 200),
        ] {
            data.add(r.record, from: "samples.jsonl")
        }
        for c in costs { data.add(c.record, from: "samples.jsonl") }
        data.finish()
        return Report(data: data, directory: "/nonexistent-kp-bench-fixture")
    }

    @Test func arithmeticOnKnownNumbers() throws {
        let r = Self.record()
        let c = try #require(r.cpuSecondsPerScrape)
        let resolution = try #require(r.cpuSecondsPerScrapeResolution)
        let idleRate = try #require(r.idleCPURate)
        let expected: Double = 0.228 / 19.8
        #expect(abs(c - expected) < 1e-12)
        #expect(abs(resolution - 0.012 / 19.8) < 1e-12)
        #expect(abs(idleRate - (0.06 - expected)) < 1e-12)
        #expect(r.allocBytesPerScrape == nil)
        var a = r
        a.allocBytesTotalBefore = 1_000_000
        a.allocBytesTotalAfter = 3_000_000
        #expect(a.allocBytesPerScrape == 100_000)
        // A counter that went down, or a burst as long as N idle windows, gives no figure.
        var down = r
        down.burstEndCPUSeconds = 6.0
        #expect(down.cpuSecondsPerScrape == nil)
        var long = r
        long.burstEndNs = 32 * Self.s + 20 * Self.s
        #expect(long.cpuSecondsPerScrape == nil)

        let report = Self.report([r])
        let o = ObserverCost(data: report.data, phases: report.phases)
        let perScrape: Double = 0.228 / 19.8
        let idle = try #require(o.idleCPUPercent)
        let interval = try #require(o.intervalCPUPercent)
        let share = try #require(o.shareOfIdlePercent)
        #expect(abs(idle - 6.0) < 1e-9)
        #expect(o.intervalSeconds == 1)
        #expect(abs(interval - perScrape * 100) < 1e-9)
        #expect(abs(share - perScrape * 100 / 6.0 * 100) < 1e-9)
        #expect(!o.belowResolution)
    }

    @Test func sectionPrintsTheCostTheIntervalAndTheShareOfIdle() {
        let text = Self.report([Self.record()]).summaryMarkdown
        #expect(text.contains("## Observer cost"))
        #expect(
            text.contains(
                "| server CPU per scrape | 11.515 ms (± 0.606 ms: the CPU counter's step of 10.000 ms over 20 scrapes) |"
            ))
        #expect(text.contains("| scrape interval (--series-interval) | 1s |"))
        #expect(text.contains("| CPU that interval costs (of one core) | 1.15% |"))
        #expect(text.contains("| idle CPU (baseline row) | 6.0% |"))
        #expect(text.contains("| share of the idle CPU the interval explains | 19.2% |"))
        #expect(text.contains("| /metrics body, scrape time (client side) | 20.0 KiB, 9.00 ms |"))
        #expect(text.contains("| allocated per scrape (go_memstats_alloc_bytes_total) | — (not exposed) |"))
        #expect(text.contains("| RSS over the burst | 100.0 MiB → 102.0 MiB (+2.0 MiB) |"))
        #expect(text.contains("| heap in-use over the burst | 50.0 MiB → 49.0 MiB (-1.0 MiB) |"))
        // 22 scrapes × 11.515 ms = 0.253 s over post-bootstrap's 30 s interval.
        #expect(text.contains("fall in the post-bootstrap row's interval: about 0.84 points of its CPU %."))
    }

    @Test func belowTheCountersResolutionIsAnUpperBound() {
        let r = Self.record(deltaIdle: 0.01, deltaBurst: 0.01, burstNs: 50_000_000)
        // c = (0.01 − 0.01 · 0.05) / 19.95 = 0.476 ms; resolution (0.01 + 0.0005) / 19.95 = 0.526 ms.
        let text = Self.report([r]).summaryMarkdown
        #expect(text.contains("| server CPU per scrape | < 1.003 ms (± 0.526 ms"))
        #expect(text.contains("| CPU that interval costs (of one core) | < 0.10% |"))
        #expect(text.contains("| share of the idle CPU the interval explains | < 1.7% |"))
    }

    @Test func absentOrFailedBurstSaysNotMeasuredNeverZero() {
        #expect(
            Self.report([]).summaryMarkdown.contains(
                "## Observer cost\n\nNot measured: the run has no scrape_cost record"))
        #expect(
            Self.report([], flags: ["series-interval": "5s", "scrape-cost": "off"]).summaryMarkdown.contains(
                "Not measured: the run was made with kp-run --no-scrape-cost."))
        var failed = ScrapeCostRecord(tNs: 31 * Self.s, source: "https://127.0.0.1:6443/metrics")
        failed.idleStartNs = 31 * Self.s
        failed.idleStartCPUSeconds = 6.86
        failed.error = "the burst's first scrape failed: HTTP 500 from https://127.0.0.1:6443/metrics"
        let text = Self.report([failed]).summaryMarkdown
        #expect(text.contains("Not measured: the burst's first scrape failed: HTTP 500"))
        #expect(!text.contains("server CPU per scrape"))
    }
}
