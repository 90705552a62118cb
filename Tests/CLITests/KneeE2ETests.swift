import Foundation
import KPRecords
import KPTestSupport
import Testing

/// `make knee` as a user runs it, on kp-sim with a known capacity: 5 requests served at once, 50 ms
/// each (`--sim-max-concurrency 5 --fault-latency fixed:50ms`), so 100 reads/s. kp-run launches,
/// bootstraps, runs kp-load's knee search, and the fold writes the Knee section; the highest step
/// that held must lie within 15 % of the capacity. The search's rules are unit-tested in
/// KPLoadTests.KneeSearchTests.
@Suite(.serialized, .tags(.timing)) struct KneeE2ETests {
    @Test("make knee on kp-sim at 100 reads/s: the knee found within 15 % of it, the run complete and folded")
    func makeKneeFindsTheKnownCapacity() throws {
        let capacity = 100.0
        let root = try ToolRunner.tempDir("knee-e2e")
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Steps at 0.5C … 1.3C, 2 s each; SLO p99 150 ms (three service times): below capacity every
        // read takes its 50 ms, so a busy machine's scheduling noise does not break the 0.9C step;
        // above it the backlog grows by (rate − C) per second, 20 reads at 1.1C after 2 s, which adds
        // ~200 ms to the last reads' wait. The highest step that held is then 0.9C, C or 1.1C.
        let r = try ToolRunner.run(
            "/usr/bin/make",
            [
                "knee", "NO_BUILD=1", "BIN_DIR=\(ToolRunner.binDir)", "SIM=1", "SCENARIO=mixed-uniform",
                "CLUSTERS=1", "WORKERS=1", "WARMUP=0s", "POST_BOOTSTRAP_SETTLE=0s", "STEADY_WAIT=0s",
                "SERIES_INTERVAL=1s", "NO_SCRAPE_COST=1", "READ_RPS_PER_CLUSTER=1", "WRITE_RPS_PER_CLUSTER=0",
                "MAX_LAG=5s", "SEED=5", "OUT=\(root)", "KNEE_STEPS=50,70,90,100,110,130", "KNEE_STEP_DURATION=2s",
                "KNEE_P99=150ms", "KNEE_MAX_ERROR_PERCENT=1",
                "LAUNCH_ARGS=--sim-arg=--sim-max-concurrency=5 --sim-arg=--fault-latency=fixed:50ms",
            ],
            env: ["MAKEFLAGS": "", "APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": ""],
            cwd: ToolRunner.repoRoot, timeout: 180)
        let run = "\(root)/knee-mixed-uniform-1"
        #expect(r.status == 0, "make knee: exit \(r.status)\n\(r.stderr.suffix(2000))")
        #expect(r.stderr.contains("knee search over 50,70,90,100,110,130 ops/s"), "\(r.stderr.suffix(2000))")

        var steps: [KneeStepRecord] = []
        var result: KneeResultRecord?
        for case .success(let record) in try JSONLReader.read(path: "\(run)/load.jsonl") {
            switch record {
            case .kneeStep(let s): steps.append(s)
            case .kneeResult(let k): result = k
            case .loadFinal: Issue.record("load_final in a knee search")
            default: break
            }
        }
        let k = try #require(result, "no knee_result in \(run)/load.jsonl")
        #expect(k.result == "knee found", "\(k.endingReasons)")
        #expect(k.sloP99Ns == 150_000_000 && k.sloMaxErrorPercent == 1)
        let held = try #require(k.highestHeldRps)
        #expect(abs(held - capacity) <= 0.15 * capacity, "highest held \(held), capacity \(capacity)")
        #expect(steps.count == k.steps && steps.last?.judgement == "broken")
        #expect(steps.dropLast().allSatisfy { $0.judgement == "held" })

        // The run is complete (a knee ends in knee_result, not load_final) and its report has the knee.
        let meta = try String(contentsOfFile: "\(run)/meta.jsonl", encoding: .utf8)
        #expect(meta.contains("\"status\":\"complete\""), "\(meta)")
        #expect(meta.contains("\"knee-steps\":\"50,70,90,100,110,130\""), "\(meta)")
        let summary = try String(contentsOfFile: "\(run)/summary.md", encoding: .utf8)
        #expect(summary.contains("## Knee"), "\(summary.prefix(1500))")
        #expect(!summary.contains("INCOMPLETE") && !summary.contains("INVALID"), "\(summary.prefix(1500))")
        #expect(ProcessTable.alive(matching: root).isEmpty)
    }
}
