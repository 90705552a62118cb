import ArgumentParser
import KPCLI
import KPRunModel

/// The restart scenario's target, checked before anything starts.
extension RunCommand {
    /// True when one of the run's scenarios restarts its target.
    var restarts: Bool {
        ([scenario] + (bScenario.map { [$0] } ?? [])).contains {
            Scenario.named($0)?.steps.contains(.restart) == true
        }
    }

    /// `--scenario restart` restarts a target kp-bench started (sim, local, docker); a server given by
    /// URL (APISERVER_URL, or kp-launch's --apiserver-url/--kubeconfig/--mode url in LAUNCH_ARGS) is
    /// refused, since kp-bench cannot restart it.
    func validateRestart() throws {
        guard restarts else { return }
        let args = launchArgs
        let dockerURL =
            args.contains("--mode=docker") || zip(args, args.dropFirst()).contains { $0 == ("--mode", "docker") }
        let urlByLaunchArgs =
            args.contains { $0 == "--kubeconfig" || $0.hasPrefix("--kubeconfig=") || $0 == "--mode=url" }
            || zip(args, args.dropFirst()).contains { $0 == ("--mode", "url") }
            || (!dockerURL && args.contains { $0 == "--apiserver-url" || $0.hasPrefix("--apiserver-url=") })
        if !sim && (envValue("APISERVER_URL") != nil || urlByLaunchArgs) {
            throw ValidationError(
                "--scenario restart restarts the target, and a server given by URL (APISERVER_URL, url mode) is not kp-bench's to restart: run it with APISERVER_BIN, APISERVER_DIR, docker mode or SIM=1"
            )
        }
    }
}
