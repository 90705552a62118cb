import Foundation
import KPCore
import KPRunModel

#if canImport(Glibc)
    import Glibc
#endif

/// Run-level loops over single runs: repeats (r1…rn), sweeps over N (n<size>/) and interleaved
/// two-target comparisons (A/r1, B/r1, A/r2 …). Each run is a fresh launch.
public struct RunSeries {
    public struct Side: Sendable {
        public var name: String
        /// Environment overrides (e.g. APISERVER_BIN for this side).
        public var environment: [String: String]
        /// Extra kp-launch arguments (e.g. --sim-arg=… for this side).
        public var launchArgs: [String]
        /// This side's own settings (another scenario on the same target); nil: the series' settings.
        public var settings: RunSettings?
        public init(
            name: String, environment: [String: String], launchArgs: [String], settings: RunSettings? = nil
        ) {
            self.name = name
            self.environment = environment
            self.launchArgs = launchArgs
            self.settings = settings
        }
    }

    let base: RunSettings
    let supervisor: any ProcessSupervisor
    let runName: String

    public init(base: RunSettings, runName: String, supervisor: any ProcessSupervisor) {
        self.base = base
        self.runName = runName
        self.supervisor = supervisor
    }

    static func say(_ s: String) { StandardError.write("kp-run: \(s)\n") }

    /// Codes that end a series at once: bad input, and the signals.
    static func stopsSeries(_ code: Int32) -> Bool {
        [KPExitCode.badInput, .hungUp, .interrupted, .terminated].map(\.rawValue).contains(code)
    }

    /// One run into `dir` (created here, with logs/ and pprof/).
    public func single(dir: String, settings: RunSettings, name: String? = nil) -> Int32 {
        do {
            try FileManager.default.createDirectory(atPath: "\(dir)/logs", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: "\(dir)/pprof", withIntermediateDirectories: true)
        } catch {
            StandardError.write("kp-run: error: cannot create \(dir): \(error.localizedDescription)\n")
            return 2
        }
        let o = RunOrchestrator(settings: settings, dir: dir, runName: name ?? runName, supervisor: supervisor)
        do { try o.writeMeta() } catch {
            StandardError.write("kp-run: error: kp-report meta failed for \(dir)\n")
            try? FileManager.default.removeItem(atPath: dir)
            return 2
        }
        return o.run()
    }

    /// One item of a series: a set's plan written into its folder, a run, or the fold of a set.
    public enum Item: Sendable {
        /// Writes `plan` as `dir/runset.json` before the set's first run.
        case begin(dir: String, plan: RunSetPlan)
        /// `name`: the run's name in run_meta and its profiles' file names.
        case run(label: String?, dir: String, settings: RunSettings, name: String)
        /// `kp-report DIR`: folds the set in `dir` by its runset.json.
        case fold(dir: String)
    }

    /// `repeat` runs into dir/r1 … dir/rn (or one run into dir when repeat is 1), then the set's fold.
    public func repeatedItems(dir: String, settings: RunSettings, repeat count: Int, name: String? = nil) -> [Item] {
        let name = name ?? runName
        if count <= 1 { return [.run(label: nil, dir: dir, settings: settings, name: name)] }
        let runs = (1...count).map { "r\($0)" }
        return [.begin(dir: dir, plan: RunSetPlan(kind: .repeatSet, runs: runs))]
            + runs.enumerated().map { i, r in
                .run(label: "repeat \(i + 1) of \(count)", dir: "\(dir)/\(r)", settings: settings, name: name)
            }
            + [.fold(dir: dir)]
    }

    /// One run (or repeat set) per size into dir/n<size>, then the sweep's fit over them.
    public func sweepItems(dir: String, sizes: [Int], repeat count: Int) -> [Item] {
        let groups = sizes.map { "n\($0)" }
        let runs = groups.flatMap { g in count <= 1 ? [g] : (1...count).map { "\(g)/r\($0)" } }
        var items: [Item] = [.begin(dir: dir, plan: RunSetPlan(kind: .sweep, runs: runs, groups: groups))]
        for n in sizes {
            var s = base
            s.clusters = n
            // Each size is a run of its own name, <scenario>-<N>, as a plain run of that size would be.
            let name = "\(s.scenario.name)-\(n)"
            items += repeatedItems(dir: "\(dir)/n\(n)", settings: s, repeat: count, name: name).map { item in
                if case .run(let label, let d, let s, let name) = item {
                    return .run(
                        label: "sweep: N = \(n)" + (label.map { ", \($0)" } ?? ""), dir: d, settings: s, name: name)
                }
                return item
            }
        }
        return items + [.fold(dir: dir)]
    }

    /// One run (or repeat set) per test-CRD count K at the base's N into dir/k<K>, then the sweep's fit
    /// over K (the cost per CRD; per CRD per VCP divided by N).
    public func crdSweepItems(dir: String, crds: [Int], repeat count: Int) -> [Item] {
        let groups = crds.map { "k\($0)" }
        let runs = groups.flatMap { g in count <= 1 ? [g] : (1...count).map { "\(g)/r\($0)" } }
        let plan = RunSetPlan(kind: .sweep, runs: runs, groups: groups, axis: .crdsPerCluster)
        var items: [Item] = [.begin(dir: dir, plan: plan)]
        for k in crds {
            var s = base
            s.crdsPerCluster = k
            let name = "\(s.scenario.name)-\(s.clusters)-k\(k)"
            items += repeatedItems(dir: "\(dir)/k\(k)", settings: s, repeat: count, name: name).map { item in
                if case .run(let label, let d, let s, let name) = item {
                    return .run(
                        label: "CRD sweep: K = \(k)" + (label.map { ", \($0)" } ?? ""), dir: d, settings: s, name: name)
                }
                return item
            }
        }
        return items + [.fold(dir: dir)]
    }

    /// Two targets interleaved A, B, A, B … into dir/A/r<i> and dir/B/r<i>, then the comparison of
    /// dir/A with dir/B (gated by `thresholds` when given).
    public func compareItems(dir: String, a: Side, b: Side, repeat count: Int, thresholds: String?) -> [Item] {
        var items: [Item] = []
        var runs: [String] = []
        for i in 1...max(1, count) {
            for side in [a, b] {
                var s = side.settings ?? base
                s.environment.merge(side.environment) { _, new in new }
                s.launchArgs += side.launchArgs
                runs.append("\(side.name)/r\(i)")
                items.append(
                    .run(
                        label: "compare: \(side.name) run \(i) of \(count)", dir: "\(dir)/\(side.name)/r\(i)",
                        settings: s, name: runName))
            }
        }
        // An absolute path, so `kp-report DIR` finds the thresholds from any working directory.
        let limits = thresholds.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        let plan = RunSetPlan(kind: .compare, runs: runs, groups: [a.name, b.name], thresholds: limits)
        return [.begin(dir: dir, plan: plan)] + items + [.fold(dir: dir)]
    }

    /// Runs the items in order. Exit code: the first failing run's; else the last fold's (compare's
    /// 5 for a regression, a fold that failed). Bad input and signals stop the runs at once, and the
    /// sets begun so far are still folded from the runs that ended; the code is then the stop's.
    public func execute(_ items: [Item]) -> Int32 {
        var first: Int32 = 0
        var last: Int32 = 0
        var stop: Int32?
        for item in items {
            switch item {
            case .begin(let dir, let plan):
                if stop != nil { continue }
                do { try plan.write(to: dir) } catch {
                    StandardError.write("kp-run: error: cannot write \(dir)/\(RunLayout.runSet): \(error)\n")
                    return KPExitCode.failure.rawValue
                }
            case .run(let label, let dir, let settings, let name):
                if stop != nil { continue }
                if let label { Self.say("\(label): \(dir)") }
                let code = single(dir: dir, settings: settings, name: name)
                if Self.stopsSeries(code) {
                    stop = code
                } else if first == 0 {
                    first = code
                }
            case .fold(let dir):
                // A set whose plan was never written (stopped before it began) has nothing to fold.
                if let stop {
                    guard FileManager.default.fileExists(atPath: RunLayout.path(dir, RunLayout.runSet)) else {
                        continue
                    }
                    Self.say("the series stopped (exit \(stop)): folding the runs that ended in \(dir)")
                }
                last = report([dir])
                if last != 0 { Self.say("kp-report \(dir) exit \(last)") }
            }
        }
        if let stop { return stop }
        return first != 0 ? first : last
    }

    /// The items as shell lines (`kp-run --plan`): each set's plan, each run's own plan, then the folds.
    public func planLines(_ items: [Item], runName: String) -> [String] {
        var lines: [String] = []
        for item in items {
            switch item {
            case .begin(let dir, let plan):
                lines.append(
                    "mkdir -p \(RunPlan.quote(dir)) && printf '%s\\n' \(RunPlan.quote(plan.json)) > "
                        + RunPlan.quote(RunLayout.path(dir, RunLayout.runSet)))
            case .run(let label, let dir, let settings, let name):
                if let label { lines.append("# \(label): \(dir)") }
                lines.append("mkdir -p \(RunPlan.quote("\(dir)/logs")) \(RunPlan.quote("\(dir)/pprof"))")
                lines += RunPlan(settings: settings, dir: dir, runName: name).shellLines(binDir: base.binDir)
            case .fold(let dir):
                lines.append([RunPlan.quote("\(base.binDir)/kp-report"), RunPlan.quote(dir)].joined(separator: " "))
            }
        }
        return lines
    }

    /// Runs a kp-report subcommand to its end; returns its exit code.
    func report(_ args: [String]) -> Int32 {
        guard let p = try? supervisor.spawn("\(base.binDir)/kp-report", args, stdout: .inherit, stderr: .inherit) else {
            return 1
        }
        return supervisor.waitExit(p, ignoringSignals: true) ?? 1
    }
}
