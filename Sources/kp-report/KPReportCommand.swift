import ArgumentParser
import KPCLI

/// `kp-report`: folds a run directory into summary.md, phases.csv, latency.csv, report.html, result.json
/// and CL2 PerfData files, and prints the
/// run_meta / run_end records the run script appends to meta.jsonl.
@main
struct KPReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kp-report",
        abstract:
            "Fold a kp-bench run directory into summary.md, phases.csv, latency.csv, report.html and result.json.",
        discussion: """
            kp-report RUN_DIR (the default subcommand, fold) reads RUN_DIR/{meta.jsonl, endpoint.json, \
            bootstrap.jsonl, samples.jsonl, timeseries.jsonl, load.jsonl, pprof/} and writes the report \
            files into RUN_DIR (or --out). Damaged input is skipped line by line and listed in summary.md's \
            "Data problems" section and on stderr; the report is still written (exit 0). Re-running on the \
            same directory gives byte-identical files. Columns and sections: docs/reports.md.

            kp-report meta and kp-report end print the run_meta and run_end records that kp-run \
            appends to meta.jsonl at the start and the end of a run; kp-report check says whether a run that \
            went through every phase is missing measurements (exit 4) or had too many failed load operations (12).

            kp-report DIR on a repeat set (DIR holding r1 … rn runs) folds each run and writes the set view \
            DIR/summary.md and summary.csv. kp-report compare A… -- B… calls changes between two builds \
            (exit 5 on a regression beyond --thresholds); kp-report sweep DIR… fits resources against N.
            """,
        version: KPReportVersion.text,
        subcommands: [
            Fold.self, Meta.self, End.self, Check.self, CompareCommand.self, SweepCommand.self, CapacityCommand.self,
            HistoryCommand.self,
        ],
        defaultSubcommand: Fold.self)

    static func main() async {
        await ToolMain.run(Self.self)
    }
}
