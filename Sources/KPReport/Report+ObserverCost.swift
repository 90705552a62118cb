import KPCore
import KPRecords
import KPRunModel

/// The observer's own cost: what one `/metrics` scrape costs the server (kp-scrape's burst, the
/// `scrape_cost` record) and what share of the idle CPU the series' scrape interval explains.
///
/// The idle CPU is the baseline row's CPU % (launch → baseline, the warmup, with the series running).
/// The interval's share is `CPU per scrape / --series-interval` (of one core); its share of the
/// idle CPU is that over the baseline row's. A figure the counter cannot resolve is given as an
/// upper bound, never as zero; a run without the record says it was not measured.
public struct ObserverCost: Sendable {
    /// The record used: the last complete one, else the last.
    public var record: ScrapeCostRecord?
    /// Why there is no CPU-per-scrape figure (nil when there is one).
    public var notMeasured: String?
    /// Server CPU-seconds per scrape, and how far the counter's step alone can move it.
    public var cpuPerScrape: Double?
    public var resolution: Double?
    /// True when ``cpuPerScrape`` is within ``resolution`` of zero: the figures are upper bounds.
    public var belowResolution: Bool
    /// `--series-interval` as given, in seconds.
    public var intervalText: String?
    public var intervalSeconds: Double?
    /// CPU the series costs: cost per scrape / interval, in % of one core.
    public var intervalCPUPercent: Double?
    /// The baseline row's CPU % and the share of it the interval explains (%).
    public var idleCPUPercent: Double?
    public var shareOfIdlePercent: Double?

    public init(data: RunData, phases: PhaseAnalysis) {
        let records = data.scrapeCosts
        record = records.last { $0.error == nil && $0.cpuSecondsPerScrape != nil } ?? records.last
        belowResolution = false
        intervalText = data.runMeta?.flags["series-interval"]
        intervalSeconds = intervalText.flatMap(DurationGrammar.parse).map(DurationGrammar.seconds)
        idleCPUPercent = phases.row("baseline")?.cpuPercent
        guard let r = record else {
            let scenario = data.runMeta.flatMap { Scenario.named($0.scenario, flags: $0.flags) }
            if let scenario, !scenario.steps.contains(.scrapeCost) {
                notMeasured =
                    "scenario \(scenario.name) takes no scrape-cost burst (it adds no load of its own to the server it watches)"
            } else {
                notMeasured =
                    data.runMeta?.flags["scrape-cost"] == "off"
                    ? "the run was made with kp-run --no-scrape-cost"
                    : "the run has no scrape_cost record (a run made before kp-bench measured it, or kp-scrape --burst did not run)"
            }
            return
        }
        guard let c = r.cpuSecondsPerScrape else {
            let cpuMissing = r.missing?["process_cpu_seconds_total"].map { "process_cpu_seconds_total: \($0)" }
            notMeasured =
                r.error ?? cpuMissing ?? "the burst's CPU readings do not give a figure (\(r.scrapes) scrapes)"
            return
        }
        cpuPerScrape = c
        resolution = r.cpuSecondsPerScrapeResolution
        if let res = resolution, c < res { belowResolution = true }
        // Below the resolution, the bound is what the data says: the cost is less than c + resolution.
        let bound = belowResolution ? max(c, 0) + resolution! : c
        if let i = intervalSeconds, i > 0 {
            intervalCPUPercent = bound / i * 100
            if let idle = idleCPUPercent, idle > 0 { shareOfIdlePercent = intervalCPUPercent! / idle * 100 }
        }
    }
}

extension Report {
    /// `## Observer cost`: what the measuring itself costs the server.
    var observerCostSection: String {
        var text = "## Observer cost\n\n"
        let o = ObserverCost(data: data, phases: phases)
        guard let r = o.record, let c = o.cpuPerScrape else {
            return text + "Not measured: \(o.notMeasured ?? "no figure").\n"
        }
        let lessThan = o.belowResolution ? "< " : ""
        func ms(_ seconds: Double?) -> String { Format.fixed(seconds.map { $0 * 1000 }, 3) + " ms" }
        text +=
            "kp-scrape's burst, before any VCP existed: a scrape, \(Format.fixed(r.idleWindowSeconds, 1)) s idle, then \(r.scrapes) scrapes back to back in \(Format.fixed(r.burstSeconds.map { $0 * 1000 }, 1)) ms. CPU per scrape = (burst CPU − idle CPU over the burst) / scrapes, from process_cpu_seconds_total (docs/reports.md).\n\n"
        var t = MarkdownTable(["", ""], rightAligned: [false, true])
        var cost = o.belowResolution ? "< \(ms(max(c, 0) + (o.resolution ?? 0)))" : ms(c)
        if let res = o.resolution {
            cost += " (± \(ms(res)): the CPU counter's step of \(ms(r.cpuStepSeconds)) over \(r.scrapes) scrapes)"
        }
        t.add(["server CPU per scrape", cost])
        let latency = r.scrapeNsTotal.flatMap { r.scrapes > 0 ? Double($0) / Double(r.scrapes) : nil }
        t.add([
            "/metrics body, scrape time (client side)",
            "\(r.bodyBytes.map { Format.kib(Double($0)) + " KiB" } ?? Format.missing), \(Format.latency(latency))",
        ])
        t.add(["scrape interval (--series-interval)", o.intervalText ?? "— (no run_meta)"])
        t.add(["CPU that interval costs (of one core)", lessThan + Format.fixed(o.intervalCPUPercent, 2) + "%"])
        t.add(["idle CPU (baseline row)", Format.percent(o.idleCPUPercent)])
        t.add(["share of the idle CPU the interval explains", lessThan + Format.percent(o.shareOfIdlePercent)])
        t.add(["allocated per scrape (go_memstats_alloc_bytes_total)", allocated(r)])
        t.add(["RSS over the burst", change(r.rssBytesBefore, r.rssBytesAfter)])
        t.add(["heap in-use over the burst", change(r.heapInuseBytesBefore, r.heapInuseBytesAfter)])
        text += t.text
        if let error = r.error {
            text += "\nThe burst stopped early (its figures cover the scrapes before): \(error).\n"
        }
        text +=
            "\nEvery phase sample scrapes /metrics too, once per phase; the series never fetches pprof profiles (only the phase samples marked +pprof do)."
        if let later = laterScrapeTime(after: r), let burst = latency, later.median > 1.5 * burst {
            text +=
                " The burst ran with no VCP: the series' scrapes between the \(later.from) and \(later.to) samples took a median \(Format.latency(later.median)) (the burst's \(Format.latency(burst))), so with the run's VCPs a scrape likely costs the server more than measured here."
        }
        let spent = max(c, 0) * Double(r.scrapes + 2)
        if let row = phases.rows.first(where: { row in
            guard let i = row.cpuIntervalNs else { return false }
            return row.sample.tNs - i <= r.tNs && r.tNs <= row.sample.tNs
        }), let i = row.cpuIntervalNs, i > 0 {
            text +=
                " The burst's \(r.scrapes + 2) scrapes (about \(ms(spent)) of CPU) fall in the \(row.phase) row's interval: about \(Format.fixed(spent / (Double(i) / 1e9) * 100, 2)) points of its CPU %."
        }
        return text + "\n"
    }

    /// The median client-side time of the series' scrapes between the last two phase samples after
    /// the burst (the steady wait in the seed's phases): how long a scrape took with the VCPs in place.
    private func laterScrapeTime(after r: ScrapeCostRecord) -> (median: Double, from: String, to: String)? {
        let after = phases.rows.filter { $0.sample.tNs > r.tNs }
        guard after.count >= 2 else { return nil }
        let a = after[after.count - 2].sample
        let b = after[after.count - 1].sample
        let times = data.seriesSamples.filter { $0.tNs > a.tNs && $0.tNs < b.tNs && $0.error == nil }.compactMap(
            \.scrapeNs
        ).sorted()
        guard !times.isEmpty else { return nil }
        return (Double(times[times.count / 2]), a.phase, b.phase)
    }

    private func allocated(_ r: ScrapeCostRecord) -> String {
        if let a = r.allocBytesPerScrape { return Format.kib(a) + " KiB" }
        if let why = r.missing?[ScrapeCostRecord.allocMetric] { return "— (\(why))" }
        return Format.missing
    }

    private func change(_ before: Double?, _ after: Double?) -> String {
        guard let before, let after else { return Format.missing }
        return "\(Format.bytes(before)) → \(Format.bytes(after)) (\(Format.signedBytes(after - before)))"
    }
}
