import Foundation
import KPRunModel
import Testing

@testable import KPRun

/// Scenarios churn and observe in the run model and kp-run's plan.
@Suite struct ChurnObservePlanTests {
    static func value(_ flag: String, in args: [String]) -> String? {
        args.firstIndex(of: flag).map { args[$0 + 1] }
    }

    @Test func churnPlanDeletesTheOldestAndCreatesUnusedNames() {
        let p = ChurnPlan(clusters: 10, percent: 25, cycles: 3)
        #expect(p.perCycle == 3)  // ceil(2.5)
        #expect(p.deleted(cycle: 1) == 0..<3 && p.created(cycle: 1) == 10..<13)
        #expect(p.deleted(cycle: 2) == 3..<6 && p.created(cycle: 2) == 13..<16)
        #expect(p.deleted(cycle: 3) == 6..<9 && p.created(cycle: 3) == 16..<19)
        #expect(p.namesUsed == 19)
        // Every cycle deletes only live VCPs: the live set after cycle k is k·m ..< N + k·m.
        for k in 1...3 {
            let live = ((k - 1) * p.perCycle)..<(p.clusters + (k - 1) * p.perCycle)
            #expect(live.contains(p.deleted(cycle: k).lowerBound) && live.contains(p.deleted(cycle: k).upperBound - 1))
        }
        #expect(ChurnPlan(clusters: 3, percent: 100, cycles: 2).perCycle == 3)
        #expect(ChurnPlan.cycle(ofPhase: "churn-12") == 12 && ChurnPlan.cycle(ofPhase: "steady") == nil)
    }

    @Test func churnCyclesComeFromTheFlag() {
        let s = Scenario.named("churn")!
        #expect(s.churnCycles == ChurnPlan.defaultCycles)
        let three = Scenario.named("churn", flags: ["churn-cycles": "3"])!
        #expect(three.churnCycles == 3)
        #expect(
            three.phases == ["baseline", "post-bootstrap", "steady", "churn-1", "churn-2", "churn-3"])
        #expect(three.samples.filter(\.pprof).map(\.phase) == ["post-bootstrap", "steady", "churn-3"])
        #expect(three.recordFiles() == [RunLayout.bootstrap, RunLayout.churn])
        #expect(Scenario.named("bootstrap", flags: ["churn-cycles": "3"]) == Scenario.named("bootstrap"))
    }

    @Test func churnCommandsAreTeardownThenBootstrapIntoChurnJSONL() {
        var settings = RunSettings.forTests("churn", clusters: 4, workers: 2, sim: true)
        settings.scenario = settings.scenario.withChurnCycles(2)
        settings.churnPercent = 50
        let plan = RunPlan(settings: settings, dir: "/o/r", runName: "r")
        let cycle2 = plan.churn(cycle: 2)
        #expect(cycle2.map(\.tool) == ["kp-bootstrap", "kp-bootstrap"])
        #expect(cycle2.allSatisfy { $0.stdout == RunLayout.churn && $0.phase == "churn-2" })
        #expect(cycle2[0].args.contains("--teardown") && Self.value("--names", in: cycle2[0].args) == "c-002,c-003")
        #expect(!cycle2[1].args.contains("--teardown") && Self.value("--names", in: cycle2[1].args) == "c-006,c-007")
        #expect(!cycle2[1].args.contains("--clusters"))
        // In the whole plan: after the steady sample, per cycle the two commands and the cycle's sample.
        let tail = plan.commands().drop { Self.value("--phase", in: $0.args) != "steady" }.dropFirst()
        let phases = tail.prefix(6).map {
            $0.args.contains("--teardown")
                ? "delete" : ($0.tool == "kp-bootstrap" ? "create" : Self.value("--phase", in: $0.args) ?? $0.tool)
        }
        #expect(phases == ["delete", "create", "churn-1", "delete", "create", "churn-2"])
        let flags = settings.metaFlags()
        #expect(flags.contains("churn-cycles=2") && flags.contains("churn-percent=50"))
    }

    @Test func observeStartsNoToolThatWrites() {
        var settings = RunSettings.forTests(
            "observe", environment: ["APISERVER_URL": "https://k:6443"])
        settings.observeDuration = RunDuration(text: "2s", duration: .seconds(2))
        let plan = RunPlan(settings: settings, dir: "/o/observe", runName: "observe")
        let tools = Set(plan.commands().map(\.tool))
        #expect(tools == ["kp-report", "kp-launch", "kp-scrape", "sleep"], "\(tools)")
        #expect(plan.commands().filter { $0.tool == "sleep" }.map(\.args) == [["2"]])
        #expect(!plan.commands().contains { $0.args.contains("--burst") })
        let flags = settings.metaFlags()
        #expect(flags.contains("observe-duration=2s"))
        #expect(!flags.contains { $0.hasPrefix("clusters=") || $0.hasPrefix("warmup=") })
        #expect(Scenario.named("observe")!.createsVCPs == false && Scenario.named("churn")!.createsVCPs)
    }
}
