import ArgumentParser
import KPCLI
import KPReport
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

        @OptionGroup var options: FoldOptions

        func run() async throws {
            ToolLogging.bootstrap(quiet: options.quiet)
            let logger = Logger(label: "kp-report")
            let log = ReportLog(
                info: { logger.info("\($0)") }, warning: { logger.warning("\($0)") })
            let code = try FoldTool(options: options, log: log).run()
            if code != .ok { throw ExitCode(code.rawValue) }
        }
    }
}
