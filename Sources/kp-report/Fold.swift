import ArgumentParser
import Foundation
import KPCLI
import KPReport
import KPRunModel
import Logging

extension KPReportCommand {
    /// `kp-report [fold] RUN_DIR`: writes the report for one run directory.
    struct Fold: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fold",
            abstract:
                "Write summary.md, phases.csv, latency.csv, report.html, result.json and CL2 PerfData files for a run directory (the default).",
            discussion: """
                Each file is written to a temporary file and renamed into place, so a reader never sees \
                a half-written report. Exit 0 when the report was written, even from partial or damaged \
                input (summary.md then says INCOMPLETE and lists the data problems); 2 when RUN_DIR is not \
                a run directory; 1 when the files cannot be written. With --budgets FILE (YAML, see \
                budgets.example.yaml) it holds the run's figures against absolute limits, adds a Budgets \
                section to summary.md, result.json and report.html, writes junit.xml (also written for a run \
                with SLO checks), prints each budget's verdict on stdout, and exits 7 when a budget of \
                severity error is broken (a broken warning budget is said and exits 0).
                """)

        @Argument(help: ArgumentHelp("Run directory written by kp-run, e.g. out/bootstrap-200.", valueName: "run-dir"))
        var runDir: String

        @Option(
            help: ArgumentHelp(
                "Write the report files here instead of into the run directory (created if missing).", valueName: "dir")
        )
        var out: String?

        @Flag(help: "Print only warnings and errors on stderr.")
        var quiet = false

        @Option(
            help: ArgumentHelp(
                "Absolute budgets YAML (see budgets.example.yaml): a broken error budget exits 7.", valueName: "file"))
        var budgets: String?

        /// The budgets file, read and checked (bad input: one line, exit 2).
        func readBudgets() throws -> Budgets? {
            guard let budgets else { return nil }
            do { return try Budgets(path: budgets) } catch { throw ValidationError(error.description) }
        }

        /// Prints each budget's verdict on stdout and says broken ones on stderr; throws exit 7 when
        /// an error budget broke (kp-run passes that code and line on).
        static func stateBudgets(_ report: Report, logger: Logger) throws {
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
            for b in results.broken(.warning) { logger.warning("warning budget broken: \(b.line)") }
            let errors = results.broken(.error)
            if let first = errors.first {
                throw ToolFailure(
                    "error budget broken: \(first.line)"
                        + (errors.count > 1 ? "; and \(errors.count - 1) more (summary.md, Budgets)" : ""),
                    exitCode: .budgetBroken)
            }
        }

        /// KPExitCode's names for result.json's `exit_name` (`incompleteData` → `incomplete-data`).
        static var exitCodeNames: [Int: String] {
            Dictionary(
                uniqueKeysWithValues: KPExitCode.allCases.map { code in
                    (
                        Int(code.rawValue),
                        String("\(code)".flatMap { $0.isUppercase ? ["-", Character($0.lowercased())] : [$0] })
                    )
                })
        }

        /// Folds a sweep's or a comparison's folder by its runset.json: the sizes or sides that exist,
        /// their valid runs, and "k of n runs ended" when the set stopped early.
        func foldSet(_ plan: RunSetPlan) throws {
            func runs(_ group: String) -> [String] {
                let path = RunLayout.path(runDir, group)
                guard FileManager.default.fileExists(atPath: path) else { return [] }
                return RepeatSet.runDirectories(path)
            }
            switch plan.kind {
            case .sweep:
                let sweep = Sweep(runs: plan.groups.flatMap(runs), directory: runDir, plan: plan)
                try SweepCommand.emit(sweep, out: out ?? runDir)
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
                try CompareCommand.emit(cmp, out: out ?? runDir)
                if cmp.isIncomplete {
                    Logger(label: "kp-report").warning(
                        "INCOMPLETE comparison: \(cmp.allMembers.ended) of \(plan.runs.count) runs ended"
                    )
                }
            case .repeatSet:
                break
            }
        }

        /// The kp-report command that folds `dir` when it is a sweep (`n<size>/` folders) or a
        /// comparison (`A/` and `B/`) that kp-run wrote, else nil.
        static func setCommand(_ dir: String) -> String? {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
            func isDir(_ name: String) -> Bool {
                var d: ObjCBool = false
                return FileManager.default.fileExists(atPath: "\(dir)/\(name)", isDirectory: &d) && d.boolValue
            }
            if isDir("A") && isDir("B") { return "kp-report compare --out \(dir) \(dir)/A -- \(dir)/B" }
            let sizes = names.filter { $0.hasPrefix("n") && Int($0.dropFirst()) != nil && isDir($0) }
                .sorted { Int($0.dropFirst())! < Int($1.dropFirst())! }
            if !sizes.isEmpty {
                return "kp-report sweep --out \(dir) " + sizes.map { "\(dir)/\($0)" }.joined(separator: " ")
            }
            return nil
        }

        func validate() throws {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: runDir, isDirectory: &isDir), isDir.boolValue else {
                throw ValidationError("run directory '\(runDir)' does not exist: pass out/<run> as written by kp-run")
            }
            if let out, FileManager.default.fileExists(atPath: out, isDirectory: &isDir), !isDir.boolValue {
                throw ValidationError(
                    "--out '\(out)' exists and is not a directory: give a directory path or leave --out off")
            }
            _ = try readBudgets()
        }

        func run() async throws {
            ToolLogging.bootstrap(quiet: quiet)
            let logger = Logger(label: "kp-report")
            let plan: RunSetPlan?
            do { plan = try RunSetPlan.read(from: runDir) } catch { throw InputError(error.description) }
            let budgetLimits = try readBudgets()
            if budgetLimits != nil && (plan != nil || RepeatSet.isRepeatSet(runDir)) {
                throw InputError(
                    "--budgets applies to one run, and \(runDir) is a set: fold each of its runs with it (kp-report \(runDir)/<run> --budgets \(budgets!))"
                )
            }
            if let plan, plan.kind != .repeatSet {
                try foldSet(plan)
                return
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
                logger.info(
                    "wrote the reports of \(set.runs.count) runs and the set view \(RepeatSet.outputFiles.joined(separator: ", ")) to \(out ?? runDir)"
                )
                if let w = set.members.warning { logger.warning("INCOMPLETE set: \(w)") }
                return
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
            for problem in report.problems { logger.warning("data problem: \(problem)") }
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
                logger.info("wrote \(files.joined(separator: ", ")) to \(destination)")
            } else {
                logger.warning("wrote an INCOMPLETE report to \(destination): \(incomplete.joined(separator: "; "))")
            }
            if report.budgets != nil { try Self.stateBudgets(report, logger: logger) }
        }
    }
}
