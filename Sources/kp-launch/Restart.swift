import ArgumentParser
import KPCLI
import KPLaunch
import Logging

extension KPLaunchCommand {
    /// `kp-launch restart`: asks the supervisor of a run to restart its target keeping its storage.
    struct Restart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restart the target that kp-launch up supervises in a run directory, keeping its storage.",
            discussion: """
                Asks the kp-launch whose pid is in <run-dir>/launch.pid (through the control file \
                <run-dir>/launch.restart) to stop its target and start it again with the same flags: sim and \
                local modes restart the process on the same port with the same etcd and --etcd-prefix (a \
                throw-away etcd keeps running), docker mode runs docker compose restart apiserver. kp-launch up \
                waits for /readyz, rewrites endpoint.json with the new pid and writes a restart record (its \
                times: requested, stop, stopped, started, ready) on its stdout; this command prints the same \
                record. Exit 0 when the target is ready again; 10 when the restart failed (kp-launch up then \
                ends the run with exit 10); 2 when no run is up there or the run is in url mode (a server \
                kp-bench did not start is never restarted); 1 when no answer came within --timeout.

                Example:
                  kp-launch restart --run-dir out/restart-200
                """)

        @OptionGroup var options: LaunchRestartOptions

        func run() async throws {
            ToolLogging.bootstrap(quiet: options.quiet)
            try await RunControl.restartAndReport(
                runDir: options.runDir, timeout: options.timeout.duration, logger: Logger(label: "kp-launch"))
        }
    }
}
