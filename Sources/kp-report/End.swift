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

        @OptionGroup var options: EndOptions

        func run() async throws {
            try JSONLWriter.stdout.write(options.record)
        }
    }
}
