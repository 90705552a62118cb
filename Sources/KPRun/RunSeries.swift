import Foundation

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

    static func say(_ s: String) { FileHandle.standardError.write(Data("kp-run: \(s)\n".utf8)) }

    /// Codes that end a series at once: bad input, and the signals.
    static func stopsSeries(_ code: Int32) -> Bool { [2, 129, 130, 143].contains(code) }

    /// One run into `dir` (created here, with logs/ and pprof/).
    public func single(dir: String, settings: RunSettings) -> Int32 {
        do {
            try FileManager.default.createDirectory(atPath: "\(dir)/logs", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: "\(dir)/pprof", withIntermediateDirectories: true)
        } catch {
            FileHandle.standardError.write(
                Data("kp-run: error: cannot create \(dir): \(error.localizedDescription)\n".utf8))
            return 2
        }
        let o = RunOrchestrator(settings: settings, dir: dir, runName: runName, supervisor: supervisor)
        do { try o.writeMeta() } catch {
            FileHandle.standardError.write(Data("kp-run: error: kp-report meta failed for \(dir)\n".utf8))
            try? FileManager.default.removeItem(atPath: dir)
            return 2
        }
        return o.run()
    }

    /// `repeat` runs into dir/r1 … dir/rn (or one run into dir when repeat is 1); folds the set.
    /// Exit code: the first failing run's, else 0; bad input and signals end the series at once.
    public func repeated(dir: String, settings: RunSettings, repeat count: Int) -> Int32 {
        if count <= 1 { return single(dir: dir, settings: settings) }
        var first: Int32 = 0
        for i in 1...count {
            Self.say("repeat \(i) of \(count): \(dir)/r\(i)")
            let code = single(dir: "\(dir)/r\(i)", settings: settings)
            if Self.stopsSeries(code) { return code }
            if first == 0 { first = code }
        }
        fold([dir])
        return first
    }

    /// `kp-report DIR…` (a repeat set folds into its median/spread view).
    func fold(_ dirs: [String]) {
        guard let p = try? supervisor.spawn("\(base.binDir)/kp-report", dirs, stdout: .inherit, stderr: .inherit),
            supervisor.waitExit(p, ignoringSignals: true) == 0
        else {
            Self.say("kp-report could not fold \(dirs.joined(separator: " "))")
            return
        }
    }

    /// Runs a kp-report subcommand to its end; returns its exit code.
    func report(_ args: [String]) -> Int32 {
        guard let p = try? supervisor.spawn("\(base.binDir)/kp-report", args, stdout: .inherit, stderr: .inherit) else {
            return 1
        }
        return supervisor.waitExit(p, ignoringSignals: true) ?? 1
    }

    /// One run (or repeat set) per size into dir/n<size>, then `kp-report sweep --out dir …`.
    public func sweep(dir: String, sizes: [Int], repeat count: Int) -> Int32 {
        var dirs: [String] = []
        var first: Int32 = 0
        for n in sizes {
            var s = base
            s.clusters = n
            let d = "\(dir)/n\(n)"
            Self.say("sweep: N = \(n) into \(d)")
            let code = repeated(dir: d, settings: s, repeat: count)
            if Self.stopsSeries(code) { return code }
            if first == 0 { first = code }
            dirs.append(d)
        }
        let code = report(["sweep", "--out", dir] + dirs)
        return first != 0 ? first : code
    }

    /// Two targets interleaved A, B, A, B … into dir/A/r<i> and dir/B/r<i>, then
    /// `kp-report compare --out dir [--thresholds F] dir/A -- dir/B`; compare's code (5 = regression) passes through.
    public func compare(dir: String, a: Side, b: Side, repeat count: Int, thresholds: String?) -> Int32 {
        var first: Int32 = 0
        for i in 1...max(1, count) {
            for side in [a, b] {
                var s = side.settings ?? base
                s.environment.merge(side.environment) { _, new in new }
                s.launchArgs += side.launchArgs
                let d = "\(dir)/\(side.name)/r\(i)"
                Self.say("compare: \(side.name) run \(i) of \(count) into \(d)")
                let code = single(dir: d, settings: s)
                if Self.stopsSeries(code) { return code }
                if first == 0 { first = code }
            }
        }
        var args = ["compare", "--out", dir]
        if let thresholds { args += ["--thresholds", thresholds] }
        let code = report(args + ["\(dir)/\(a.name)", "--", "\(dir)/\(b.name)"])
        // A failed run is reported first; otherwise compare decides (0, or 5 for a regression).
        return first != 0 ? first : code
    }
}
