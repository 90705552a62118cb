import Foundation
import KPCore
import KPRecords
import KPRunModel

#if canImport(Glibc)
    import Glibc
#endif

/// How a run ended: the run_end record's status, the exit code, and one line on why.
public struct RunOutcome: Error, Sendable, Equatable {
    public var status: String
    public var exitCode: Int32
    public var reason: String?
    public init(status: String, exitCode: Int32, reason: String? = nil) {
        self.status = status
        self.exitCode = exitCode
        self.reason = reason
    }
    static let complete = RunOutcome(status: "complete", exitCode: 0)
    static func failed(_ code: Int32, _ reason: String) -> RunOutcome {
        RunOutcome(status: "failed", exitCode: code, reason: reason)
    }
}

/// Runs one scenario into one run directory: launch, the scenario's steps, report.
///
/// kp-run only sequences: each tool's verdict is its exit code and its records (kp-launch's endpoint
/// and error records, kp-bootstrap's exit code 11/12 and bootstrap_summary, kp-load's 3/6 and
/// load_final, kp-report check's code). Exit codes: docs/cli.md; faults: docs/faults.md.
public final class RunOrchestrator {
    let settings: RunSettings
    let dir: String
    let runName: String
    let sup: any ProcessSupervisor
    /// Every command this run starts comes from the plan (what `kp-run --plan` prints).
    let plan: RunPlan
    var phase = "launch"
    var launchPid: pid_t?
    var seriesPid: pid_t?
    var children: [pid_t] = []
    var loadExit: Int32 = 0
    var loadReason: String?
    /// A step's failure that ends the run after the samples right behind it (a failed load's post-load sample).
    var deferred: RunOutcome?
    /// The load phase in which kp-load found itself the limit (the run's verdict names that phase).
    var limitPhase: String?
    var deferredPhase: String?
    /// Samples that were not taken or failed (each a measurement the report will lack: exit 4 at least).
    var lostSamples: [String] = []

    public init(settings: RunSettings, dir: String, runName: String, supervisor: any ProcessSupervisor) {
        self.settings = settings
        self.dir = dir
        self.runName = runName
        self.sup = supervisor
        self.plan = RunPlan(settings: settings, dir: dir, runName: runName)
    }

    func say(_ s: String) { StandardError.write("kp-run: \(s)\n") }
    func tool(_ name: String) -> String { "\(settings.binDir)/\(name)" }
    func file(_ name: String) -> String { "\(dir)/\(name)" }

    func setPhase(_ p: String) {
        phase = p
        let file = "\(dir)/\(RunLayout.phase)"
        if (try? Data("\(p)\n".utf8).write(to: URL(fileURLWithPath: file + ".tmp"))) != nil {
            rename(file + ".tmp", file)
        }
    }

    /// Runs the whole thing; returns the exit code (after run_end and the report are written).
    /// A bad input found by kp-launch (exit 2) removes the run directory and returns 2.
    public func run() -> Int32 {
        let outcome: RunOutcome
        do {
            try launch()
            for step in settings.scenario.steps {
                if let d = deferred {
                    guard case .sample = step else { throw endDeferred(d) }
                }
                try perform(step)
            }
            if let d = deferred { throw endDeferred(d) }
            outcome = try finalCheck()
        } catch let o as RunOutcome {
            if o.status == "bad-input" {
                try? FileManager.default.removeItem(atPath: dir)
                return 2
            }
            outcome = o
        } catch {
            outcome = .failed(KPExitCode.failure.rawValue, "\(error)")
        }
        return finish(outcome)
    }

    /// The deferred failure, reported in the phase where it happened.
    func endDeferred(_ d: RunOutcome) -> RunOutcome {
        if let p = deferredPhase { setPhase(p) }
        return d
    }

    // MARK: - events

    /// Throws the run's end when a signal arrived.
    func checkSignal() throws {
        if let sig = sup.signal { throw Self.interrupted(sig) }
    }

    static func interrupted(_ sig: Int32) -> RunOutcome {
        let (name, code): (String, KPExitCode) =
            switch sig {
            case SIGINT: ("SIGINT", .interrupted)
            case SIGHUP: ("SIGHUP", .hungUp)
            default: ("SIGTERM", .terminated)
            }
        StandardError.write("kp-run: caught \(name), stopping\n")
        return RunOutcome(status: "interrupted", exitCode: code.rawValue, reason: "interrupted by \(name)")
    }

    /// The events every wait watches: a signal, kp-launch's end, or its error record (target died or stalled).
    func watch(_ s: SupervisorState, also pids: [pid_t] = []) -> SupervisorEvent? {
        if let sig = s.signal { return .signal(sig) }
        if let l = launchPid, let code = s.exits[l] { return .exited(l, code) }
        if let e = s.launchErrors.last { return .launchError(e) }
        for p in pids { if let c = s.exits[p] { return .exited(p, c) } }
        return nil
    }

    /// The target died or stalled (kp-launch said so or ended): let kp-launch finish stopping it, then end the run.
    func targetDied() -> RunOutcome {
        let crashed = KPExitCode.targetCrashed.rawValue
        guard let l = launchPid else { return .failed(crashed, "the target exited during \(phase)") }
        var code = sup.wait(until: .now + .seconds(30)) { s in
            if let c = s.exits[l] { return .exited(l, c) }
            return nil
        }
        if case .timeout = code { code = .exited(l, sup.stop(l)) }
        launchPid = nil
        guard case .exited(_, let status) = code else { return .failed(crashed, "the target exited during \(phase)") }
        let why = sup.lastLaunchError
        switch status {
        case KPExitCode.etcdFailed.rawValue:
            return .failed(status, "etcd failed during \(phase)\(why.map { ": \($0)" } ?? "")")
        case KPExitCode.targetUnreachable.rawValue:
            return .failed(status, "the target stopped answering during \(phase)\(why.map { ": \($0)" } ?? "")")
        default:
            return .failed(
                crashed, "the target exited during \(phase) (kp-launch exit \(status)\(why.map { ": \($0)" } ?? ""))")
        }
    }

    /// Handles a wait's event that is not the one waited for.
    func unexpected(_ e: SupervisorEvent) throws {
        switch e {
        case .signal(let sig): throw Self.interrupted(sig)
        case .launchError, .exited: throw targetDied()
        default: break
        }
    }

    /// After a tool failed: give kp-launch a moment to report a dead or silent target, the likelier cause.
    func settleTarget(_ d: Duration) throws {
        let e = sup.wait(until: .now + d) { self.watch($0) }
        try unexpected(e)
    }

    // MARK: - children

    /// Runs a tool to its end while watching the target; returns its exit code.
    /// If the target dies meanwhile, the tool is stopped (it writes what it measured) and the run ends.
    func runTool(_ name: String, _ args: [String], stdout: SupervisorOutput, stderr: SupervisorOutput) throws
        -> ToolExit
    {
        try runTools([(name, args, stdout, stderr)])[0]
    }

    /// A tool that ran to its end: its pid (for the error line kp-run kept, ``ProcessSupervisor/errorLine(_:)``)
    /// and its exit code.
    struct ToolExit {
        var pid: pid_t
        var code: Int32
    }

    /// How long a tool stopped mid-step (SIGTERM) gets to write its last records before SIGKILL: the
    /// request timeout plus 2 s, so that a kp-load whose requests hang on a stalled target still drains
    /// them (it waits at most the request timeout + 1 s) and writes `load_final`; 5 s at the least.
    var toolStopGrace: Duration { max(.seconds(5), settings.requestTimeout.duration + .seconds(2)) }

    /// Runs tools side by side (kp-load shards); returns their exits in order. With `every`, wakes
    /// that often (no process spawned) to run `check` until the tools end; without, sleeps until one
    /// of them exits or the target dies.
    func runTools(
        _ tools: [(String, [String], SupervisorOutput, SupervisorOutput)], every: Duration? = nil,
        check: (() throws -> Void)? = nil
    ) throws -> [ToolExit] {
        var pids: [pid_t] = []
        for (name, args, out, err) in tools {
            let pid = try sup.spawn(tool(name), args, stdout: out, stderr: err)
            pids.append(pid)
            children.append(pid)
        }
        defer { children.removeAll { pids.contains($0) } }
        while !pids.allSatisfy({ sup.exitStatus($0) != nil }) {
            let e = sup.wait(until: every.map { .now + $0 }) { s in
                if let ev = self.watch(s) { return ev }
                return pids.allSatisfy { s.exits[$0] != nil } ? .exited(pids[0], s.exits[pids[0]]!) : nil
            }
            switch e {
            case .exited(let p, _) where pids.contains(p): continue
            case .signal, .launchError, .exited:
                for p in pids { sup.stop(p, grace: toolStopGrace) }
                try unexpected(e)
            default: break
            }
            try check?()
        }
        return pids.map { ToolExit(pid: $0, code: sup.exitStatus($0)!) }
    }

    // MARK: - phases

    func launch() throws {
        let c = plan.launch()
        setPhase(c.phase)
        let log = file(c.stderr!)
        let mark = ToolVerdict.mark(records: file(c.stdout!), log: log)
        let l = try sup.spawn(
            tool(c.tool), c.args, stdout: .launchRecords(file(c.stdout!)), stderr: .log(log),
            environment: settings.environment)
        launchPid = l
        var announced = false
        let started = ContinuousClock.now
        while true {
            let e = sup.wait(until: announced ? nil : started + .seconds(2)) { s in
                if let sig = s.signal { return .signal(sig) }
                if s.endpoint != nil { return .endpoint }
                if let c = s.exits[l] { return .exited(l, c) }
                return nil
            }
            switch e {
            case .endpoint:
                break
            case .timeout:
                announced = true
                say("launch: starting the target (run dir \(dir); log \(dir)/logs/kp-launch.log)")
                continue
            case .signal(let sig):
                throw Self.interrupted(sig)
            case .exited(_, var code):
                launchPid = nil
                let said = ToolVerdict.reason(tool: "kp-launch", since: mark, stderrLine: sup.errorLine(l))
                if code == KPExitCode.badInput.rawValue {
                    // Bad input to kp-launch (a file, a flag, a port): nothing was started; its one line is the message.
                    say("kp-launch: error: \(said ?? "bad input (exit 2)")")
                    throw RunOutcome(status: "bad-input", exitCode: code)
                }
                if code == 0 { code = KPExitCode.failure.rawValue }
                // kp-launch's own words reach the terminal and the report; its codes pass through
                // (10, 11, 13, 14 missing tool, 1).
                if let said { StandardError.write("kp-launch: error: \(said)\n") }
                throw RunOutcome.failed(
                    code, "launch failed: \(said ?? "kp-launch exit \(code) without a reason") (kp-launch exit \(code))"
                )
            default:
                continue
            }
            break
        }
        if sup.endpointRecord?.emulator == true {
            say("target is kp-sim, the bundled emulator: these numbers describe kp-sim, not the kplane apiserver")
        }
        try sample(Scenario.launchSample.phase, pprof: Scenario.launchSample.pprof)
        let series = plan.series()
        seriesPid = try sup.spawn(
            tool(series.tool), series.args, stdout: .append(file(series.stdout!)),
            stderr: .append(file(series.stderr!)))
    }

    func perform(_ step: Scenario.Step) throws {
        switch step {
        case .wait(let w): try phaseWait(w.rawValue, settings.duration(w))
        case .sample(let name, let pprof): try sample(name, pprof: pprof)
        case .bootstrap: try bootstrap()
        case .load(let l): try load(l)
        case .teardown: try teardown()
        case .snapshotWarm: try snapshotWarm()
        case .scrapeCost: if settings.scrapeCost { try scrapeCost() }
        case .churn(let k): try churn(cycle: k)
        case .restart: try restart()
        case .firstRequests: try firstRequests()
        }
    }

    /// kp-launch restart: the target stopped and started again keeping its storage. A failed restart
    /// ends the run (kp-launch up ends it too, as a target failure, which the wait after it sees).
    func restart() throws {
        setPhase("restart")
        say("restart: stopping the target and starting it again with the same storage")
        try toolStep(plan.restart()) { code, said in
            "restart: kp-launch restart exit \(code)\(said.map { ": \($0)" } ?? "")"
        }
    }

    /// kp-bootstrap --first-request: every bootstrapped VCP's first request after the restart; any
    /// VCP that does not answer 200 in time fails the run.
    func firstRequests() throws {
        setPhase("first-requests")
        say("first-requests: each VCP's first request after the restart, \(settings.workers) at a time")
        try toolStep(plan.firstRequests()) { code, said in
            var summary: FirstRequestSummaryRecord?
            if let items = try? JSONLReader.read(path: "\(self.dir)/\(RunLayout.firstRequests)") {
                for case .success(.firstRequestSummary(let s)) in items { summary = s }
            }
            let failed = summary.map { "\($0.failed) of \($0.clusters) clusters" } ?? "clusters"
            let first = summary?.firstError.map { "; first: \(String($0.prefix(240)))" } ?? ""
            let own = summary == nil ? (said.map { ": \($0)" } ?? "") : ""
            return "first-requests: \(failed) failed\(first) (kp-bootstrap --first-request exit \(code)\(own))"
        }
    }

    /// One churn cycle: kp-bootstrap --teardown over the cycle's oldest VCPs, then kp-bootstrap over as
    /// many new names (``RunPlan/churn(cycle:)``), into churn.jsonl. Either failing fails the run.
    func churn(cycle k: Int) throws {
        let p = settings.churnPlan
        setPhase(ChurnPlan.phase(cycle: k))
        say("churn cycle \(k) of \(p.cycles): deleting the \(p.perCycle) oldest VCPs, creating \(p.perCycle) new ones")
        let commands = plan.churn(cycle: k)
        try toolStep(commands[0]) { code, said in
            "churn cycle \(k): deleting \(p.perCycle) VCPs failed (kp-bootstrap --teardown exit \(code)\(said.map { ": \($0)" } ?? ""))"
        }
        try toolStep(commands[1]) { code, said in
            "churn cycle \(k): creating \(p.perCycle) VCPs failed (kp-bootstrap exit \(code)\(said.map { ": \($0)" } ?? ""))"
        }
    }

    /// kp-scrape --burst: what one /metrics scrape costs the server, into samples.jsonl. Not a sample:
    /// a failed burst is said and leaves the report's observer-cost section unmeasured, the run goes on
    /// (its exit 11, no answer in time, gives kp-launch's stall watch the time to decide).
    func scrapeCost() throws {
        let c = plan.scrapeCost()
        setPhase(c.phase)
        let log = file(c.stderr!)
        let mark = ToolVerdict.mark(records: nil, log: log)
        let exit = try runTool(c.tool, c.args, stdout: .append(file(c.stdout!)), stderr: .log(log))
        if exit.code != 0 {
            try checkSignal()
            let said =
                ToolVerdict.reason(tool: "kp-scrape", since: mark, stderrLine: sup.errorLine(exit.pid))
                ?? "kp-scrape exit \(exit.code)"
            say("\(said) (the scrape cost is not measured; see \(c.stderr!))")
            if exit.code == KPExitCode.targetUnreachable.rawValue {
                try settleTarget(settings.requestTimeout.duration + .seconds(2))
            }
        }
        try unexpected(sup.wait(until: .now) { self.watch($0) })
    }

    /// kp-load --snapshot-warm-pass over the clusters whose bootstrap finished ok: one
    /// `snapshot?warm=true` per VCP, into snapshot-warm.jsonl. A failed warm fails the run.
    func snapshotWarm() throws {
        setPhase("snapshot-warm")
        say("snapshot-warm: GET …/snapshot?warm=true once per bootstrapped VCP, one at a time")
        try toolStep(plan.snapshotWarm()) { code, said in
            "snapshot-warm: kp-load --snapshot-warm-pass exit \(code)\(said.map { ": \($0)" } ?? "")"
        }
    }

    /// kp-bootstrap --teardown over the clusters whose bootstrap finished ok; its verdict is its exit
    /// code, its counts the teardown_summary record.
    func teardown() throws {
        setPhase("teardown")
        say("teardown: deleting each VCP's test objects and CRD (and its etcd keys when this run controls etcd)")
        try toolStep(plan.teardown()) { code, said in
            var summary: TeardownSummaryRecord?
            if let items = try? JSONLReader.read(path: "\(self.dir)/\(RunLayout.teardown)") {
                for case .success(.teardownSummary(let s)) in items { summary = s }
            }
            let failed = summary.map { "\($0.failed) of \($0.clusters) clusters" } ?? "clusters"
            return "teardown: \(failed) failed (kp-bootstrap --teardown exit \(code)\(said.map { ": \($0)" } ?? ""))"
        }
    }

    /// Runs one tool step to its end while watching the target. On a non-zero exit it gives kp-launch
    /// a moment to report a dead or silent target (the likelier cause), then ends the run with the
    /// tool's exit code and `describe(code, the tool's own reason)`, naming the records and log.
    /// A tool's bad-input code (2) here is a failure (1): kp-run checked every input before launch.
    func toolStep(_ c: RunPlan.Command, describe: (Int32, String?) -> String) throws {
        let records = c.stdout!
        let log = c.stderr!
        let logPath = file(log)
        let mark = ToolVerdict.mark(records: file(records), log: logPath)
        let exit = try runTool(c.tool, c.args, stdout: .append(file(records)), stderr: .tee(logPath))
        let code = exit.code
        try unexpected(sup.wait(until: .now) { self.watch($0) })
        guard code != 0 else { return }
        try checkSignal()
        try settleTarget(.seconds(2))
        let said = ToolVerdict.reason(tool: c.tool, since: mark, stderrLine: sup.errorLine(exit.pid))
        throw RunOutcome.failed(
            code == KPExitCode.badInput.rawValue ? KPExitCode.failure.rawValue : code,
            "\(describe(code, said)) (see \(records) and \(log))")
    }

    /// Sleeps for a phase in one timed wait (woken by signals and kp-launch's events), with a countdown on a terminal.
    func phaseWait(_ name: String, _ d: RunDuration) throws {
        setPhase(name)
        say("\(name): waiting \(d.text)")
        let end = ContinuousClock.now + d.duration
        let tty = isatty(2) != 0
        let draw = {
            let left = max(0, ContinuousClock.now.duration(to: end).components.seconds + 1)
            StandardError.write("\r\u{1B}[2K[\(name)] \(left)s left")
        }
        if tty { draw() }
        let e = sup.wait(until: end, tick: tty ? .seconds(1) : nil, onTick: tty ? draw : nil) { self.watch($0) }
        if tty { StandardError.write("\r\u{1B}[2K") }
        try unexpected(e)
    }

    /// One kp-scrape sample. A failed sample does not end the run (the report shows it missing and
    /// the run exits 4 at least); kp-scrape's exit 11 (no answer in time) gives kp-launch's stall
    /// watch the time to decide whether the target stalled.
    func sample(_ name: String, pprof: Bool) throws {
        setPhase(name)
        let c = plan.sample(name, pprof: pprof)
        let path = file(c.stdout!)
        let log = file(c.stderr!)
        let mark = ToolVerdict.mark(records: nil, log: log)
        let exit = try runTool(c.tool, c.args, stdout: .append(path), stderr: .log(log))
        let code = exit.code
        if code != 0 {
            try checkSignal()
            lostSamples.append(name)
            let said =
                ToolVerdict.reason(tool: "kp-scrape", since: mark, stderrLine: sup.errorLine(exit.pid))
                ?? "kp-scrape exit \(code)"
            say("\(said) (recorded as missing; see \(c.stderr!))")
            if code == KPExitCode.targetUnreachable.rawValue {
                try settleTarget(settings.requestTimeout.duration + .seconds(2))
            }
        }
        try unexpected(sup.wait(until: .now) { self.watch($0) })
    }

    func bootstrap() throws {
        setPhase("bootstrap")
        say("bootstrap: \(settings.clusters) clusters over \(settings.workers) workers")
        // kp-bootstrap's verdict is its exit code (11: no answer in time, 12: the target's errors); its
        // summary record gives the counts and the first error.
        try toolStep(plan.bootstrap()) { code, said in
            var summary: BootstrapSummaryRecord?
            if let items = try? JSONLReader.read(path: "\(self.dir)/\(RunLayout.bootstrap)") {
                for case .success(.bootstrapSummary(let s)) in items { summary = s }
            }
            let failed = summary.map { "\($0.failed) of \($0.clusters) clusters" } ?? "clusters"
            let first = summary?.firstError.map { "; first: \(String($0.prefix(240)))" } ?? ""
            let why =
                switch code {
                case KPExitCode.targetUnreachable.rawValue: " got no answer in time (target stalled or unreachable)"
                case KPExitCode.targetErrors.rawValue: " failed on the target's errors"
                default: " failed"
                }
            let own = summary == nil ? (said.map { ": \($0)" } ?? "") : ""
            return "bootstrap: \(failed)\(why)\(first) (kp-bootstrap exit \(code)\(own))"
        }
    }

    /// Severity of a kp-load exit code, for combining shards (worst wins): failure > generator-limited > saturated > ok.
    static func loadSeverity(_ code: Int32) -> Int {
        switch code {
        case KPExitCode.ok.rawValue: 0
        case KPExitCode.targetSaturated.rawValue: 1
        case KPExitCode.generatorLimited.rawValue: 2
        default: 3
        }
    }

    /// One load phase of the scenario (``Scenario/Load``): kp-load, or `--load-shards` of them side by
    /// side, all with the run's seed, so every shard and every load phase of the run draws the same
    /// hot clusters. The sample the phase takes while it runs, if any, is the step's own; the
    /// scenario's next steps take the samples after it.
    func load(_ l: Scenario.Load) throws {
        setPhase(l.phase)
        let s = settings
        if let knee = s.knee {
            say(
                "load: \(s.scenario.name), knee search over \(knee.steps) ops/s in all, each step for \(s.loadDuration.text), \(RunSettings.number(s.hotPercent))% hot at \(RunSettings.number(s.writeRPS)):\(RunSettings.number(s.readRPS)) writes:reads, seed \(s.seed)"
            )
        } else {
            say(
                "load: \(s.scenario.name), \(RunSettings.number(s.hotPercent))% hot, \(RunSettings.number(s.writeRPS)) w/s + \(RunSettings.number(s.readRPS)) r/s\(l.snapshotReads ? " + \(RunSettings.number(s.snapshotRPS)) snapshot/s" : "") per hot cluster for \(s.loadDuration.text)\(s.loadShards > 1 ? " in \(s.loadShards) shards" : "")\(l.watchers ? ", \(s.watchersPerCluster) watch streams per hot cluster" : ""), seed \(s.seed)"
            )
        }
        var tools: [(String, [String], SupervisorOutput, SupervisorOutput)] = []
        var files: [String] = []
        var marks: [ToolVerdict.Mark] = []
        for c in plan.load(l) {
            files.append(file(c.stdout!))
            tools.append((c.tool, c.args, .append(file(c.stdout!)), .tee(file(c.stderr!))))
            marks.append(ToolVerdict.mark(records: file(c.stdout!), log: file(c.stderr!)))
        }
        let exits: [ToolExit]
        if let during = l.sampleDuring {
            exits = try runToolsSampling(
                tools, file: files[0], marker: l.watchers ? .watchInterval : .loadInterval, sample: during,
                phase: l.phase)
        } else {
            exits = try runTools(tools)
        }
        let codes = exits.map(\.code)
        try unexpected(sup.wait(until: .now) { self.watch($0) })
        try checkSignal()
        var worst = 0
        for (i, c) in codes.enumerated() where Self.loadSeverity(c) > Self.loadSeverity(codes[worst]) { worst = i }
        let code = codes[worst]
        if Self.loadSeverity(code) > Self.loadSeverity(loadExit) { loadExit = code }
        let who = s.loadShards > 1 ? "kp-load shard \(worst)/\(s.loadShards)" : "kp-load"
        let file = (files[worst] as NSString).lastPathComponent
        // kp-load states its verdict itself: its exit code and its last error record (or error line).
        let said = ToolVerdict.reason(
            tool: "kp-load", since: marks[worst],
            stderrLine: sup.errorLine(exits[worst].pid))
        switch code {
        case KPExitCode.ok.rawValue: return
        case KPExitCode.generatorLimited.rawValue:
            limitPhase = l.phase
            loadReason =
                said.map { "\(who): \($0)" }
                ?? "\(who) could not keep its schedule: the generator, not the server, limited this run"
        case KPExitCode.targetSaturated.rawValue:
            if loadReason == nil {
                loadReason = "target saturated: \(achieved(files)) (\(who) exit 6; latencies are the server's)"
            }
        default:
            try settleTarget(.seconds(2))
            let reason = "load: \(who) exit \(code)\(said.map { ": \($0)" } ?? "") (see \(file) and logs/)"
            // The samples that follow the load still describe it: they are taken, then the run ends.
            deferred = RunOutcome.failed(
                code == KPExitCode.badInput.rawValue ? KPExitCode.failure.rawValue : code, reason)
            deferredPhase = l.phase
        }
    }

    /// ``runTools(_:)`` with one sample taken while the tools run: once `file` holds a `marker`
    /// record (kp-load's first interval: its schedule, and its watchers, are running), plus a third of
    /// the load duration (at least 1 s). When the tools end first, the sample is not taken (said on
    /// stderr; the report shows it missing) rather than taken after the phase it stands for.
    func runToolsSampling(
        _ tools: [(String, [String], SupervisorOutput, SupervisorOutput)], file: String, marker: RecordKind,
        sample name: String, phase: String
    ) throws -> [ToolExit] {
        let settle = max(Duration.seconds(1), settings.loadDuration.duration / 3)
        var sampleAt: ContinuousClock.Instant?
        var sampled = false
        let exits = try runTools(tools, every: .milliseconds(250)) {
            if sampled { return }
            // Read until the marker shows up (kp-load's first window, about a second in: a short file).
            if sampleAt == nil, let items = try? JSONLReader.read(path: file),
                items.contains(where: { if case .success(let r) = $0 { r.kind == marker } else { false } })
            {
                sampleAt = .now + settle
            }
            if let at = sampleAt, ContinuousClock.now >= at {
                sampled = true
                try self.sample(name, pprof: true)
                self.setPhase(phase)
            }
        }
        if !sampled {
            say("sample '\(name)' not taken: kp-load ended before its load had run for a third of --load-duration")
        }
        return exits
    }

    /// "achieved X of Y ops/s" summed over the load files' load_final records.
    func achieved(_ files: [String]) -> String {
        var target = 0.0
        var got = 0.0
        for f in files {
            guard let items = try? JSONLReader.read(path: f) else { continue }
            for case .success(.loadFinal(let r)) in items {
                target += r.targetRps.values.reduce(0, +)
                got += r.achievedRps.values.reduce(0, +)
            }
        }
        return String(format: "achieved %.0f of %.0f ops/s", got, target)
    }

    /// Every phase ran: did the run get everything it set out to measure? `kp-report check` judges
    /// the records (missing samples or profiles: 4; load errors over the limit: 12); a check that
    /// cannot judge fails the run in its own words.
    func finalCheck() throws -> RunOutcome {
        let c = plan.check()
        setPhase(c.phase)
        let log = file(c.stderr!)
        let mark = ToolVerdict.mark(records: nil, log: log)
        let pid = try sup.spawn(tool(c.tool), c.args, stdout: .capture, stderr: .log(log))
        guard let crc = sup.waitExit(pid, ignoringSignals: true) else {
            return .failed(KPExitCode.failure.rawValue, "kp-report check did not end")
        }
        try checkSignal()
        let check = sup.captured(pid).trimmingCharacters(in: .whitespacesAndNewlines)
        let generatorLimited = loadExit == KPExitCode.generatorLimited.rawValue
        switch crc {
        case KPExitCode.ok.rawValue:
            if !lostSamples.isEmpty && !generatorLimited {
                return RunOutcome(
                    status: "incomplete", exitCode: KPExitCode.incompleteData.rawValue,
                    reason: "sample\(lostSamples.count == 1 ? "" : "s") \(lostSamples.joined(separator: ", ")) failed")
            }
        case KPExitCode.targetErrors.rawValue:
            // Errors of a generator-limited phase are not the target's to answer for (late writes
            // bunch up and conflict): the generator's verdict stands, with the errors beside it.
            if !generatorLimited {
                if let p = settings.scenario.loads.last?.phase { setPhase(p) }
                throw RunOutcome.failed(crc, check)
            }
        case KPExitCode.incompleteData.rawValue:
            if !generatorLimited {
                return RunOutcome(status: "incomplete", exitCode: crc, reason: check)
            }
        default:
            let said =
                ToolVerdict.reason(tool: "kp-report", since: mark, stderrLine: sup.errorLine(pid))
                ?? (check.isEmpty ? nil : check)
            return .failed(
                crc == KPExitCode.badInput.rawValue ? KPExitCode.failure.rawValue : crc,
                "kp-report check could not judge the run: \(said ?? "exit \(crc)") (see \(c.stderr!))")
        }
        if generatorLimited {
            if let p = limitPhase { setPhase(p) }
            return .failed(loadExit, loadReason! + (check.isEmpty ? "" : "; also \(check)"))
        }
        if loadExit == KPExitCode.targetSaturated.rawValue {
            // A saturated target is a valid run: the report stands, the code says what was measured.
            return RunOutcome(status: "complete", exitCode: loadExit, reason: loadReason)
        }
        return .complete
    }

    // MARK: - end

    /// Stops everything started, writes run_end, folds the report. Signals are held off meanwhile
    /// (they stay ignored; the first one already decided the outcome). A run_end or report that
    /// cannot be written fails a run that had not failed already, with kp-report's own reason.
    func finish(_ o: RunOutcome) -> Int32 {
        var o = o
        for c in children { sup.stop(c, grace: toolStopGrace) }
        children = []
        if let s = seriesPid { sup.stop(s) }
        if let l = launchPid {
            let c = plan.down()
            if let down = try? sup.spawn(
                tool(c.tool), c.args, stdout: .append(file(c.stdout!)), stderr: .append(file(c.stderr!)))
            {
                _ = sup.waitExit(down, ignoringSignals: true)
            }
            // kp-launch down asks kp-launch up to stop; give it time to stop the target and etcd.
            if sup.wait(until: .now + .seconds(30), { $0.exits[l].map { .exited(l, $0) } }) == .timeout { sup.stop(l) }
            launchPid = nil
        }
        unlink("\(dir)/\(RunLayout.phase).tmp")
        // The fold reads run_end: a run that cannot record its end is reported as failed by the fold too.
        var failures: [String] = []
        var budget: String?
        func report(_ c: RunPlan.Command) -> Bool {
            let log = file(c.stderr!)
            let mark = ToolVerdict.mark(records: nil, log: log)
            let stdout: SupervisorOutput = c.stdout.map { .append(file($0)) } ?? .inherit
            guard let p = try? sup.spawn(tool(c.tool), c.args, stdout: stdout, stderr: .log(log)) else {
                failures.append("kp-report could not be started")
                return false
            }
            let code = sup.waitExit(p, ignoringSignals: true) ?? 1
            if code == KPExitCode.budgetBroken.rawValue, settings.budgets != nil, c.args.first == dir {
                // The fold held the run against --budgets and an error budget broke: its verdict, passed on.
                budget =
                    ToolVerdict.reason(tool: "kp-report", since: mark, stderrLine: sup.errorLine(p))
                    ?? "an error budget broke (\(dir)/\(RunLayout.summary), Budgets)"
                return true
            }
            if code != 0 {
                failures.append(
                    ToolVerdict.reason(tool: "kp-report", since: mark, stderrLine: sup.errorLine(p))
                        ?? "kp-report \(c.args[0]) exit \(code)")
            }
            return code == 0
        }
        _ = report(plan.end(status: o.status, phase: phase, exitCode: o.exitCode, reason: o.reason))
        let folded = report(plan.fold())
        // The history gets complete runs only (a partial run's figures would read as a change).
        if folded, o.status == "complete", let h = plan.historyAdd() { _ = report(h) }
        if let budget {
            // A run that went well ends with the budget's code; any other code says more and stands.
            if o.exitCode == 0 {
                o = RunOutcome(status: o.status, exitCode: KPExitCode.budgetBroken.rawValue, reason: budget)
            } else {
                say("also: \(budget)")
            }
        }
        if !failures.isEmpty {
            let why = failures.joined(separator: "; ")
            say("the report of \(dir) could not be written: \(why)")
            if o.status == "complete" || o.status == "incomplete" {
                o = .failed(KPExitCode.failure.rawValue, "report: \(why)")
                phase = "report"
            }
        }
        if o.status == "complete" {
            say(
                "done: \(dir)/\(RunLayout.summary) (charts: \(dir)/\(RunLayout.reportHTML))\(o.reason.map { "; \($0)" } ?? "")"
            )
        } else {
            let partial = folded ? "; partial report in \(dir)/\(RunLayout.summary)" : ""
            say("run \(o.status) in phase '\(phase)'\(o.reason.map { ": \($0)" } ?? "")\(partial)")
        }
        return o.exitCode
    }

    /// Writes the run_meta record (before launch).
    public func writeMeta() throws {
        let c = plan.meta()
        let p = try sup.spawn(tool(c.tool), c.args, stdout: .append(file(c.stdout!)), stderr: .inherit)
        guard sup.waitExit(p, ignoringSignals: true) == 0 else {
            throw RunOutcome.failed(KPExitCode.badInput.rawValue, "kp-report meta failed")
        }
    }
}
