import Foundation
import KPRecords
import KPStats
import Testing

@testable import KPReport

/// report.html, the CL2 PerfData export, result.json and the API-call SLO (docs/reports.md).
@Suite struct ReportHTMLTests {
    /// `data-points` of every chart in a page, by id.
    static func charts(_ html: String) -> [String: Int] {
        var out: [String: Int] = [:]
        let re = try! NSRegularExpression(pattern: #"<svg class="chart" id="([^"]+)" data-points="(\d+)""#)
        for m in re.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            let id = String(html[Range(m.range(at: 1), in: html)!])
            out[id] = Int(html[Range(m.range(at: 2), in: html)!])!
        }
        return out
    }

    @Test func mixedRunPageHasEveryChartWithDataAndNothingExternal() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.mixedRun(f)
        try f.write("timeseries.jsonl", Fixtures.seriesSamples())
        try Report(directory: f.dir).write(to: f.dir)
        let html = try f.read("report.html")
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(
            html.contains(
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            ))
        #expect(
            !html.contains("<script") && !html.contains("http://") && !html.contains("src=") && !html.contains("NaN"))
        let c = Self.charts(html)
        for id in [
            "chart-rss", "chart-heap", "chart-goroutines", "chart-cpu", "chart-bootstrap-steps",
            "chart-bootstrap-ready",
            "chart-spectrum-write", "chart-spectrum-read", "chart-spread", "chart-slo",
        ] {
            #expect((c[id] ?? 0) > 0, "chart \(id) missing or empty: \(c)")
        }
        // The spectrum of write: 6 percentiles × (response + service).
        #expect(c["chart-spectrum-write"] == 12)
        // Four series samples and three phase samples with RSS.
        #expect(c["chart-rss"] == 4 + 4)
        // The tables of summary.md are in the page, escaped and anchored.
        #expect(html.contains("<h3 id=\"api-call-latency-slo\">API-call latency SLO</h3>"))
        #expect(html.contains("<td>write</td><td class=\"r\">100</td><td class=\"r\">3</td>"))
        // Phase bands labelled (the 2 s bootstrap above the plot, being too narrow); a marker per phase sample.
        #expect(
            html.contains(">load</text>") && html.contains(">post-bootstrap</text>")
                && html.contains(">bootstrap</text>"))
    }

    @Test func reFoldIsByteIdenticalForEveryFile() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.mixedRun(f)
        let names = Report(directory: f.dir).files.map(\.name)
        #expect(names.contains("report.html") && names.contains("result.json"))
        #expect(names.contains("APIResponsivenessPrometheus_kp-bench_mixed-hot-4_2025-01-02T03:04:05Z.json"))
        #expect(names.contains("ClientLatency_kp-bench_mixed-hot-4_2025-01-02T03:04:05Z.json"))
        #expect(names.contains("ResourceUsagePerPhase_kp-bench_mixed-hot-4_2025-01-02T03:04:05Z.json"))
        try Report(directory: f.dir).write(to: f.dir)
        let first = try names.map { try f.readBytes($0) }
        try Report(directory: f.dir).write(to: f.dir)
        #expect(try names.map { try f.readBytes($0) } == first)
    }

    @Test func hostileTextIsShownNotInterpreted() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        try f.append(
            "bootstrap.jsonl",
            #"{"kind":"error","v":1,"t_ns":1,"tool":"kp-bootstrap","message":"<img src=http://x/y> & **bold**"}"# + "\n"
        )
        let html = Report(directory: f.dir).reportHTML
        #expect(!html.contains("<img"))
        #expect(html.contains("&lt;img src=http://x/y&gt; &amp; <strong>bold</strong>"))
    }

    @Test func summaryMarkdownConversion() {
        let md =
            "## A b\n\n| x | y |\n|---|---:|\n| `a\\|b` | 1 |\n\n- one\n- [two](#a-b) [no](http://e)\n\ntext **bold** `<c>`\n"
        let html = SummaryHTML.render(md)
        #expect(html.contains("<h3 id=\"a-b\">A b</h3>"))
        #expect(html.contains("<tr><td><code>a|b</code></td><td class=\"r\">1</td></tr>"))
        #expect(html.contains("<li><a href=\"#a-b\">two</a> [no](http://e)</li>"))
        #expect(html.contains("<p>text <strong>bold</strong> <code>&lt;c&gt;</code></p>"))
    }

    @Test func chartAxesDropNonFiniteAndNonPositiveOnLog() {
        var c = SVGChart(id: "t", title: "t", xLabel: "x (s)", yLabel: "y (ms)")
        c.yLog = true
        c.series = [
            .init("s", points: [(0, 1), (1, .nan), (2, 0), (3, 100), (4, .infinity)], color: 0),
            .init("ghost", points: [(1, .nan)], color: 1),
        ]
        let svg = c.render()
        #expect(svg.contains(">s</text>") && !svg.contains(">ghost</text>"))  // the legend names what was drawn
        #expect(c.drawnPoints == 2)
        #expect(svg.contains("data-points=\"2\""))
        #expect(!svg.contains("nan") && !svg.contains("NaN") && !svg.contains("inf"))
        // Log ticks at decades 1, 10, 100 with 2 and 5 between.
        #expect(
            svg.contains(">1</text>") && svg.contains(">10</text>") && svg.contains(">100</text>")
                && svg.contains(">50</text>"))
        #expect(svg.contains(">x (s)</text>") && svg.contains(">y (ms)</text>"))
        var empty = SVGChart(id: "e", title: "Empty", xLabel: "x", yLabel: "y")
        empty.series = [.init("s", points: [(1, .nan)], color: 0)]
        #expect(empty.figure(noData: "nothing") == "<p class=\"nodata\"><strong>Empty:</strong> nothing</p>\n")
    }

    /// A file as clusterloader2 writes it (APIResponsivenessPrometheus, trimmed to one item).
    static let cl2Sample = """
        {"version":"v1","dataItems":[{"data":{"Perc50":1.21,"Perc90":3.9,"Perc99":25.4},"unit":"ms",
        "labels":{"Count":"1202","Resource":"pods","Scope":"namespace","Subresource":"","Verb":"LIST"}}]}
        """

    static func keys(_ any: Any?) -> Set<String> { Set((any as? [String: Any])?.keys.map { $0 } ?? []) }

    @Test func perfDataHasCL2Shape() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.mixedRun(f)
        let report = Report(directory: f.dir)
        let file = try #require(report.perfDataFiles.first { $0.name.hasPrefix("APIResponsivenessPrometheus_") })
        let ours = try JSONSerialization.jsonObject(with: Data(file.text.utf8)) as! [String: Any]
        let theirs = try JSONSerialization.jsonObject(with: Data(Self.cl2Sample.utf8)) as! [String: Any]
        // CL2's PerfData also has a dataset-wide `labels` (json:"labels,omitempty"); ours carries the
        // run's provenance there.
        #expect(Self.keys(ours) == Self.keys(theirs).union(["labels"]))
        #expect((ours["labels"] as? [String: String])?["KpBench"] == Schema.toolVersion)
        #expect(ours["version"] as? String == "v1")
        let items = try #require(ours["dataItems"] as? [[String: Any]])
        let sample = (theirs["dataItems"] as! [[String: Any]])[0]
        #expect(items.count == 2)  // GET and PUT on memwidgets
        for item in items {
            #expect(Self.keys(item) == Self.keys(sample))
            #expect(Self.keys(item["data"]) == Self.keys(sample["data"]))
            #expect(Self.keys(item["labels"]) == Self.keys(sample["labels"]))
            #expect(item["unit"] as? String == "ms")
            // And it decodes with CL2's field types (data: map[string]float64, labels: map[string]string).
            #expect(item["data"] is [String: Double] && item["labels"] is [String: String])
        }
        // GET p99 from the hand-checked server view: 96.25 ms; Count 100.
        let get = try #require(items.first { ($0["labels"] as? [String: String])?["Verb"] == "GET" })
        #expect((get["data"] as! [String: Double])["Perc99"] == 96.25)
        #expect((get["labels"] as! [String: String])["Count"] == "100")
        // Client latency: write response p99 = 99.025 ms (latency.csv's figure).
        let client = try #require(report.clientPerfData)
        let w = try #require(client.dataItems.first { $0.labels["Op"] == "write" && $0.labels["Metric"] == "response" })
        #expect(w.data["Perc99"] == 99.025 && w.unit == "ms")
        // Per phase and per VCP: steady RSS 500 MiB, (500 − 250) / 4 = 62.5 MiB per VCP.
        let rss = try #require(
            report.resourcePerPhase.dataItems.first { $0.labels["Phase"] == "steady" && $0.labels["Resource"] == "RSS" }
        )
        #expect(rss.data == ["Total": 500, "PerVCP": 62.5] && rss.unit == "MiB")
        #expect(PerfData.rfc3339("2026-11-29T09:05:38.342Z") == "2026-11-29T09:05:38Z")
    }

    @Test func sloVerdictsFromClientAndServer() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.mixedRun(f)
        let slo = try #require(Report(directory: f.dir).slo)
        func check(_ source: String, _ cluster: String, _ call: String) -> APICallSLO.Check? {
            slo.checks.first { $0.source == source && $0.cluster == cluster && $0.call == call }
        }
        #expect(check("client", "all", "read")?.verdict == .held)
        #expect(check("client", "all", "write")?.note?.contains("GET + PUT") == true)
        #expect(check("client", "c-001", "write")?.verdict == .held)
        // Server GET p99 96.25 ms, bucket 25–100 ms: under 1 s.
        let get = try #require(check("server", "all", "GET"))
        #expect(get.verdict == .held && get.thresholdSeconds == 1 && abs(get.p99Seconds - 0.09625) < 1e-9)
        #expect(slo.held)
        // Over the bound: a 2 s read misses, a 2 s composite write is inconclusive, LIST has 30 s.
        #expect(APICallSLO.client(op: "read", cluster: "all", requests: 1, p99Ns: 2_000_000_000).verdict == .missed)
        #expect(
            APICallSLO.client(op: "write", cluster: "all", requests: 1, p99Ns: 2_000_000_000).verdict == .inconclusive)
        #expect(APICallSLO.client(op: "list", cluster: "all", requests: 1, p99Ns: 2_000_000_000).verdict == .held)
        #expect(APICallSLO.threshold(verb: "WATCH") == nil && APICallSLO.threshold(verb: "LIST") == 30)
        let md = Report(directory: f.dir).summaryMarkdown
        #expect(md.contains("## API-call latency SLO"))
        #expect(md.contains("| server | GET | 100 | 25–100 ms (≈ 96.25 ms, interpolated) | 1 s | held |"))
    }

    @Test func resultFileSaysStatusExitNameChecksAndVersions() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.mixedRun(f)
        try Report(directory: f.dir).write(to: f.dir, exitCodeNames: [0: "ok", 4: "incomplete-data"])
        let r = try JSONDecoder().decode(ResultFile.self, from: f.readBytes("result.json"))
        #expect(r.kind == "result" && r.v == 1 && r.status == "complete" && r.exitCode == 0 && r.exitName == "ok")
        #expect(r.versions.kpReport == Schema.toolVersion && r.versions.targetVersion == "v1.32.0-kplane")
        #expect(r.settings["clusters"] == "4")
        #expect(r.slo?.held == true)
        // read + write: 5 errors of 300 = 1.667 % > the 1 % default.
        let err = try #require(r.checks.first { $0.name == "load_error_percent" })
        #expect(err.verdict == "missed" && abs(err.value - 5.0 / 3.0) < 1e-5 && err.threshold == 1)
        #expect(r.checks.contains { $0.name == "api_call_slo" && $0.cluster == "c-000" })
        #expect(r.files.contains("report.html") && !r.files.contains("result.json"))
        // A run without run_end is incomplete; a failed one is failed with its exit code's name.
        try f.write(
            "meta.jsonl",
            [
                Fixtures.meta(scenario: "mixed-hot").record,
                Fixtures.end("failed", phase: "bootstrap", reason: "target crashed", code: 10).record,
            ])
        let failed = Report(directory: f.dir).result(exitCodeNames: [10: "target-crashed"])
        #expect(failed.status == "failed" && failed.exitName == "target-crashed" && failed.runStatus == "failed")
        #expect(failed.reasons.contains { $0.contains("target crashed") })
        try f.write("meta.jsonl", [Fixtures.meta(scenario: "mixed-hot").record])
        #expect(Report(directory: f.dir).result(exitCodeNames: [:]).status == "incomplete")
    }
}
