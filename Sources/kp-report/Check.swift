import ArgumentParser
import Foundation
import KPCLI
import KPReport

extension KPReportCommand {
    /// `kp-report check RUN_DIR`: says whether a run that went through every phase got everything it measured.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Check a finished run for missing measurements and failed load operations.",
            discussion: """
                kp-run calls it after the last phase, before it writes run_end. Prints one line on \
                stdout naming what is wrong and exits with the code the run deserves (docs/faults.md): \
                0 nothing is missing; 12 more than --max-load-error-percent of the load operations failed \
                (the target's errors, by status); 4 a phase sample, series samples or a profile are missing \
                (the line names each, with the scraper's reason). Exit 2 when RUN_DIR is not a directory.
                """)

        @Argument(help: ArgumentHelp("Run directory, e.g. out/mixed-hot-200.", valueName: "run-dir"))
        var runDir: String

        @Option(
            help: ArgumentHelp(
                "Largest share of failed load operations (0-100) a valid run may have.", valueName: "percent"))
        var maxLoadErrorPercent: Double = 1

        func validate() throws {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: runDir, isDirectory: &isDir), isDir.boolValue else {
                throw ValidationError("run directory '\(runDir)' does not exist: pass out/<run> as written by kp-run")
            }
            guard maxLoadErrorPercent >= 0 && maxLoadErrorPercent <= 100 else {
                throw ValidationError("--max-load-error-percent must be between 0 and 100 (got \(maxLoadErrorPercent))")
            }
        }

        func run() async throws {
            let report = Report(directory: runDir)
            let gaps = report.gaps
            if let pct = gaps.loadErrorPercent, pct > maxLoadErrorPercent, let clause = gaps.loadErrorClause {
                print("load: \(clause), over the \(Format.fixed(maxLoadErrorPercent, 1))% a valid run may have")
                throw ExitCode(KPExitCode.targetErrors.rawValue)
            }
            let phases = report.phases.missingPhases
            let missing =
                (phases.isEmpty ? [] : ["no sample for phase " + phases.joined(separator: ", ")])
                + gaps.missingMeasurements
            if !missing.isEmpty {
                print("measurements missing: " + missing.joined(separator: "; "))
                throw ExitCode(KPExitCode.incompleteData.rawValue)
            }
        }
    }
}
