import ArgumentParser
import KPCLI
import KPRecords
import KPReport

extension KPReportCommand {
    /// `kp-report end`: prints the run_end record that closes meta.jsonl.
    struct End: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "end",
            abstract: "Print a run_end record: how and where the run ended.",
            discussion:
                "The record goes to stdout; kp-run appends it to out/<run>/meta.jsonl before folding the report.")

        @Option(
            help: ArgumentHelp(
                "complete, incomplete (every phase ran, some measurements missing), failed or interrupted.",
                valueName: "status"))
        var status: String

        @Option(
            help: ArgumentHelp("The phase the run was in when it ended (report when complete).", valueName: "phase"))
        var phase: String

        @Option(help: ArgumentHelp("Why it ended early (one line).", valueName: "text"))
        var reason: String?

        @Option(help: ArgumentHelp("The exit code the run finishes with (docs/cli.md).", valueName: "n"))
        var exitCode: Int

        func validate() throws {
            guard RunMarkers.statuses.contains(status) else {
                throw ValidationError(
                    "--status '\(status)' is unknown: use \(RunMarkers.statuses.joined(separator: ", "))")
            }
            if phase.isEmpty { throw ValidationError("--phase must not be empty: name the phase the run ended in") }
            guard (0...255).contains(exitCode) else {
                throw ValidationError("--exit-code must be 0…255 (got \(exitCode))")
            }
        }

        func run() async throws {
            try JSONLWriter.stdout.write(
                RunMarkers.runEnd(status: status, phase: phase, reason: reason, exitCode: exitCode))
        }
    }
}
