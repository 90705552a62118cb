import Foundation
import KPRecords
import KPRunModel
import KPTestSupport
import Testing

/// Scenarios churn and observe end to end on kp-sim through kp-run.
@Suite(.serialized) struct ChurnObserveE2ETests {
    static let env = ["APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": "", "ETCD_ENDPOINTS": ""]

    /// One short churn run: 4 VCPs, 3 cycles of 2 (50 %), kp-sim keeping 16 MiB per VCP so that what a
    /// churned VCP leaves stands far above a loaded machine's noise.
    func churn(_ out: String, run: String, evict: Bool) throws -> (status: Int32, stderr: String, summary: String) {
        var launch = ["--sim-arg=--sim-vcp-memory-bytes=16777216"]
        if evict { launch.append("--sim-arg=--sim-evict-on-delete=true") }
        let r = try ToolRunner.run(
            "kp-run",
            [
                "--bin-dir", ToolRunner.binDir, "--sim", "--scenario", "churn", "--clusters", "4", "--workers", "4",
                "--warmup", "0s", "--post-bootstrap-settle", "0s", "--steady-wait", "0s", "--series-interval", "1s",
                "--no-scrape-cost", "--churn-cycles", "3", "--churn-percent", "50", "--out", out, "--run", run, "--",
            ] + launch, env: Self.env, timeout: 120)
        let summary = (try? String(contentsOfFile: "\(out)/\(run)/summary.md", encoding: .utf8)) ?? ""
        return (r.status, r.stderr, summary)
    }

    /// The verdict cell of one figure's row in `## Churn`'s fit table.
    func verdict(_ summary: String, _ figure: String) -> String? {
        let lines = summary.split(separator: "\n").map(String.init)
        guard let at = lines.firstIndex(where: { $0.hasPrefix("| figure | points | per cycle") }) else { return nil }
        let row = lines[at...].first { $0.hasPrefix("| \(figure) |") }
        return row?.split(separator: "|").last.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    @Test func churnLeaksWithoutEvictionAndIsFlatWithIt() throws {
        let out = try ToolRunner.tempDir("churn-run")
        defer { try? FileManager.default.removeItem(atPath: out) }

        let keep = try churn(out, run: "keep", evict: false)
        #expect(keep.status == 0, "\(keep.stderr)")
        let scenario = Scenario.named("churn")!.withChurnCycles(3)
        var taken: [String] = []
        for case .success(.sample(let s)) in try JSONLReader.read(path: "\(out)/keep/\(RunLayout.samples)") {
            taken.append(s.phase)
        }
        #expect(taken == [Scenario.launchSample.phase] + scenario.phases)
        // Per cycle: a teardown of the 2 oldest VCPs, then a bootstrap of 2 new names.
        var deleted: [[String]] = []
        var created: [[String]] = []
        var teardownNames: [String] = []
        var bootstrapNames: [String] = []
        for item in try JSONLReader.read(path: "\(out)/keep/\(RunLayout.churn)") {
            switch item {
            case .success(.teardownStep(let s)) where !teardownNames.contains(s.cluster):
                teardownNames.append(s.cluster)
            case .success(.teardownSummary(let s)):
                #expect(s.ok == 2 && s.failed == 0)
                deleted.append(teardownNames)
                teardownNames = []
            case .success(.bootstrapStep(let s)) where !bootstrapNames.contains(s.cluster):
                bootstrapNames.append(s.cluster)
            case .success(.bootstrapSummary(let s)):
                #expect(s.ok == 2 && s.failed == 0)
                created.append(bootstrapNames)
                bootstrapNames = []
            default: break
            }
        }
        #expect(deleted.map { Set($0) } == [["c-000", "c-001"], ["c-002", "c-003"], ["c-004", "c-005"]])
        #expect(created.map { Set($0) } == [["c-004", "c-005"], ["c-006", "c-007"], ["c-008", "c-009"]])
        #expect(keep.summary.contains("## Churn"))
        for figure in ["heap in-use", "RSS", "goroutines"] {
            let v = verdict(keep.summary, figure)
            #expect(v?.hasPrefix("leaks ") == true, "\(figure) without eviction: \(v ?? "no row")\n\(keep.summary)")
        }
        let html = try String(contentsOfFile: "\(out)/keep/report.html", encoding: .utf8)
        #expect(html.contains("per churned VCP"))

        let evict = try churn(out, run: "evict", evict: true)
        #expect(evict.status == 0, "\(evict.stderr)")
        for figure in ["heap in-use", "RSS", "goroutines"] {
            let v = verdict(evict.summary, figure)
            // Flat: no growth, or under 5 % of a VCP's cost (kp-sim keeps the objects of an evicted VCP).
            #expect(
                v?.hasPrefix("flat") == true, "\(figure) with --sim-evict-on-delete: \(v ?? "no row")\n\(evict.summary)"
            )
        }
        #expect(ProcessTable.alive(matching: out).isEmpty)
    }

    /// kp-sim's VCP count and its write requests (POST, PUT, PATCH, DELETE), read by kp-scrape.
    func simCounts(_ url: String, _ work: String) throws -> (vcps: Double, writes: Double) {
        let r = try ToolRunner.run(
            "kp-scrape",
            [
                "--url", url, "--token-file", "\(work)/token", "--ca-file", "\(work)/certs/apiserver.crt", "--phase",
                "count", "--metric", "kpsim_vcps", "--metric", "apiserver_request_total",
            ], env: Self.env, timeout: 30)
        #expect(r.status == 0, "\(r.stderr)")
        var vcps = -1.0
        var writes = 0.0
        for line in r.stdout.split(separator: "\n") {
            guard case .sample(let s) = try RecordCodec.decode(Data(line.utf8), location: "kp-scrape") else { continue }
            for f in s.families ?? [] {
                for x in f.samples {
                    if x.name == "kpsim_vcps" { vcps = x.value.value }
                    if x.name == "apiserver_request_total",
                        ["POST", "PUT", "PATCH", "DELETE"].contains(x.labels["verb"])
                    {
                        writes += x.value.value
                    }
                }
            }
        }
        return (vcps, writes)
    }

    @Test func observeCreatesNothingOnALiveKpSim() throws {
        let work = try ToolRunner.tempDir("observe")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let sim = try ToolRunner.urlModeSim(work)
        defer { sim.stop() }
        let url = "https://127.0.0.1:\(sim.port)"
        // Two VCPs made beforehand, as if something else were using the server.
        let boot = try ToolRunner.run(
            "kp-bootstrap",
            [
                "--url", url, "--token-file", "\(work)/token", "--ca-file", "\(work)/certs/apiserver.crt", "--clusters",
                "2", "--name-format", "other-%d",
            ], env: Self.env, timeout: 60)
        #expect(boot.status == 0, "\(boot.stderr)")
        let before = try simCounts(url, work)
        #expect(before.vcps == 2)

        var env = Self.env
        env["APISERVER_URL"] = url
        env["TOKEN_FILE"] = "\(work)/token"
        env["CA_FILE"] = "\(work)/certs/apiserver.crt"
        let r = try ToolRunner.run(
            "kp-run",
            [
                "--bin-dir", ToolRunner.binDir, "--scenario", "observe", "--observe-duration", "2s",
                "--series-interval", "1s", "--out", "\(work)/out",
            ], env: env, timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        let after = try simCounts(url, work)
        #expect(after.vcps == before.vcps, "kp-sim's VCPs: \(before.vcps) before, \(after.vcps) after")
        #expect(after.writes == before.writes, "write requests: \(before.writes) before, \(after.writes) after")

        let dir = "\(work)/out/observe"
        try RunChecks.samplesExactlyOnce(dir, scenario: "observe", run: "observe")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/\(RunLayout.bootstrap)"))
        let summary = try String(contentsOfFile: "\(dir)/summary.md", encoding: .utf8)
        #expect(summary.contains("## Observed"))
        #expect(summary.contains("| observe-start |") && summary.contains("| observe-end |"))
        #expect(!summary.contains("INCOMPLETE"), "\(summary)")

        // With --sim (make observe SIM=1) it watches the clean kp-sim it starts, and creates nothing there either.
        let own = try ToolRunner.run(
            "kp-run",
            [
                "--bin-dir", ToolRunner.binDir, "--sim", "--scenario", "observe", "--observe-duration", "1s",
                "--series-interval", "1s", "--out", "\(work)/out2",
            ], env: Self.env, timeout: 60)
        #expect(own.status == 0, "\(own.stderr)")
        let simDir = "\(work)/out2/observe"
        try RunChecks.samplesExactlyOnce(simDir, scenario: "observe", run: "observe")
        #expect(!FileManager.default.fileExists(atPath: "\(simDir)/\(RunLayout.bootstrap)"))
        let simSummary = try String(contentsOfFile: "\(simDir)/summary.md", encoding: .utf8)
        #expect(simSummary.contains("## Observed") && simSummary.contains("kp-sim"))
        #expect(!simSummary.contains("INCOMPLETE"), "\(simSummary)")
        // What the server counted by the end of the watch: no write request at all.
        var endWrites: Double?
        for case .success(.sample(let sample)) in try JSONLReader.read(path: "\(simDir)/\(RunLayout.samples)")
        where sample.phase == "observe-end" {
            endWrites = 0
            for f in sample.families ?? [] where f.name == "apiserver_request_total" {
                for x in f.samples where ["POST", "PUT", "PATCH", "DELETE"].contains(x.labels["verb"]) {
                    endWrites! += x.value.value
                }
            }
        }
        #expect(endWrites == 0, "write requests kp-sim counted by observe-end: \(String(describing: endWrites))")
        #expect(ProcessTable.alive(matching: "\(work)/out2").isEmpty)
    }
}
