import ArgumentParser
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

        @OptionGroup var options: CheckOptions

        func run() async throws {
            let code = try CheckTool.run(options)
            if code != .ok { throw ExitCode(code.rawValue) }
        }
    }
}
