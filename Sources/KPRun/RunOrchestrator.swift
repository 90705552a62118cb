import Foundation
import KPRecords

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
    let sup: Supervisor
    var phase = "launch"
    var launchPid: pid_t?
    var seriesPid: pid_t?
    var children: [pid_t] = []
    var loadExit: Int32 = 0
    var loadReason: String?

    public init(settings: RunSettings, dir: String, runName: String, supervisor: Supervisor) {
        self.settings = settings
        self.dir = dir
        self.runName = runName
        self.sup = supervisor
    }

    func say(_ s: String) { FileHandle.standardError.write(Data("kp-run: \(s)\n".utf8)) }
    func tool(_ name: String) -> String { "\(settings.binDir)/\(name)" }

    func setPhase(_ p: String) {
        phase = p
        let tmp = "\(dir)/phase.tmp"
        if (try? Data("\(p)\n".utf8).write(to: URL(fileURLWithPath: tmp))) != nil { rename(tmp, "\(dir)/phase") }
    }

    /// Runs the whole thing; returns the exit code (after run_end and the report are written).
    /// A bad input found by kp-launch (exit 2) removes the run directory and returns 2.
    public func run() -> Int32 {
        let outcome: RunOutcome
        do {
            try launch()
            for step in settings.scenario.steps { try perform(step) }
            outcome = try finalCheck()
        } catch let o as RunOutcome {
            if o.status == "bad-input" {
                try? FileManager.default.removeItem(atPath: dir)
                return 2
            }
            outcome = o
        } catch {
            outcome = .failed(1, "\(error)")
        }
        return finish(outcome)
    }

    // MARK: - events

    /// Throws the run's end when a signal arrived.
    func checkSignal() throws {
        if let sig = sup.signal { throw Self.interrupted(sig) }
    }

    static func interrupted(_ sig: Int32) -> RunOutcome {
        let (name, code): (String, Int32) =
            switch sig {
            case SIGINT: ("SIGINT", 130)
            case SIGHUP: ("SIGHUP", 129)
            default: ("SIGTERM", 143)
            }
        FileHandle.standardError.write(Data("kp-run: caught \(name), stopping\n".utf8))
        return RunOutcome(status: "interrupted", exitCode: code, reason: "interrupted by \(name)")
    }

    /// The events every wait watches: a signal, kp-launch's end, or its error record (target died or stalled).
    func watch(_ s: Supervisor.State, also pids: [pid_t] = []) -> Supervisor.Event? {
        if let sig = s.signal { return .signal(sig) }
        if let l = launchPid, let code = s.exits[l] { return .exited(l, code) }
        if let e = s.launchErrors.last { return .launchError(e) }
        for p in pids { if let c = s.exits[p] { return .exited(p, c) } }
        return nil
    }

    /// The target died or stalled (kp-launch said so or ended): let kp-launch finish stopping it, then end the run.
    func targetDied() -> RunOutcome {
        guard let l = launchPid else { return .failed(10, "the target exited during \(phase)") }
        var code = sup.wait(until: .now + .seconds(30)) { s in
            if let c = s.exits[l] { return .exited(l, c) }
            return nil
        }
        if case .timeout = code { code = .exited(l, sup.stop(l)) }
        launchPid = nil
        guard case .exited(_, let status) = code else { return .failed(10, "the target exited during \(phase)") }
        let why = sup.lastLaunchError
        switch status {
        case 13: return .failed(13, "etcd failed during \(phase)\(why.map { ": \($0)" } ?? "")")
        case 11: return .failed(11, "the target stopped answering during \(phase)\(why.map { ": \($0)" } ?? "")")
        default:
            return .failed(
                10, "the target exited during \(phase) (kp-launch exit \(status)\(why.map { ": \($0)" } ?? ""))")
        }
    }

    /// Handles a wait's event that is not the one waited for.
    func unexpected(_ e: Supervisor.Event) throws {
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
    func runTool(_ name: String, _ args: [String], stdout: Supervisor.Output, stderr: Supervisor.Output) throws -> Int32
    {
        try runTools([(name, args, stdout, stderr)])[0]
    }

    /// Runs tools side by side (kp-load shards); returns their exit codes in order. With `every`, wakes
    /// that often (no process spawned) to run `check` until the tools end; without, sleeps until one
    /// of them exits or the target dies.
    func runTools(
        _ tools: [(String, [String], Supervisor.Output, Supervisor.Output)], every: Duration? = nil,
        check: (() throws -> Void)? = nil
    ) throws -> [Int32] {
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
                for p in pids { sup.stop(p) }
                try unexpected(e)
            default: break
            }
            try check?()
        }
        return pids.map { sup.exitStatus($0)! }
    }

    // MARK: - phases

    func launch() throws {
        var args = ["up", "--run-dir", dir, "--stall-timeout", settings.requestTimeout.text]
        if settings.sim { args += ["--mode", "sim"] }
        args += settings.launchArgs
        setPhase("launch")
        let l = try sup.spawn(
            tool("kp-launch"), args, stdout: .launchRecords("\(dir)/launch.jsonl"),
            stderr: .append("\(dir)/logs/kp-launch.log"), environment: settings.environment)
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
                if code == 2 {
                    // Bad input to kp-launch (a file, a flag, a port): nothing was started; its one line is the message.
                    let log = (try? String(contentsOfFile: "\(dir)/logs/kp-launch.log", encoding: .utf8)) ?? ""
                    let line =
                        log.split(separator: "\n").last.map(String.init) ?? "kp-launch: error: bad input (exit 2)"
                    FileHandle.standardError.write(Data("\(line)\n".utf8))
                    throw RunOutcome(status: "bad-input", exitCode: 2)
                }
                if code == 0 { code = 1 }
                let why = sup.lastLaunchError.map { ": \($0)" } ?? "; see logs/kp-launch.log"
                if let m = sup.lastLaunchError { FileHandle.standardError.write(Data("kp-launch: error: \(m)\n".utf8)) }
                // kp-launch's codes pass through: 10, 11, 13, 14 (missing tool), 1.
                throw RunOutcome.failed(code, "launch failed (kp-launch exit \(code)\(why))")
            default:
                continue
            }
            break
        }
        if sup.endpointRecord?.emulator == true {
            say("target is kp-sim, the bundled emulator: these numbers describe kp-sim, not the kplane apiserver")
        }
        try sample("launch", pprof: false)
        seriesPid = try sup.spawn(
            tool("kp-scrape"),
            [
                "--endpoint", "\(dir)/endpoint.json", "--interval", settings.seriesInterval.text, "--timeout",
                settings.requestTimeout.text,
            ],
            stdout: .append("\(dir)/timeseries.jsonl"), stderr: .append("\(dir)/logs/kp-scrape-series.log"))
    }

    func perform(_ step: Scenario.Step) throws {
        switch step {
        case .wait(let w): try phaseWait(w.rawValue, settings.duration(w))
        case .sample(let name, let pprof): try sample(name, pprof: pprof)
        case .bootstrap: try bootstrap()
        case .load: try load()
        case .loadSampled(let watchers, let name): try load(watchers: watchers, midSample: name)
        case .teardown: try teardown()
        case .snapshotWarm: try snapshotWarm()
        }
    }

    /// kp-load --snapshot-warm-pass over the clusters whose bootstrap finished ok: one
    /// `snapshot?warm=true` per VCP, into snapshot-warm.jsonl. A failed warm fails the run (exit 12).
    func snapshotWarm() throws {
        setPhase("snapshot-warm")
        say("snapshot-warm: GET …/snapshot?warm=true once per bootstrapped VCP, one at a time")
        var args = [
            "--endpoint", "\(dir)/endpoint.json", "--bootstrap", "\(dir)/bootstrap.jsonl", "--clusters",
            "\(settings.clusters)", "--snapshot-warm-pass", "--request-timeout", settings.requestTimeout.text,
        ]
        if let nameFormat = settings.nameFormat { args += ["--name-format", nameFormat] }
        if !settings.snapshotResources.isEmpty { args += ["--snapshot-resources", settings.snapshotResources] }
        let code = try runTool(
            "kp-load", args, stdout: .append("\(dir)/snapshot-warm.jsonl"),
            stderr: .tee("\(dir)/logs/kp-snapshot-warm.log"))
        try unexpected(sup.wait(until: .now) { self.watch($0) })
        guard code != 0 else { return }
        try checkSignal()
        try settleTarget(.seconds(2))
        throw RunOutcome.failed(
            code == 2 ? 1 : code,
            "snapshot-warm: kp-load --snapshot-warm-pass exit \(code)\(lastError("\(dir)/snapshot-warm.jsonl").map { ": \($0)" } ?? "") (see snapshot-warm.jsonl and logs/kp-snapshot-warm.log)"
        )
    }

    /// kp-bootstrap --teardown over the clusters whose bootstrap finished ok; its verdict is its exit
    /// code, its counts the teardown_summary record.
    func teardown() throws {
        setPhase("teardown")
        say("teardown: deleting each VCP's test objects and CRD (and its etcd keys when this run controls etcd)")
        let args = [
            "--endpoint", "\(dir)/endpoint.json", "--teardown", "--bootstrap", "\(dir)/bootstrap.jsonl",
            "--workers", "\(settings.workers)", "--request-timeout", settings.requestTimeout.text,
        ]
        let code = try runTool(
            "kp-bootstrap", args, stdout: .append("\(dir)/teardown.jsonl"), stderr: .tee("\(dir)/logs/kp-teardown.log"))
        try unexpected(sup.wait(until: .now) { self.watch($0) })
        guard code != 0 else { return }
        try checkSignal()
        try settleTarget(.seconds(2))
        var summary: TeardownSummaryRecord?
        if let items = try? JSONLReader.read(path: "\(dir)/teardown.jsonl") {
            for case .success(.teardownSummary(let s)) in items { summary = s }
        }
        let failed = summary.map { "\($0.failed) of \($0.clusters) clusters" } ?? "clusters"
        throw RunOutcome.failed(
            code == 2 ? 1 : code,
            "teardown: \(failed) failed (kp-bootstrap --teardown exit \(code); see teardown.jsonl and logs/kp-teardown.log)"
        )
    }

    /// Sleeps for a phase in one timed wait (woken by signals and kp-launch's events), with a countdown on a terminal.
    func phaseWait(_ name: String, _ d: RunDuration) throws {
        setPhase(name)
        say("\(name): waiting \(d.text)")
        let end = ContinuousClock.now + d.duration
        let tty = isatty(2) != 0
        let draw = {
            let left = max(0, ContinuousClock.now.duration(to: end).components.seconds + 1)
            FileHandle.standardError.write(Data("\r\u{1B}[2K[\(name)] \(left)s left".utf8))
        }
        if tty { draw() }
        let e = sup.wait(until: end, tick: tty ? .seconds(1) : nil, onTick: tty ? draw : nil) { self.watch($0) }
        if tty { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        try unexpected(e)
    }

    func sample(_ name: String, pprof: Bool) throws {
        setPhase(name)
        var args = [
            "--endpoint", "\(dir)/endpoint.json", "--phase", name, "--timeout", settings.requestTimeout.text,
            "--metric", "apiserver_request_duration_seconds", "--metric", "apiserver_request_total",
        ]
        if pprof { args += ["--pprof", "\(dir)/pprof", "--scenario", runName] }
        let path = "\(dir)/samples.jsonl"
        let before = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let code = try runTool("kp-scrape", args, stdout: .append(path), stderr: .append("\(dir)/logs/kp-scrape.log"))
        if code != 0 {
            try checkSignal()
            say("sample '\(name)' failed (recorded as missing; see \(dir)/logs/kp-scrape.log)")
            // A scrape that took the whole request timeout may be the first sign of a stall: let kp-launch's stall watch decide.
            if timedOut(path, from: before) { try settleTarget(settings.requestTimeout.duration + .seconds(2)) }
        }
        try unexpected(sup.wait(until: .now) { self.watch($0) })
    }

    /// True when a sample record written after `offset` took the whole request timeout (no answer).
    func timedOut(_ path: String, from offset: Int) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        try? h.seek(toOffset: UInt64(offset))
        var hit = false
        let limit = settings.requestTimeout.seconds * 1e9 * 0.95
        try? JSONLReader.forEachLine(handle: h, name: path) { item in
            if case .success(.sample(let s)) = item, s.error != nil, let ns = s.scrapeNs, Double(ns) >= limit {
                hit = true
            }
        }
        return hit
    }

    func bootstrap() throws {
        setPhase("bootstrap")
        say("bootstrap: \(settings.clusters) clusters over \(settings.workers) workers")
        var args = [
            "--endpoint", "\(dir)/endpoint.json", "--clusters", "\(settings.clusters)", "--workers",
            "\(settings.workers)",
            "--request-timeout", settings.requestTimeout.text, "--readyz-timeout", settings.requestTimeout.text,
        ]
        for step in ["readyz", "namespace", "crd-create", "crd-established", "discovery"] {
            args += ["--\(step)-deadline", settings.stepDeadline.text]
        }
        if let fleet = settings.scenario.fleetName {
            args += ["--fleet", fleet]
        } else if let f = settings.nameFormat {
            args += ["--name-format", f]
        }
        if settings.allowExisting { args.append("--allow-existing") }
        let code = try runTool(
            "kp-bootstrap", args, stdout: .append("\(dir)/bootstrap.jsonl"),
            stderr: .tee("\(dir)/logs/kp-bootstrap.log"))
        try unexpected(sup.wait(until: .now) { self.watch($0) })
        guard code != 0 else { return }
        try checkSignal()
        try settleTarget(.seconds(2))
        // kp-bootstrap's verdict is its exit code (11: no answer in time, 12: the target's errors); its
        // summary record gives the counts and the first error.
        var summary: BootstrapSummaryRecord?
        if let items = try? JSONLReader.read(path: "\(dir)/bootstrap.jsonl") {
            for case .success(.bootstrapSummary(let s)) in items { summary = s }
        }
        let failed = summary.map { "\($0.failed) of \($0.clusters) clusters" } ?? "clusters"
        let first = summary?.firstError.map { "; first: \(String($0.prefix(240)))" } ?? ""
        switch code {
        case 11:
            throw RunOutcome.failed(
                11,
                "bootstrap: \(failed) got no answer in time (target stalled or unreachable)\(first) (kp-bootstrap exit 11; see bootstrap.jsonl)"
            )
        case 12:
            throw RunOutcome.failed(
                12,
                "bootstrap: \(failed) failed on the target's errors\(first) (kp-bootstrap exit 12; see bootstrap.jsonl)"
            )
        default:
            throw RunOutcome.failed(
                code == 2 ? 1 : code,
                "bootstrap: \(failed) failed\(first) (kp-bootstrap exit \(code); see bootstrap.jsonl and logs/kp-bootstrap.log)"
            )
        }
    }

    /// Severity of a kp-load exit code, for combining shards (worst wins): failure > generator-limited > saturated > ok.
    static func loadSeverity(_ code: Int32) -> Int {
        switch code {
        case 0: 0
        case 6: 1
        case 3: 2
        default: 3
        }
    }

    /// - Parameters:
    ///   - watchers: pass `--watchers-per-cluster` (scenario watch-fanout); without it in a scenario
    ///     that watches, the files are nowatch-load*.jsonl (the phase without watchers).
    ///   - midSample: a sample taken while kp-load runs (see ``Scenario/Step/loadSampled(watchers:sample:)``);
    ///     nil: none, and a post-load sample after it.
    func load(watchers: Bool = false, midSample: String? = nil) throws {
        let phaseName = midSample ?? "load"
        setPhase(phaseName)
        let s = settings
        say(
            "load: \(s.scenario.name), \(RunSettings.number(s.hotPercent))% hot, \(RunSettings.number(s.writeRPS)) w/s + \(RunSettings.number(s.readRPS)) r/s\(s.scenario.name == "snapshot" ? " + \(RunSettings.number(s.snapshotRPS)) snapshot/s" : "") per hot cluster for \(s.loadDuration.text)\(s.loadShards > 1 ? " in \(s.loadShards) shards" : "")"
        )
        var base = [
            "--endpoint", "\(dir)/endpoint.json", "--bootstrap", "\(dir)/bootstrap.jsonl", "--clusters",
            "\(s.clusters)",
            "--hot-percent", RunSettings.number(s.hotPercent), "--write-rps-per-cluster",
            RunSettings.number(s.writeRPS),
            "--read-rps-per-cluster", RunSettings.number(s.readRPS), "--load-duration", s.loadDuration.text,
            "--object-bytes", "\(s.objectBytes)", "--request-timeout", s.requestTimeout.text, "--max-lag",
            s.maxLag.text,
        ]
        base += snapshotLoadArguments()
        if watchers { base += ["--watchers-per-cluster", "\(s.watchersPerCluster)"] }
        // The phase without watchers of a scenario that watches keeps its records apart from load.jsonl.
        let prefix = s.scenario.watches && !watchers ? "nowatch-load" : "load"
        var tools: [(String, [String], Supervisor.Output, Supervisor.Output)] = []
        var files: [String] = []
        if s.loadShards <= 1 {
            files = ["\(dir)/\(prefix).jsonl"]
            tools = [("kp-load", base, .append(files[0]), .tee("\(dir)/logs/kp-\(prefix).log"))]
        } else {
            for i in 0..<s.loadShards {
                let f = "\(dir)/\(prefix)-\(i)-of-\(s.loadShards).jsonl"
                files.append(f)
                tools.append(
                    (
                        "kp-load", base + ["--shard", "\(i)/\(s.loadShards)"], .append(f),
                        .tee("\(dir)/logs/kp-\(prefix)-\(i)-of-\(s.loadShards).log")
                    ))
            }
        }
        if watchers {
            say("load: with \(s.watchersPerCluster) watch streams per hot cluster")
        }
        let codes: [Int32]
        if let midSample {
            codes = try runToolsSampling(
                tools, file: files[0], marker: watchers ? .watchInterval : .loadInterval, sample: midSample,
                phase: phaseName)
        } else {
            codes = try runTools(tools)
        }
        try unexpected(sup.wait(until: .now) { self.watch($0) })
        try checkSignal()
        var worst = 0
        for (i, c) in codes.enumerated() where Self.loadSeverity(c) > Self.loadSeverity(codes[worst]) { worst = i }
        loadExit = codes[worst]
        let who = s.loadShards > 1 ? "kp-load shard \(worst)/\(s.loadShards)" : "kp-load"
        let file = (files[worst] as NSString).lastPathComponent
        switch loadExit {
        case 0: break
        case 3:
            loadReason = "\(who) could not keep its schedule: the generator, not the server, limited this run"
        case 6:
            loadReason = "target saturated: \(achieved(files)) (\(who) exit 6; latencies are the server's)"
        default:
            try settleTarget(.seconds(2))
            loadReason =
                "load: \(who) exit \(loadExit)\(lastError(files[worst]).map { ": \($0)" } ?? "") (see \(file) and logs/)"
        }
        // The last load phase of the scenario gets the post-load sample.
        if midSample == nil || watchers { try sample("post-load", pprof: true) }
        if Self.loadSeverity(loadExit) == 3 {
            setPhase(phaseName)
            throw RunOutcome.failed(12, loadReason!)
        }
    }

    /// Scenario snapshot's kp-load flags (none for the other scenarios).
    func snapshotLoadArguments() -> [String] {
        let s = settings
        guard s.scenario.name == "snapshot" else { return [] }
        var args = ["--snapshot-rps-per-cluster", RunSettings.number(s.snapshotRPS)]
        if s.snapshotWarm { args.append("--snapshot-warm") }
        if !s.snapshotResources.isEmpty { args += ["--snapshot-resources", s.snapshotResources] }
        return args
    }

    /// ``runTools(_:)`` with one sample taken while the tools run: once `file` holds a `marker`
    /// record (kp-load's first interval: its schedule, and its watchers, are running), plus a third of
    /// the load duration (at least 1 s). When the tools end first, the sample is not taken (said on
    /// stderr; the report shows it missing) rather than taken after the phase it stands for.
    func runToolsSampling(
        _ tools: [(String, [String], Supervisor.Output, Supervisor.Output)], file: String, marker: RecordKind,
        sample name: String, phase: String
    ) throws -> [Int32] {
        let settle = max(Duration.seconds(1), settings.loadDuration.duration / 3)
        var sampleAt: ContinuousClock.Instant?
        var sampled = false
        let codes = try runTools(tools, every: .milliseconds(250)) {
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
        return codes
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

    /// The last `error` record's message in a tool's record file.
    func lastError(_ path: String) -> String? {
        guard let items = try? JSONLReader.read(path: path) else { return nil }
        var last: String?
        for case .success(.error(let e)) in items { last = String(e.message.prefix(300)) }
        return last
    }

    /// Every phase ran: did the run get everything it set out to measure?
    func finalCheck() throws -> RunOutcome {
        setPhase("report")
        let pid = try sup.spawn(
            tool("kp-report"),
            ["check", dir, "--max-load-error-percent", RunSettings.number(settings.maxErrorPercent)],
            stdout: .capture, stderr: .append("\(dir)/logs/kp-report.log"))
        guard let crc = sup.waitExit(pid, ignoringSignals: true) else {
            return .failed(1, "kp-report check did not end")
        }
        try checkSignal()
        let check = sup.captured(pid).trimmingCharacters(in: .whitespacesAndNewlines)
        switch crc {
        case 0: break
        case 12:
            setPhase("load")
            throw RunOutcome.failed(12, check)
        case 4:
            if loadExit != 3 { return RunOutcome(status: "incomplete", exitCode: 4, reason: check) }
        default:
            say("kp-report check failed (exit \(crc); see \(dir)/logs/kp-report.log)")
        }
        if loadExit == 3 {
            return .failed(3, loadReason! + (check.isEmpty ? "" : "; also \(check)"))
        }
        if loadExit == 6 {
            // A saturated target is a valid run: the report stands, the code says what was measured.
            return RunOutcome(status: "complete", exitCode: 6, reason: loadReason)
        }
        return .complete
    }

    // MARK: - end

    /// Stops everything started, writes run_end, folds the report. Signals are held off meanwhile
    /// (they stay ignored; the first one already decided the outcome).
    func finish(_ o: RunOutcome) -> Int32 {
        for c in children { sup.stop(c) }
        children = []
        if let s = seriesPid { sup.stop(s) }
        if let l = launchPid {
            if let down = try? sup.spawn(
                tool("kp-launch"), ["down", "--run-dir", dir], stdout: .append("\(dir)/logs/kp-launch.log"),
                stderr: .append("\(dir)/logs/kp-launch.log"))
            {
                _ = sup.waitExit(down, ignoringSignals: true)
            }
            // kp-launch down asks kp-launch up to stop; give it time to stop the target and etcd.
            if sup.wait(until: .now + .seconds(30), { $0.exits[l].map { .exited(l, $0) } }) == .timeout { sup.stop(l) }
            launchPid = nil
        }
        unlink("\(dir)/phase.tmp")
        var args = ["end", "--status", o.status, "--phase", phase, "--exit-code", "\(o.exitCode)"]
        if let r = o.reason { args += ["--reason", r] }
        if let p = try? sup.spawn(
            tool("kp-report"), args, stdout: .append("\(dir)/meta.jsonl"), stderr: .append("\(dir)/logs/kp-report.log"))
        {
            _ = sup.waitExit(p, ignoringSignals: true)
        }
        var folded = false
        if let p = try? sup.spawn(
            tool("kp-report"), [dir], stdout: .inherit, stderr: .append("\(dir)/logs/kp-report.log"))
        {
            folded = sup.waitExit(p, ignoringSignals: true) == 0
        }
        if !folded { say("kp-report could not fold \(dir) (see \(dir)/logs/kp-report.log)") }
        if o.status == "complete" {
            say("done: \(dir)/summary.md (charts: \(dir)/report.html)\(o.reason.map { "; \($0)" } ?? "")")
        } else {
            say(
                "run \(o.status) in phase '\(phase)'\(o.reason.map { ": \($0)" } ?? ""); partial report in \(dir)/summary.md"
            )
        }
        return o.exitCode
    }

    /// Writes the run_meta record (before launch).
    public func writeMeta() throws {
        var args = ["meta", "--run", runName, "--scenario", settings.scenario.name]
        for f in settings.metaFlags() { args += ["--flag", f] }
        let p = try sup.spawn(tool("kp-report"), args, stdout: .append("\(dir)/meta.jsonl"), stderr: .inherit)
        guard sup.waitExit(p, ignoringSignals: true) == 0 else { throw RunOutcome.failed(2, "kp-report meta failed") }
    }
}
