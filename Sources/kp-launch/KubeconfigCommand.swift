import ArgumentParser
import KPCLI
import KPLaunch

extension KPLaunchCommand {
    /// `kp-launch kubeconfig`: prints a kubeconfig for one VCP (or the root) of a run.
    struct KubeconfigCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "kubeconfig",
            abstract: "Print a kubeconfig for a virtual control plane of a running run.",
            discussion: """
                Reads <run>/endpoint.json and prints a kubeconfig whose server is \
                <url>/clusters/<NAME>/control-plane, with cluster, user and context all named \
                kplane-<NAME> as the kplane CLI names them. It uses the run's CA file and token *file* \
                (tokenFile:), so the token itself is never printed. Without --cluster, the root \
                cluster's kubeconfig (the same as <run>/kubeconfig) is printed.

                Examples:
                  kp-launch kubeconfig --run out/demo --cluster c-001 > c-001.kubeconfig
                  kubectl --kubeconfig c-001.kubeconfig get ns default
                """)

        @OptionGroup var options: LaunchKubeconfigOptions

        func run() async throws {
            print(try Kubeconfig.forRun(options.run, cluster: options.cluster).yaml(), terminator: "")
        }
    }
}
