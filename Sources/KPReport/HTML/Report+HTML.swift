import KPRecords
import KPStats

/// report.html: charts of the run, then summary.md's tables (docs/reports.md, "report.html").
extension Report {
    /// The page's sections, in order; a compare or sweep page can reuse them with ``HTMLPage``.
    public var htmlSections: [HTMLPage.Section] { htmlSections(summary: summaryMarkdown) }

    /// ``htmlSections`` with ``summaryMarkdown`` given (a fold renders it once for summary.md and the page).
    func htmlSections(summary: String) -> [HTMLPage.Section] {
        var out: [HTMLPage.Section] = []
        out.append(.init(id: "chart-resources", title: "Resources over the run", body: resourceCharts))
        if bootstrap.summary != nil || !bootstrap.steps.isEmpty {
            out.append(.init(id: "chart-bootstrap", title: "Bootstrap", body: bootstrapCharts))
        }
        if let load { out.append(.init(id: "chart-load", title: "Load", body: loadCharts(load))) }
        if !data.kneeSteps.isEmpty { out.append(.init(id: "chart-knee", title: "Knee", body: kneeCharts)) }
        out.append(
            .init(
                id: "tables", title: "Tables (as in summary.md)",
                body: "<div class=\"tables\">\n" + SummaryHTML.render(Self.withoutNotice(summary)) + "</div>\n"))
        return out
    }

    /// summary.md (`md`) without its emulator notice (the page's header shows it once).
    static func withoutNotice(_ md: String) -> String {
        let notice = Self.emulatorNotice + "\n\n"
        return md.hasPrefix(notice) ? String(md.dropFirst(notice.count)) : md
    }

    /// The page's status lines: emulator notice, complete / INCOMPLETE, SLO, data problems.
    var htmlHeader: String {
        var o = ""
        if isEmulator {
            o +=
                "<div class=\"notice\">\(SummaryHTML.inline(Self.emulatorNotice.replacingOccurrences(of: "> ", with: "", options: .anchored)))</div>\n"
        }
        o += "<p>"
        let incomplete = incompleteReasons
        if incomplete.isEmpty {
            o += "<span class=\"status ok\">\(SVGChart.escape(data.runEnd?.status ?? "complete"))</span>"
        } else {
            o += "<span class=\"status bad\">INCOMPLETE</span>"
        }
        if let slo {
            let missed = slo.count(.missed)
            o +=
                missed == 0
                ? "<span class=\"status ok\">API-call SLO held (\(slo.checks.count) checks)</span>"
                : "<span class=\"status bad\">API-call SLO missed (\(missed) of \(slo.checks.count) checks)</span>"
        }
        if budgets != nil {
            // The Budgets table itself is among the Tables, from summary.md.
            let results = budgetResults
            let kind = !results.broken(.error).isEmpty ? "bad" : (!results.broken(.warning).isEmpty ? "warn" : "ok")
            o += "<span class=\"status \(kind)\">\(SVGChart.escape(budgetsVerdict))</span>"
        }
        if let f = data.loadFinal, f.generatorLimited { o += "<span class=\"status warn\">GENERATOR-LIMITED</span>" }
        if !problems.isEmpty { o += "<span class=\"status warn\">\(problems.count) data problems</span>" }
        o += "</p>\n"
        if !incomplete.isEmpty {
            o += "<p><strong>INCOMPLETE:</strong> \(SVGChart.escape(incomplete.joined(separator: "; "))).</p>\n"
        }
        let m = data.runMeta
        var facts: [String] = []
        if let m { facts.append("scenario \(m.scenario)") }
        if let n = phases.vcps { facts.append("\(n) VCPs") }
        if let e = data.endpoint { facts.append("target \(e.target)\(e.targetVersion.map { " \($0)" } ?? "")") }
        if let s = m?.startedAt { facts.append("started \(s)") }
        if let v = m?.kpBenchVersion { facts.append("kp-bench \(v)" + (m?.harness.map { " (\($0.text))" } ?? "")) }
        if !facts.isEmpty { o += "<p>\(SVGChart.escape(facts.joined(separator: " · ")))</p>\n" }
        return o + headlineHTML
    }

    /// `report.html`.
    public var reportHTML: String { reportHTML(summary: summaryMarkdown) }

    /// ``reportHTML`` with ``summaryMarkdown`` given.
    func reportHTML(summary: String) -> String {
        HTMLPage(
            title: "kp-bench report: \(data.runMeta?.run ?? "(run name unknown)")", header: htmlHeader,
            sections: htmlSections(summary: summary)
        ).render()
    }

    // MARK: - Resources

    /// Where "elapsed" starts: the run's start, else the launch, else the first sample.
    var runStartNs: Int64? {
        data.runMeta?.startNs ?? data.endpoint?.launchedNs ?? (data.phaseSamples + data.seriesSamples).map(\.tNs).min()
    }

    /// Each stretch's shade, the same on every chart and run (pale, so the lines stay readable).
    static let phaseBandColors: [String: String] = [
        "warmup": "#E6E9EE", "bootstrap": "#F7E1C4", "settle": "#D9EEDF", "steady wait": "#DDE9F7",
        "load": "#F1DDEB",
    ]

    /// The run's stretches (seconds since the run started), each in its colour: warmup, bootstrap,
    /// settle, steady wait, load, where the run has them.
    var phaseBands: [SVGChart.Band] {
        guard let t0 = runStartNs else { return [] }
        func s(_ ns: Int64) -> Double { Double(ns - t0) / 1e9 }
        var out: [SVGChart.Band] = []
        let sample = { (p: String) in phases.row(p)?.sample.tNs }
        if let base = sample("baseline") {
            let from = data.endpoint?.readyNs ?? sample("launch") ?? t0
            if base > from { out.append(.init(from: s(from), to: s(base), label: "warmup")) }
        }
        if let a = bootstrap.startNs, let wall = bootstrap.wallNs, wall > 0 {
            let b = a + wall
            out.append(.init(from: s(a), to: s(b), label: "bootstrap"))
            if let pb = sample("post-bootstrap"), pb > b { out.append(.init(from: s(b), to: s(pb), label: "settle")) }
        }
        if let pb = sample("post-bootstrap"), let st = sample("steady"), st > pb {
            out.append(.init(from: s(pb), to: s(st), label: "steady wait"))
        }
        if let f = data.loadFinal, f.endNs > f.startNs {
            out.append(.init(from: s(f.startNs), to: s(f.endNs), label: "load"))
        }
        for i in out.indices { out[i].color = Self.phaseBandColors[out[i].label] }
        return out
    }

    var resourceCharts: String {
        guard let t0 = runStartNs else {
            return "<p class=\"nodata\">No samples: samples.jsonl and timeseries.jsonl are missing or empty.</p>\n"
        }
        func s(_ ns: Int64) -> Double { Double(ns - t0) / 1e9 }
        let series = data.seriesSamples.filter { $0.error == nil }
        let marked = phases.rows.map { $0.sample }
        let markers = phases.rows.map { SVGChart.Marker(x: s($0.sample.tNs), label: $0.phase) }
        let bands = phaseBands
        var o =
            "<p>Continuous <code>series</code> samples (timeseries.jsonl, every --series-interval) as lines; the phase samples the tables use as dots and dashed lines; the run's stretches shaded, each colour named in the chart's legend. x = seconds since the run started.</p>\n"
        let figures: [(String, String, String, (SampleRecord) -> Double?)] = [
            ("rss", "Resident memory (RSS)", "RSS (MiB)", { $0.rssBytes.map { $0 / 1_048_576 } }),
            ("heap", "Go heap in use", "heap in-use (MiB)", { $0.heapInuseBytes.map { $0 / 1_048_576 } }),
            ("goroutines", "Goroutines", "goroutines", { $0.goroutines }),
        ]
        for (id, title, unit, value) in figures {
            var c = SVGChart(id: "chart-\(id)", title: title, xLabel: "time since the run started (s)", yLabel: unit)
            c.height = 300
            c.series = [
                .init(
                    "series samples", kind: .line, points: series.compactMap { x in value(x).map { (s(x.tNs), $0) } },
                    color: 0),
                .init(
                    "phase samples", kind: .points, points: marked.compactMap { x in value(x).map { (s(x.tNs), $0) } },
                    color: 1),
            ]
            c.bands = bands
            c.markers = markers
            o += c.figure(noData: "no sample carries this figure")
        }
        // CPU %: between consecutive series samples (as kp-report's phase CPU, 100 % = one core).
        var cpu: [(x: Double, y: Double)] = []
        let withCPU = series.filter { $0.cpuSeconds != nil }
        for (a, b) in zip(withCPU, withCPU.dropFirst()) {
            if let p = PhaseMath.cpuPercent(
                cpuBefore: a.cpuSeconds, tBeforeNs: a.tNs, cpuAfter: b.cpuSeconds, tAfterNs: b.tNs)
            {
                cpu.append((s(a.tNs), p))
                cpu.append((s(b.tNs), p))
            }
        }
        var c = SVGChart(
            id: "chart-cpu", title: "CPU", xLabel: "time since the run started (s)", yLabel: "CPU (% of one core)")
        c.height = 300
        c.series = [
            .init("between series samples", kind: .line, points: cpu, color: 0),
            .init(
                "phase average (tables)", kind: .points,
                points: phases.rows.compactMap { r in r.cpuPercent.map { (s(r.sample.tNs), $0) } }, color: 1),
        ]
        c.bands = bands
        c.markers = markers
        c.note =
            "Δ process_cpu_seconds_total / Δ wall time between consecutive samples; a phase's dot is its average since the previous phase sample."
        o += c.figure(noData: "no two samples carry process_cpu_seconds_total")
        return o
    }

    // MARK: - Bootstrap

    var bootstrapCharts: String {
        var o = ""
        var cdf = SVGChart(
            id: "chart-bootstrap-steps", title: "Bootstrap step durations across clusters (cumulative)",
            xLabel: "duration (ms, log scale)", yLabel: "clusters done within (%)")
        cdf.xLog = true
        var byStep: [String: [Double]] = [:]
        var byCluster: [String: [BootstrapStepRecord]] = [:]
        for r in data.steps {
            byCluster[r.cluster, default: []].append(r)
            if r.outcome == "ok" { byStep[r.step, default: []].append(Double(r.endNs - r.startNs) / 1e6) }
        }
        func curve(_ values: [Double]) -> [(x: Double, y: Double)] {
            let v = values.sorted()
            return v.enumerated().map { (i, x) in (x, Double(i + 1) / Double(v.count) * 100) }
        }
        for (i, st) in bootstrap.steps.enumerated() {
            cdf.series.append(.init(st.step, kind: .step, points: curve(byStep[st.step] ?? []), color: i))
        }
        var ready: [(String, Double)] = []
        let t0 = bootstrap.startNs ?? 0
        for c in byCluster.keys.sorted() {
            let rs = byCluster[c]!
            guard rs.allSatisfy({ $0.outcome == "ok" }), let b = rs.map(\.endNs).max() else { continue }
            ready.append((c, Double(b - t0) / 1e9))
        }
        let totals = byCluster.keys.sorted().compactMap { c -> Double? in
            let rs = byCluster[c]!
            guard rs.allSatisfy({ $0.outcome == "ok" }), let a = rs.map(\.startNs).min(), let b = rs.map(\.endNs).max()
            else { return nil }
            return Double(b - a) / 1e6
        }
        cdf.series.append(.init("whole cluster", kind: .step, points: curve(totals), color: 7, dashed: true))
        cdf.yFromZero = true
        cdf.note =
            "For each step, the share of clusters whose step (ended ok) took at most x ms; whole cluster = first request to the last step's end. Percentile tables below."
        o += cdf.figure(noData: "no step ended ok")

        let times = ready.map(\.1).sorted()
        var r = SVGChart(
            id: "chart-bootstrap-ready", title: "Clusters ready over the bootstrap",
            xLabel: "time since the bootstrap started (s)", yLabel: "clusters ready")
        r.width = 580
        r.series = [
            .init(
                "clusters with every step ok", kind: .step,
                points: [(0, 0)] + times.enumerated().map { ($1, Double($0 + 1)) }, color: 2)
        ]
        if bootstrap.summary != nil, let wall = bootstrap.wallNs {
            r.markers = [.init(x: Double(wall) / 1e9, label: "bootstrap end")]
        }
        var perSecond: [Double: Double] = [:]
        for t in times { perSecond[t.rounded(.down), default: 0] += 1 }
        var rate = SVGChart(
            id: "chart-bootstrap-rate", title: "Clusters becoming ready per second",
            xLabel: "time since the bootstrap started (s)", yLabel: "clusters / s")
        rate.width = 580
        rate.series = [
            .init(
                "clusters ready in that second", kind: .bars,
                points: perSecond.keys.sorted().map { ($0 + 0.5, perSecond[$0]!) }, color: 0)
        ]
        o +=
            "<div class=\"grid2\">\n" + r.figure(noData: "no cluster completed every step")
            + rate.figure(noData: "no cluster completed every step") + "</div>\n"
        return o
    }

    // MARK: - Load

    static let spectrum: [(String, Double?)] = [
        ("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9), ("p99.99", 99.99), ("max", nil),
    ]

    func loadCharts(_ l: LoadAnalysis) -> String {
        var o =
            "<p>Response time = end − intended start (what a caller waits, queueing included); service time = end − actual send. Latencies in ms on log scales.</p>\n"
        if l.final.generatorLimited {
            o +=
                "<p class=\"notice\"><strong>GENERATOR-LIMITED:</strong> these latencies describe kp-load as much as the server.</p>\n"
        }
        // Spectrum per op.
        var spectra: [SVGChart] = []
        for op in l.ops {
            var c = SVGChart(
                id: "chart-spectrum-\(SummaryHTML.anchor(op.op))", title: "Latency spectrum: \(op.op)",
                xLabel: "percentile", yLabel: "latency (ms, log scale)")
            c.width = 580
            c.height = 340
            c.yLog = true
            c.xCategories = Self.spectrum.map(\.0)
            func pts(_ h: LatencyHistogram?) -> [(x: Double, y: Double)] {
                guard let h else { return [] }
                let values = h.percentiles(Self.spectrum.map { $0.1 ?? 100 })
                return values.enumerated().compactMap { (j, v) in v.map { (Double(j), Double($0) / 1e6) } }
            }
            c.series = [
                .init("response time", kind: .line, points: pts(op.response), color: 0),
                .init("service time", kind: .line, points: pts(op.service), color: 1, dashed: true),
            ]
            c.note = "\(Format.count(op.count)) operations, \(Format.count(op.errors)) errors."
            if let p = Self.clientServerPairs(l).first(where: { $0.op == op.op }) {
                c.note! +=
                    p.server.map {
                        " Server \(p.verb), every request of the verb in the window: p50 \(Format.bucketQuantile($0.p50)), p99 \(Format.bucketQuantile($0.p99))."
                    } ?? " No server-side \(p.verb) figures."
            }
            spectra.append(c)
        }

        // Per second over the load phase.
        let ops = l.ops.map(\.op).filter { l.final.targetRps[$0] != nil }
        let shown = ops.isEmpty ? l.ops.map(\.op) : ops
        var rate = SVGChart(
            id: "chart-rate", title: "Achieved rate per interval", xLabel: "time since the load started (s)",
            yLabel: "operations / s")
        var p99 = SVGChart(
            id: "chart-p99", title: "Response-time p99 per interval", xLabel: "time since the load started (s)",
            yLabel: "p99 (ms, log scale)")
        p99.yLog = true
        p99.height = 340
        var lag = SVGChart(
            id: "chart-lag", title: "Schedule lag per interval (actual send − intended)",
            xLabel: "time since the load started (s)", yLabel: "lag (ms, log scale)")
        lag.yLog = true
        lag.height = 340
        let t0 = l.final.startNs
        func mid(_ r: LoadIntervalRecord) -> Double { Double((r.startNs + r.endNs) / 2 - t0) / 1e9 }
        // A window much shorter than the others (the stub at the end of the phase) would show a
        // rate from a handful of operations; it is left out of the rate line.
        let lengths = data.loadIntervals.map { $0.endNs - $0.startNs }.sorted()
        let typical = lengths.isEmpty ? 0 : lengths[lengths.count / 2]
        for (i, op) in shown.enumerated() {
            var rp: [(x: Double, y: Double)] = []
            var pp: [(x: Double, y: Double)] = []
            for r in data.loadIntervals {
                guard let w = r.ops.first(where: { $0.op == op }), r.endNs > r.startNs else { continue }
                if (r.endNs - r.startNs) * 2 >= typical {
                    rp.append((mid(r), Double(w.count) / (Double(r.endNs - r.startNs) / 1e9)))
                }
                if let h = try? LatencyHistogram(wire: w.response), let p = h.percentile(99) {
                    pp.append((mid(r), Double(p) / 1e6))
                }
            }
            rate.series.append(.init("\(op) achieved", kind: .line, points: rp, color: i))
            if let t = l.final.targetRps[op] {
                let xs = rp.map(\.x)
                if let a = xs.min(), let b = xs.max() {
                    rate.series.append(
                        .init("\(op) target", kind: .line, points: [(a, t), (b, t)], color: i, dashed: true))
                }
            }
            p99.series.append(.init(op, kind: .line, points: pp, color: i))
        }
        var l50: [(x: Double, y: Double)] = []
        var l99: [(x: Double, y: Double)] = []
        var lmax: [(x: Double, y: Double)] = []
        for r in data.loadIntervals {
            guard let h = try? LatencyHistogram(wire: r.generator.scheduleLag), !h.isEmpty else { continue }
            let q = h.percentiles([50, 99])
            if let v = q[0] { l50.append((mid(r), Double(v) / 1e6)) }
            if let v = q[1] { l99.append((mid(r), Double(v) / 1e6)) }
            if let v = h.max { lmax.append((mid(r), Double(v) / 1e6)) }
        }
        lag.series = [
            .init("p50", points: l50, color: 0), .init("p99", points: l99, color: 1),
            .init("max", points: lmax, color: 3, dashed: true),
        ]
        rate.note =
            "Operations started per second in each load_interval window (kp-load --report-interval), target rate dashed; a window under half the usual length (the stub at the end of the phase) is left out."
        p99.note = "p99 of the response time of the operations that ended in each window."
        lag.note =
            "How late kp-load sent each request against its open-loop schedule; a rising lag means the generator, not the server, set the pace."
        // Per-cluster p99 spread.
        var spread = SVGChart(
            id: "chart-spread", title: "Response-time p99 per cluster, sorted",
            xLabel: "clusters that got load, sorted by p99 (rank)", yLabel: "p99 (ms, log scale)")
        spread.yLog = true
        spread.height = 340
        var byOp: [String: [Double]] = [:]
        for c in l.final.perCluster {
            if let h = try? LatencyHistogram(wire: c.response), let p = h.percentile(99) {
                byOp[c.op, default: []].append(Double(p) / 1e6)
            }
        }
        for (i, op) in LoadAnalysis.ordered(Array(byOp.keys), by: \.self).enumerated() {
            spread.series.append(
                .init(op, kind: .points, points: byOp[op]!.sorted().enumerated().map { (Double($0 + 1), $1) }, color: i)
            )
        }
        spread.note =
            "Each dot is one cluster's response-time p99 over the load phase; a flat line means the clusters were served alike."

        // One y range for every latency chart, so they compare at a glance; each axis title says it.
        var latency = spectra + [p99, spread, lag, clientServerChart(l)]
        if let r = SVGChart.sharedYRange(latency) {
            for i in latency.indices {
                latency[i].yRange = r
                latency[i].yLabel +=
                    "\nshared range \(latency[i].yTickText(r.lo))–\(latency[i].yTickText(r.hi)) ms"
            }
            o +=
                "<p>Every latency chart on this page has the same y range, \(latency[0].yTickText(r.lo))–\(latency[0].yTickText(r.hi)) ms, so their heights compare directly.</p>\n"
        }
        spectra = Array(latency.prefix(spectra.count))
        (p99, spread, lag) = (latency[spectra.count], latency[spectra.count + 1], latency[spectra.count + 2])
        let clientServer = latency[spectra.count + 3]
        o +=
            "<h3>Latency percentile spectrum</h3>\n<div class=\"grid2\">\n"
            + zip(l.ops, spectra).map { op, c in c.figure(noData: "no histogram for \(op.op)") }.joined()
            + "</div>\n"
        o += "<h3 id=\"client-and-server\">Client and server</h3>\n" + clientServerHTML(l, chart: clientServer)
        o +=
            "<h3>Over the load phase</h3>\n" + rate.figure(noData: "no load_interval records")
            + p99.figure(noData: "no load_interval records")
        o +=
            "<h3>Across clusters and the generator</h3>\n" + spread.figure(noData: "no per-cluster histograms")
            + lag.figure(noData: "no schedule-lag histograms in load_interval")
        if let slo { o += "<h3>API-call latency SLO</h3>\n" + sloChart(slo) }
        return o
    }

    /// Per client op, the client's service-time p50 and p99 as dots and the server's p99 of its verb as
    /// a bar up to its bucket's upper bound (all the histogram vouches for), on the latency charts' y range.
    func clientServerChart(_ l: LoadAnalysis) -> SVGChart {
        var c = SVGChart(
            id: "chart-client-server", title: "p99: the client's against the server's bucket",
            xLabel: "client op · server verb", yLabel: "latency (ms, log scale)")
        c.width = 540
        c.height = 340
        c.yLog = true
        let pairs = Self.clientServerPairs(l).filter { $0.server?.p99 != nil }
        c.xCategories = pairs.map { "\($0.op) · \($0.verb)" }
        func client(_ q: Double) -> [(x: Double, y: Double)] {
            pairs.enumerated().compactMap { i, p in p.client?.percentile(q).map { (Double(i), Double($0) / 1e6) } }
        }
        c.series = [
            .init(
                "server p99 ≤ bar top", kind: .bars,
                points: pairs.enumerated().compactMap { i, p in
                    p.server?.p99.map { (Double(i), BucketQuantile($0).boundingSeconds * 1000) }
                }, color: 5),
            .init("client p99", kind: .points, points: client(99), color: 1),
            .init("client p50", kind: .points, points: client(50), color: 0),
        ]
        c.note =
            "Client: service time (end − actual send). Server: the bucket its p99 lies in reaches up to the bar's top; in the +Inf bucket the bar stops at the highest bound and the p99 is beyond it."
        return c
    }

    /// summary.md's client-beside-server table (the client's service time, the server's quantiles of
    /// the verb each op sends, as its buckets allow) with `chart` beside it, or a line saying why there
    /// is no server-side view.
    func clientServerHTML(_ l: LoadAnalysis, chart: SVGChart) -> String {
        let v = l.server
        func none(_ why: String) -> String {
            "<p class=\"nodata\" id=\"no-server-view\"><strong>No server-side view:</strong> \(SummaryHTML.inline(why)).</p>\n"
        }
        guard let before = v.before, let after = v.after else {
            return none(v.note ?? "the run has no server histogram before and after the load")
        }
        guard !v.verbs.isEmpty else {
            return none("the server recorded no requests between the \(before.phase) and \(after.phase) samples")
        }
        let t = Self.clientServerTable(l)
        guard !t.rows.isEmpty else {
            return none(
                "no client op of this load (\(l.ops.map(\.op).joined(separator: ", "))) maps to a server verb; the server's verbs are under [Server-side view](#server-side-view)"
            )
        }
        let text =
            "The client's service time (end − actual send) beside the server's `\(LoadAnalysis.serverMetric)` for the verb each op sends, over every request of that verb between the \(before.phase) and \(after.phase) samples."
            + " A server quantile is only known to the bucket it falls in: `≤ 5 ms` is anywhere in the first bucket, a range is the bucket it lies in."
            + " Request counts and who sent them: [Server-side view](#server-side-view).\n\n"
        return SummaryHTML.render(text) + "<div class=\"pair\">\n<div class=\"tables\" id=\"client-server\">\n"
            + SummaryHTML.render(t.text) + "</div>\n" + chart.figure(noData: "no server p99 for the client's verbs")
            + "</div>\n"
    }

    /// The SLO checks as bars of p99 / bound (1 = at the bound).
    func sloChart(_ slo: APICallSLO) -> String {
        var c = SVGChart(
            id: "chart-slo", title: "API-call SLO: p99 as a share of its bound, all clusters",
            xLabel: "call (client op or server verb)", yLabel: "p99 / SLO bound (log scale)")
        c.yLog = true
        c.yInclude = [10]
        c.height = 360
        let all = slo.checks.filter { $0.cluster == "all" }
        c.xCategories = all.map { "\($0.source) \($0.call)" }
        c.series = [
            .init(
                "p99 / bound", kind: .bars,
                points: all.enumerated().map { (Double($0), $1.boundingSeconds / $1.thresholdSeconds) }, color: 0),
            .init(
                "bound", kind: .line, points: all.isEmpty ? [] : [(-0.5, 1), (Double(all.count) - 0.5, 1)], color: 1,
                dashed: true),
        ]
        c.note =
            "Below 1 the SLO held (single-object calls 1 s, LIST 30 s). A server bar is the upper bound of the bucket its p99 lies in (the lower bound in the +Inf bucket): the histogram knows no more. Per-cluster verdicts in the table under Tables › API-call latency SLO."
        return c.figure(noData: "no call could be checked")
    }
}
