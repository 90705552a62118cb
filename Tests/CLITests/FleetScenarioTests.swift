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

    /// fleet-bootstrap's bootstrap time, as summary.md's headline and `## Fleet` give it, runs from the
    /// Fleet's create to the last member's discovery: it includes the Fleet wait. Checked against the
    /// records' own timestamps, so a loaded machine's timing cannot make it fail.
    @Test func fleetBootstrapTimeRunsFromTheFleetCreateToTheLastDiscovery() throws {
        let out = try ToolRunner.tempDir("fleet-time")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try ToolRunner.run(
            "kp-run",
            [
                "--bin-dir", ToolRunner.binDir, "--sim", "--scenario", "fleet-bootstrap", "--clusters", "4",
                "--workers", "2", "--warmup", "1s", "--post-bootstrap-settle", "1s", "--steady-wait", "1s",
                "--series-interval", "1s", "--out", out, "--run", "ft",
            ],
            env: ["APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": ""], timeout: 240)
        #expect(r.status == 0, "\(r.stderr)")
        let dir = "\(out)/ft"
        var fleets: [FleetStatusRecord] = []
        var summaries: [BootstrapSummaryRecord] = []
        var discoveries: [BootstrapStepRecord] = []
        for item in try JSONLReader.read(path: "\(dir)/bootstrap.jsonl") {
            switch try item.get() {
            case .fleetStatus(let f): fleets.append(f)
            case .bootstrapSummary(let s): summaries.append(s)
            case .bootstrapStep(let s) where s.step == "discovery" && s.outcome == "ok": discoveries.append(s)
            default: break
            }
        }
        let fleet = try #require(fleets.count == 1 ? fleets.first : nil)
        let summary = try #require(summaries.count == 1 ? summaries.first : nil)
        #expect(fleet.outcome == "ok" && summary.ok == 4 && discoveries.count == 4)
        let lastDiscovery = try #require(discoveries.map(\.endNs).max())
        // The record: its span starts at the Fleet's create and ends after the last discovery.
        #expect(summary.fleet == fleet.fleet && summary.startNs == fleet.startNs)
        #expect(summary.endNs >= lastDiscovery && (summary.stepsStartNs ?? 0) >= fleet.endNs)

        let md = try String(contentsOfFile: "\(dir)/summary.md", encoding: .utf8)
        func seconds(after prefix: String) -> Double? {
            guard let at = md.range(of: prefix) else { return nil }
            return Double(md[at.upperBound...].prefix { $0.isNumber || $0 == "." })
        }
        let total = try #require(seconds(after: "Bootstrap time "), "\(md)")
        let wait = try #require(seconds(after: "Fleet wait "), "\(md)")
        let headline = try #require(seconds(after: "| fleet-bootstrap | 4 | "), "\(md)")
        func s(_ ns: Int64) -> Double { Double(ns) / 1e9 }
        // Printed with 3 decimals (the headline with 1): equal to the records' spans within the rounding.
        #expect(abs(wait - s(fleet.endNs - fleet.startNs)) <= 0.0006, "Fleet wait \(wait) s")
        #expect(abs(total - s(summary.endNs - fleet.startNs)) <= 0.0006, "bootstrap time \(total) s")
        #expect(abs(headline - total) <= 0.051, "headline \(headline) s, Fleet section \(total) s")
        #expect(total >= wait, "bootstrap time \(total) s < Fleet wait \(wait) s")
        #expect(total + 0.0006 >= s(lastDiscovery - fleet.startNs), "\(total) s ends before the last discovery")
        // It is more than the members' steps alone, by the Fleet wait.
        #expect(total + 0.0006 >= wait + s(summary.endNs - (summary.stepsStartNs ?? summary.startNs)))
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
