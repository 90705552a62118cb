import ArgumentParser
import Foundation
import KPCLI
import KPReport
import Logging

extension KPReportCommand {
    /// `kp-report [fold] RUN_DIR`: writes the report for one run directory.
    struct Fold: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fold",
            abstract: "Write summary.md, phases.csv and latency.csv for a run directory (the default).",
            discussion: """
                Each file is written to a temporary file and renamed into place, so a reader never sees \
                a half-written report. Exit 0 when the report was written, even from partial or damaged \
                input (summary.md then says INCOMPLETE and lists the data problems); 2 when RUN_DIR is not \
                a run directory; 1 when the files cannot be written.
                """)

        @Argument(help: ArgumentHelp("Run directory written by kp-run, e.g. out/bootstrap-200.", valueName: "run-dir"))
        var runDir: String

        @Option(help: ArgumentHelp("Write the report files here instead of into the run directory.", valueName: "dir"))
        var out: String?

        @Flag(help: "Print only warnings and errors on stderr.")
        var quiet = false

        func validate() throws {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: runDir, isDirectory: &isDir), isDir.boolValue else {
                throw ValidationError("run directory '\(runDir)' does not exist: pass out/<run> as written by kp-run")
            }
            if let out {
                guard FileManager.default.fileExists(atPath: out, isDirectory: &isDir), isDir.boolValue else {
                    throw ValidationError("--out '\(out)' is not a directory: create it first or leave --out off")
                }
            }
        }

        func run() async throws {
            ToolLogging.bootstrap(quiet: quiet)
            let logger = Logger(label: "kp-report")
            let data = RunData.load(directory: runDir)
            if data.missingFiles.count == RunData.inputFiles.count && data.pprofFiles.isEmpty {
                throw InputError(
                    "\(runDir) holds none of \(RunData.inputFiles.joined(separator: ", ")): pass a run directory written by kp-run")
            }
            let report = Report(data: data, directory: runDir)
            for problem in report.problems { logger.warning("data problem: \(problem)") }
            let destination = out ?? runDir
            do {
                try report.write(to: destination)
            } catch {
                throw ToolFailure(error.description, exitCode: .failure)
            }
            let incomplete = report.incompleteReasons
            if incomplete.isEmpty {
                logger.info("wrote \(Report.outputFiles.joined(separator: ", ")) to \(destination)")
            } else {
                logger.warning("wrote an INCOMPLETE report to \(destination): \(incomplete.joined(separator: "; "))")
            }
        }
    }
}
