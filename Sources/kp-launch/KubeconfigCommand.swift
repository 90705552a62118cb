import ArgumentParser
import Foundation
import KPCLI
import KPLaunch
import KPRecords

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

        @Option(
            name: [.customLong("run"), .customLong("run-dir")],
            help: ArgumentHelp(
                "Run directory of a run that is up, e.g. out/demo.", valueName: "dir"))
        var run: String

        @Option(
            help: ArgumentHelp(
                "Virtual control plane name, e.g. c-001 (letters, digits, '_', '.', '-').", valueName: "name"))
        var cluster: String?

        func validate() throws {
            if let cluster, !Kubeconfig.isValidClusterName(cluster) {
                throw ValidationError(
                    "--cluster '\(cluster)' is not a VCP name: use letters, digits, '_', '.' or '-', starting with a letter or digit"
                )
            }
        }

        func run() async throws {
            let files = RunFiles(runDir: run)
            guard FileManager.default.isReadableFile(atPath: files.endpointFile) else {
                throw InputError(
                    "\(run)/endpoint.json is not readable: is a run up there (kp-launch up --run-dir \(run))?")
            }
            var endpoint: EndpointRecord?
            for item in try JSONLReader.read(path: files.endpointFile) {
                if case .success(.endpoint(let record)) = item { endpoint = record }
            }
            guard let endpoint else {
                throw InputError("\(files.endpointFile) holds no endpoint record: restart the run with kp-launch up")
            }
            let config =
                cluster.map { Kubeconfig.virtualControlPlane($0, endpoint: endpoint) }
                ?? Kubeconfig.root(for: endpoint, runName: files.runName)
            print(try config.yaml(), terminator: "")
        }
    }
}
