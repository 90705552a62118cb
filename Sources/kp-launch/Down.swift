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

        @OptionGroup var options: LaunchDownOptions

        func run() async throws {
            ToolLogging.bootstrap(quiet: options.quiet)
            try await RunControl.down(
                runDir: options.runDir, timeout: options.timeout.duration, logger: Logger(label: "kp-launch"))
        }
    }
}
