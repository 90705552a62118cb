/// A restart of the target by the `kp-launch up` that supervises it (`kp-launch restart`, scenario
/// `restart`): the target is stopped and started again on the same port, with the same etcd and
/// `--etcd-prefix` (docker mode: the apiserver container is restarted), then waited for until
/// `/readyz` answers 200. Written on kp-launch up's stdout (launch.jsonl) and by `kp-launch restart`.
public struct RestartRecord: KPRecord {
    public static let kind = RecordKind.restart
    public var kind: RecordKind = .restart
    public var v: Int = Schema.currentVersion
    /// `ok`, or `failed` (then `error` says why and kp-launch up ends the run).
    public var outcome: String
    /// The launch mode (`sim`, `local` or `docker`).
    public var mode: String
    /// CLOCK_MONOTONIC ns: when `kp-launch restart` asked, when the stop began, when the old target
    /// had exited (docker: when `docker restart` returned), when the new one was started, and when
    /// its `/readyz` first answered 200 (absent when it never did).
    public var requestedNs: Int64
    public var stopNs: Int64
    public var stoppedNs: Int64
    public var startedNs: Int64
    public var readyNs: Int64?
    /// The new target's process id (sim/local) or container (docker).
    public var pid: Int32?
    public var container: String?
    /// The etcd and prefix the target kept (the same as in `endpoint`).
    public var etcdEndpoints: String?
    public var etcdPrefix: String?
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case kind, v, outcome, mode, pid, container, error
        case requestedNs = "requested_ns"
        case stopNs = "stop_ns"
        case stoppedNs = "stopped_ns"
        case startedNs = "started_ns"
        case readyNs = "ready_ns"
        case etcdEndpoints = "etcd_endpoints"
        case etcdPrefix = "etcd_prefix"
    }

    public init(
        outcome: String, mode: String, requestedNs: Int64, stopNs: Int64, stoppedNs: Int64, startedNs: Int64,
        readyNs: Int64?, pid: Int32? = nil, container: String? = nil, etcdEndpoints: String? = nil,
        etcdPrefix: String? = nil, error: String? = nil
    ) {
        self.outcome = outcome
        self.mode = mode
        self.requestedNs = requestedNs
        self.stopNs = stopNs
        self.stoppedNs = stoppedNs
        self.startedNs = startedNs
        self.readyNs = readyNs
        self.pid = pid
        self.container = container
        self.etcdEndpoints = etcdEndpoints
        self.etcdPrefix = etcdPrefix
        self.error = error
    }

    public var record: Record { .restart(self) }
}

/// One VCP's first request after a restart (`kp-bootstrap --first-request`): a list of its test
/// objects (`GET B/apis/mem-<cid>.kplane.dev/v1/namespaces/default/memwidgets`), which the server can
/// only answer 200 once it has brought the VCP and its stored CRD back. 429, 5xx and transport errors
/// are retried with backoff until the deadline; the latency is `end_ns - start_ns`, retries included.
public struct FirstRequestRecord: KPRecord {
    public static let kind = RecordKind.firstRequest
    public var kind: RecordKind = .firstRequest
    public var v: Int = Schema.currentVersion
    public var cluster: String
    /// `ok` (200 with a list), `failed` or `interrupted`.
    public var outcome: String
    /// CLOCK_MONOTONIC ns when the first attempt was sent and when the answer that decided came.
    public var startNs: Int64
    public var endNs: Int64
    public var attempts: Int
    /// Objects in the list (`ok` only): the test objects the VCP kept through the restart.
    public var objects: Int?
    /// Answers seen: HTTP status or transport class → count.
    public var statusCounts: [String: Int]
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case kind, v, cluster, outcome, attempts, objects, error
        case startNs = "start_ns"
        case endNs = "end_ns"
        case statusCounts = "status_counts"
    }

    public init(
        cluster: String, outcome: String, startNs: Int64, endNs: Int64, attempts: Int, objects: Int? = nil,
        statusCounts: [String: Int], error: String? = nil
    ) {
        self.cluster = cluster
        self.outcome = outcome
        self.startNs = startNs
        self.endNs = endNs
        self.attempts = attempts
        self.objects = objects
        self.statusCounts = statusCounts
        self.error = error
    }

    public var record: Record { .firstRequest(self) }
}

/// The end of a first-request storm: one per `kp-bootstrap --first-request` run.
public struct FirstRequestSummaryRecord: KPRecord {
    public static let kind = RecordKind.firstRequestSummary
    public var kind: RecordKind = .firstRequestSummary
    public var v: Int = Schema.currentVersion
    /// Clusters asked, answered ok, and failed.
    public var clusters: Int
    public var ok: Int
    public var failed: Int
    public var workers: Int
    /// CLOCK_MONOTONIC ns of the first request and of the last answer: the time until all VCPs
    /// answered is `end_ns - start_ns` (when `failed` is 0).
    public var startNs: Int64
    public var endNs: Int64
    public var interrupted: Bool
    public var firstError: String?

    enum CodingKeys: String, CodingKey {
        case kind, v, clusters, ok, failed, workers, interrupted
        case startNs = "start_ns"
        case endNs = "end_ns"
        case firstError = "first_error"
    }

    public init(
        clusters: Int, ok: Int, failed: Int, workers: Int, startNs: Int64, endNs: Int64, interrupted: Bool,
        firstError: String?
    ) {
        self.clusters = clusters
        self.ok = ok
        self.failed = failed
        self.workers = workers
        self.startNs = startNs
        self.endNs = endNs
        self.interrupted = interrupted
        self.firstError = firstError
    }

    public var record: Record { .firstRequestSummary(self) }
}
