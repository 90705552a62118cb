import Foundation
import KPCore
import KPRunModel

/// One run as a plan: every tool command line kp-run would start for a scenario, in order, with
/// where its output goes. Pure: it reads the settings and names files, it starts nothing.
///
/// ``RunOrchestrator`` builds each command it starts with these functions, and `kp-run --plan`
/// prints ``commands()``, so a user can run or debug any step by hand exactly as kp-run would.
public struct RunPlan: Sendable {
    /// One command: the tool and its arguments, and what kp-run does with its output.
    public struct Command: Sendable, Equatable {
        /// The phase the run is in while the command runs (`out/<run>/phase`).
        public var phase: String
        /// A tool name (`kp-scrape`) or, for a wait, `sleep`.
        public var tool: String
        public var args: [String]
        /// Files in the run directory its stdout and stderr are appended to (nil: the terminal).
        public var stdout: String?
        public var stderr: String?
        /// Started and left running beside the next commands (kp-launch up, the series, load shards).
        public var background = false
        /// What the line is for, printed as a comment.
        public var note: String?
        /// Commands of one group run side by side and are waited for together (load shards).
        public var group: String?
    }

    public let settings: RunSettings
    public let dir: String
    public let runName: String

    public init(settings: RunSettings, dir: String, runName: String) {
        self.settings = settings
        self.dir = dir
        self.runName = runName
    }

    func file(_ name: String) -> String { "\(dir)/\(name)" }

    // MARK: - the commands

    public func meta() -> Command {
        var args = ["meta", "--run", runName, "--scenario", settings.scenario.name]
        for f in settings.metaFlags() { args += ["--flag", f] }
        return Command(phase: "launch", tool: "kp-report", args: args, stdout: RunLayout.meta, stderr: nil)
    }

    public func launch() -> Command {
        var args = ["up", "--run-dir", dir, "--stall-timeout", settings.requestTimeout.text]
        if settings.sim { args += ["--mode", "sim"] }
        // restart keeps the target's storage: kp-sim then gets a throw-away etcd (unless ETCD_ENDPOINTS).
        if settings.sim && settings.scenario.steps.contains(.restart) { args.append("--sim-etcd") }
        args += settings.launchArgs
        return Command(
            phase: "launch", tool: "kp-launch", args: args, stdout: RunLayout.launch,
            stderr: RunLayout.log("kp-launch"), background: true,
            note: "until it writes endpoint.json; it supervises the target for the whole run")
    }

    public func series() -> Command {
        Command(
            phase: "launch", tool: "kp-scrape",
            args: [
                "--endpoint", file(RunLayout.endpoint), "--interval", settings.seriesInterval.text, "--timeout",
                settings.requestTimeout.text,
            ],
            stdout: RunLayout.timeseries, stderr: RunLayout.log("kp-scrape-series"), background: true,
            note: "the continuous series, until the run ends")
    }

    public func sample(_ name: String, pprof: Bool) -> Command {
        var args = [
            "--endpoint", file(RunLayout.endpoint), "--phase", name, "--timeout", settings.requestTimeout.text,
            "--metric", "apiserver_request_duration_seconds", "--metric", "apiserver_request_total",
        ]
        // The families summary.md's "kplane internals" reads (contract §5.2-5.3).
        for family in InternalsFamilies.all { args += ["--metric", family] }
        if pprof { args += ["--pprof", file(RunLayout.pprof), "--scenario", runName] }
        return Command(
            phase: name, tool: "kp-scrape", args: args, stdout: RunLayout.samples, stderr: RunLayout.log("kp-scrape"))
    }

    /// The scrape-cost step: kp-scrape --burst, a second of idle then up to 20 scrapes back to back
    /// (at most a second of them), into samples.jsonl.
    public func scrapeCost() -> Command {
        Command(
            phase: Self.scrapeCostPhase, tool: "kp-scrape",
            args: [
                "--endpoint", file(RunLayout.endpoint), "--burst", "\(Self.scrapeCostBurst)", "--idle-window", "1s",
                "--duration", "1s", "--timeout", settings.requestTimeout.text,
            ],
            stdout: RunLayout.samples, stderr: RunLayout.log("kp-scrape"),
            note: "what one /metrics scrape costs the server (off: --no-scrape-cost)")
    }
    /// The phase while the burst runs, and its scrapes.
    public static let scrapeCostPhase = "scrape-cost"
    public static let scrapeCostBurst = 20

    public func wait(_ w: Scenario.Wait) -> Command {
        let d = settings.duration(w)
        return Command(
            phase: w.rawValue, tool: "sleep", args: [String(format: "%g", d.seconds)], stdout: nil, stderr: nil,
            note: "\(w.rawValue) \(d.text), watching the target")
    }

    public func bootstrap() -> Command {
        var args = [
            "--endpoint", file(RunLayout.endpoint), "--clusters", "\(settings.clusters)", "--workers",
            "\(settings.workers)", "--request-timeout", settings.requestTimeout.text, "--readyz-timeout",
            settings.requestTimeout.text,
        ]
        // kp-bootstrap's per-step deadlines, all from --step-deadline.
        for step in ["readyz", "namespace", "crd-create", "crd-established", "discovery"] {
            args += ["--\(step)-deadline", settings.stepDeadline.text]
        }
        if let fleet = settings.scenario.fleetName {
            args += ["--fleet", fleet]
        } else if let f = settings.nameFormat {
            args += ["--name-format", f]
        }
        if settings.allowExisting { args.append("--allow-existing") }
        args += crdsArgs
        return Command(
            phase: "bootstrap", tool: "kp-bootstrap", args: args, stdout: RunLayout.bootstrap,
            stderr: RunLayout.log("kp-bootstrap"))
    }

    public func teardown() -> Command {
        Command(
            phase: "teardown", tool: "kp-bootstrap",
            args: [
                "--endpoint", file(RunLayout.endpoint), "--teardown", "--bootstrap", file(RunLayout.bootstrap),
                "--workers", "\(settings.workers)", "--request-timeout", settings.requestTimeout.text,
            ] + crdsArgs,
            stdout: RunLayout.teardown, stderr: RunLayout.log("kp-teardown"))
    }

    /// kp-bootstrap's `--crds-per-cluster` when the run makes more than one test CRD per VCP.
    var crdsArgs: [String] {
        settings.crdsPerCluster == 1 ? [] : ["--crds-per-cluster", "\(settings.crdsPerCluster)"]
    }

    /// One churn cycle (``ChurnPlan``): kp-bootstrap --teardown over the cycle's oldest VCPs, as the
    /// teardown scenario deletes a VCP, then kp-bootstrap over as many new names with the bootstrap's
    /// flags; both append to churn.jsonl.
    public func churn(cycle k: Int) -> [Command] {
        let plan = settings.churnPlan
        // kp-run checked every name the run uses (ClusterNames) before it built the plan.
        let all = (try? ClusterNames.expand(format: settings.nameFormat ?? "c-%03d", count: plan.namesUsed)) ?? []
        func names(_ r: Range<Int>) -> String { r.filter { $0 < all.count }.map { all[$0] }.joined(separator: ",") }
        let phase = ChurnPlan.phase(cycle: k)
        let delete = Command(
            phase: phase, tool: "kp-bootstrap",
            args: [
                "--endpoint", file(RunLayout.endpoint), "--teardown", "--names", names(plan.deleted(cycle: k)),
                "--workers", "\(settings.workers)", "--request-timeout", settings.requestTimeout.text,
            ] + crdsArgs,
            stdout: RunLayout.churn, stderr: RunLayout.log("kp-churn"),
            note: "cycle \(k) of \(plan.cycles): delete \(plan.perCycle) VCPs")
        var args = [
            "--endpoint", file(RunLayout.endpoint), "--names", names(plan.created(cycle: k)), "--workers",
            "\(settings.workers)", "--request-timeout", settings.requestTimeout.text, "--readyz-timeout",
            settings.requestTimeout.text,
        ]
        for step in ["readyz", "namespace", "crd-create", "crd-established", "discovery"] {
            args += ["--\(step)-deadline", settings.stepDeadline.text]
        }
        if settings.allowExisting { args.append("--allow-existing") }
        args += crdsArgs
        let create = Command(
            phase: phase, tool: "kp-bootstrap", args: args, stdout: RunLayout.churn, stderr: RunLayout.log("kp-churn"),
            note: "cycle \(k) of \(plan.cycles): create \(plan.perCycle) new VCPs")
        return [delete, create]
    }

    /// kp-launch restart: the supervising kp-launch up restarts the target keeping its storage and
    /// answers once `/readyz` is 200 again (or the ready timeout passed), with the `restart` record.
    public func restart() -> Command {
        Command(
            phase: "restart", tool: "kp-launch",
            args: ["restart", "--run-dir", dir, "--timeout", "\(Self.restartTimeoutSeconds)s"],
            stdout: RunLayout.restart, stderr: RunLayout.log("kp-restart"),
            note: "the target stopped and started again with the same etcd and prefix")
    }
    /// How long kp-launch restart waits: kp-launch up's stop grace and ready timeout, with room.
    public static let restartTimeoutSeconds = 180

    /// kp-bootstrap --first-request over the clusters whose bootstrap finished ok, at --workers
    /// concurrency, each retried until --step-deadline.
    public func firstRequests() -> Command {
        Command(
            phase: "first-requests", tool: "kp-bootstrap",
            args: [
                "--endpoint", file(RunLayout.endpoint), "--first-request", "--bootstrap", file(RunLayout.bootstrap),
                "--workers", "\(settings.workers)", "--request-timeout", settings.requestTimeout.text,
                "--readyz-deadline", settings.stepDeadline.text,
            ],
            stdout: RunLayout.firstRequests, stderr: RunLayout.log("kp-first-requests"),
            note: "every VCP's first request after the restart")
    }

    public func snapshotWarm() -> Command {
        var args = [
            "--endpoint", file(RunLayout.endpoint), "--bootstrap", file(RunLayout.bootstrap), "--clusters",
            "\(settings.clusters)", "--snapshot-warm-pass", "--request-timeout", settings.requestTimeout.text,
        ]
        if let nameFormat = settings.nameFormat { args += ["--name-format", nameFormat] }
        if !settings.snapshotResources.isEmpty { args += ["--snapshot-resources", settings.snapshotResources] }
        return Command(
            phase: "snapshot-warm", tool: "kp-load", args: args, stdout: RunLayout.snapshotWarm,
            stderr: RunLayout.log("kp-snapshot-warm"))
    }

    /// One load phase: one kp-load, or one per shard (side by side), all with the run's seed.
    public func load(_ l: Scenario.Load) -> [Command] {
        let s = settings
        var base = [
            "--endpoint", file(RunLayout.endpoint), "--bootstrap", file(RunLayout.bootstrap), "--clusters",
            "\(s.clusters)", "--hot-percent", RunSettings.number(s.hotPercent), "--write-rps-per-cluster",
            RunSettings.number(s.writeRPS), "--read-rps-per-cluster", RunSettings.number(s.readRPS),
            "--load-duration", s.loadDuration.text, "--object-bytes", "\(s.objectBytes)", "--request-timeout",
            s.requestTimeout.text, "--max-lag", s.maxLag.text, "--seed", "\(s.seed)",
        ]
        if l.snapshotReads {
            base += ["--snapshot-rps-per-cluster", RunSettings.number(s.snapshotRPS)]
            if s.snapshotWarm { base.append("--snapshot-warm") }
            if !s.snapshotResources.isEmpty { base += ["--snapshot-resources", s.snapshotResources] }
        }
        if l.watchers { base += ["--watchers-per-cluster", "\(s.watchersPerCluster)"] }
        if let knee = s.knee {
            base += ["--knee-steps", knee.steps]
            if let p = knee.p99 { base += ["--knee-p99", p.text] }
            if let e = knee.maxErrorPercent { base += ["--knee-max-error-percent", RunSettings.number(e)] }
        }
        let shards = max(1, s.loadShards)
        return (0..<shards).map { i in
            let shard = shards > 1 ? i : nil
            let out = RunLayout.loadFile(prefix: l.filePrefix, shard: shard, of: shards)
            let log = RunLayout.log("kp-" + out.replacingOccurrences(of: ".jsonl", with: ""))
            let args = base + (shard.map { ["--shard", "\($0)/\(shards)"] } ?? [])
            return Command(
                phase: l.phase, tool: "kp-load", args: args, stdout: out, stderr: log,
                note: l.sampleDuring.map { "sample '\($0)' taken while it runs (a third of the load in)" },
                group: shards > 1 ? "\(l.phase) shards" : nil)
        }
    }

    public func check() -> Command {
        Command(
            phase: "report", tool: "kp-report",
            args: ["check", dir, "--max-load-error-percent", RunSettings.number(settings.maxErrorPercent)],
            stdout: nil, stderr: RunLayout.log("kp-report"), note: "0 ok, 4 measurements missing, 12 load errors")
    }

    public func down() -> Command {
        Command(
            phase: "report", tool: "kp-launch", args: ["down", "--run-dir", dir], stdout: RunLayout.log("kp-launch"),
            stderr: RunLayout.log("kp-launch"))
    }

    public func end(status: String, phase: String, exitCode: Int32, reason: String?) -> Command {
        var args = ["end", "--status", status, "--phase", phase, "--exit-code", "\(exitCode)"]
        if let reason { args += ["--reason", reason] }
        return Command(
            phase: "report", tool: "kp-report", args: args, stdout: RunLayout.meta, stderr: RunLayout.log("kp-report"))
    }

    public func fold() -> Command {
        Command(
            phase: "report", tool: "kp-report", args: [dir] + (settings.budgets.map { ["--budgets", $0] } ?? []),
            stdout: nil, stderr: RunLayout.log("kp-report"),
            note: settings.budgets == nil ? nil : "exit 7: an error budget broken")
    }

    /// Appends the folded run to the run history (`--history` or `--history-dsn`); nil without one.
    public func historyAdd() -> Command? {
        var args = ["history", "add"]
        if let h = settings.history {
            args += ["--history", h]
        } else if let d = settings.historyDSN {
            args += ["--dsn", d]
        } else {
            return nil
        }
        return Command(
            phase: "report", tool: "kp-report", args: args + [dir], stdout: RunLayout.log("kp-report"),
            stderr: RunLayout.log("kp-report"), note: "a complete run only")
    }

    // MARK: - the whole run

    /// Every command of the run in order, as kp-run starts them on a run that goes well.
    public func commands() -> [Command] {
        var out = [meta(), launch(), sample(Scenario.launchSample.phase, pprof: Scenario.launchSample.pprof), series()]
        for step in settings.scenario.steps {
            switch step {
            case .wait(let w): out.append(wait(w))
            case .sample(let name, let pprof): out.append(sample(name, pprof: pprof))
            case .bootstrap: out.append(bootstrap())
            case .teardown: out.append(teardown())
            case .snapshotWarm: out.append(snapshotWarm())
            case .churn(let k): out += churn(cycle: k)
            case .restart: out.append(restart())
            case .firstRequests: out.append(firstRequests())
            case .scrapeCost: if settings.scrapeCost { out.append(scrapeCost()) }
            case .load(let l):
                let shards = load(l)
                out += shards
                if let during = l.sampleDuring { out.append(sample(during, pprof: true)) }
            }
        }
        out += [
            check(), down(), end(status: "complete", phase: "report", exitCode: 0, reason: nil), fold(),
        ]
        if let h = historyAdd() { out.append(h) }
        return out
    }

    /// The plan as shell lines: one command per line, paths as kp-run passes them, output redirections
    /// as kp-run wires them, background commands with `&` and their pids waited for or stopped later.
    public func shellLines(binDir: String) -> [String] {
        var lines: [String] = []
        var pending: [Command] = []
        func flush() {
            guard let first = pending.first else { return }
            lines.append(
                "( \(pending.map { shellLine($0, binDir: binDir, comment: false) + " &" }.joined(separator: " ")) wait )  # \(first.phase): \(first.group!) side by side"
            )
            pending = []
        }
        for c in commands() {
            if c.group != nil && (pending.isEmpty || pending[0].group == c.group) {
                pending.append(c)
                continue
            }
            flush()
            if c.group != nil { pending.append(c) } else { lines.append(shellLine(c, binDir: binDir)) }
        }
        flush()
        return lines
    }

    public func shellLine(_ c: Command, binDir: String, comment: Bool = true) -> String {
        var line =
            c.tool == "sleep"
            ? "sleep \(c.args[0])"
            : ([Self.quote("\(binDir)/\(c.tool)")] + c.args.map(Self.quote)).joined(separator: " ")
        if let o = c.stdout { line += " >> \(Self.quote(file(o)))" }
        if let e = c.stderr { line += e == c.stdout ? " 2>&1" : " 2>> \(Self.quote(file(e)))" }
        if c.background { line += " &" }
        guard comment else { return line }
        if let n = c.note { line += "  # \(c.phase): \(n)" } else if c.tool != "sleep" { line += "  # \(c.phase)" }
        return line
    }

    /// POSIX shell quoting: bare when safe, else single quotes.
    public static func quote(_ s: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,%+@")
        if !s.isEmpty && s.allSatisfy({ safe.contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
