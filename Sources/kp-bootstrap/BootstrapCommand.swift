import ArgumentParser
import Foundation
import KPBootstrap
import KPCLI
import KPHTTP
import KPRecords
import Synchronization

/// `kp-bootstrap`: bootstraps N VCPs as the 200-VCP memory test does and streams one record per step.
@main
struct BootstrapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kp-bootstrap",
        abstract: "Bootstrap N virtual control planes (VCPs) as kplane's 200-VCP memory test does.",
        discussion: """
            Each cluster c runs five steps against B = <url>/clusters/<c>/control-plane, in order: \
            readyz (GET B/readyz until 200; this first request creates the VCP), namespace (GET \
            B/api/v1/namespaces/default until 200), crd_create (POST the test CRD, expects 201), \
            crd_established (GET the CRD until Established=True) and discovery (GET B/apis/<group>/v1 \
            until it lists memwidgets). Workers take clusters in order; there is no client-side rate limit.

            The CRD is the memory test's (group mem-<c>.kplane.dev, plural memwidgets, singular testwidget, \
            kind TestWidget, Namespaced, v1) with one difference: its schema declares spec.data \
            ({type: object, properties: {spec: {type: object, properties: {data: {type: string}}}}}) \
            so that kp-load's payloads survive structural pruning; the test's schema is {type: object}.

            429 and 5xx answers are retried after exponential backoff (--backoff-base doubling up to \
            --backoff-cap, with jitter, raised to Retry-After) and counted; transport errors are retried \
            within the step's deadline; 401 fails at once. stdout gets one bootstrap_step record per step \
            as it ends, then one bootstrap_summary. On SIGINT/SIGTERM no new cluster starts, steps in flight \
            end as 'interrupted', the summary says interrupted=true, and the exit code is 130/143. \
            When any cluster failed (after every record is written) the exit code is the verdict: 12 when \
            failed steps got error answers from the target (429, 5xx, other statuses, resets, transport \
            errors, or 2xx without success before the deadline), 11 when they got no answer at all \
            (timeouts, refused connections), 1 otherwise.

            With --crds-per-cluster K each cluster gets K test CRDs: CRD 0 is the one above, CRD i ≥ 1 the \
            same in group mem<i>-<c>.kplane.dev. After namespace, all K are created, then each is waited \
            for until Established, then each until discovered; those records name their CRD (field crd, \
            absent with K = 1). --teardown deletes all K.

            With --fleet NAME (scenario fleet-bootstrap, contract §3.3) the clusters are made server-side \
            first: one Fleet is POSTed to <url>/apis/kplane.dev/v1/fleets (spec.replicas = --clusters, \
            spec.namePrefix = --fleet-name-prefix, or spec.names = --names) and polled every \
            --fleet-poll-interval until status.readyReplicas = replicas (one fleet_member record per member \
            phase change seen, then one fleet_status record); the members (<prefix><%04d index>, the prefix \
            defaulting to NAME-) then run the same five steps as above, so per-VCP figures compare with a \
            client-driven bootstrap. The bootstrap_summary then starts at the Fleet's create (its fleet field \
            names the Fleet), so its span, the bootstrap time, runs through the Fleet wait to the last \
            member's discovery. A Fleet that does not become ready ends the run with exit 1.

            With --teardown (scenario teardown, contract §3.5) nothing is created: for each cluster (--clusters/\
            --name-format, --names, or --bootstrap FILE = the clusters whose five steps were all ok there) the \
            test objects (memwidgets in namespace default) are listed and deleted, then the test CRD; then, when \
            the endpoint record says kp-launch started a throw-away etcd for this run (etcd_managed, mode sim or \
            local, etcd_endpoints and etcd_prefix set), every key under etcd_prefix containing /clusters/<c>/ is \
            deleted over etcd's v3 JSON gateway, as controlplane-operator deletes a VCP's data; otherwise the etcd \
            step is skipped and the summary says why. stdout gets one teardown_step record per step and one \
            teardown_summary; exit 1 when any cluster failed.

            With --first-request (scenario restart, after the target was restarted with its storage) nothing \
            is created: each cluster (--clusters/--name-format, --names, or --bootstrap FILE) gets its first \
            request, --workers at a time: GET B/apis/mem-<c>.kplane.dev/v1/namespaces/default/memwidgets, \
            which only a server that brought the VCP and its stored test CRD back answers 200 (a 404 fails the \
            cluster: its storage was not kept). 429, 5xx and transport errors are retried after backoff until \
            --readyz-deadline. stdout gets one first_request record per cluster (its latency, retries \
            included) and one first_request_summary (the time until every VCP answered); exit 1 when any \
            cluster failed.
            """)

    @OptionGroup var target: EndpointOptions

    @Option(
        help: ArgumentHelp("Number of clusters to bootstrap, named by --name-format (default 200).", valueName: "n"))
    var clusters: Int?

    @Option(help: ArgumentHelp("printf-style name with one %d for the index 0..n-1.", valueName: "format"))
    var nameFormat: String = "c-%03d"

    @Option(
        help: ArgumentHelp("Comma-separated cluster names (instead of --clusters/--name-format).", valueName: "a,b,c"))
    var names: String?

    @Option(help: ArgumentHelp("Concurrent workers, each bootstrapping one cluster at a time.", valueName: "n"))
    var workers: Int = 12

    @Option(
        help: ArgumentHelp("Pause between readyz polls (default: 500ms).", valueName: "duration"),
        transform: DurationArgument.transform)
    var readyzInterval = DurationArgument(.milliseconds(500), text: "500ms")
    @Option(
        help: ArgumentHelp("Per-request timeout of a readyz poll (default: 2s).", valueName: "duration"),
        transform: DurationArgument.transform)
    var readyzTimeout = DurationArgument(.seconds(2), text: "2s")
    @Option(
        help: ArgumentHelp("How long to wait for readyz 200 (default: 60s).", valueName: "duration"),
        transform: DurationArgument.transform)
    var readyzDeadline = DurationArgument(.seconds(60), text: "60s")

    @Option(
        help: ArgumentHelp("Pause between polls of namespace default (default: 200ms).", valueName: "duration"),
        transform: DurationArgument.transform)
    var namespaceInterval = DurationArgument(.milliseconds(200), text: "200ms")
    @Option(
        help: ArgumentHelp("How long to wait for namespace default (default: 30s).", valueName: "duration"),
        transform: DurationArgument.transform)
    var namespaceDeadline = DurationArgument(.seconds(30), text: "30s")

    @Option(
        help: ArgumentHelp(
            "How long the CRD create may keep retrying 429/5xx/transport errors (default: 60s).", valueName: "duration"),
        transform: DurationArgument.transform)
    var crdCreateDeadline = DurationArgument(.seconds(60), text: "60s")

    @Option(
        help: ArgumentHelp("Pause between polls for Established=True (default: 500ms).", valueName: "duration"),
        transform: DurationArgument.transform)
    var crdEstablishedInterval = DurationArgument(.milliseconds(500), text: "500ms")
    @Option(
        help: ArgumentHelp("How long to wait for Established=True (default: 60s).", valueName: "duration"),
        transform: DurationArgument.transform)
    var crdEstablishedDeadline = DurationArgument(.seconds(60), text: "60s")

    @Option(
        help: ArgumentHelp("Pause between discovery polls (default: 500ms).", valueName: "duration"),
        transform: DurationArgument.transform)
    var discoveryInterval = DurationArgument(.milliseconds(500), text: "500ms")
    @Option(
        help: ArgumentHelp("How long to wait for memwidgets in discovery (default: 60s).", valueName: "duration"),
        transform: DurationArgument.transform)
    var discoveryDeadline = DurationArgument(.seconds(60), text: "60s")

    @Option(
        help: ArgumentHelp(
            "Per-request timeout of every step but readyz (clipped to the step's deadline) (default: 10s).",
            valueName: "duration"), transform: DurationArgument.transform)
    var requestTimeout = DurationArgument(.seconds(10), text: "10s")

    @Option(
        help: ArgumentHelp(
            "First backoff after a 429/5xx; doubles per consecutive retry (default: 200ms).", valueName: "duration"),
        transform: DurationArgument.transform)
    var backoffBase = DurationArgument(.milliseconds(200), text: "200ms")
    @Option(
        help: ArgumentHelp("Longest backoff (default: 5s).", valueName: "duration"),
        transform: DurationArgument.transform)
    var backoffCap = DurationArgument(.seconds(5), text: "5s")
    @Option(help: ArgumentHelp("Fraction (0-1) of each backoff that jitter may remove.", valueName: "fraction"))
    var backoffJitter: Double = 0.5

    @Option(
        help: ArgumentHelp(
            "Create the clusters through one Fleet of this name at the root first (fleet-bootstrap).", valueName: "name"
        ))
    var fleet: String?
    @Option(
        help: ArgumentHelp(
            "spec.namePrefix of the Fleet (default: <fleet>-); members are <prefix><%04d index>.", valueName: "prefix"))
    var fleetNamePrefix: String?
    @Option(
        help: ArgumentHelp("Pause between polls of the Fleet (default: 200ms).", valueName: "duration"),
        transform: DurationArgument.transform)
    var fleetPollInterval = DurationArgument(.milliseconds(200), text: "200ms")
    @Option(
        help: ArgumentHelp(
            "How long the Fleet create plus the wait for status.readyReplicas may take (default: 120s).",
            valueName: "duration"), transform: DurationArgument.transform)
    var fleetDeadline = DurationArgument(.seconds(120), text: "120s")

    @Flag(
        help:
            "Delete the clusters' test objects, test CRD and (when the run controls etcd) etcd keys instead of bootstrapping."
    )
    var teardown = false
    @Flag(
        help:
            "Send each cluster's first request after a restart (a list of its test objects) instead of bootstrapping."
    )
    var firstRequest = false
    @Option(
        help: ArgumentHelp(
            "With --teardown or --first-request: take the clusters whose bootstrap steps were all ok in this kp-bootstrap output.",
            valueName: "file"))
    var bootstrap: String?

    @Flag(
        help:
            "Count 409 AlreadyExists from the CRD create as success (clusters left by an earlier run); its crd_create record then says existed: true."
    )
    var allowExisting = false

    @Option(
        help: ArgumentHelp(
            "Test CRDs per cluster (1-\(Self.maxCRDsPerCluster)): CRD i ≥ 1 has group mem<i>-<c>.kplane.dev; each is created, Established and discovered.",
            valueName: "k"))
    var crdsPerCluster: Int = 1

    /// The most test CRDs per cluster `--crds-per-cluster` takes.
    static let maxCRDsPerCluster = 1000

    @Flag(help: "Force HTTP/1.1 (default: HTTP/2 when the server offers it).")
    var http1 = false

    @Option(help: ArgumentHelp("Most connections to the server (0 = unlimited).", valueName: "n"))
    var maxConnections: Int = 4

    static func main() async { await ToolMain.run(Self.self) }

    func validate() throws {
        if let clusters, clusters < 1 { throw ValidationError("--clusters must be at least 1 (got \(clusters))") }
        if names != nil && clusters != nil {
            throw ValidationError("--names and --clusters exclude each other: --names sets the count")
        }
        if workers < 1 { throw ValidationError("--workers must be at least 1 (got \(workers))") }
        if !(1...Self.maxCRDsPerCluster).contains(crdsPerCluster) {
            throw ValidationError(
                "--crds-per-cluster must be between 1 and \(Self.maxCRDsPerCluster) (got \(crdsPerCluster))")
        }
        if maxConnections < 0 {
            throw ValidationError("--max-connections must be 0 (unlimited) or more (got \(maxConnections))")
        }
        if !(0...1).contains(backoffJitter) {
            throw ValidationError("--backoff-jitter must be between 0 and 1 (got \(backoffJitter))")
        }
        let positive: [(String, DurationArgument)] = [
            ("--readyz-interval", readyzInterval), ("--readyz-timeout", readyzTimeout),
            ("--readyz-deadline", readyzDeadline),
            ("--namespace-interval", namespaceInterval), ("--namespace-deadline", namespaceDeadline),
            ("--crd-create-deadline", crdCreateDeadline), ("--crd-established-interval", crdEstablishedInterval),
            ("--crd-established-deadline", crdEstablishedDeadline), ("--discovery-interval", discoveryInterval),
            ("--discovery-deadline", discoveryDeadline), ("--request-timeout", requestTimeout),
            ("--backoff-base", backoffBase), ("--backoff-cap", backoffCap),
        ]
        for (flag, value) in positive where value.duration <= .zero {
            throw ValidationError("\(flag) must be longer than 0 (got \(value.text))")
        }
        if backoffCap.duration < backoffBase.duration {
            throw ValidationError(
                "--backoff-cap (\(backoffCap.text)) must not be shorter than --backoff-base (\(backoffBase.text))")
        }
        if fleet == nil {
            if fleetNamePrefix != nil { throw ValidationError("--fleet-name-prefix needs --fleet NAME") }
        } else {
            if nameFormat != "c-%03d" {
                throw ValidationError(
                    "--name-format and --fleet exclude each other: Fleet members are named <prefix><%04d index>; use --fleet-name-prefix"
                )
            }
            if names != nil && fleetNamePrefix != nil {
                throw ValidationError("--names and --fleet-name-prefix exclude each other: --names sets spec.names")
            }
            if fleetPollInterval.duration <= .zero {
                throw ValidationError("--fleet-poll-interval must be longer than 0 (got \(fleetPollInterval.text))")
            }
            if fleetDeadline.duration <= .zero {
                throw ValidationError("--fleet-deadline must be longer than 0 (got \(fleetDeadline.text))")
            }
        }
        if teardown && firstRequest {
            throw ValidationError("--teardown and --first-request exclude each other: give one")
        }
        if teardown || firstRequest {
            let mode = teardown ? "--teardown" : "--first-request"
            if fleet != nil {
                throw ValidationError(
                    "\(mode) and --fleet exclude each other: name the members by --names or --bootstrap")
            }
            if let bootstrap {
                if names != nil || clusters != nil {
                    throw ValidationError("--bootstrap sets the clusters: drop --names/--clusters")
                }
                if !FileManager.default.isReadableFile(atPath: bootstrap) {
                    throw ValidationError(
                        "--bootstrap \(bootstrap) is not a readable file: give kp-bootstrap's output (bootstrap.jsonl)")
                }
            }
        } else if bootstrap != nil {
            throw ValidationError("--bootstrap FILE needs --teardown or --first-request")
        }
        _ = try clusterNames()
        _ = try fleetConfiguration(baseURL: "https://127.0.0.1")
    }

    /// The bootstrapped clusters in `path` (``KPRecords/BootstrapStepRecord/bootstrappedClusters(_:)``).
    static func bootstrappedClusters(_ path: String) throws -> [String] {
        let items: [JSONLReader.Item]
        do { items = try JSONLReader.read(path: path) } catch { throw InputError("--bootstrap \(path): \(error)") }
        var steps: [BootstrapStepRecord] = []
        for case .success(.bootstrapStep(let s)) in items { steps.append(s) }
        let done = BootstrapStepRecord.bootstrappedClusters(steps)
        if done.isEmpty {
            throw InputError(
                "--bootstrap \(path) has no cluster whose bootstrap finished ok (discovery included): no cluster to work on"
            )
        }
        return done
    }

    /// The run's etcd when kp-launch started it for this run, else why not.
    static func controlledEtcd(_ endpoint: EndpointRecord) -> (TeardownEtcd?, String?) {
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

    func runTeardown(endpoint: EndpointRecord, client: HTTPClient) async throws {
        let names = try bootstrap.map(Self.bootstrappedClusters) ?? clusterNames()
        let (etcd, reason) = Self.controlledEtcd(endpoint)
        var etcdClient: HTTPClient?
        if etcd != nil {
            do {
                // No token: etcd's gateway is not the apiserver.
                etcdClient = try HTTPClient(
                    configuration: HTTPClientConfiguration(timeout: requestTimeout.duration, allowHTTP2: false))
            } catch {
                throw ToolFailure("etcd client: \(error.description)", exitCode: .failure)
            }
        }
        let output = RecordOutput(tool: "kp-bootstrap")
        var configuration = TeardownConfiguration(
            baseURL: endpoint.url, clusters: names, workers: workers, requestTimeout: requestTimeout.duration,
            backoff: RetryBackoff(base: backoffBase.duration, cap: backoffCap.duration, jitter: backoffJitter),
            etcd: etcd, etcdSkippedReason: reason)
        configuration.crdsPerCluster = crdsPerCluster
        let teardowner = Teardowner(
            configuration: configuration,
            transport: client, etcdTransport: etcdClient, onStep: { output.write($0) })
        let task = Task { await teardowner.run() }
        SignalWatcher.shared.onSignal { _ in task.cancel() }
        let summary = await task.value
        output.write(summary)
        StandardError.write(
            "kp-bootstrap: teardown: \(summary.ok) of \(summary.clusters) clusters ok, \(summary.objectsDeleted) API objects and \(summary.keysDeleted) etcd keys deleted; etcd \(summary.etcd)\(summary.skippedReason.map { " (\($0))" } ?? "")\n"
        )
        if let code = SignalWatcher.shared.exitCode, summary.interrupted { throw ExitCode(code.rawValue) }
        if summary.failed > 0 {
            throw ToolFailure(
                "\(summary.failed) of \(summary.clusters) clusters failed teardown (see the teardown_step records)",
                exitCode: .failure)
        }
    }

    /// Every cluster's first request after a restart (``KPBootstrap/FirstRequester``).
    func runFirstRequests(endpoint: EndpointRecord, client: HTTPClient) async throws {
        let names = try bootstrap.map(Self.bootstrappedClusters) ?? clusterNames()
        let output = RecordOutput(tool: "kp-bootstrap")
        let requester = FirstRequester(
            configuration: FirstRequestConfiguration(
                baseURL: endpoint.url, clusters: names, workers: workers, requestTimeout: requestTimeout.duration,
                deadline: readyzDeadline.duration,
                backoff: RetryBackoff(base: backoffBase.duration, cap: backoffCap.duration, jitter: backoffJitter)),
            transport: client, onRecord: { output.write($0) })
        let task = Task { await requester.run() }
        SignalWatcher.shared.onSignal { _ in task.cancel() }
        let summary = await task.value
        output.write(summary)
        StandardError.write(
            String(
                format: "kp-bootstrap: first requests: %d of %d clusters answered in %.2fs over %d workers\n",
                summary.ok, summary.clusters, Double(summary.endNs - summary.startNs) / 1e9, summary.workers))
        if let code = SignalWatcher.shared.exitCode, summary.interrupted { throw ExitCode(code.rawValue) }
        if summary.failed > 0 {
            throw ToolFailure(
                "\(summary.failed) of \(summary.clusters) clusters failed their first request; first: \(summary.firstError ?? "?")",
                exitCode: .failure)
        }
    }

    /// The Fleet to create, or nil without --fleet.
    func fleetConfiguration(baseURL: String) throws -> FleetConfiguration? {
        guard let fleet else { return nil }
        if let problem = ClusterNames.validate(fleet) { throw ValidationError("--fleet: \(problem)") }
        var listed: [String]?
        if let names {
            listed = try clusterNames()
        }
        let config = FleetConfiguration(
            baseURL: baseURL, name: fleet, replicas: listed?.count ?? clusters ?? 200,
            namePrefix: listed == nil ? fleetNamePrefix : nil,
            names: listed, pollInterval: fleetPollInterval.duration, deadline: fleetDeadline.duration,
            requestTimeout: requestTimeout.duration,
            allowExisting: allowExisting,
            backoff: RetryBackoff(base: backoffBase.duration, cap: backoffCap.duration, jitter: backoffJitter))
        do {
            _ = try ClusterNames.check(names: config.memberIDs)
        } catch {
            throw ValidationError("--fleet-name-prefix gives invalid member names: \(error.description)")
        }
        return config
    }

    func clusterNames() throws -> [String] {
        do {
            if let names {
                let list = names.split(separator: ",", omittingEmptySubsequences: false).map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                return try ClusterNames.check(names: list)
            }
            return try ClusterNames.expand(format: nameFormat, count: clusters ?? 200)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        ToolLogging.bootstrap()
        SignalWatcher.install()
        let endpoint = try target.resolve()
        let fleetConfig = try fleetConfiguration(baseURL: endpoint.url)
        let names = try fleetConfig?.memberIDs ?? clusterNames()
        let config = BootstrapConfiguration(
            baseURL: endpoint.url, clusters: names, workers: workers,
            readyz: StepTiming(
                interval: readyzInterval.duration, deadline: readyzDeadline.duration,
                requestTimeout: readyzTimeout.duration),
            namespace: StepTiming(
                interval: namespaceInterval.duration, deadline: namespaceDeadline.duration,
                requestTimeout: requestTimeout.duration),
            crdCreate: StepTiming(
                interval: backoffBase.duration, deadline: crdCreateDeadline.duration,
                requestTimeout: requestTimeout.duration),
            crdEstablished: StepTiming(
                interval: crdEstablishedInterval.duration, deadline: crdEstablishedDeadline.duration,
                requestTimeout: requestTimeout.duration),
            discovery: StepTiming(
                interval: discoveryInterval.duration, deadline: discoveryDeadline.duration,
                requestTimeout: requestTimeout.duration),
            allowExisting: allowExisting,
            backoff: RetryBackoff(base: backoffBase.duration, cap: backoffCap.duration, jitter: backoffJitter),
            crdsPerCluster: crdsPerCluster)
        let client: HTTPClient
        do {
            client = try HTTPClient(
                configuration: HTTPClientConfiguration(
                    caFile: endpoint.caFile, insecureSkipTLSVerify: endpoint.insecureSkipTLSVerify,
                    tlsServerName: endpoint.tlsServerName,
                    tokenFile: endpoint.tokenFile.isEmpty ? nil : endpoint.tokenFile,
                    timeout: requestTimeout.duration, allowHTTP2: !http1, maxConnectionsPerHost: maxConnections))
        } catch {
            switch error.kind {
            case .tokenFile, .caFile, .setting: throw InputError(error.description)
            case .libcurl: throw ToolFailure(error.description, exitCode: .failure)
            }
        }

        if teardown {
            try await runTeardown(endpoint: endpoint, client: client)
            return
        }
        if firstRequest {
            try await runFirstRequests(endpoint: endpoint, client: client)
            return
        }
        let output = RecordOutput(tool: "kp-bootstrap")
        var fleetStatus: FleetStatusRecord?
        if let fleetConfig {
            let fleetBootstrapper = FleetBootstrapper(
                configuration: fleetConfig, transport: client, onMember: { output.write($0) })
            let fleetTask = Task { await fleetBootstrapper.run() }
            SignalWatcher.shared.onSignal { _ in fleetTask.cancel() }
            let status = await fleetTask.value
            output.write(status)
            fleetStatus = status
            if status.outcome == StepOutcome.interrupted, let code = SignalWatcher.shared.exitCode {
                throw ExitCode(code.rawValue)
            }
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
            configuration: config, transport: client,
            onStep: { step in
                output.write(step)
                if step.outcome != "ok" { failedSteps.list.withLock { $0.append(step) } }
            },
            onCluster: { console.clusterDone($0) })
        let task = Task { await bootstrapper.run() }
        SignalWatcher.shared.onSignal { _ in task.cancel() }
        var summary = await task.value
        // fleet-bootstrap's bootstrap time starts at the Fleet's create, as the client-driven one starts at its first request.
        if let fleetStatus { summary = summary.startingAtFleetCreate(fleetStatus) }
        output.write(summary)
        console.finish(summary)

        if let code = SignalWatcher.shared.exitCode, summary.interrupted {
            throw ExitCode(code.rawValue)
        }
        if summary.failed > 0 {
            let code =
                BootstrapVerdict.exitCode(failedSteps: failedSteps.list.withLock { $0 }).flatMap {
                    KPExitCode(rawValue: $0)
                } ?? .failure
            throw ToolFailure(
                "\(summary.failed) of \(summary.clusters) clusters failed; first: \(summary.firstError ?? "?")",
                exitCode: code)
        }
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
