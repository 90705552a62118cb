import Foundation
import KPRecords
import KPTestSupport
import Testing

/// Two runs in url mode against one running kp-sim: the second finds the first run's VCPs there.
/// Without --allow-existing it fails on their CRDs (409, exit 1); with it (make's ALLOW_EXISTING=1)
/// it ends 0, the records mark the reused VCPs, and summary.md says which per-VCP figures that spoils.
@Suite(.serialized) struct AllowExistingTests {
    @Test func secondRunOnTheSameServerWarnsAboutExistingVCPs() throws {
        let work = try ToolRunner.tempDir("allow-existing")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let sim = try ToolRunner.urlModeSim(work)
        defer { sim.stop() }
        let env = [
            "APISERVER_URL": "https://127.0.0.1:\(sim.port)", "TOKEN_FILE": "\(work)/token",
            "CA_FILE": "\(work)/certs/apiserver.crt", "APISERVER_BIN": "", "APISERVER_DIR": "", "ETCD_ENDPOINTS": "",
        ]
        let short = [
            "--clusters", "3", "--workers", "3", "--warmup", "0s", "--post-bootstrap-settle", "0s", "--steady-wait",
            "0s", "--series-interval", "1s",
        ]
        func kpRun(_ name: String, _ extra: [String] = []) throws -> ToolRunner.Result {
            try ToolRunner.run(
                "\(ToolRunner.binDir)/kp-run",
                ["--bin-dir", ToolRunner.binDir, "--scenario", "bootstrap", "--out", "\(work)/out", "--run", name]
                    + short + extra, env: env, timeout: 120)
        }
        func summary(_ name: String) -> String {
            (try? String(contentsOfFile: "\(work)/out/\(name)/summary.md", encoding: .utf8)) ?? ""
        }

        // The first run creates the VCPs: nothing existed, no warning.
        let first = try kpRun("first")
        #expect(first.status == 0, "exit \(first.status): \(first.stderr)")
        #expect(!summary("first").contains("Existing VCPs"))

        // The same names again without --allow-existing: the CRDs are there, the run fails (exit 1).
        let refused = try kpRun("refused")
        #expect(refused.status == 1, "exit \(refused.status): \(refused.stderr)")
        #expect(refused.stderr.contains("--allow-existing"), "\(refused.stderr)")

        // With make's ALLOW_EXISTING=1: a valid run, its records mark every VCP as existing, and
        // summary.md warns before the figures it qualifies.
        var makeEnv = env
        makeEnv["MAKEFLAGS"] = ""
        let second = try ToolRunner.run(
            "/usr/bin/make",
            [
                "run", "NO_BUILD=1", "BIN_DIR=\(ToolRunner.binDir)", "SCENARIO=bootstrap", "OUT=\(work)/out",
                "RUN=second", "CLUSTERS=3", "WORKERS=3", "WARMUP=0s", "POST_BOOTSTRAP_SETTLE=0s", "STEADY_WAIT=0s",
                "SERIES_INTERVAL=1s", "ALLOW_EXISTING=1",
            ], env: makeEnv, cwd: ToolRunner.repoRoot, timeout: 120)
        #expect(second.status == 0, "exit \(second.status): \(second.stdout)\n\(second.stderr)")
        let records = try JSONLReader.read(path: "\(work)/out/second/bootstrap.jsonl").compactMap {
            item -> BootstrapStepRecord? in
            if case .success(.bootstrapStep(let s)) = item { return s }
            return nil
        }
        let creates = records.filter { $0.step == "crd_create" }
        #expect(creates.count == 3 && creates.allSatisfy { $0.outcome == "ok" && $0.existed == true })
        let text = summary("second")
        let warning = try #require(
            text.split(separator: "\n").first { $0.hasPrefix("**Existing VCPs:**") }, "no warning in:\n\(text)")
        #expect(warning.contains("3 of 3 VCPs were already on the server"), "\(warning)")
        #expect(warning.contains("c-000, c-001, c-002"))
        #expect(warning.contains("Headline") && warning.contains("Per VCP") && warning.contains("Bootstrap"))
        #expect(text.contains("allow-existing"))  // the flag is in the run's flags table too
        #expect(ProcessTable.alive(matching: "\(work)/out").isEmpty)
    }
}
