import ArgumentParser
import KPCLI
import KPLaunch
import Logging

extension KPLaunchCommand {
    /// `kp-launch down`: asks the supervisor of a run to stop it.
    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the run that kp-launch up supervises in a run directory.",
            discussion: """
                Sends SIGTERM to the kp-launch whose pid is in <run-dir>/launch.pid and waits up to \
                --timeout for it to stop its target (SIGTERM, SIGKILL after 5 s) and any throw-away etcd, \
                delete the run's secrets and exit. The supervisor then exits 0. Fails (exit 2) when no run \
                is up in that directory.

                Example:
                  kp-launch down --run-dir out/demo
                """)

        @Option(
            name: [.customLong("run-dir"), .customLong("run")],
            help: ArgumentHelp(
                "Run directory given to kp-launch up, e.g. out/demo.", valueName: "dir"))
        var runDir: String

        @Option(
            help: ArgumentHelp("How long to wait for the run to stop (default: 15s).", valueName: "duration"),
            transform: DurationArgument.transform)
        var timeout = DurationArgument(.seconds(15), text: "15s")

        @Flag(name: .shortAndLong, help: "Only print warnings and errors.")
        var quiet = false

        func run() async throws {
            ToolLogging.bootstrap(quiet: quiet)
            try await RunControl.down(runDir: runDir, timeout: timeout.duration, logger: Logger(label: "kp-launch"))
        }
    }
}
