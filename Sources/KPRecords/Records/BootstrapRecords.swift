import KPCore

/// One step of one cluster's bootstrap (contract §4.2), written when the step ends.
public struct BootstrapStepRecord: KPRecord {
    public static let kind = RecordKind.bootstrapStep
    public var kind: RecordKind = .bootstrapStep
    public var v: Int = Schema.currentVersion
    /// Cluster (VCP) id, e.g. `c-007`.
    public var cluster: String
    /// `readyz`, `namespace`, `crd_create`, `crd_established` or `discovery`.
    public var step: String
    /// CLOCK_MONOTONIC ns at the step's first request and when it ended.
    public var startNs: Int64
    public var endNs: Int64
    /// Requests sent for this step (polls included).
    public var attempts: Int
    /// `ok`, `failed` (a non-retryable answer), `timeout` (deadline passed) or `interrupted` (a signal
    /// stopped the run while the step was in flight).
    public var outcome: String
    /// Answers seen, keyed by HTTP status (`"200"`) or transport error class (`"timeout"`, `"connect"`).
    public var statusCounts: [String: Int]
    /// Requests retried after a 429 or 5xx answer (with backoff).
    public var retries: Int
    /// One-line reason when the outcome is not `ok`.
    public var error: String?
    /// `crd_create` only: true when the CRD was there before this run (409 AlreadyExists counted as
    /// created under `--allow-existing`), so the cluster is one an earlier run left; absent otherwise.
    public var existed: Bool?
    /// `crd_create`, `crd_established` and `discovery` only, when kp-bootstrap made more than one test
    /// CRD per cluster (`--crds-per-cluster`): the CRD's name; absent with one CRD per cluster.
    public var crd: String?

    enum CodingKeys: String, CodingKey {
        case kind, v, cluster, step, attempts, outcome, retries, error, existed, crd
        case startNs = "start_ns"
        case endNs = "end_ns"
        case statusCounts = "status_counts"
    }

    public init(
        cluster: String, step: String, startNs: Int64, endNs: Int64, attempts: Int, outcome: String,
        statusCounts: [String: Int], retries: Int, error: String?, existed: Bool? = nil, crd: String? = nil
    ) {
        self.crd = crd
        self.cluster = cluster
        self.step = step
        self.startNs = startNs
        self.endNs = endNs
        self.attempts = attempts
        self.outcome = outcome
        self.statusCounts = statusCounts
        self.retries = retries
        self.error = error
        self.existed = existed
    }

    public var record: Record { .bootstrapStep(self) }
}

/// Written once when kp-bootstrap finishes (or is interrupted).
public struct BootstrapSummaryRecord: KPRecord {
    public static let kind = RecordKind.bootstrapSummary
    public var kind: RecordKind = .bootstrapSummary
    public var v: Int = Schema.currentVersion
    /// Clusters asked for, fully bootstrapped, and failed.
    public var clusters: Int
    public var ok: Int
    public var failed: Int
    public var workers: Int
    /// CLOCK_MONOTONIC ns of kp-bootstrap's first request (with `fleet`: the Fleet's create) and of
    /// the last step's end: the bootstrap time is `endNs - startNs`.
    public var startNs: Int64
    public var endNs: Int64
    /// Total requests sent and retries after 429/5xx, keyed by status (the clusters' steps; the
    /// Fleet's requests are in `fleet_status`).
    public var requests: Int
    public var retriesByStatus: [String: Int]
    /// True when kp-bootstrap stopped early (signal); the counts then cover what had finished.
    public var interrupted: Bool
    /// The first failure, for the report's headline.
    public var firstError: String?
    /// fleet-bootstrap: the Fleet whose create request is `startNs`, so the span covers the Fleet
    /// wait and then the members' steps. Absent when kp-bootstrap made the clusters itself.
    public var fleet: String?
    /// When the clusters' first step started, when that is not `startNs` (fleet-bootstrap: after
    /// the Fleet wait).
    public var stepsStartNs: Int64?

    enum CodingKeys: String, CodingKey {
        case kind, v, clusters, ok, failed, workers, requests, interrupted, fleet
        case startNs = "start_ns"
        case endNs = "end_ns"
        case retriesByStatus = "retries_by_status"
        case firstError = "first_error"
        case stepsStartNs = "steps_start_ns"
    }

    public init(
        clusters: Int, ok: Int, failed: Int, workers: Int, startNs: Int64, endNs: Int64, requests: Int,
        retriesByStatus: [String: Int], interrupted: Bool, firstError: String?, fleet: String? = nil,
        stepsStartNs: Int64? = nil
    ) {
        self.clusters = clusters
        self.ok = ok
        self.failed = failed
        self.workers = workers
        self.startNs = startNs
        self.endNs = endNs
        self.requests = requests
        self.retriesByStatus = retriesByStatus
        self.interrupted = interrupted
        self.firstError = firstError
        self.fleet = fleet
        self.stepsStartNs = stepsStartNs
    }

    public var record: Record { .bootstrapSummary(self) }
}

extension BootstrapStepRecord {
    /// The one definition of a bootstrapped cluster, for every tool that reads bootstrap.jsonl
    /// (kp-load's clusters, kp-bootstrap --teardown's, kp-report's VCP count without a summary): its
    /// last step, `discovery`, ended `ok` and none of its steps failed. Sorted by name.
    public static func bootstrappedClusters(_ steps: some Sequence<BootstrapStepRecord>) -> [String] {
        var discovered = Set<String>()
        var failed = Set<String>()
        for step in steps {
            if step.outcome != "ok" {
                failed.insert(step.cluster)
            } else if step.step == "discovery" {
                discovered.insert(step.cluster)
            }
        }
        return discovered.subtracting(failed).sorted()
    }

    /// The bootstrapped clusters (``bootstrappedClusters(_:)``) of the kp-bootstrap stream at `path`,
    /// the file a `--bootstrap` flag names. Throws a one-line `InputError` (exit 2) naming the file
    /// when it cannot be read, holds a malformed line or no `bootstrap_step` record, or no cluster
    /// finished ok.
    public static func bootstrappedClusters(path: String) throws(InputError) -> [String] {
        let fix = "pass the bootstrap.jsonl that kp-bootstrap wrote"
        let items: [JSONLReader.Item]
        do { items = try JSONLReader.read(path: path) } catch {
            throw InputError("--bootstrap \(path): \(error) (\(fix))")
        }
        var steps: [BootstrapStepRecord] = []
        for item in items {
            switch item {
            case .success(.bootstrapStep(let step)): steps.append(step)
            case .failure(let e): throw InputError("--bootstrap \(path): \(e) (\(fix))")
            default: continue
            }
        }
        guard !steps.isEmpty else { throw InputError("--bootstrap \(path) holds no bootstrap_step records: \(fix)") }
        let ok = bootstrappedClusters(steps)
        guard !ok.isEmpty else {
            throw InputError(
                "--bootstrap \(path): no cluster finished its bootstrap ok (discovery included), so there is no cluster to work on (check kp-bootstrap's errors)"
            )
        }
        return ok
    }
}
