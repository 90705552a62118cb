import Foundation
import KPCore

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
    let supervisor: Supervisor
    let runName: String

    public init(base: RunSettings, runName: String, supervisor: Supervisor) {
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

    /// One item of a series: a run, or a kp-report command over runs already made.
    public enum Item: Sendable {
        /// `name`: the run's name in run_meta and its profiles' file names.
        case run(label: String?, dir: String, settings: RunSettings, name: String)
        case report([String])
    }

    /// `repeat` runs into dir/r1 … dir/rn (or one run into dir when repeat is 1), then the set's fold.
    public func repeatedItems(dir: String, settings: RunSettings, repeat count: Int, name: String? = nil) -> [Item] {
        let name = name ?? runName
        if count <= 1 { return [.run(label: nil, dir: dir, settings: settings, name: name)] }
        return (1...count).map { i in
            .run(label: "repeat \(i) of \(count)", dir: "\(dir)/r\(i)", settings: settings, name: name)
        }
            + [.report([dir])]
    }

    /// One run (or repeat set) per size into dir/n<size>, then `kp-report sweep --out dir …`.
    public func sweepItems(dir: String, sizes: [Int], repeat count: Int) -> [Item] {
        var items: [Item] = []
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
        return items + [.report(["sweep", "--out", dir] + sizes.map { "\(dir)/n\($0)" })]
    }

    /// Two targets interleaved A, B, A, B … into dir/A/r<i> and dir/B/r<i>, then
    /// `kp-report compare --out dir [--thresholds F] dir/A -- dir/B`.
    public func compareItems(dir: String, a: Side, b: Side, repeat count: Int, thresholds: String?) -> [Item] {
        var items: [Item] = []
        for i in 1...max(1, count) {
            for side in [a, b] {
                var s = side.settings ?? base
                s.environment.merge(side.environment) { _, new in new }
                s.launchArgs += side.launchArgs
                items.append(
                    .run(
                        label: "compare: \(side.name) run \(i) of \(count)", dir: "\(dir)/\(side.name)/r\(i)",
                        settings: s, name: runName))
            }
        }
        var args = ["compare", "--out", dir]
        if let thresholds { args += ["--thresholds", thresholds] }
        return items + [.report(args + ["\(dir)/\(a.name)", "--", "\(dir)/\(b.name)"])]
    }

    /// Runs the items in order. Exit code: the first failing run's; else the last report's (compare's
    /// 5 for a regression, a fold that failed); bad input and signals end the series at once.
    public func execute(_ items: [Item]) -> Int32 {
        var first: Int32 = 0
        var last: Int32 = 0
        for item in items {
            switch item {
            case .run(let label, let dir, let settings, let name):
                if let label { Self.say("\(label): \(dir)") }
                let code = single(dir: dir, settings: settings, name: name)
                if Self.stopsSeries(code) { return code }
                if first == 0 { first = code }
            case .report(let args):
                last = report(args)
                if last != 0 { Self.say("kp-report \(args.joined(separator: " ")) exit \(last)") }
            }
        }
        return first != 0 ? first : last
    }

    /// The items as shell lines (`kp-run --plan`): each run's own plan, then the reports.
    public func planLines(_ items: [Item], runName: String) -> [String] {
        var lines: [String] = []
        for item in items {
            switch item {
            case .run(let label, let dir, let settings, let name):
                if let label { lines.append("# \(label): \(dir)") }
                lines.append("mkdir -p \(RunPlan.quote("\(dir)/logs")) \(RunPlan.quote("\(dir)/pprof"))")
                lines += RunPlan(settings: settings, dir: dir, runName: name).shellLines(binDir: base.binDir)
            case .report(let args):
                lines.append(
                    ([RunPlan.quote("\(base.binDir)/kp-report")] + args.map(RunPlan.quote)).joined(separator: " "))
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
