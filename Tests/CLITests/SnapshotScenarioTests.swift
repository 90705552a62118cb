import Foundation
import KPRecords
import Testing

/// Scenario snapshot (contract §2.3) end to end on kp-sim through kp-run: the warm pass,
/// the first-warm cost, snapshot reads under load, and the report's section.
@Suite(.serialized) struct SnapshotScenarioTests {
    @Test func snapshotRunsEndToEndOnKpSim() throws {
        let out = try ToolRunner.tempDir("snapshot-run")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let n = 6
        let r = try ToolRunner.run(
            "kp-run",
            [
                "--bin-dir", ToolRunner.binDir, "--sim", "--scenario", "snapshot", "--clusters", "\(n)",
                "--workers", "3", "--warmup", "1s", "--post-bootstrap-settle", "1s", "--steady-wait", "1s",
                "--load-duration", "3s", "--hot-percent", "50", "--write-rps-per-cluster", "2",
                "--read-rps-per-cluster", "5", "--snapshot-rps-per-cluster", "4", "--series-interval", "1s",
                // A busy CI machine must not make the debug kp-load generator-limited (exit 3).
                "--max-lag", "1s",
                "--out", out, "--run", "snap",
            ],
            env: ["APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": ""], timeout: 240)
        #expect(r.status == 0, "\(r.stderr)")
        let dir = "\(out)/snap"
        try RunChecks.samplesExactlyOnce(dir, scenario: "snapshot", run: "snap")

        // The warm pass: one snapshot_warm per VCP, each a 200 carrying the bootstrapped objects.
        var warms: [SnapshotWarmRecord] = []
        var warmSummary: SnapshotWarmSummaryRecord?
        for item in try JSONLReader.read(path: "\(dir)/snapshot-warm.jsonl") {
            switch item {
            case .success(.snapshotWarm(let w)): warms.append(w)
            case .success(.snapshotWarmSummary(let s)): warmSummary = s
            default: break
            }
        }
        #expect(warms.count == n)
        #expect(warms.allSatisfy { $0.status == "200" && $0.items > 0 && ($0.liveResources ?? 0) >= 3 })
        let s = try #require(warmSummary)
        #expect(s.clusters == n && s.ok == n && s.failed == 0 && s.latency.count == Int64(n))

        // The load phase: snapshot reads beside the reads and writes, all answered, items counted.
        var finals: [SnapshotFinalRecord] = []
        var intervals = 0
        var loadFinal = false
        for item in try JSONLReader.read(path: "\(dir)/load.jsonl") {
            switch item {
            case .success(.snapshotFinal(let f)): finals.append(f)
            case .success(.snapshotInterval): intervals += 1
            case .success(.loadFinal): loadFinal = true
            default: break
            }
        }
        #expect(loadFinal)
        #expect(intervals > 0)
        let f = try #require(finals.first)
        #expect(f.clusters == 3 && f.ratePerCluster == 4)
        #expect(f.window.requests.count > 0 && f.window.requests.errors == 0)
        #expect(f.window.items > 0 && f.window.requests.bytesReceived > 0)

        // The samples around the warm: kp-sim's informers cost heap and tasks, so both grew.
        var samples: [String: SampleRecord] = [:]
        for case .success(.sample(let sample)) in try JSONLReader.read(path: "\(dir)/samples.jsonl") {
            samples[sample.phase] = sample
        }
        let pre = try #require(samples["pre-warm"])
        let post = try #require(samples["post-warm"])
        #expect(
            (post.goroutines ?? 0) > (pre.goroutines ?? 0),
            "goroutines \(String(describing: pre.goroutines)) → \(String(describing: post.goroutines))")
        #expect((post.heapInuseBytes ?? 0) > (pre.heapInuseBytes ?? 0))

        let summary = try String(contentsOfFile: "\(dir)/summary.md", encoding: .utf8)
        for heading in ["## Snapshot", "### Warm pass", "### First-warm cost per VCP", "### Snapshot reads under load"]
        {
            #expect(summary.contains(heading), "\(heading) missing")
        }
        #expect(summary.contains("\(n) of \(n) VCPs warmed"))
        #expect(summary.contains("These are kp-sim's figures, not kplane's."))
        let html = try String(contentsOfFile: "\(dir)/report.html", encoding: .utf8)
        #expect(html.contains("First-warm cost per VCP"))
    }
}
