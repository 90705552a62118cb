import Foundation
import KPCLI
import KPCore
import KPHTTP
import KPRecords
import Synchronization

/// kp-bootstrap's work for one invocation: a bootstrap (client-driven, or through a Fleet), a
/// `--teardown`, or the `--first-request`s after a restart, chosen by the options.
///
/// Records go to the given ``KPCLI/RecordOutput`` as they happen, lines for people to stderr. A stop
/// signal cancels the work; records written so far stand and ``run(output:stopSignals:)`` returns
/// ``Outcome/stopped``. Failures are thrown as one-line errors with their exit code, after every
/// record is written: ``BootstrapVerdict``'s code for a failed bootstrap, 1 for a failed Fleet,
/// teardown or first request. Bad input is an ``KPCore/InputError`` (exit 2) before any request: an
/// unreadable token or CA file, a `--bootstrap` file without bootstrapped clusters.
public struct BootstrapTool: Sendable {
    /// How a run ended without throwing.
    public typealias Outcome = ToolOutcome

    public let options: BootstrapOptions
    public let endpoint: EndpointRecord

    /// A tool for `options` against `endpoint` (the record ``KPCLI/EndpointOptions/resolve()`` gives).
    public init(options: BootstrapOptions, endpoint: EndpointRecord) {
        self.options = options
        self.endpoint = endpoint
    }

    /// Runs the mode the options choose, writing its records to `output`; `stopSignals` ends it early.
    public func run(
        output: RecordOutput = RecordOutput(tool: "kp-bootstrap"), stopSignals: any StopSignalSource
    ) async throws -> Outcome {
        let fleetConfig = try options.fleetConfiguration(baseURL: endpoint.url)
        let names = try fleetConfig?.memberIDs ?? options.clusterNames()
        let client = try Self.client(
            HTTPClientConfiguration(
                caFile: endpoint.caFile, insecureSkipTLSVerify: endpoint.insecureSkipTLSVerify,
                tlsServerName: endpoint.tlsServerName,
                tokenFile: endpoint.tokenFile.isEmpty ? nil : endpoint.tokenFile,
                timeout: options.requestTimeout.duration, allowHTTP2: !options.http1,
                maxConnectionsPerHost: options.maxConnections))
        if options.teardown { return try await runTeardown(client: client, output: output, signals: stopSignals) }
        if options.firstRequest {
            return try await runFirstRequests(client: client, output: output, signals: stopSignals)
        }
        var fleetStatus: FleetStatusRecord?
        if let fleetConfig {
            let fleetBootstrapper = FleetBootstrapper(
                configuration: fleetConfig, transport: client, onMember: { output.write($0) })
            let (status, stopped) = await stopSignals.cancelling { await fleetBootstrapper.run() }
            output.write(status)
            fleetStatus = status
            if status.outcome == StepOutcome.interrupted && stopped { return .stopped }
            if status.outcome != StepOutcome.ok {
                throw ToolFailure(
                    "Fleet \(fleetConfig.name) \(status.outcome): \(status.error ?? "?")", exitCode: .failure)
            }
            let seconds = Double((status.readyNs ?? status.endNs) - status.startNs) / 1e9
            StandardError.write(
                String(
                    format: "kp-bootstrap: Fleet %@: %d members Ready after %.2fs\n",
                    fleetConfig.name, status.readyReplicas, seconds
                ))
        }
        let console = BootstrapConsole(total: names.count)
        let failedSteps = FailedSteps()
        let bootstrapper = Bootstrapper(
            configuration: options.bootstrapConfiguration(baseURL: endpoint.url, clusters: names), transport: client,
            onStep: { step in
                output.write(step)
                if step.outcome != "ok" { failedSteps.list.withLock { $0.append(step) } }
            },
            onCluster: { console.clusterDone($0) })
        let (finished, stopped) = await stopSignals.cancelling { await bootstrapper.run() }
        var summary = finished
        // fleet-bootstrap's bootstrap time starts at the Fleet's create, as the client-driven one starts at its first request.
        if let fleetStatus { summary = summary.startingAtFleetCreate(fleetStatus) }
        output.write(summary)
        console.finish(summary)

        if stopped && summary.interrupted { return .stopped }
        if summary.failed > 0 {
            let code =
                BootstrapVerdict.exitCode(failedSteps: failedSteps.list.withLock { $0 }).flatMap {
                    KPExitCode(rawValue: $0)
                } ?? .failure
            throw ToolFailure(
                "\(summary.failed) of \(summary.clusters) clusters failed; first: \(summary.firstError ?? "?")",
                exitCode: code)
        }
        return .completed
    }

    /// An HTTP client, its setting errors (unreadable token or CA file) as bad input.
    static func client(_ configuration: HTTPClientConfiguration) throws -> HTTPClient {
        do {
            return try HTTPClient(configuration: configuration)
        } catch {
            switch error.kind {
            case .tokenFile, .caFile, .setting: throw InputError(error.description)
            case .libcurl: throw ToolFailure(error.description, exitCode: .failure)
            }
        }
    }

    /// The clusters of --teardown and --first-request: the bootstrapped ones of --bootstrap FILE, else the named ones.
    func modeClusters() throws -> [String] {
        if let bootstrap = options.bootstrap { return try BootstrapStepRecord.bootstrappedClusters(path: bootstrap) }
        return try options.clusterNames()
    }

    /// The run's etcd when kp-launch started it for this run, else why not.
    public static func controlledEtcd(_ endpoint: EndpointRecord) -> (TeardownEtcd?, String?) {
        guard endpoint.mode == "sim" || endpoint.mode == "local" else {
            return (nil, "etcd not controlled by this run (mode \(endpoint.mode))")
        }
        guard endpoint.etcdManaged == true else {
            return (nil, "etcd not controlled by this run (etcd_managed is not true)")
        }
        guard let servers = endpoint.etcdEndpoints, let first = servers.split(separator: ",").first.map(String.init),
            !first.isEmpty
        else {
            return (nil, "etcd not controlled by this run (no etcd_endpoints)")
        }
        guard let prefix = endpoint.etcdPrefix, prefix.count > 1 else {
            return (nil, "etcd not controlled by this run (no etcd_prefix: refusing to delete outside a run prefix)")
        }
        return (TeardownEtcd(endpoint: first, prefix: prefix), nil)
    }

    func runTeardown(client: HTTPClient, output: RecordOutput, signals: any StopSignalSource) async throws -> Outcome {
        let names = try modeClusters()
        let (etcd, reason) = Self.controlledEtcd(endpoint)
        var etcdClient: HTTPClient?
        if etcd != nil {
            do {
                // No token: etcd's gateway is not the apiserver.
                etcdClient = try HTTPClient(
                    configuration: HTTPClientConfiguration(timeout: options.requestTimeout.duration, allowHTTP2: false))
            } catch {
                throw ToolFailure("etcd client: \(error.description)", exitCode: .failure)
            }
        }
        var configuration = TeardownConfiguration(
            baseURL: endpoint.url, clusters: names, workers: options.workers,
            requestTimeout: options.requestTimeout.duration, backoff: options.backoff, etcd: etcd,
            etcdSkippedReason: reason)
        configuration.crdsPerCluster = options.crdsPerCluster
        let teardowner = Teardowner(
            configuration: configuration,
            transport: client, etcdTransport: etcdClient, onStep: { output.write($0) })
        let (summary, stopped) = await signals.cancelling { await teardowner.run() }
        output.write(summary)
        StandardError.write(
            "kp-bootstrap: teardown: \(summary.ok) of \(summary.clusters) clusters ok, \(summary.objectsDeleted) API objects and \(summary.keysDeleted) etcd keys deleted; etcd \(summary.etcd)\(summary.skippedReason.map { " (\($0))" } ?? "")\n"
        )
        if stopped && summary.interrupted { return .stopped }
        if summary.failed > 0 {
            throw ToolFailure(
                "\(summary.failed) of \(summary.clusters) clusters failed teardown (see the teardown_step records)",
                exitCode: .failure)
        }
        return .completed
    }

    /// Every cluster's first request after a restart (``FirstRequester``).
    func runFirstRequests(
        client: HTTPClient, output: RecordOutput, signals: any StopSignalSource
    ) async throws -> Outcome {
        let names = try modeClusters()
        let requester = FirstRequester(
            configuration: FirstRequestConfiguration(
                baseURL: endpoint.url, clusters: names, workers: options.workers,
                requestTimeout: options.requestTimeout.duration, deadline: options.readyzDeadline.duration,
                backoff: options.backoff),
            transport: client, onRecord: { output.write($0) })
        let (summary, stopped) = await signals.cancelling { await requester.run() }
        output.write(summary)
        StandardError.write(
            String(
                format: "kp-bootstrap: first requests: %d of %d clusters answered in %.2fs over %d workers\n",
                summary.ok, summary.clusters, Double(summary.endNs - summary.startNs) / 1e9, summary.workers))
        if stopped && summary.interrupted { return .stopped }
        if summary.failed > 0 {
            throw ToolFailure(
                "\(summary.failed) of \(summary.clusters) clusters failed their first request; first: \(summary.firstError ?? "?")",
                exitCode: .failure)
        }
        return .completed
    }
}

/// stderr for people: a progress line on a terminal, one line for each of the first failures.
final class BootstrapConsole: Sendable {
    static let failureLinesShown = 5
    private struct State {
        var ready = 0
        var failed = 0
        var lastDrawNs: Int64 = 0
    }
    private let total: Int
    private let startNs = MonotonicClock.now()
    private let state = Mutex(State())

    init(total: Int) { self.total = total }

    func clusterDone(_ result: Bootstrapper.ClusterResult) {
        let now = MonotonicClock.now()
        let (line, failure): (String?, String?) = state.withLock { s in
            var failure: String?
            if result.ok {
                s.ready += 1
            } else if !result.interrupted {
                s.failed += 1
                if s.failed <= Self.failureLinesShown {
                    failure =
                        "kp-bootstrap: error: \(result.cluster): \(result.failedStep?.rawValue ?? "?") failed: \(result.error ?? "?")"
                }
            }
            let finished = s.ready + s.failed
            guard failure != nil || finished == total || now - s.lastDrawNs > 200_000_000 else { return (nil, failure) }
            s.lastDrawNs = now
            let elapsed = Double(now - startNs) / 1e9
            return (
                ProgressLine.format(ready: s.ready, failed: s.failed, total: total, elapsedSeconds: elapsed), failure
            )
        }
        if let failure {
            let clear = ToolLogging.stderrIsTerminal ? "\r\u{1B}[2K" : ""
            StandardError.write("\(clear)\(failure)\n")
        }
        if let line { ToolLogging.progress(line) }
    }

    func finish(_ summary: BootstrapSummaryRecord) {
        ToolLogging.endProgress()
        if summary.failed > Self.failureLinesShown {
            StandardError.write(
                "kp-bootstrap: \(summary.failed - Self.failureLinesShown) more clusters failed (see the bootstrap_step records)\n"
            )
        }
    }
}

/// The failed steps, kept for the exit-code verdict (a class: a Mutex cannot be captured by the escaping callback).
final class FailedSteps: Sendable {
    let list = Mutex([BootstrapStepRecord]())
}
