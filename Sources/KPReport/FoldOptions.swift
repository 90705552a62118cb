import ArgumentParser
import Foundation
import KPCLI
import KPRunModel

/// `kp-report [fold]`'s flags.
///
/// Every check needs the disk (the run directory, --out, the budgets file), so they are in
/// ``checkInputs()``, which ``FoldTool/run()`` calls first: parsing alone reads nothing.
public struct FoldOptions: ParsableArguments, Sendable {
    @Argument(help: ArgumentHelp("Run directory written by kp-run, e.g. out/bootstrap-200.", valueName: "run-dir"))
    public var runDir: String

    @Option(
        help: ArgumentHelp(
            "Write the report files here instead of into the run directory (created if missing).", valueName: "dir")
    )
    public var out: String?

    @Flag(help: "Print only warnings and errors on stderr.")
    public var quiet = false

    @Option(
        help: ArgumentHelp(
            "Absolute budgets YAML (see budgets.example.yaml): a broken error budget exits 7.", valueName: "file"))
    public var budgets: String?

    public init() {}

    /// The checks that read the disk: the run directory exists, --out is not a file, the budgets
    /// file reads; returns the budgets (bad input: one line, exit 2).
    @discardableResult
    public func checkInputs() throws -> Budgets? {
        guard PathKind.isDirectory(runDir) else {
            throw ValidationError("run directory '\(runDir)' does not exist: pass out/<run> as written by kp-run")
        }
        if let out, PathKind.isNonDirectory(out) {
            throw ValidationError(
                "--out '\(out)' exists and is not a directory: give a directory path or leave --out off")
        }
        guard let budgets else { return nil }
        do { return try Budgets(path: budgets) } catch { throw ValidationError(error.description) }
    }
}

/// `kp-report [fold] RUN_DIR`: the report of one run, or of a repeat set, sweep or comparison kp-run wrote.
public struct FoldTool: Sendable {
    public var options: FoldOptions
    public var log: ReportLog

    public init(options: FoldOptions, log: ReportLog) {
        self.options = options
        self.log = log
    }

    /// KPExitCode's names for result.json's `exit_name` (`incompleteData` → `incomplete-data`).
    public static var exitCodeNames: [Int: String] {
        Dictionary(
            uniqueKeysWithValues: KPExitCode.allCases.map { code in
                (
                    Int(code.rawValue),
                    String("\(code)".flatMap { $0.isUppercase ? ["-", Character($0.lowercased())] : [$0] })
                )
            })
    }

    /// Writes the report files; returns `.regression` when a comparison kp-run wrote finds one (exit 5).
    /// Throws a one-line error for bad input (exit 2), unwritable files (1) and a broken error budget (7).
    public func run() throws -> KPExitCode {
        let budgetLimits = try options.checkInputs()
        let runDir = options.runDir
        let out = options.out
        let plan: RunSetPlan?
        do { plan = try RunSetPlan.read(from: runDir) } catch { throw InputError(error.description) }
        if let budgets = options.budgets, budgetLimits != nil && (plan != nil || RepeatSet.isRepeatSet(runDir)) {
            throw InputError(
                "--budgets applies to one run, and \(runDir) is a set: fold each of its runs with it (kp-report \(runDir)/<run> --budgets \(budgets))"
            )
        }
        if let plan, plan.kind != .repeatSet {
            return try foldSet(plan)
        }
        if RepeatSet.isRepeatSet(runDir) {
            // A repeat set (REPEAT=n): fold every rN run, then the set view (docs/reports.md).
            let set = RepeatSet(directory: runDir, plan: plan)
            if let out, let problem = FileOutput.prepareDirectory(out, flag: "--out") { throw InputError(problem) }
            do {
                try set.write(setViewTo: out, exitCodeNames: Self.exitCodeNames)
            } catch {
                throw ToolFailure(error.description, exitCode: .failure)
            }
            log.info(
                "wrote the reports of \(set.runs.count) runs and the set view \(RepeatSet.outputFiles.joined(separator: ", ")) to \(out ?? runDir)"
            )
            if let w = set.members.warning { log.warning("INCOMPLETE set: \(w)") }
            return .ok
        }
        let data = RunData.load(directory: runDir)
        if data.missingFiles.count == RunData.inputFiles.count && data.pprofFiles.isEmpty {
            if let command = Self.setCommand(runDir) {
                throw InputError("\(runDir) is not one run: fold it with \(command)")
            }
            throw InputError(
                "\(runDir) holds none of \(RunData.inputFiles.joined(separator: ", ")): pass a run directory written by kp-run"
            )
        }
        var report = Report(data: data, directory: runDir)
        report.budgets = budgetLimits
        for problem in report.problems { log.warning("data problem: \(problem)") }
        let destination = out ?? runDir
        // --out is created only now, once the run directory is known to hold a run.
        if let out, let problem = FileOutput.prepareDirectory(out, flag: "--out") { throw InputError(problem) }
        do {
            try report.write(to: destination, exitCodeNames: Self.exitCodeNames)
        } catch {
            throw ToolFailure(error.description, exitCode: .failure)
        }
        let incomplete = report.incompleteReasons
        if incomplete.isEmpty {
            let files = Report.outputFiles + (report.junit == nil ? [] : [RunLayout.junit])
            log.info("wrote \(files.joined(separator: ", ")) to \(destination)")
        } else {
            log.warning("wrote an INCOMPLETE report to \(destination): \(incomplete.joined(separator: "; "))")
        }
        if report.budgets != nil { try stateBudgets(report) }
        return .ok
    }

    /// Prints each budget's verdict on stdout and says broken ones on stderr; throws exit 7 when
    /// an error budget broke (kp-run passes that code and line on).
    func stateBudgets(_ report: Report) throws {
        let results = report.budgetResults
        var lines = ["budgets: \(report.budgetsVerdict)"]
        for b in results {
            let word =
                switch b.verdict {
                case .held: "held"
                case .broken: b.entry.severity == .error ? "BROKEN" : "broken (warning)"
                case .unmeasured: "not measured"
                }
            lines.append("budget \(word): \(b.line)")
        }
        try? FileOutput.writeAll(fd: 1, Data((lines.joined(separator: "\n") + "\n").utf8))
        for b in results.broken(.warning) { log.warning("warning budget broken: \(b.line)") }
        let errors = results.broken(.error)
        if let first = errors.first {
            throw ToolFailure(
                "error budget broken: \(first.line)"
                    + (errors.count > 1 ? "; and \(errors.count - 1) more (summary.md, Budgets)" : ""),
                exitCode: .budgetBroken)
        }
    }

    /// Folds a sweep's or a comparison's folder by its runset.json: the sizes or sides that exist,
    /// their valid runs, and "k of n runs ended" when the set stopped early.
    func foldSet(_ plan: RunSetPlan) throws -> KPExitCode {
        let runDir = options.runDir
        let out = options.out
        func runs(_ group: String) -> [String] {
            let path = RunLayout.path(runDir, group)
            guard FileManager.default.fileExists(atPath: path) else { return [] }
            return RepeatSet.runDirectories(path)
        }
        switch plan.kind {
        case .sweep:
            let sweep = Sweep(runs: plan.groups.flatMap(runs), directory: runDir, plan: plan)
            try SweepTool.emit(sweep, out: out ?? runDir, quiet: options.quiet)
        case .compare:
            guard plan.groups.count == 2 else {
                throw InputError(
                    "\(RunLayout.path(runDir, RunLayout.runSet)) names \(plan.groups.count) sides: a comparison has two"
                )
            }
            var limits: Thresholds?
            if let t = plan.thresholds {
                do { limits = try Thresholds(path: t) } catch { throw InputError(error.description) }
            }
            let cmp = Compare(
                aRuns: runs(plan.groups[0]), bRuns: runs(plan.groups[1]), thresholds: limits, directory: runDir,
                plan: plan)
            let code = try CompareTool.emit(cmp, out: out ?? runDir, quiet: options.quiet)
            if code != .ok { return code }
            if cmp.isIncomplete {
                log.warning("INCOMPLETE comparison: \(cmp.allMembers.ended) of \(plan.runs.count) runs ended")
            }
        case .repeatSet:
            break
        }
        return .ok
    }

    /// The kp-report command that folds `dir` when it is a sweep (`n<size>/` folders) or a
    /// comparison (`A/` and `B/`) that kp-run wrote, else nil.
    static func setCommand(_ dir: String) -> String? {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
        func isDir(_ name: String) -> Bool { PathKind.isDirectory("\(dir)/\(name)") }
        if isDir("A") && isDir("B") { return "kp-report compare --out \(dir) \(dir)/A -- \(dir)/B" }
        let sizes = names.compactMap { name -> (name: String, n: Int)? in
            guard name.hasPrefix("n"), let n = Int(name.dropFirst()), isDir(name) else { return nil }
            return (name, n)
        }
        .sorted { $0.n < $1.n }
        if !sizes.isEmpty {
            return "kp-report sweep --out \(dir) " + sizes.map { "\(dir)/\($0.name)" }.joined(separator: " ")
        }
        return nil
    }
}
