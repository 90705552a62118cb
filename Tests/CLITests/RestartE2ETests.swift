import Foundation
import KPRecords
import KPRunModel
import KPTestSupport
import Testing

/// Scenario restart end to end on kp-sim through kp-run: kp-launch gives kp-sim a throw-away etcd,
/// restarts it keeping the etcd and prefix, and every VCP answers its first request from storage.
@Suite(.serialized) struct RestartE2ETests {
    static let env = ["APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": "", "ETCD_ENDPOINTS": ""]

    @Test func restartKeepsEveryVCPAndReportsTheStorm() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/etcd") else {
            Issue.record("etcd is not installed: apt-get install etcd-server etcd-client")
            return
        }
        let out = try ToolRunner.tempDir("restart-run")
        defer { try? FileManager.default.removeItem(atPath: out) }
        // The throw-away etcd's data dir goes under TMPDIR: inside this run's folder, so the process-table
        // check below sees an etcd left running by its command line.
        try FileManager.default.createDirectory(atPath: "\(out)/tmp", withIntermediateDirectories: true)
        var env = Self.env
        env["TMPDIR"] = "\(out)/tmp"
        let r = try ToolRunner.run(
            "/usr/bin/make",
            [
                "-s", "restart-4", "NO_BUILD=1", "BIN_DIR=\(ToolRunner.binDir)", "OUT=\(out)", "RUN=r", "SIM=1",
                "WORKERS=4", "WARMUP=0s", "POST_BOOTSTRAP_SETTLE=0s", "STEADY_WAIT=0s", "SERIES_INTERVAL=1s",
                "NO_SCRAPE_COST=1",
            ], env: env, cwd: ToolRunner.repoRoot, timeout: 120)
        #expect(r.status == 0, "make restart-4 SIM=1 failed: \(r.stderr)")
        let dir = "\(out)/r"

        var taken: [String] = []
        for case .success(.sample(let s)) in try JSONLReader.read(path: "\(dir)/\(RunLayout.samples)") {
            taken.append(s.phase)
        }
        #expect(taken == [Scenario.launchSample.phase] + Scenario.named("restart")!.phases)

        var endpoint: EndpointRecord?
        for case .success(.endpoint(let e)) in try JSONLReader.read(path: "\(dir)/\(RunLayout.endpoint)") {
            endpoint = e
        }
        var restarts: [RestartRecord] = []
        for case .success(.restart(let x)) in try JSONLReader.read(path: "\(dir)/\(RunLayout.restart)") {
            restarts.append(x)
        }
        var launched: [RestartRecord] = []
        for case .success(.restart(let x)) in try JSONLReader.read(path: "\(dir)/\(RunLayout.launch)") {
            launched.append(x)
        }
        #expect(restarts.count == 1 && launched == restarts)
        let restart = try #require(restarts.first)
        #expect(restart.outcome == "ok" && restart.mode == "sim", "\(restart)")
        // The same etcd and prefix as the first start; endpoint.json names the new process.
        #expect(restart.etcdPrefix != nil && restart.etcdPrefix == endpoint?.etcdPrefix)
        #expect(restart.etcdEndpoints != nil && restart.etcdEndpoints == endpoint?.etcdEndpoints)
        #expect(endpoint?.etcdManaged == true)
        #expect(restart.pid != nil && restart.pid == endpoint?.pid)
        let ready = try #require(restart.readyNs)
        #expect(restart.requestedNs <= restart.stopNs && restart.stopNs <= restart.stoppedNs)
        #expect(restart.stoppedNs <= restart.startedNs && restart.startedNs < ready)

        var answered: [String] = []
        var summary: FirstRequestSummaryRecord?
        for item in try JSONLReader.read(path: "\(dir)/\(RunLayout.firstRequests)") {
            switch item {
            case .success(.firstRequest(let q)):
                #expect(q.outcome == "ok" && q.objects == 0, "\(q)")
                #expect(q.startNs >= ready)
                answered.append(q.cluster)
            case .success(.firstRequestSummary(let s)): summary = s
            default: break
            }
        }
        #expect(Set(answered) == ["c-000", "c-001", "c-002", "c-003"])
        #expect(summary?.ok == 4 && summary?.failed == 0 && summary?.workers == 4)

        let md = try String(contentsOfFile: "\(dir)/\(RunLayout.summary)", encoding: .utf8)
        #expect(md.contains("## Restart"))
        #expect(md.contains("Time until all 4 VCPs answered:"), "\(md)")
        #expect(md.contains("| latency (retries included) | 4 |"), "\(md)")
        #expect(md.contains("| time to readyz (start until /readyz 200) |"))
        let html = try String(contentsOfFile: "\(dir)/\(RunLayout.reportHTML)", encoding: .utf8)
        #expect(html.contains("Restart"))
        let result = try String(contentsOfFile: "\(dir)/\(RunLayout.result)", encoding: .utf8)
        #expect(result.contains("restart.all_answered_seconds"))
        #expect(ProcessTable.alive(matching: out).isEmpty)
    }
}
