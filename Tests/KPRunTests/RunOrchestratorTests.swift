import Foundation
import KPCore
import KPRecords
import KPRunModel
import Testing

@testable import KPRun

#if canImport(Glibc)
    import Glibc
#endif

/// The real orchestrator over ``FakeSupervisor`` and ``ScriptedTools``: what it starts, in what
/// order, and how the tools' exit codes make the run's.
@Suite struct RunOrchestratorTests {
    static let binDir = "/kp-bench/bin"

    /// Settings whose phase waits are 0 s; the load lasts 1 s, so a sample taken during a load waits
    /// the orchestrator's shortest settle (1 s) after kp-load's first interval.
    static func settings(_ scenario: String) -> RunSettings {
        .forTests(
            scenario, clusters: 4, workers: 2, waits: (0, 0, 0), loadSeconds: 1, hotPercent: 50, seriesSeconds: 1,
            requestTimeoutSeconds: 1, stepDeadlineSeconds: 5, maxLagMs: 1000, sim: true, binDir: binDir, seed: 7)
    }

    /// One run of `scenario` through ``RunSeries/single(dir:settings:name:)`` in a fresh directory
    /// (removed with the value).
    final class Run {
        let code: Int32
        let root: String
        let dir: String
        let plan: RunPlan
        let fake: FakeSupervisor

        init(code: Int32, root: String, dir: String, plan: RunPlan, fake: FakeSupervisor) {
            self.code = code
            self.root = root
            self.dir = dir
            self.plan = plan
            self.fake = fake
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        /// The one-shot samples asked for, by `--phase`, in order.
        var samples: [String] {
            fake.spawns.filter { $0.tool == "kp-scrape" && !$0.args.contains("--interval") }.compactMap {
                $0.value("--phase")
            }
        }

        /// The `kp-report end` spawn's flags (status, phase, exit code, reason).
        func end(_ flag: String) -> String? {
            fake.spawns.first { $0.tool == "kp-report" && $0.args.first == "end" }?.value(flag)
        }

        /// True when `kp-report DIR` (the fold) was started.
        var folded: Bool { fake.spawns.contains { $0.tool == "kp-report" && $0.args.first == dir } }

        /// A spawn or a plan command as comparable text: the path, the arguments, where stdout and
        /// stderr go, with the run directory written `RUN`.
        func line(_ path: String, _ args: [String], _ stdout: String?, _ stderr: String?) -> String {
            (([path] + args).joined(separator: " ") + " >> \(stdout ?? "-") 2>> \(stderr ?? "-")")
                .replacingOccurrences(of: dir, with: "RUN")
        }

        func spawned(_ tool: String, _ first: String? = nil) -> [FakeSupervisor.Spawn] {
            fake.spawns.filter { $0.tool == tool && (first == nil || $0.args.first == first) }
        }
    }

    static func run(_ scenario: String, budgets: String? = nil, script: (ScriptedTools) -> Void = { _ in }) -> Run {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kp-run-fake-\(UUID().uuidString)")
            .path
        let dir = "\(root)/run"
        var s = settings(scenario)
        s.budgets = budgets
        let fake = FakeSupervisor()
        let plan = RunPlan(settings: s, dir: dir, runName: "fake")
        let tools = ScriptedTools(fake: fake, plan: plan)
        script(tools)
        let code = RunSeries(base: s, runName: "fake", supervisor: fake).single(dir: dir, settings: s)
        #expect(fake.running.isEmpty, "left running: \(fake.running.map { "\($0.tool) \($0.args)" })")
        return Run(code: code, root: root, dir: dir, plan: plan, fake: fake)
    }

    @Test(arguments: Scenario.names)
    func runStartsThePlanAndTakesEachSampleOnce(_ name: String) throws {
        let r = Self.run(name)
        #expect(r.code == 0)
        #expect(r.samples == [Scenario.launchSample.phase] + Scenario.named(name)!.phases)
        let planned = r.plan.commands().filter { $0.tool != "sleep" }.map {
            r.line("\(Self.binDir)/\($0.tool)", $0.args, $0.stdout.map(r.plan.file), $0.stderr.map(r.plan.file))
        }
        let started = r.fake.spawns.map { r.line($0.path, $0.args, $0.stdout.path, $0.stderr.path) }
        #expect(started == planned)
        #expect(r.spawned("kp-launch", "up").map(\.environment) == [r.plan.settings.environment])
        // The samples the tool wrote reached samples.jsonl, one per phase.
        let written = try JSONLReader.read(path: RunLayout.path(r.dir, RunLayout.samples)).compactMap {
            if case .success(.sample(let s)) = $0 { s.phase } else { nil }
        }
        #expect(written == r.samples)
    }

    @Test func generatorLimitedLoadOutranksTheChecksTargetErrors() throws {
        let r = Self.run("mixed-hot") { t in
            t.loadExit = KPExitCode.generatorLimited.rawValue
            t.loadMessage = "schedule lag p99 2.1s over --max-lag 1s: the generator, not the server, limited this run"
            t.checkExit = KPExitCode.targetErrors.rawValue
            t.checkText = "load errors 3.2% over --max-load-error-percent 1"
        }
        #expect(r.code == KPExitCode.generatorLimited.rawValue)
        #expect(r.end("--status") == "failed")
        #expect(r.end("--phase") == "load")
        #expect(r.end("--exit-code") == "3")
        #expect(
            r.end("--reason")
                == "kp-load: schedule lag p99 2.1s over --max-lag 1s: the generator, not the server, limited this run; also load errors 3.2% over --max-load-error-percent 1"
        )
        // The post-load sample still describes the load, and the report is folded.
        #expect(r.samples.last == "post-load")
        #expect(r.folded)
    }

    @Test func saturatedTargetIsACompleteRunWithExit6() throws {
        let r = Self.run("mixed-hot") { t in t.loadExit = KPExitCode.targetSaturated.rawValue }
        #expect(r.code == KPExitCode.targetSaturated.rawValue)
        #expect(r.end("--status") == "complete")
        #expect(r.end("--exit-code") == "6")
        #expect(
            r.end("--reason")
                == "target saturated: achieved 40 of 50 ops/s (kp-load exit 6; latencies are the server's)")
        #expect(r.folded)
    }

    /// The fold's exit 7 (an error budget broken) is the run's code when the run went well, in
    /// kp-report's words; a run that ended with another code keeps it.
    @Test func brokenErrorBudgetIsPassedOnFromTheFold() throws {
        let line = "error budget broken: per_vcp.heap_inuse_bytes: measured 2048.0 KiB, limit ≤ 1536.0 KiB (error)"
        let r = Self.run("bootstrap", budgets: "/etc/b.yaml") { t in
            t.foldExit = KPExitCode.budgetBroken.rawValue
            t.foldMessage = line
        }
        #expect(r.code == KPExitCode.budgetBroken.rawValue)
        #expect(r.spawned("kp-report", r.dir).map(\.args) == [[r.dir, "--budgets", "/etc/b.yaml"]])
        // run_end was written before the fold: the run itself was complete.
        #expect(r.end("--status") == "complete" && r.end("--exit-code") == "0")
        let saturated = Self.run("mixed-hot", budgets: "/etc/b.yaml") { t in
            t.loadExit = KPExitCode.targetSaturated.rawValue
            t.foldExit = KPExitCode.budgetBroken.rawValue
            t.foldMessage = line
        }
        #expect(saturated.code == KPExitCode.targetSaturated.rawValue)
    }

    @Test func failedLaunchEndsInLaunchInTheToolsWords() throws {
        let message = "etcd is not on PATH: install etcd or set ETCD_ENDPOINTS"
        let r = Self.run("mixed-hot") { t in t.launchFailure = (KPExitCode.missingTool.rawValue, message) }
        #expect(r.code == KPExitCode.missingTool.rawValue)
        #expect(r.end("--status") == "failed")
        #expect(r.end("--phase") == "launch")
        #expect(r.end("--exit-code") == "14")
        #expect(r.end("--reason") == "launch failed: \(message) (kp-launch exit 14)")
        // Nothing ran against a target that never came up; no kp-launch down for a kp-launch that ended.
        #expect(r.samples.isEmpty)
        #expect(r.spawned("kp-launch", "down").isEmpty)
        #expect(r.fake.spawns.map(\.tool) == ["kp-report", "kp-launch", "kp-report", "kp-report"])
        #expect(r.folded)
    }

    @Test func sigintDuringTheLoadEndsWith130AndStillFolds() throws {
        let r = Self.run("mixed-hot") { t in t.signalDuringLoad = SIGINT }
        #expect(r.code == KPExitCode.interrupted.rawValue)
        #expect(r.end("--status") == "interrupted")
        #expect(r.end("--phase") == "load")
        #expect(r.end("--exit-code") == "130")
        #expect(r.end("--reason") == "interrupted by SIGINT")
        // kp-load and the series are stopped, the target is taken down, no check runs, the fold does.
        let load = try #require(r.spawned("kp-load").first)
        #expect(r.fake.stops.contains(load.pid))
        #expect(r.samples.last == "steady")
        #expect(r.spawned("kp-report", "check").isEmpty)
        #expect(r.spawned("kp-launch", "down").count == 1)
        #expect(r.folded)
    }

    @Test func sigintStopsARepeatSetAndTheSetIsStillFolded() {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kp-run-fake-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let s = Self.settings("mixed-hot")
        let fake = FakeSupervisor()
        let tools = ScriptedTools(fake: fake, plan: RunPlan(settings: s, dir: "\(root)/r1", runName: "fake"))
        tools.signalDuringLoad = SIGINT
        let series = RunSeries(base: s, runName: "fake", supervisor: fake)
        let code = series.execute(series.repeatedItems(dir: root, settings: s, repeat: 2))
        #expect(code == KPExitCode.interrupted.rawValue)
        // r1 ran until the signal; r2 never started; the set's fold reads the runs that ended.
        #expect(fake.spawns.filter { $0.tool == "kp-launch" && $0.args.first == "up" }.count == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(root)/r2"))
        #expect(fake.spawns.last.map { [$0.tool] + $0.args } == ["kp-report", root])
        #expect(fake.running.isEmpty)
    }
}
