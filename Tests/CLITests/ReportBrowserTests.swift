import Foundation
import Testing

/// report.html in a real browser (scripts/report-check.sh, `make report-check`): headless Chromium
/// loads the page of a kp-sim run (a copy of results/mixed-hot-200, re-folded by the built kp-report)
/// without console messages or requests, and every chart draws data. Skipped only when chromium is
/// not installed; scripts/install-deps.sh test installs it, so CI runs it.
@Suite(.serialized) struct ReportBrowserTests {
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    @Test(
        .enabled(
            if: chromium != nil, "chromium is not installed: run scripts/install-deps.sh test (Debian package chromium)"
        ))
    func reportOfAKpSimRunRendersCleanly() throws {
        let dir = try ToolRunner.tempDir("report-check")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try ToolRunner.run(
            "\(ToolRunner.repoRoot)/scripts/report-check.sh",
            ["--bin-dir", ToolRunner.binDir, "--png", "\(dir)/report.png"], timeout: 300)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("report-check: ok:"))
        for chart in [
            "chart-rss", "chart-cpu", "chart-bootstrap-steps", "chart-spectrum-read", "chart-client-server",
            "chart-rate", "chart-spread", "chart-lag", "chart-slo",
        ] {
            #expect(r.stdout.contains(chart), "\(chart) not drawn: \(r.stdout)")
        }
        let png = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/report.png"))
        #expect(png.count > 10_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    }

    /// compare.html and sweep.html of kp-report (built from the committed kp-sim results) load in the same
    /// browser without console messages or requests, and every chart draws data.
    @Test(
        .enabled(
            if: chromium != nil, "chromium is not installed: run scripts/install-deps.sh test (Debian package chromium)"
        ),
        arguments: [("compare", "cmp-0"), ("sweep", "sweep-0")])
    func compareAndSweepPagesRenderCleanly(page: String, chart: String) throws {
        let r = try ToolRunner.run(
            "\(ToolRunner.repoRoot)/scripts/report-check.sh", ["--bin-dir", ToolRunner.binDir, "--page", page],
            timeout: 300)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("report-check: ok: \(page).html:") && r.stdout.contains(chart), "\(r.stdout)")
    }

    /// The check can fail: a page that fetches an image, shows NaN and has an empty chart is refused, each named.
    @Test(
        .enabled(
            if: chromium != nil, "chromium is not installed: run scripts/install-deps.sh test (Debian package chromium)"
        ))
    func brokenPageFailsTheCheck() throws {
        let dir = try ToolRunner.tempDir("report-check-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = "\(dir)/run"
        try FileManager.default.copyItem(atPath: "\(ToolRunner.repoRoot)/results/demo", toPath: run)
        let fold = try ToolRunner.run("kp-report", ["fold", "--quiet", run])
        #expect(fold.status == 0, "\(fold.stderr)")
        var html = try String(contentsOfFile: "\(run)/report.html", encoding: .utf8)
        html = html.replacingOccurrences(of: "<main>", with: "<main><img src=\"http://example.com/x.png\"><p>NaN</p>")
        html = html.replacingOccurrences(
            of: "id=\"chart-rss\" data-points=\"", with: "id=\"chart-rss\" data-points=\"0")
        html = html.replacingOccurrences(
            of: "id=\"chart-rss\" data-points=\"0", with: "id=\"chart-rss\" data-points=\"0\" data-was=\"")
        try html.write(toFile: "\(run)/report.html", atomically: true, encoding: .utf8)
        let r = try ToolRunner.run(
            "\(ToolRunner.repoRoot)/scripts/report-check.sh",
            ["--bin-dir", ToolRunner.binDir, "--run-dir", run, "--no-fold"], timeout: 300)
        #expect(r.status == 1, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("chart chart-rss drew no data"))
        #expect(r.stdout.contains("NaN"))
        #expect(r.stdout.contains("refers to something outside itself"))
        #expect(
            r.stdout.contains("Content Security Policy"), "the browser did not log the blocked request: \(r.stdout)")
    }
}
