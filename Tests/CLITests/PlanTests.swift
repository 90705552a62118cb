import Foundation
import KPRunModel
import Testing

/// `kp-run --plan` prints every command a run (or run set) would start and starts nothing.
@Suite struct PlanTests {
    @Test(arguments: Scenario.names)
    func planPrintsEveryCommandAndStartsNothing(_ name: String) throws {
        let root = try ToolRunner.tempDir("plan")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let scenario = try #require(Scenario.named(name))
        var args = [
            "--bin-dir", ToolRunner.binDir, "--plan", "--scenario", name, "--clusters", "20", "--repeat", "2", "--out",
            "\(root)/out",
        ]
        if scenario.drivesLoad { args += ["--load-shards", "2", "--hot-percent", "50"] }
        // observe watches a live server (url mode, named after the scenario); every other scenario runs on kp-sim.
        let url = scenario.createsVCPs ? "" : "https://127.0.0.1:1"
        if scenario.createsVCPs { args.append("--sim") }
        let set = scenario.createsVCPs ? "\(name)-20" : name
        let r = try ToolRunner.run(
            "kp-run", args, env: ["APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": url], timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        // Each of the two runs: the launch sample and each of the scenario's samples, once.
        let samples = lines.filter { $0.contains("/kp-scrape ") && $0.contains(" --phase ") }
        #expect(samples.count == 2 * (1 + scenario.phases.count), "\(samples.count) samples")
        for phase in scenario.phases {
            #expect(samples.filter { $0.contains(" --phase \(phase) ") }.count == 2, "\(phase)")
        }
        // Every kp-load line carries the same seed; shards run side by side.
        let seeds = Set(
            lines.filter { $0.contains("/kp-load ") }.flatMap { line in
                line.components(separatedBy: " --seed ").dropFirst().map { $0.prefix { $0 != " " } }
            })
        #expect(scenario.drivesLoad ? seeds.count == 1 : seeds.isEmpty, "\(seeds)")
        if scenario.drivesLoad { #expect(lines.contains { $0.hasPrefix("( ") && $0.contains("--shard 1/2") }) }
        #expect(
            lines.last?.contains("/kp-report \(root)/out/\(set)") == true, "the set's fold: \(lines.last ?? "")")
        #expect(!FileManager.default.fileExists(atPath: "\(root)/out"), "--plan must create nothing")
    }
}
