import ArgumentParser
import Foundation
import KPCLI
import KPLaunch
import Logging

extension KPLaunchCommand {
    /// `kp-launch up`: start, publish and supervise a run's target.
    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the target, wait for /readyz, write the endpoint record, and supervise it (default).",
            discussion: """
                Mode: --mode sim|local|url|docker, or implied by what is given: --apiserver-bin or \
                --apiserver-dir (or APISERVER_BIN/APISERVER_DIR) → local; --apiserver-url/APISERVER_URL \
                or --kubeconfig → url; --sim → the bundled kp-sim; nothing → docker (the seed's default). \
                Settings that select different modes are an error (exit 2); kp-launch never falls back. \
                With --mode docker, --apiserver-url is the seed's docker-mode flag instead: the base URL of the \
                stack's apiserver (default: https://127.0.0.1:6443); APISERVER_URL always means url mode.

                Environment: a flag wins over its variable, except ETCD_ENDPOINTS, which wins over \
                --etcd-endpoints as the seed says (an empty variable counts as unset).

                sim and local modes start the target with the contract flag set (--etcd-servers, a unique \
                --etcd-prefix=/registry-kpbench-<run>-<unixnano>, --cert-dir=<run>/target/certs, \
                --secure-port, RBAC, --token-auth-file, the service-account key flags, --v=2, \
                --bind-address=127.0.0.1), then --sim-arg and --apiserver-arg values. They write a fresh \
                token (<run>/target/tokens.csv and token, mode 0600) and RSA-2048 key (<run>/target/sa.key). \
                Local mode without --etcd-endpoints (and sim mode with --sim-etcd) starts a throw-away etcd \
                (from PATH) on free loopback ports. Target output goes to <run>/logs/target.stdout.log and .stderr.log, etcd's to logs/etcd.log.

                Writes <run>/endpoint.json (also printed on stdout), <run>/kubeconfig and <run>/launch.pid.

                Examples:
                  kp-launch up --run-dir out/demo --sim --sim-arg=--fault-latency=fixed:5ms
                  kp-launch up --run-dir out/local --apiserver-bin ../apiserver/bin/apiserver --port 6443
                  ETCD_ENDPOINTS=http://127.0.0.1:2379 kp-launch up --run-dir out/dev --apiserver-dir ../apiserver
                  kp-launch up --run-dir out/remote --kubeconfig ~/.kube/kplane.yaml
                """)

        @OptionGroup var options: LaunchUpOptions

        func run() async throws {
            ToolLogging.bootstrap(verbose: options.verbose, quiet: options.quiet)
            let configuration = try options.configuration(
                environment: ProcessInfo.processInfo.environment, logger: Logger(label: "kp-launch"))
            let code = try await Launcher(configuration: configuration, stopSignals: SignalWatcher.shared).up()
            if code != .ok { throw ExitCode(code.rawValue) }
        }
    }
}
