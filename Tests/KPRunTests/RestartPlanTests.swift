import Foundation
import KPRunModel
import Testing

@testable import KPRun

/// Scenario restart in the run model and kp-run's plan.
@Suite struct RestartPlanTests {
    static func value(_ flag: String, in args: [String]) -> String? {
        args.firstIndex(of: flag).map { args[$0 + 1] }
    }

    @Test func restartRowRestartsAfterSteadyThenSamplesTheStorm() {
        let s = Scenario.named("restart")!
        #expect(s.phases == ["baseline", "post-bootstrap", "steady", "restart-ready", "post-restart"])
        #expect(
            s.samples.filter(\.pprof).map(\.phase) == ["post-bootstrap", "steady", "restart-ready", "post-restart"])
        #expect(s.recordFiles() == [RunLayout.bootstrap, RunLayout.restart, RunLayout.firstRequests])
        let restartAt = s.steps.firstIndex(of: .restart)!
        #expect(s.steps[restartAt - 1] == .sample("steady", pprof: true))
        #expect(s.steps[restartAt + 1] == .sample("restart-ready", pprof: true))
        #expect(s.steps[restartAt + 2] == .firstRequests)
        #expect(!s.drivesLoad && s.createsVCPs)
    }

    @Test func planRestartsThroughKpLaunchAndStormsTheBootstrappedVCPs() {
        let settings = RunSettings.forTests("restart", clusters: 50, workers: 7, stepDeadlineSeconds: 45, sim: true)
        let plan = RunPlan(settings: settings, dir: "/out/r", runName: "r")
        let commands = plan.commands()
        // SIM=1: kp-sim gets a throw-away etcd, so its objects survive the restart.
        let launch = commands.first { $0.tool == "kp-launch" && $0.args.first == "up" }!
        #expect(launch.args.contains("--sim-etcd"))
        let restart = commands.first { $0.phase == "restart" }!
        #expect(restart.tool == "kp-launch" && restart.args.prefix(3) == ["restart", "--run-dir", "/out/r"])
        #expect(restart.stdout == RunLayout.restart)
        let storm = commands.first { $0.phase == "first-requests" }!
        #expect(storm.tool == "kp-bootstrap" && storm.args.contains("--first-request"))
        #expect(Self.value("--bootstrap", in: storm.args) == "/out/r/\(RunLayout.bootstrap)")
        #expect(Self.value("--workers", in: storm.args) == "7")
        #expect(Self.value("--readyz-deadline", in: storm.args) == "45s")
        #expect(storm.stdout == RunLayout.firstRequests)
        let phases = commands.map(\.phase)
        let order = ["steady", "restart", "restart-ready", "first-requests", "post-restart-settle", "post-restart"]
        let at = order.map { p in phases.firstIndex(of: p) ?? -1 }
        #expect(at.allSatisfy { $0 >= 0 } && at == at.sorted(), "\(phases)")
        // Other scenarios and modes: no --sim-etcd.
        let local = RunPlan(
            settings: RunSettings.forTests("restart", environment: ["APISERVER_BIN": "/bin/true"]), dir: "/out/l",
            runName: "l")
        #expect(!local.launch().args.contains("--sim-etcd"))
        let bootstrap = RunPlan(settings: RunSettings.forTests("bootstrap", sim: true), dir: "/out/b", runName: "b")
        #expect(!bootstrap.launch().args.contains("--sim-etcd"))
    }
}
