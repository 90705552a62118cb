import Foundation
import KPRecords
import KPRun
import Testing

/// The scenario table and its kplane-only rows: fleet-bootstrap and teardown end to end on kp-sim through kp-run.
@Suite(.serialized) struct FleetScenarioTests {
    /// fleet-bootstrap as side B of a compare pair with the client-driven bootstrap (--b-scenario): the
    /// per-VCP cost of the Fleet path beside the client path on the same target.
    @Test func fleetBootstrapRunsEndToEndOnKpSim() throws {
        let out = try ToolRunner.tempDir("fleet-run")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try ToolRunner.run(
            "kp-run",
            [
                "--bin-dir", ToolRunner.binDir, "--sim", "--scenario", "bootstrap", "--b-scenario", "fleet-bootstrap",
                "--clusters", "8",
                "--workers", "4", "--warmup", "1s", "--post-bootstrap-settle", "1s", "--steady-wait", "1s",
                "--series-interval", "1s", "--out", out, "--run", "fb",
            ],
            env: ["APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": ""], timeout: 240)
        #expect(r.status == 0, "\(r.stderr)")
        let compare = try String(contentsOfFile: "\(out)/fb/compare.md", encoding: .utf8)
        #expect(compare.contains("Scenarios differ: A ran bootstrap, B ran fleet-bootstrap"), "\(compare.prefix(600))")
        #expect(compare.contains("per-VCP heap in-use (steady)"))
        let dir = "\(out)/fb/B/r1"
        try RunChecks.samplesExactlyOnce("\(out)/fb/A/r1", scenario: "bootstrap", run: "fb")
        try RunChecks.samplesExactlyOnce(dir, scenario: "fleet-bootstrap", run: "fb")
        let records = try JSONLReader.read(path: "\(dir)/bootstrap.jsonl")
        var status: [String] = []
        var ok = Set<String>()
        for item in records {
            guard case .success(let rec) = item else { continue }
            switch rec {
            case .fleetStatus: status.append("fleet_status")
            case .bootstrapStep(let s) where s.outcome == "ok": ok.insert(s.cluster)
            default: break
            }
        }
        #expect(status.count == 1, "one fleet_status record")
        // The members are the Fleet's (kpbench-0000 …), each bootstrapped like `bootstrap`.
        #expect(ok == Set((0..<8).map { String(format: "kpbench-%04d", $0) }), "\(ok.sorted())")
        let summary = try String(contentsOfFile: "\(dir)/summary.md", encoding: .utf8)
        #expect(summary.contains("## Fleet"))
        #expect(summary.contains("kp-sim"))
    }

    @Test func nameFormatIsBadInputForFleetBootstrap() throws {
        let out = try ToolRunner.tempDir("fleet-bad")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try ToolRunner.run(
            "kp-run", ["--sim", "--scenario", "fleet-bootstrap", "--name-format", "c-%03d", "--out", out],
            env: ["APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": ""])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--name-format"), "\(r.stderr)")
        #expect((try FileManager.default.contentsOfDirectory(atPath: out)).isEmpty)
    }

    /// teardown: without eviction kp-sim keeps every VCP's memory (as the contract says kplane does);
    /// with --sim-evict-on-delete it gives it back. kp-report says which, from the post-teardown sample.
    @Test(arguments: [false, true])
    func teardownRunsEndToEndOnKpSim(evict: Bool) throws {
        let out = try ToolRunner.tempDir("teardown-run")
        defer { try? FileManager.default.removeItem(atPath: out) }
        var args = [
            "--bin-dir", ToolRunner.binDir, "--sim", "--scenario", "teardown", "--clusters", "6",
            "--workers", "3", "--warmup", "1s", "--post-bootstrap-settle", "2s", "--steady-wait", "1s",
            "--series-interval", "1s", "--out", out, "--run", "td",
        ]
        if evict { args += ["--", "--sim-arg=--sim-evict-on-delete"] }
        let r = try ToolRunner.run(
            "kp-run", args, env: ["APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": ""], timeout: 240)
        #expect(r.status == 0, "\(r.stderr)")
        let dir = "\(out)/td"
        try RunChecks.samplesExactlyOnce(dir, scenario: "teardown", run: "td")
        var summaryRecord: TeardownSummaryRecord?
        for case .success(.teardownSummary(let s)) in try JSONLReader.read(path: "\(dir)/teardown.jsonl") {
            summaryRecord = s
        }
        let s = try #require(summaryRecord)
        #expect(s.clusters == 6 && s.ok == 6 && s.failed == 0)
        let summary = try String(contentsOfFile: "\(dir)/summary.md", encoding: .utf8)
        #expect(summary.contains("## Teardown"))
        let heapLine = summary.split(separator: "\n").first { $0.hasPrefix("- ") && $0.contains("heap") } ?? ""
        if evict {
            #expect(heapLine.contains("returned") && !heapLine.contains("none returned"), "\(heapLine)")
        } else {
            #expect(heapLine.contains("none returned"), "\(heapLine)")
        }
    }
}
