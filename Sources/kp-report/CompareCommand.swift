import ArgumentParser
import Foundation
import KPCLI
import KPReport

extension KPReportCommand {
    /// `kp-report compare A_DIR… -- B_DIR…`: two builds side by side, with significance and an optional gate.
    struct CompareCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compare",
            abstract: "Compare runs of build A with runs of build B: medians, change, Mann–Whitney p, verdict.",
            discussion: """
                Each side is one or more run directories or repeat sets (a folder of r1 … rn runs, as \
                REPEAT=n writes); put the options first, then A's directories, then --, then B's. For every \
                figure of the headline, phases and load tables it prints and writes (compare.md, compare.csv, \
                compare.html with a chart per figure, in --out) the A and B medians, the change in %, the two-sided Mann–Whitney U p-value and a \
                verdict: better / worse when p < --alpha, ~ otherwise, "too few valid runs to call" with fewer \
                than 4 valid runs on a side. Only valid runs are compared: a run that failed, was \
                interrupted, was generator-limited or lost a load shard is listed with its reason and left out. With --thresholds FILE (YAML, see thresholds.example.yaml) it exits 5 when \
                a change is significant, worse and beyond its limit, naming each figure on stderr; otherwise \
                0; it then also writes junit.xml, one test case per figure a threshold covers. Exit 2 on bad input (a missing directory, an empty side, a bad thresholds file).
                """)

        @Option(
            help: ArgumentHelp(
                "Write compare.md, compare.csv and compare.html here (created if needed).", valueName: "dir"))
        var out: String = "out/compare"

        @Option(
            help: ArgumentHelp(
                "YAML limits per figure; a significant change beyond its limit exits 5.", valueName: "file"))
        var thresholds: String?

        @Option(help: ArgumentHelp("Significance level of the Mann–Whitney U test.", valueName: "alpha"))
        var alpha: Double = 0.05

        @Argument(
            parsing: .captureForPassthrough,
            help: ArgumentHelp("A's run directories or repeat sets, --, then B's.", valueName: "a-dir… -- b-dir…"))
        var dirs: [String] = []

        /// A's and B's directories as given.
        func sides() throws -> ([String], [String]) {
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

        func validate() throws {
            // Passthrough capture also swallows --help when it comes first.
            if let first = dirs.first, first == "--help" || first == "-h" { throw CleanExit.helpRequest(self) }
            guard alpha > 0 && alpha < 1 else {
                throw ValidationError("--alpha must be between 0 and 1 (got \(alpha))")
            }
            let (a, b) = try sides()
            for d in a + b {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: d, isDirectory: &isDir), isDir.boolValue else {
                    throw ValidationError(
                        "run directory '\(d)' does not exist: pass out/<run> or a repeat set out/<run> holding r1 … rn")
                }
            }
        }

        func run() async throws {
            let (a, b) = try sides()
            var limits: Thresholds?
            if let thresholds {
                do {
                    limits = try Thresholds(path: thresholds)
                } catch {
                    throw InputError(error.description)
                }
            }
            let aRuns = a.flatMap(RepeatSet.runDirectories)
            let bRuns = b.flatMap(RepeatSet.runDirectories)
            let cmp = Compare(aRuns: aRuns, bRuns: bRuns, alpha: alpha, thresholds: limits)
            try Self.emit(cmp, out: out)
        }

        /// Writes compare.md, compare.csv and compare.html into `out`, prints the table, says on
        /// stderr what is too few or left out, and exits 5 (regression) when a figure is beyond its limit.
        static func emit(_ cmp: Compare, out: String) throws {
            if let problem = FileOutput.prepareDirectory(out, flag: "--out") { throw InputError(problem) }
            do {
                try cmp.write(to: out)
            } catch {
                throw ToolFailure(error.description, exitCode: .failure)
            }
            // One unbuffered write: the table is whole on the terminal before any stderr line follows it.
            try? FileOutput.writeAll(fd: 1, Data(cmp.table.text.utf8))
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
            if !lines.isEmpty {
                for line in lines {
                    StandardError.write("kp-report compare: REGRESSION \(line)\n")
                }
                throw ExitCode(KPExitCode.regression.rawValue)
            }
        }
    }

    /// `kp-report sweep DIR…`: the marginal and fixed cost per VCP, fitted over runs at several N.
    struct SweepCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sweep",
            abstract:
                "Fit every steady-phase resource against N: marginal cost per VCP and fixed cost, with 95% intervals.",
            discussion: """
                Each DIR is a run or a repeat set (r1 … rn); N is each run's clusters flag. Writes sweep.md, \
                sweep.csv and sweep.html (each fit with its 95% band) into --out: per resource the least-squares slope (marginal cost per VCP) and \
                intercept (fixed cost) with 95% confidence intervals (Student t, n−2 df), R², the baseline's \
                range, residuals, and whether the resource looks linear in N. Only valid runs are fitted (a \
                run that failed, was interrupted, was generator-limited or lost a load shard is listed and \
                left out). Exit 2 when a directory is missing or the valid runs do not span two cluster counts.
                """)

        @Option(
            help: ArgumentHelp("Write sweep.md, sweep.csv and sweep.html here (created if needed).", valueName: "dir"))
        var out: String = "out/sweep"

        @Argument(help: ArgumentHelp("Run directories or repeat sets at different cluster counts.", valueName: "dir"))
        var dirs: [String] = []

        func validate() throws {
            guard !dirs.isEmpty else {
                throw ValidationError("give the run directories of the sweep, e.g. out/sweep-50 out/sweep-100 …")
            }
            for d in dirs {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: d, isDirectory: &isDir), isDir.boolValue else {
                    throw ValidationError(
                        "run directory '\(d)' does not exist: pass out/<run> or a repeat set holding r1 … rn")
                }
            }
        }

        func run() async throws {
            let runs = dirs.flatMap(RepeatSet.runDirectories)
            let sweep = Sweep(runs: runs)
            let ns = Set(sweep.sizes.map(\.n))
            guard ns.count >= 2 else {
                throw InputError(
                    "the valid runs span \(ns.count) cluster count(s): a sweep needs valid runs at two or more (N from run_meta's clusters flag)"
                        + (sweep.members.warning.map { "; \($0)" } ?? ""))
            }
            try Self.emit(sweep, out: out)
        }

        /// Writes sweep.md, sweep.csv and sweep.html into `out`, prints sweep.md and says on stderr
        /// which runs were left out.
        static func emit(_ sweep: Sweep, out: String) throws {
            if let problem = FileOutput.prepareDirectory(out, flag: "--out") { throw InputError(problem) }
            do {
                try sweep.write(to: out)
            } catch {
                throw ToolFailure(error.description, exitCode: .failure)
            }
            try? FileOutput.writeAll(fd: 1, Data(sweep.markdown.utf8))
            if let w = sweep.members.warning { StandardError.write("kp-report sweep: \(w)\n") }
        }
    }
}
