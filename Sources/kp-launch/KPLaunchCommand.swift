import ArgumentParser
import KPCLI

/// `kp-launch`: brings up the target of a kp-bench run and supervises it.
@main
struct KPLaunchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kp-launch",
        abstract: "Start a kplane apiserver (or kp-sim) for a run, publish its endpoint, and supervise it.",
        discussion: """
            kp-launch up (the default subcommand) starts the target with the kplane smoke test's flag set, \
            waits for /readyz, writes out/<run>/endpoint.json and out/<run>/kubeconfig, prints the endpoint \
            record on stdout, and stays in the foreground until the target dies (exit 10; etcd: 13), \
            SIGINT/SIGTERM (130/143) or kp-launch down (0). It then stops exactly what it started and \
            deletes the run's token and keys.

            Examples:
              kp-launch up --run-dir out/demo --sim
              APISERVER_BIN=../apiserver/bin/apiserver kp-launch up --run-dir out/local
              kp-launch up --run-dir out/remote --apiserver-url https://10.0.0.5:6443 --token-file tok --ca-file ca.crt
              kp-launch down --run-dir out/demo
              kp-launch restart --run-dir out/demo
              kubectl --kubeconfig out/demo/kubeconfig get --raw /version
              kp-launch kubeconfig --run out/demo --cluster c-001 > c-001.kubeconfig
            """,
        version: "kp-launch \(KPLaunchVersion.text)",
        subcommands: [Up.self, Down.self, Restart.self, KubeconfigCommand.self],
        defaultSubcommand: Up.self)

    static func main() async {
        await ToolMain.run(KPLaunchCommand.self)
    }
}
