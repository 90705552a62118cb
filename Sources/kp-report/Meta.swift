import ArgumentParser
import KPCLI
import KPRecords
import KPReport
import Logging

extension KPReportCommand {
    /// `kp-report meta`: prints the run_meta record that opens meta.jsonl.
    struct Meta: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "meta",
            abstract: "Print a run_meta record: the run's settings and this machine's facts.",
            discussion: """
                Host facts are read from the machine: hostname, cores (nproc), MemTotal from /proc/meminfo, \
                the kernel release (uname -r) and PRETTY_NAME from /etc/os-release. The harness facts \
                name this kp-bench build: the commit of the checkout the tools were built in (git, or \
                KP_BENCH_COMMIT), whether it had uncommitted changes, and debug or release. The record \
                goes to stdout; kp-run appends it to out/<run>/meta.jsonl.
                """)

        @Option(help: ArgumentHelp("Run name (the folder under out/).", valueName: "name"))
        var run: String

        @Option(help: ArgumentHelp("Scenario: \(RunMarkers.scenarios.joined(separator: ", ")).", valueName: "scenario"))
        var scenario: String

        @Option(
            name: .customLong("flag"),
            help: ArgumentHelp(
                "A run setting as key=value (repeatable), e.g. --flag clusters=200.", valueName: "key=value"))
        var flags: [String] = []

        func validate() throws {
            if run.isEmpty { throw ValidationError("--run must not be empty: give the run's folder name") }
            guard RunMarkers.scenarios.contains(scenario) else {
                throw ValidationError(
                    "--scenario '\(scenario)' is unknown: use \(RunMarkers.scenarios.joined(separator: ", "))")
            }
            do {
                _ = try RunMarkers.parseFlags(flags)
            } catch {
                throw ValidationError(error.description)
            }
        }

        func run() async throws {
            ToolLogging.bootstrap()
            let logger = Logger(label: "kp-report")
            let parsed = try RunMarkers.parseFlags(flags)
            let facts = HostFacts.current()
            for p in facts.problems { logger.warning("host fact unavailable: \(p)") }
            #if DEBUG
                let configuration = "debug"
            #else
                let configuration = "release"
            #endif
            try JSONLWriter.stdout.write(
                RunMarkers.runMeta(
                    run: run, scenario: scenario, flags: parsed, host: facts.host,
                    harness: HarnessFacts.current(configuration: configuration)))
        }
    }
}
