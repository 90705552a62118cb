import Foundation
import KPCore
import KPRunModel
import Testing

@testable import KPRun

/// kp-run's plan: every command a run starts, from the run model, with one seed for every kp-load.
@Suite struct RunPlanTests {
    static func settings(_ scenario: String, shards: Int = 1, seed: UInt64 = 42) -> RunSettings {
        .forTests(scenario, clusters: 20, workers: 4, maxLagMs: 10_000, shards: shards, sim: true, seed: seed)
    }

    static func value(_ flag: String, in args: [String]) -> String? {
        args.firstIndex(of: flag).map { args[$0 + 1] }
    }

    @Test(arguments: Scenario.names)
    func planTakesEachSampleOnce(_ name: String) {
        let plan = RunPlan(settings: Self.settings(name), dir: "/o/r", runName: "r")
        let phases = plan.commands().filter { $0.tool == "kp-scrape" && !$0.args.contains("--interval") }
            .compactMap { Self.value("--phase", in: $0.args) }
        #expect(phases == ["launch"] + Scenario.named(name)!.phases)
        let pprof = plan.commands().filter { $0.args.contains("--pprof") }.compactMap {
            Self.value("--phase", in: $0.args)
        }
        #expect(pprof == Scenario.named(name)!.samples.filter(\.pprof).map(\.phase))
    }

    @Test func everyKpLoadOfARunGetsTheRunSeed() {
        let plan = RunPlan(settings: Self.settings("watch-fanout", shards: 3, seed: 9_876), dir: "/o/r", runName: "r")
        let loads = plan.commands().filter { $0.tool == "kp-load" }
        #expect(loads.count == 6)
        #expect(loads.allSatisfy { Self.value("--seed", in: $0.args) == "9876" })
        #expect(
            loads.map(\.stdout!) == [
                "nowatch-load-0-of-3.jsonl", "nowatch-load-1-of-3.jsonl", "nowatch-load-2-of-3.jsonl",
                "load-0-of-3.jsonl", "load-1-of-3.jsonl", "load-2-of-3.jsonl",
            ])
        #expect(loads.map { Self.value("--shard", in: $0.args)! } == ["0/3", "1/3", "2/3", "0/3", "1/3", "2/3"])
        #expect(loads.filter { $0.args.contains("--watchers-per-cluster") }.count == 3)
        #expect(Self.settings("watch-fanout", seed: 9_876).metaFlags().contains("seed=9876"))
    }

    @Test func scenarioFlagsComeFromTheModel() {
        let snapshot = RunPlan(settings: Self.settings("snapshot"), dir: "/o/r", runName: "r").commands()
        #expect(snapshot.contains { $0.args.contains("--snapshot-warm-pass") })
        #expect(snapshot.filter { $0.args.contains("--snapshot-rps-per-cluster") }.count == 1)
        let fleet = RunPlan(settings: Self.settings("fleet-bootstrap"), dir: "/o/r", runName: "r").bootstrap()
        #expect(Self.value("--fleet", in: fleet.args) == "kpbench")
        let bootstrap = RunPlan(settings: Self.settings("bootstrap"), dir: "/o/r", runName: "r").commands()
        #expect(!bootstrap.contains { $0.tool == "kp-load" })
    }

    @Test func shellLinesQuoteAndGroupShards() {
        #expect(RunPlan.quote("a b") == "'a b'")
        #expect(RunPlan.quote("it's") == #"'it'\''s'"#)
        #expect(RunPlan.quote("/o/r/x.jsonl") == "/o/r/x.jsonl")
        let lines = RunPlan(settings: Self.settings("mixed-hot", shards: 2), dir: "/o/r", runName: "r")
            .shellLines(binDir: "/bin")
        let group = lines.filter { $0.hasPrefix("( ") }
        #expect(group.count == 1 && group[0].contains(" wait )") && group[0].contains("--shard 1/2"))
        #expect(lines.contains("sleep 30  # warmup: warmup 30s, watching the target"))
    }
}

/// How kp-run ranks and stops on exit codes, by KPExitCode.
@Suite struct ExitPrecedenceTests {
    @Test func worstShardWins() {
        // failure > generator-limited > saturated > ok.
        let order: [KPExitCode] = [.ok, .targetSaturated, .generatorLimited, .targetErrors]
        let severities = order.map { RunOrchestrator.loadSeverity($0.rawValue) }
        #expect(severities == severities.sorted() && Set(severities).count == 4)
        #expect(RunOrchestrator.loadSeverity(KPExitCode.failure.rawValue) == RunOrchestrator.loadSeverity(12))
    }

    @Test func badInputAndSignalsEndASeries() {
        for code in [KPExitCode.badInput, .hungUp, .interrupted, .terminated] {
            #expect(RunSeries.stopsSeries(code.rawValue))
        }
        for code in [KPExitCode.ok, .failure, .generatorLimited, .incompleteData, .targetSaturated, .targetCrashed] {
            #expect(!RunSeries.stopsSeries(code.rawValue))
        }
    }

    @Test func signalsAreNamedAndCoded() {
        #expect(RunOrchestrator.interrupted(SIGINT).exitCode == KPExitCode.interrupted.rawValue)
        #expect(RunOrchestrator.interrupted(SIGHUP).exitCode == 129)
        #expect(RunOrchestrator.interrupted(SIGTERM).exitCode == 143)
        #expect(RunOrchestrator.interrupted(SIGTERM).status == "interrupted")
    }
}
