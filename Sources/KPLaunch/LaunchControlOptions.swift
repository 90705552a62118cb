import ArgumentParser
import Foundation
import KPCLI
import KPRecords
import Logging

/// `kp-launch down`'s flags.
public struct LaunchDownOptions: ParsableArguments, Sendable {
    @Option(
        name: [.customLong("run-dir"), .customLong("run")],
        help: ArgumentHelp(
            "Run directory given to kp-launch up, e.g. out/demo.", valueName: "dir"))
    public var runDir: String

    @Option(
        help: ArgumentHelp("How long to wait for the run to stop (default: 15s).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var timeout = DurationArgument(.seconds(15), text: "15s")

    @Flag(name: .shortAndLong, help: "Only print warnings and errors.")
    public var quiet = false

    public init() {}
}

/// `kp-launch restart`'s flags.
public struct LaunchRestartOptions: ParsableArguments, Sendable {
    @Option(
        name: [.customLong("run-dir"), .customLong("run")],
        help: ArgumentHelp("Run directory given to kp-launch up, e.g. out/demo.", valueName: "dir"))
    public var runDir: String

    @Option(
        help: ArgumentHelp(
            "How long to wait for the target to be ready again (default: 120s).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var timeout = DurationArgument(.seconds(120), text: "120s")

    @Flag(name: .shortAndLong, help: "Only print warnings and errors.")
    public var quiet = false

    public init() {}

    public func validate() throws {
        if timeout.duration <= .zero { throw ValidationError("--timeout must be more than 0s, e.g. 120s") }
    }
}

/// `kp-launch kubeconfig`'s flags.
public struct LaunchKubeconfigOptions: ParsableArguments, Sendable {
    @Option(
        name: [.customLong("run"), .customLong("run-dir")],
        help: ArgumentHelp(
            "Run directory of a run that is up, e.g. out/demo.", valueName: "dir"))
    public var run: String

    @Option(
        help: ArgumentHelp(
            "Virtual control plane name, e.g. c-001 (letters, digits, '_', '.', '-').", valueName: "name"))
    public var cluster: String?

    public init() {}

    public func validate() throws {
        if let cluster, !Kubeconfig.isValidClusterName(cluster) {
            throw ValidationError(
                "--cluster '\(cluster)' is not a VCP name: use letters, digits, '_', '.' or '-', starting with a letter or digit"
            )
        }
    }
}

extension RunControl {
    /// `kp-launch restart`: asks the run's supervisor to restart its target (``restart(runDir:timeout:logger:)``),
    /// prints the `restart` record it answers on stdout, and throws when the restart did not succeed:
    /// exit 10 when it failed, 2 when the supervisor refused (url mode), 1 on any other answer.
    public static func restartAndReport(runDir: String, timeout: Duration, logger: Logger) async throws {
        let answer = try await restart(runDir: runDir, timeout: timeout, logger: logger)
        switch answer {
        case .restart(let r):
            try JSONLWriter.stdout.write(r)
            if r.outcome != "ok" {
                throw LaunchError("the restart failed: \(r.error ?? "no reason given")", exitCode: .targetCrashed)
            }
        case .error(let e):
            throw LaunchError(e.message, exitCode: .badInput)
        default:
            throw LaunchError(
                "kp-launch up answered the restart with a \(answer.kind.rawValue) record", exitCode: .failure)
        }
    }
}

extension Kubeconfig {
    /// The kubeconfig for VCP `cluster` (or the root cluster when nil) of the run that is up in `runDir`,
    /// from its endpoint.json; an ``InputError`` (exit 2) when no run is up there.
    public static func forRun(_ runDir: String, cluster: String?) throws -> Kubeconfig {
        let files = RunFiles(runDir: runDir)
        guard FileManager.default.isReadableFile(atPath: files.endpointFile) else {
            throw InputError(
                "\(runDir)/endpoint.json is not readable: is a run up there (kp-launch up --run-dir \(runDir))?")
        }
        var endpoint: EndpointRecord?
        for item in try JSONLReader.read(path: files.endpointFile) {
            if case .success(.endpoint(let record)) = item { endpoint = record }
        }
        guard let endpoint else {
            throw InputError("\(files.endpointFile) holds no endpoint record: restart the run with kp-launch up")
        }
        return cluster.map { virtualControlPlane($0, endpoint: endpoint) }
            ?? root(for: endpoint, runName: files.runName)
    }
}
