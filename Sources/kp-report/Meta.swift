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

        @OptionGroup var options: MetaOptions

        func run() async throws {
            ToolLogging.bootstrap()
            let logger = Logger(label: "kp-report")
            #if DEBUG
                let configuration = "debug"
            #else
                let configuration = "release"
            #endif
            let log = ReportLog(info: { logger.info("\($0)") }, warning: { logger.warning("\($0)") })
            try JSONLWriter.stdout.write(try options.record(configuration: configuration, log: log))
        }
    }
}
