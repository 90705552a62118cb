import Foundation
import KPRecords
import Testing

@testable import KPReport

/// report.html read at a glance (docs/reports.md, "report.html"): headline tiles, one y range across
/// the latency charts, a legend for the phase bands, the server's view beside the client's.
@Suite struct ReportHTMLGlanceTests {
    /// The first capture group of every match of `pattern` in `text`.
    static func captures(_ pattern: String, _ text: String) -> [String] {
        let re = try! NSRegularExpression(pattern: pattern)
        return re.matches(in: text, range: NSRange(text.startIndex..., in: text)).map {
            String(text[Range($0.range(at: 1), in: text)!])
        }
    }

    /// A tile's value, by id.
    static func tile(_ id: String, _ html: String) -> String? {
        captures(
            ##"id="\##(id)" href="#[a-z0-9-]+"><span class="tile-label">[^<]*</span><span class="tile-value">([^<]*)</span>"##,
            html
        )
        .first
    }

    /// One chart's `<svg>` element.
    static func svg(_ id: String, _ html: String) -> String? {
        guard let a = html.range(of: "<svg class=\"chart\" id=\"\(id)\"") else { return nil }
        guard let b = html.range(of: "</svg>", range: a.upperBound..<html.endIndex) else { return nil }
        return String(html[a.lowerBound..<b.upperBound])
    }

    static func yRange(_ id: String, _ html: String) -> String? {
        svg(id, html).flatMap { captures(#"data-y-range="([^"]*)""#, $0).first }
    }

    @Test func headlineTilesShowTheSummaryFigures() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.mixedRun(f)
        let report = Report(directory: f.dir)
        let html = report.reportHTML
        let md = report.summaryMarkdown
        // The tiles come before the first section.
        let tiles = try #require(html.range(of: "id=\"headline-tiles\""))
        #expect(tiles.lowerBound < html.range(of: "<section")!.lowerBound)
        // Per VCP, N = 4: heap (108 − 100) / 4 = 2 MiB, RSS (500 − 250) / 4 = 62.5 MiB, as the Headline table says.
        #expect(Self.tile("tile-per_vcp-heap_inuse_bytes", html) == "2.00 MiB")
        #expect(Self.tile("tile-per_vcp-rss_bytes", html) == "62.50 MiB")
        #expect(md.contains("| 2.00 MiB | 62.50 MiB |"))
        // The load's two ops (those with a target rate), each p99 as the Load › Response time table prints it.
        let responseTable = try #require(md.components(separatedBy: "### Response time\n").last)
        for op in ["read", "write"] {
            let value = try #require(Self.tile("tile-load-\(op)-response_p99_ms", html), "no \(op) p99 tile")
            let row = try #require(responseTable.split(separator: "\n").first { $0.hasPrefix("| \(op) | ") })
            // op, target rps, achieved rps, p50, p90, p99
            #expect(row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }[5] == value)
            #expect(value == "99.02 ms")  // 1…100 ms and 0.5…100 ms: HDR's p99
        }
        // Every figure of the Headline's scenario table is a tile, as that table prints it: 5 of 300 failed.
        let figures = report.headlineFigures
        #expect(figures.contains { $0.spec.key == "load.error_percent" })
        for f in figures {
            #expect(Self.tile("tile-" + f.spec.key.replacingOccurrences(of: ".", with: "-"), html) == f.text)
            #expect(md.contains("| \(f.spec.title) | \(f.text) | \(f.basis) |"), "\(f.spec.key) not in summary.md")
        }
        #expect(Self.tile("tile-load-error_percent", html) == "1.67%")
        // Sizing: request = post-load RSS 560 MiB × 1.1 → 640Mi, CPU 10 % over the load → 100m;
        // limit = the post-bootstrap peak 600 MiB × 1.2 → 768Mi, 1 core.
        #expect(Self.tile("tile-requests", html) == "640Mi · 100m")
        #expect(Self.tile("tile-limits", html) == "768Mi · 1")
        #expect(md.contains("requests.memory: 640Mi, requests.cpu: 100m") && md.contains("limits.memory: 768Mi"))
        // Each tile links to a heading the page has.
        for anchor in Self.captures(##"class="tile" id="[^"]+" href="#([^"]+)""##, html) {
            #expect(html.contains("id=\"\(anchor)\""), "tile links to #\(anchor), which the page lacks")
        }
        // A bootstrap run has no load figures, so no load tiles.
        let b = try RunFixture()
        defer { b.cleanup() }
        try Fixtures.bootstrapRun(b)
        let bh = Report(directory: b.dir).reportHTML
        #expect(Self.tile("tile-per_vcp-rss_bytes", bh) == "62.50 MiB")
        #expect(!bh.contains("id=\"tile-load-"))
    }

    @Test func latencyChartsShareOneYRange() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.mixedRun(f)
        // One load_interval: reads of 20–30 ms, a schedule lag of 1–3 µs. The spectra, the
        // per-cluster p99s, the per-interval p99 and the client-server chart all lie in 10–100 ms,
        // the lag in 0.001–0.01 ms: each chart alone would pick its own decades; shared, all span both.
        let ms: Int64 = 1_000_000
        let interval = LoadIntervalRecord(
            startNs: 170 * Fixtures.s, endNs: 180 * Fixtures.s,
            ops: [
                OpWindow(
                    op: "read", count: 11, errors: 0, byStatus: ["200": 11], conflicts: 0, retries: 0,
                    response: Fixtures.histogram((20...30).map { Int64($0) * ms }),
                    service: Fixtures.histogram((20...30).map { Int64($0) * ms }), bytesSent: 0, bytesReceived: 0)
            ],
            generator: GeneratorWindow(
                scheduleLag: Fixtures.histogram([1000, 2000, 3000]), inflightPeak: 1, backlog: 0, cpuSeconds: 0.1))
        try f.append("load.jsonl", String(decoding: try RecordCodec.encode(interval.record), as: UTF8.self) + "\n")
        let html = Report(directory: f.dir).reportHTML
        let ids = [
            "chart-spectrum-read", "chart-spectrum-write", "chart-spread", "chart-p99", "chart-lag",
            "chart-client-server",
        ]
        let ranges = ids.map { Self.yRange($0, html) }
        #expect(ranges.allSatisfy { $0 == "0.001 100" }, "\(ranges)")
        for id in ids {
            #expect(
                Self.svg(id, html)?.contains(">shared range 0.001–100 ms</text>") == true,
                "\(id) does not say its range")
        }
        #expect(html.contains("same y range, 0.001–100 ms"))
        // Not the latency charts: the SLO ratios and the resource charts keep their own.
        #expect(Self.yRange("chart-slo", html) != "0.001 100")
        #expect(Self.svg("chart-rss", html)?.contains("shared range") == false)

        // The shared range covers every chart's points, and differs from what each would pick alone.
        var a = SVGChart(id: "a", title: "a", xLabel: "x", yLabel: "y")
        a.yLog = true
        a.series = [.init("s", points: [(0, 0.5), (1, 2)], color: 0)]
        var b = a
        b.series = [.init("s", points: [(0, 30), (1, 300)], color: 0)]
        #expect(a.yAxisRange == (0.1, 10) && b.yAxisRange == (10, 1000))
        let shared = try #require(SVGChart.sharedYRange([a, b]))
        #expect(shared == (0.1, 1000))
        a.yRange = shared
        b.yRange = shared
        #expect(a.yAxisRange == b.yAxisRange)
        #expect(a.render().contains("data-y-range=\"0.1 1,000\"") && b.render().contains("data-y-range=\"0.1 1,000\""))
        #expect(SVGChart.sharedYRange([SVGChart(id: "e", title: "e", xLabel: "x", yLabel: "y")]) == nil)
    }

    @Test func phaseBandLegendNamesEachShadedPhase() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.mixedRun(f)
        let report = Report(directory: f.dir)
        let html = report.reportHTML
        let bands = report.phaseBands
        #expect(bands.map(\.label) == ["warmup", "bootstrap", "settle", "steady wait", "load"])
        for id in ["chart-rss", "chart-heap", "chart-goroutines", "chart-cpu"] {
            let svg = try #require(Self.svg(id, html))
            let keys = Self.captures(#"class="band-key" data-band="([^"]+)""#, svg)
            #expect(keys == bands.map(\.label), "\(id): \(keys)")
            // Each swatch has its band's colour, and the colours differ.
            let keyFills = Self.captures(#"class="band-key" data-band="[^"]+" [^>]*fill="(#[0-9A-F]+)""#, svg)
            let bandFills = Self.captures(#"<rect class="band" [^>]*fill="(#[0-9A-F]+)""#, svg)
            #expect(keyFills == bandFills && Set(keyFills).count == bands.count, "\(keyFills) \(bandFills)")
        }
        // A bootstrap run has no load stretch, and its legend no load entry.
        let b = try RunFixture()
        defer { b.cleanup() }
        try Fixtures.bootstrapRun(b)
        let rss = try #require(Self.svg("chart-rss", Report(directory: b.dir).reportHTML))
        #expect(
            Self.captures(#"class="band-key" data-band="([^"]+)""#, rss) == [
                "warmup", "bootstrap", "settle", "steady wait",
            ])
        // A chart without bands has no band legend.
        #expect(Self.svg("chart-spectrum-read", html)?.contains("band-key") == false)
    }

    @Test func serverViewBesideTheClients() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.mixedRun(f)
        let report = Report(directory: f.dir)
        let html = report.reportHTML
        // Beside the spectra (before the per-interval charts), the same row as summary.md's table:
        // GET's 100 requests, 40 ≤ 5 ms, 40 in 5–25 ms, 20 in 25–100 ms:
        // p50 = 5 + 20 × 10/40 = 10 ms, p99 = 25 + 75 × 19/20 = 96.25 ms (interpolated, and said so).
        let block = try #require(html.range(of: "id=\"client-server\"").map { String(html[$0.lowerBound...]) })
        #expect(
            html.range(of: "id=\"client-server\"")!.lowerBound
                > html.range(of: "id=\"chart-spectrum-read\"")!.lowerBound)
        let row = try #require(
            Self.captures(#"(<tr><td>read</td>.*?</tr>)"#, block).first, "no read row beside the spectra")
        #expect(row.contains("<td>GET</td>"))
        #expect(
            row.contains("<td>5–25 ms (≈ 10.00 ms, interpolated)</td><td>25–100 ms (≈ 96.25 ms, interpolated)</td>"))
        #expect(
            report.summaryMarkdown.contains(
                "| GET | 5–25 ms (≈ 10.00 ms, interpolated) | 25–100 ms (≈ 96.25 ms, interpolated) |"))
        #expect(!html.contains("id=\"no-server-view\""))
        // The read spectrum's caption names the server's GET quantiles.
        #expect(html.contains("Server GET, every request of the verb in the window: p50 5–25 ms"))

        // Every GET in the first bucket: "≤ 5 ms", never an interpolated figure.
        var steady = Fixtures.sample(
            "steady", t: 160 * Fixtures.s, cpu: 41, heap: 108 * Fixtures.mib, rss: 500 * Fixtures.mib, gor: 220)
        steady.families = [Fixtures.serverFamily(get: [10, 20, 30, 30], put: [0, 0, 0, 0])]
        var post = Fixtures.sample(
            "post-load", t: 300 * Fixtures.s, cpu: 55, heap: 130 * Fixtures.mib, rss: 560 * Fixtures.mib, gor: 230)
        post.families = [Fixtures.serverFamily(get: [110, 120, 130, 130], put: [0, 0, 0, 0])]
        try f.write("samples.jsonl", Array(Fixtures.phaseSamples().prefix(2)) + [steady.record, post.record])
        let first = Report(directory: f.dir).reportHTML
        let firstRow = try #require(
            Self.captures(#"id="client-server"[\s\S]*?(<tr><td>read</td>.*?</tr>)"#, first).first)
        #expect(firstRow.hasSuffix("<td>GET</td><td>≤ 5 ms</td><td>≤ 5 ms</td></tr>"), "\(firstRow)")

        // No server histogram: the place says so, and why.
        steady.families = nil
        post.families = nil
        try f.write("samples.jsonl", Array(Fixtures.phaseSamples().prefix(2)) + [steady.record, post.record])
        let none = Report(directory: f.dir).reportHTML
        #expect(!none.contains("id=\"client-server\""))
        #expect(
            none.contains(
                "<p class=\"nodata\" id=\"no-server-view\"><strong>No server-side view:</strong> no sample carries apiserver_request_duration_seconds"
            ))
    }
}
