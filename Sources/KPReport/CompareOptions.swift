import ArgumentParser
import Foundation
import KPCLI

/// `kp-report compare`'s flags: options first, then A's run directories, `--`, B's.
public struct CompareOptions: ParsableArguments, Sendable {
    @Option(
        help: ArgumentHelp(
            "Write compare.md, compare.csv and compare.html here (created if needed).", valueName: "dir"))
    public var out: String = "out/compare"

    @Option(
        help: ArgumentHelp(
            "YAML limits per figure; a significant change beyond its limit exits 5.", valueName: "file"))
    public var thresholds: String?

    @Option(help: ArgumentHelp("Significance level of the Mann–Whitney U test.", valueName: "alpha"))
    public var alpha: Double = 0.05

    @Argument(
        parsing: .captureForPassthrough,
        help: ArgumentHelp("A's run directories or repeat sets, --, then B's.", valueName: "a-dir… -- b-dir…"))
    public var dirs: [String] = []

    public init() {}

    /// A's and B's directories as given.
    public func sides() throws -> ([String], [String]) {
        guard let sep = dirs.firstIndex(of: "--") else {
            throw ValidationError("separate the two sides with --: kp-report compare A_DIR… -- B_DIR…")
        }
        let a = Array(dirs[..<sep])
        let b = Array(dirs[(sep + 1)...])
        if let opt = (a + b).first(where: { $0.hasPrefix("-") && $0 != "--" }) {
            throw ValidationError(
                "'\(opt)' after the run directories: put options before them (kp-report compare [options] A… -- B…)"
            )
        }
        if b.contains("--") { throw ValidationError("more than one --: kp-report compare A_DIR… -- B_DIR…") }
        guard !a.isEmpty else {
            throw ValidationError("side A is empty: give at least one run directory before --")
        }
        guard !b.isEmpty else { throw ValidationError("side B is empty: give at least one run directory after --") }
        return (a, b)
    }

    public func validate() throws {
        // Passthrough capture also swallows --help when it comes first.
        if let first = dirs.first, first == "--help" || first == "-h" { throw CleanExit.helpRequest() }
        guard alpha > 0 && alpha < 1 else {
            throw ValidationError("--alpha must be between 0 and 1 (got \(alpha))")
        }
        _ = try sides()
    }

    /// The checks that read the disk: every run directory exists.
    public func checkInputs() throws {
        let (a, b) = try sides()
        for d in a + b where !PathKind.isDirectory(d) {
            throw ValidationError(
                "run directory '\(d)' does not exist: pass out/<run> or a repeat set out/<run> holding r1 … rn")
        }
    }
}

/// `kp-report sweep`'s flags.
public struct SweepOptions: ParsableArguments, Sendable {
    @Option(
        help: ArgumentHelp("Write sweep.md, sweep.csv and sweep.html here (created if needed).", valueName: "dir"))
    public var out: String = "out/sweep"

    @Argument(help: ArgumentHelp("Run directories or repeat sets at different cluster counts.", valueName: "dir"))
    public var dirs: [String] = []

    public init() {}

    public func validate() throws {
        guard !dirs.isEmpty else {
            throw ValidationError("give the run directories of the sweep, e.g. out/sweep-50 out/sweep-100 …")
        }
    }

    /// The checks that read the disk: every run directory exists.
    public func checkInputs() throws {
        for d in dirs where !PathKind.isDirectory(d) {
            throw ValidationError(
                "run directory '\(d)' does not exist: pass out/<run> or a repeat set holding r1 … rn")
        }
    }
}

/// `kp-report compare`: two builds side by side, with significance and an optional gate.
public enum CompareTool {
    /// Compares the runs `options` name (checking first that they exist); returns `.regression` (exit 5) when a figure is beyond its limit.
    public static func run(_ options: CompareOptions) throws -> KPExitCode {
        try options.checkInputs()
        let (a, b) = try options.sides()
        var limits: Thresholds?
        if let thresholds = options.thresholds {
            do {
                limits = try Thresholds(path: thresholds)
            } catch {
                throw InputError(error.description)
            }
        }
        let aRuns = a.flatMap(RepeatSet.runDirectories)
        let bRuns = b.flatMap(RepeatSet.runDirectories)
        let cmp = Compare(aRuns: aRuns, bRuns: bRuns, alpha: options.alpha, thresholds: limits)
        return try emit(cmp, out: options.out)
    }

    /// Writes compare.md, compare.csv and compare.html into `out`, prints the table (unless `quiet`),
    /// says on stderr what is too few or left out, and returns `.regression` when a figure is beyond
    /// its limit.
    public static func emit(_ cmp: Compare, out: String, quiet: Bool = false) throws -> KPExitCode {
        if let problem = FileOutput.prepareDirectory(out, flag: "--out") { throw InputError(problem) }
        do {
            try cmp.write(to: out)
        } catch {
            throw ToolFailure(error.description, exitCode: .failure)
        }
        // One unbuffered write: the table is whole on the terminal before any stderr line follows it.
        if !quiet { try? FileOutput.writeAll(fd: 1, Data(cmp.table.text.utf8)) }
        let unlike = cmp.unlikeSettings
        if !unlike.isEmpty {
            StandardError.write(
                "kp-report compare: not like for like: besides the target, A and B differ in: \(unlike.joined(separator: "; "))\n"
            )
        }
        for (side, m) in [("A", cmp.aMembers), ("B", cmp.bMembers)] {
            if let w = m.warning { StandardError.write("kp-report compare: side \(side): \(w)\n") }
        }
        if cmp.tooFewRuns {
            StandardError.write(
                "kp-report compare: too few valid runs to call (A \(cmp.aMembers.valid.count), B \(cmp.bMembers.valid.count); at least \(Compare.minRuns) a side)\n"
            )
        }
        let lines = cmp.breachLines
        for line in lines {
            StandardError.write("kp-report compare: REGRESSION \(line)\n")
        }
        return lines.isEmpty ? .ok : .regression
    }
}

/// `kp-report sweep`: the marginal and fixed cost per VCP, fitted over runs at several N.
public enum SweepTool {
    /// Fits the runs `options` name (checking first that they exist); a one-line error (exit 2) when they do not span two cluster counts.
    public static func run(_ options: SweepOptions) throws {
        try options.checkInputs()
        let runs = options.dirs.flatMap(RepeatSet.runDirectories)
        let sweep = Sweep(runs: runs)
        let ns = Set(sweep.sizes.map(\.n))
        guard ns.count >= 2 else {
            throw InputError(
                "the valid runs span \(ns.count) cluster count(s): a sweep needs valid runs at two or more (N from run_meta's clusters flag)"
                    + (sweep.members.warning.map { "; \($0)" } ?? ""))
        }
        try emit(sweep, out: options.out)
    }

    /// Writes sweep.md, sweep.csv and sweep.html into `out`, prints sweep.md (unless `quiet`) and
    /// says on stderr which runs were left out.
    public static func emit(_ sweep: Sweep, out: String, quiet: Bool = false) throws {
        if let problem = FileOutput.prepareDirectory(out, flag: "--out") { throw InputError(problem) }
        do {
            try sweep.write(to: out)
        } catch {
            throw ToolFailure(error.description, exitCode: .failure)
        }
        if !quiet { try? FileOutput.writeAll(fd: 1, Data(sweep.markdown.utf8)) }
        if let w = sweep.members.warning { StandardError.write("kp-report sweep: \(w)\n") }
    }
}
