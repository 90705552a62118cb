import Foundation
import KPPprof
import KPRecords
import Testing

/// The bootstrap scenario end to end, through the Make target a user runs, on kp-sim.
///
/// kp-sim retains a known amount of memory per VCP (`--sim-vcp-memory-bytes`, default 2 MiB),
/// so the per-VCP figures the harness reports have a truth to be checked against.
@Suite(.serialized) struct EndToEndTests {
    static let perVCPBytes = 2.0 * 1024 * 1024

    /// Reads phases.csv into phase → column → value.
    static func phases(_ dir: String) throws -> [String: [String: String]] {
        let text = try String(contentsOfFile: "\(dir)/phases.csv", encoding: .utf8)
        var lines = text.split(separator: "\n").map(String.init)
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var out: [String: [String: String]] = [:]
        for line in lines {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            var row: [String: String] = [:]
            for (i, h) in header.enumerated() where i < cells.count { row[h] = cells[i] }
            out[cells[0]] = row
        }
        return out
    }

    @Test func demoBootstrapThroughMakeMatchesKnownPerVCPCost() throws {
        let out = try ToolRunner.tempDir("e2e")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try ToolRunner.run(
            "/usr/bin/make",
            [
                "-s", "demo", "NO_BUILD=1", "BIN_DIR=\(ToolRunner.binDir)", "OUT=\(out)", "DEMO_CLUSTERS=20",
                "DEMO_WARMUP=1s", "DEMO_SETTLE=1s", "DEMO_STEADY=2s",
            ], cwd: ToolRunner.repoRoot, timeout: 180)
        #expect(r.status == 0, "make demo failed: \(r.stderr)")
        let dir = "\(out)/demo"
        try RunChecks.samplesExactlyOnce(dir, scenario: "bootstrap", run: "demo")
        for f in [
            "summary.md", "phases.csv", "latency.csv", "report.html", "result.json", "endpoint.json", "meta.jsonl",
            "bootstrap.jsonl", "samples.jsonl", "timeseries.jsonl", "kubeconfig",
        ] {
            #expect(FileManager.default.fileExists(atPath: "\(dir)/\(f)"), "missing \(f)")
        }
        // The summary says up front that these are emulator numbers.
        let summary = try String(contentsOfFile: "\(dir)/summary.md", encoding: .utf8)
        #expect(summary.split(separator: "\n").first?.contains("kp-sim") == true)
        #expect(!summary.contains("INCOMPLETE"))
        // result.json gives CI the verdict: complete, exit 0 named.
        let result =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/result.json")))
            as? [String: Any]
        #expect(
            result?["status"] as? String == "complete" && result?["exit_name"] as? String == "ok",
            "\(String(describing: result))")

        // latency.csv is header-only for bootstrap, as in the seed.
        let latency = try String(contentsOfFile: "\(dir)/latency.csv", encoding: .utf8)
        #expect(latency.split(separator: "\n").count == 1)

        // pprof files: the seed's names, and they gunzip and parse.
        for phase in ["post-bootstrap", "steady"] {
            let heap = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/pprof/heap-demo-\(phase).pb.gz"))
            #expect(Gzip.isGzip(heap))
            let profile = try PprofProfile(data: heap)
            let inuse = try #require(profile.sampleTypeIndex(named: "inuse_space"))
            #expect(profile.totals[inuse] > Int64(20 * Self.perVCPBytes * 0.8))
            let text = try String(contentsOfFile: "\(dir)/pprof/goroutine-demo-\(phase).txt", encoding: .utf8)
            #expect(try GoroutineDump(text: text).total > 0)
        }

        // phases.csv has the seed's phases, and per-VCP heap and RSS are within 20% of the truth.
        let rows = try Self.phases(dir)
        for phase in ["baseline", "post-bootstrap", "steady"] { #expect(rows[phase] != nil, "phase \(phase) missing") }
        for phase in ["post-bootstrap", "steady"] {
            for col in ["heap_inuse_per_vcp_bytes", "rss_per_vcp_bytes"] {
                let v = try #require(Double(rows[phase]?[col] ?? ""), "\(phase).\(col) not a number")
                #expect(
                    abs(v - Self.perVCPBytes) / Self.perVCPBytes < 0.20,
                    "\(phase) \(col) = \(v), truth \(Self.perVCPBytes)")
            }
        }

        // Every cluster bootstrapped, every record readable.
        let items = try JSONLReader.read(path: "\(dir)/bootstrap.jsonl")
        let summaries = items.compactMap { item -> BootstrapSummaryRecord? in
            if case .success(.bootstrapSummary(let s)) = item { return s } else { return nil }
        }
        #expect(summaries.first?.ok == 20)
        #expect(items.allSatisfy { (try? $0.get()) != nil })

        // The scrape-cost burst wrote its record into samples.jsonl, and summary.md states the observer's cost.
        let costs = try JSONLReader.read(path: "\(dir)/samples.jsonl").compactMap { item -> ScrapeCostRecord? in
            if case .success(.scrapeCost(let c)) = item { return c } else { return nil }
        }
        #expect(costs.count == 1 && costs.first?.error == nil && costs.first?.cpuSecondsPerScrape != nil, "\(costs)")
        #expect(costs.first.map { $0.scrapes >= 2 && $0.bodyBytes ?? 0 > 0 } == true)
        #expect(summary.contains("## Observer cost") && summary.contains("| server CPU per scrape |"))

        // No process of the run is left (by the process table, not by trust).
        #expect(
            ProcessTable.alive(matching: out).isEmpty,
            "left running: \(ProcessTable.alive(matching: out).map(\.cmdline))")
    }

    /// The same run in local mode: kp-sim as the apiserver binary and a throw-away real etcd started by kp-launch.
    @Test func localModeWithThrowawayEtcdLeavesNothingRunning() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/etcd") else {
            Issue.record("etcd is not installed: apt-get install etcd-server etcd-client")
            return
        }
        let out = try ToolRunner.tempDir("e2e-local")
        defer { try? FileManager.default.removeItem(atPath: out) }
        // The throw-away etcd's data dir goes under TMPDIR: put it inside this run's folder so the
        // process-table check below can see an etcd of this run by its command line.
        try FileManager.default.createDirectory(atPath: "\(out)/tmp", withIntermediateDirectories: true)
        let r = try ToolRunner.run(
            "/usr/bin/make",
            [
                "-s", "bootstrap-10", "NO_BUILD=1", "BIN_DIR=\(ToolRunner.binDir)", "OUT=\(out)",
                "APISERVER_BIN=\(ToolRunner.binDir)/kp-sim", "WARMUP=1s", "POST_BOOTSTRAP_SETTLE=1s", "STEADY_WAIT=1s",
                "SERIES_INTERVAL=1s",
            ], env: ["ETCD_ENDPOINTS": "", "TMPDIR": "\(out)/tmp"], cwd: ToolRunner.repoRoot, timeout: 180)
        #expect(r.status == 0, "make bootstrap-10 (local) failed: \(r.stderr)")
        let dir = "\(out)/bootstrap-10"
        let endpoint = try JSONLReader.read(path: "\(dir)/endpoint.json").compactMap { item -> EndpointRecord? in
            if case .success(.endpoint(let e)) = item { return e } else { return nil }
        }.first
        #expect(endpoint?.mode == "local")
        #expect(endpoint?.etcdManaged == true)
        #expect(endpoint?.emulator == true)
        let rows = try Self.phases(dir)
        #expect(rows["steady"] != nil)
        #expect(
            ProcessTable.alive(matching: out).isEmpty,
            "left running: \(ProcessTable.alive(matching: out).map(\.cmdline))")
        let leftover = try FileManager.default.contentsOfDirectory(atPath: "\(out)/tmp").filter {
            $0.hasPrefix("kpbench-etcd-")
        }
        #expect(leftover.isEmpty, "etcd data dir left behind: \(leftover)")
        let launchLog = try String(contentsOfFile: "\(dir)/logs/kp-launch.log", encoding: .utf8)
        #expect(launchLog.contains("throw-away etcd"), "kp-launch did not start a throw-away etcd")
    }
}
