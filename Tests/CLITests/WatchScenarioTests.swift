import Foundation
import KPRecords
import Testing

/// The watch-fanout scenario end to end on kp-sim through kp-run: mixed-hot's writers without, then
/// with, kp-load's watchers, each load phase sampled while it runs.
@Suite(.serialized) struct WatchScenarioTests {
    @Test func watchFanoutRunsEndToEndOnKpSim() throws {
        let out = try ToolRunner.tempDir("watch-run")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try ToolRunner.run(
            "kp-run",
            [
                "--bin-dir", ToolRunner.binDir, "--sim", "--scenario", "watch-fanout", "--clusters", "6",
                "--workers", "3", "--warmup", "1s", "--post-bootstrap-settle", "1s", "--steady-wait", "1s",
                "--series-interval", "1s", "--hot-percent", "50", "--write-rps-per-cluster", "5",
                "--read-rps-per-cluster", "2", "--load-duration", "6s", "--max-lag", "1s",
                "--watchers-per-cluster", "2", "--out", out, "--run", "wf",
            ],
            env: ["APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": ""], timeout: 300)
        #expect(r.status == 0, "\(r.stderr)")
        let dir = "\(out)/wf"
        try RunChecks.samplesExactlyOnce(dir, scenario: "watch-fanout", run: "wf")
        // Both load phases load the same hot clusters on the same schedule: kp-run's one run seed.
        let seeds = try RunChecks.loadSeeds(dir, files: ["nowatch-load.jsonl", "load.jsonl"])
        #expect(seeds.count == 2 && Set(seeds.values).count == 1, "\(seeds)")
        let hot = try RunChecks.loadClusters(dir, files: ["nowatch-load.jsonl", "load.jsonl"])
        #expect(
            hot.count == 2 && hot["load.jsonl"]?.count == 3 && hot["nowatch-load.jsonl"] == hot["load.jsonl"], "\(hot)")
        // The phase without watchers: its own file, no watch records.
        var nowatchFinal = false
        for item in try JSONLReader.read(path: "\(dir)/nowatch-load.jsonl") {
            guard case .success(let rec) = item else { continue }
            if case .loadFinal = rec { nowatchFinal = true }
            if case .watchFinal = rec { Issue.record("watch_final in the phase without watchers") }
        }
        #expect(nowatchFinal)
        var watchFinal: WatchFinalRecord?
        var intervals = 0
        var settings: [String: String] = [:]
        for item in try JSONLReader.read(path: "\(dir)/load.jsonl") {
            guard case .success(let rec) = item else { continue }
            switch rec {
            case .watchFinal(let f): watchFinal = f
            case .watchInterval: intervals += 1
            case .loadFinal(let f): settings = f.settings
            default: break
            }
        }
        let f = try #require(watchFinal)
        #expect(settings["watchers_per_cluster"] == "2")
        // 3 hot clusters × 2 watchers of memwidgets.
        #expect(f.watchers == 6 && f.watchersPerCluster == 2 && f.clusters == 3)
        #expect(intervals >= 2)
        #expect(f.counts.matched > 0 && f.counts.events >= f.counts.matched)
        #expect(f.counts.delivery.count == f.counts.matched)
        #expect(f.eventsPerSecond > 0)
        // No server timeout in 6 s: the streams ended only at the phase's end, kp-load's own stop.
        #expect(f.counts.ends.isEmpty && f.counts.reestablished == 0 && f.counts.stopped == 6, "\(f.counts)")
        // Both load phases were sampled while they ran, and the report divides their difference per watcher.
        var phases = Set<String>()
        for case .success(.sample(let s)) in try JSONLReader.read(path: "\(dir)/samples.jsonl") {
            phases.insert(s.phase)
        }
        #expect(phases.isSuperset(of: ["load", "load-watch", "post-load"]), "\(phases.sorted())")
        let summary = try String(contentsOfFile: "\(dir)/summary.md", encoding: .utf8)
        #expect(summary.contains("## Watch fan-out"))
        #expect(summary.contains("6 watch streams"))
        #expect(summary.contains("per watcher\n"), "per-watcher heap, RSS and goroutines")
        #expect(summary.contains("| from the Update's send |"))
        #expect(summary.contains("kp-sim"))
    }
}
