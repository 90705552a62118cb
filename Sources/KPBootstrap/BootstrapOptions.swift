import ArgumentParser
import Foundation
import KPCLI
import KPCore
import KPRecords

/// kp-bootstrap's flags, with the checks on their values.
///
/// ``validate()`` reads no file, network, clock or environment, so kp-run checks the arguments of a
/// kp-bootstrap step with `BootstrapOptions.parse(arguments)` before its run starts (the endpoint
/// flags are checked by ``KPCLI/EndpointOptions``'s own `validate()`). What needs the file system,
/// the `--bootstrap` file, is ``checkInputs()``, which kp-bootstrap runs before anything else.
public struct BootstrapOptions: ParsableArguments, Sendable {
    @OptionGroup public var target: EndpointOptions

    @Option(
        help: ArgumentHelp("Number of clusters to bootstrap, named by --name-format (default 200).", valueName: "n"))
    public var clusters: Int?

    @Option(help: ArgumentHelp("printf-style name with one %d for the index 0..n-1.", valueName: "format"))
    public var nameFormat: String = "c-%03d"

    @Option(
        help: ArgumentHelp("Comma-separated cluster names (instead of --clusters/--name-format).", valueName: "a,b,c"))
    public var names: String?

    @Option(help: ArgumentHelp("Concurrent workers, each bootstrapping one cluster at a time.", valueName: "n"))
    public var workers: Int = 12

    @Option(
        help: ArgumentHelp("Pause between readyz polls (default: 500ms).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var readyzInterval = DurationArgument(.milliseconds(500), text: "500ms")
    @Option(
        help: ArgumentHelp("Per-request timeout of a readyz poll (default: 2s).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var readyzTimeout = DurationArgument(.seconds(2), text: "2s")
    @Option(
        help: ArgumentHelp("How long to wait for readyz 200 (default: 60s).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var readyzDeadline = DurationArgument(.seconds(60), text: "60s")

    @Option(
        help: ArgumentHelp("Pause between polls of namespace default (default: 200ms).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var namespaceInterval = DurationArgument(.milliseconds(200), text: "200ms")
    @Option(
        help: ArgumentHelp("How long to wait for namespace default (default: 30s).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var namespaceDeadline = DurationArgument(.seconds(30), text: "30s")

    @Option(
        help: ArgumentHelp(
            "How long the CRD create may keep retrying 429/5xx/transport errors (default: 60s).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var crdCreateDeadline = DurationArgument(.seconds(60), text: "60s")

    @Option(
        help: ArgumentHelp("Pause between polls for Established=True (default: 500ms).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var crdEstablishedInterval = DurationArgument(.milliseconds(500), text: "500ms")
    @Option(
        help: ArgumentHelp("How long to wait for Established=True (default: 60s).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var crdEstablishedDeadline = DurationArgument(.seconds(60), text: "60s")

    @Option(
        help: ArgumentHelp("Pause between discovery polls (default: 500ms).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var discoveryInterval = DurationArgument(.milliseconds(500), text: "500ms")
    @Option(
        help: ArgumentHelp("How long to wait for memwidgets in discovery (default: 60s).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var discoveryDeadline = DurationArgument(.seconds(60), text: "60s")

    @Option(
        help: ArgumentHelp(
            "Per-request timeout of every step but readyz (clipped to the step's deadline) (default: 10s).",
            valueName: "duration"), transform: DurationArgument.transform)
    public var requestTimeout = DurationArgument(.seconds(10), text: "10s")

    @Option(
        help: ArgumentHelp(
            "First backoff after a 429/5xx; doubles per consecutive retry (default: 200ms).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var backoffBase = DurationArgument(.milliseconds(200), text: "200ms")
    @Option(
        help: ArgumentHelp("Longest backoff (default: 5s).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var backoffCap = DurationArgument(.seconds(5), text: "5s")
    @Option(help: ArgumentHelp("Fraction (0-1) of each backoff that jitter may remove.", valueName: "fraction"))
    public var backoffJitter: Double = 0.5

    @Option(
        help: ArgumentHelp(
            "Create the clusters through one Fleet of this name at the root first (fleet-bootstrap).", valueName: "name"
        ))
    public var fleet: String?
    @Option(
        help: ArgumentHelp(
            "spec.namePrefix of the Fleet (default: <fleet>-); members are <prefix><%04d index>.", valueName: "prefix"))
    public var fleetNamePrefix: String?
    @Option(
        help: ArgumentHelp("Pause between polls of the Fleet (default: 200ms).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var fleetPollInterval = DurationArgument(.milliseconds(200), text: "200ms")
    @Option(
        help: ArgumentHelp(
            "How long the Fleet create plus the wait for status.readyReplicas may take (default: 120s).",
            valueName: "duration"), transform: DurationArgument.transform)
    public var fleetDeadline = DurationArgument(.seconds(120), text: "120s")

    @Flag(
        help:
            "Delete the clusters' test objects, test CRD and (when the run controls etcd) etcd keys instead of bootstrapping."
    )
    public var teardown = false
    @Flag(
        help:
            "Send each cluster's first request after a restart (a list of its test objects) instead of bootstrapping."
    )
    public var firstRequest = false
    @Option(
        help: ArgumentHelp(
            "With --teardown or --first-request: take the clusters whose bootstrap steps were all ok in this kp-bootstrap output.",
            valueName: "file"))
    public var bootstrap: String?

    @Flag(
        help:
            "Count 409 AlreadyExists from the CRD create as success (clusters left by an earlier run); its crd_create record then says existed: true."
    )
    public var allowExisting = false

    @Option(
        help: ArgumentHelp(
            "Test CRDs per cluster (1-\(Self.maxCRDsPerCluster)): CRD i ≥ 1 has group mem<i>-<c>.kplane.dev; each is created, Established and discovered.",
            valueName: "k"))
    public var crdsPerCluster: Int = 1

    /// The most test CRDs per cluster `--crds-per-cluster` takes.
    public static let maxCRDsPerCluster = 1000

    @Flag(help: "Force HTTP/1.1 (default: HTTP/2 when the server offers it).")
    public var http1 = false

    @Option(help: ArgumentHelp("Most connections to the server (0 = unlimited).", valueName: "n"))
    public var maxConnections: Int = 4

    public init() {}

    public func validate() throws {
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
            if bootstrap != nil {
                if names != nil || clusters != nil {
                    throw ValidationError("--bootstrap sets the clusters: drop --names/--clusters")
                }
            }
        } else if bootstrap != nil {
            throw ValidationError("--bootstrap FILE needs --teardown or --first-request")
        }
        _ = try clusterNames()
        _ = try fleetConfiguration(baseURL: "https://127.0.0.1")
    }

    /// The checks that read the file system: the `--bootstrap` file must be readable. Throws the
    /// same one-line `ValidationError` (exit 2) a bad flag gets, before anything starts.
    public func checkInputs() throws {
        if let bootstrap, !FileManager.default.isReadableFile(atPath: bootstrap) {
            throw ValidationError(
                "--bootstrap \(bootstrap) is not a readable file: give kp-bootstrap's output (bootstrap.jsonl)")
        }
    }

    /// The cluster names of --names, or --clusters expanded by --name-format (200 by default).
    public func clusterNames() throws -> [String] {
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

    /// The retry backoff of every mode.
    public var backoff: RetryBackoff {
        RetryBackoff(base: backoffBase.duration, cap: backoffCap.duration, jitter: backoffJitter)
    }

    /// The Fleet to create at `baseURL`, or nil without --fleet.
    public func fleetConfiguration(baseURL: String) throws -> FleetConfiguration? {
        guard let fleet else { return nil }
        if let problem = ClusterNames.validate(fleet) { throw ValidationError("--fleet: \(problem)") }
        var listed: [String]?
        if names != nil {
            listed = try clusterNames()
        }
        let config = FleetConfiguration(
            baseURL: baseURL, name: fleet, replicas: listed?.count ?? clusters ?? 200,
            namePrefix: listed == nil ? fleetNamePrefix : nil,
            names: listed, pollInterval: fleetPollInterval.duration, deadline: fleetDeadline.duration,
            requestTimeout: requestTimeout.duration,
            allowExisting: allowExisting, backoff: backoff)
        do {
            _ = try ClusterNames.check(names: config.memberIDs)
        } catch {
            throw ValidationError("--fleet-name-prefix gives invalid member names: \(error.description)")
        }
        return config
    }

    /// The bootstrap of `clusters` at `baseURL` with these timings.
    public func bootstrapConfiguration(baseURL: String, clusters: [String]) -> BootstrapConfiguration {
        BootstrapConfiguration(
            baseURL: baseURL, clusters: clusters, workers: workers,
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
            allowExisting: allowExisting, backoff: backoff, crdsPerCluster: crdsPerCluster)
    }
}
