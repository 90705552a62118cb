import Foundation
import Testing

/// `kp-report history` as `make history` and `make history-show` run it (docs/reports.md, "Run
/// history"): the gate's exit codes on a synthetic history, and history.html in headless Chromium.
@Suite(.serialized) struct HistoryCLITests {
    static let otava: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map {
        "\($0)/otava"
    }.first { FileManager.default.isExecutableFile(atPath: $0) }
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    static let config = "\(ToolRunner.repoRoot)/history/otava.yaml"

    /// A seeded (SplitMix64) history CSV of `runs` bootstrap-200 runs on branch main, one commit each, an
    /// hour apart: per-VCP heap 2.00 MiB ± 1 % (+8 % from run `step` on, when given), RSS, bootstrap time
    /// and idle CPU with noise and no step.
    static func syntheticCSV(runs: Int = 32, step: Int?) -> String {
        var state: UInt64 = 7_202_612
        func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
        func around(_ v: Double, _ spread: Double) -> Double { v * (1 + spread * (2 * next() - 1)) }
        var csv =
            "time,run_id,run,commit,branch,kp_bench_commit,target,target_version,target_commit,scenario,clusters,host,run_dir,"
            + "bootstrap.wall_seconds,per_vcp.heap_inuse_bytes,per_vcp.rss_bytes,steady.cpu_percent\n"
        let f = ISO8601DateFormatter()
        for i in 0..<runs {
            let t = f.string(from: Date(timeIntervalSince1970: 1_796_000_000 + Double(i) * 3600))
            let heap = around(2 * 1_048_576, 0.01) * (step.map { i >= $0 ? 1.08 : 1 } ?? 1)
            csv +=
                "\(t),bootstrap-200@\(t),bootstrap-200,\(commit(i)),main,\(commit(i)),kp-sim,v1.34.0,,bootstrap,200,ci,,"
                + "\(around(12.3, 0.03)),\(heap.rounded()),\(around(2.1 * 1_048_576, 0.01).rounded()),\(around(3.5, 0.05))\n"
        }
        return csv
    }

    static func commit(_ i: Int) -> String { String(format: "%040x", 0xc0ff_ee00 + i) }

    /// `make history`'s command: one change point, at the commit of the step, in per-VCP heap only,
    /// worse by more than 5 % in the last 10 runs: exit 5. The same history without the step: exit 0.
    @Test(.enabled(if: otava != nil, "otava is not installed: run scripts/install-deps.sh test (PyPI apache-otava)"))
    func gateExitsFiveOnTheStepAndZeroWithout() throws {
        let dir = try ToolRunner.tempDir("history-gate")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.syntheticCSV(step: 24).write(toFile: "\(dir)/step.csv", atomically: true, encoding: .utf8)
        try Self.syntheticCSV(step: nil).write(toFile: "\(dir)/flat.csv", atomically: true, encoding: .utf8)
        let step = try ToolRunner.run(
            "kp-report",
            [
                "history", "check", "--history", "\(dir)/step.csv", "--config", Self.config, "--min-change", "5",
                "--last", "10",
            ])
        #expect(step.status == 5, "\(step.stdout)\n\(step.stderr)")
        let points = step.stdout.split(separator: "\n").filter { $0.hasPrefix("change point:") }
        #expect(points.count == 1, "\(step.stdout)")
        #expect(
            points.first?.contains("bootstrap-200@main per_vcp.heap_inuse_bytes at commit \(Self.commit(24))") == true,
            "\(step.stdout)")
        #expect(points.first?.hasSuffix("WORSE") == true)
        #expect(
            step.stdout.contains("history: REGRESSION: 1 change point(s) worse by 5.0 % or more in the last 10 run(s)"))

        let flat = try ToolRunner.run(
            "kp-report", ["history", "check", "--history", "\(dir)/flat.csv", "--config", Self.config])
        #expect(flat.status == 0, "\(flat.stdout)\n\(flat.stderr)")
        #expect(!flat.stdout.contains("change point:") && flat.stdout.contains("history: 0 change point(s)"))
    }

    /// Bad input: one line, exit 2, before anything runs.
    @Test func badInputIsOneLineExitTwo() throws {
        let none = try ToolRunner.run("kp-report", ["history", "check", "--config", Self.config])
        #expect(none.status == 2 && none.stderr.contains("--history FILE.csv or as --dsn"), "\(none.stderr)")
        let dsn = try ToolRunner.run("kp-report", ["history", "add", "--dsn", "mysql://x/y", ToolRunner.repoRoot])
        #expect(dsn.status == 2 && dsn.stderr.contains("is not a postgresql:// URL"), "\(dsn.stderr)")
        let config = try ToolRunner.run(
            "kp-report", ["history", "check", "--history", "/tmp/none.csv", "--config", "/nonexistent.yaml"])
        #expect(config.status == 2 && config.stderr.contains("--config /nonexistent.yaml"), "\(config.stderr)")
    }

    /// history.html of a synthetic history plus two committed runs: loads in headless Chromium without
    /// console messages or requests, every chart draws data, the change point is marked and the real
    /// runs' points open their report.html.
    @Test(
        .enabled(
            if: otava != nil && chromium != nil,
            "otava or chromium is not installed: run scripts/install-deps.sh test"))
    func historyPageRendersCleanly() throws {
        let dir = try ToolRunner.tempDir("history-page")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.syntheticCSV(step: 24).write(toFile: "\(dir)/history.csv", atomically: true, encoding: .utf8)
        let add = try ToolRunner.run(
            "kp-report",
            [
                "history", "add", "--history", "\(dir)/history.csv", "--branch", "nightly",
                "\(ToolRunner.repoRoot)/results/bootstrap-200", "\(ToolRunner.repoRoot)/results/mixed-hot-200",
            ])
        #expect(add.status == 0 && add.stdout.split(separator: "\n").count == 2, "\(add.stdout)\n\(add.stderr)")
        let r = try ToolRunner.run(
            "\(ToolRunner.repoRoot)/scripts/report-check.sh",
            ["--bin-dir", ToolRunner.binDir, "--page", "history", "--run-dir", dir, "--png", "\(dir)/history.png"],
            timeout: 300)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("report-check: ok: history.html:"), "\(r.stdout)")
        let html = try String(contentsOfFile: "\(dir)/history.html", encoding: .utf8)
        #expect(html.contains("<line class=\"marker\"") && html.contains(" % worse</text>"))
        #expect(html.contains("results/bootstrap-200/report.html"))
        #expect(html.contains("id=\"s-mixed-hot-200-nightly\""))
    }
}
