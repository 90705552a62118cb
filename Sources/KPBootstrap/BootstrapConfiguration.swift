/// Everything a ``Bootstrapper`` needs besides its transport: where, which clusters, how fast, how patient.
///
/// Defaults are the 200-VCP memory test's (contract §4.2): readyz every 500 ms with a 2 s per-request
/// timeout for 60 s; namespace every 200 ms for 30 s; CRD Established and discovery every 500 ms for 60 s;
/// 12 workers. There is no client-side rate limit: client-go's default 5 QPS throttle is deliberately
/// not reproduced (contract §8.5), so the server sees the workers' full concurrency.
public struct BootstrapConfiguration: Sendable {
    /// Server root URL without a trailing slash, e.g. `https://127.0.0.1:6443`.
    public var baseURL: String
    /// Cluster ids, bootstrapped in this order (a worker takes the next one when it is free).
    public var clusters: [String]
    /// Concurrent workers; each bootstraps one cluster at a time through all five steps.
    public var workers: Int
    public var readyz: StepTiming
    public var namespace: StepTiming
    /// `interval` is unused (a create is not polled); `deadline` bounds its retries.
    public var crdCreate: StepTiming
    public var crdEstablished: StepTiming
    public var discovery: StepTiming
    /// Treat `409 AlreadyExists` from the CRD create as success (reusing clusters of an earlier run).
    public var allowExisting: Bool
    /// Backoff after 429 and 5xx answers (and transport errors on the create).
    public var backoff: RetryBackoff
    /// Test CRDs per cluster (`--crds-per-cluster`, at least 1): each is created, then each waited for
    /// until Established, then each until discovered (``TestCRD``'s CRDs 0..<K).
    public var crdsPerCluster: Int

    public init(
        baseURL: String, clusters: [String], workers: Int = 12,
        readyz: StepTiming = StepTiming(
            interval: .milliseconds(500), deadline: .seconds(60), requestTimeout: .seconds(2)),
        namespace: StepTiming = StepTiming(
            interval: .milliseconds(200), deadline: .seconds(30), requestTimeout: .seconds(10)),
        crdCreate: StepTiming = StepTiming(
            interval: .milliseconds(500), deadline: .seconds(60), requestTimeout: .seconds(10)),
        crdEstablished: StepTiming = StepTiming(
            interval: .milliseconds(500), deadline: .seconds(60), requestTimeout: .seconds(10)),
        discovery: StepTiming = StepTiming(
            interval: .milliseconds(500), deadline: .seconds(60), requestTimeout: .seconds(10)),
        allowExisting: Bool = false, backoff: RetryBackoff = RetryBackoff(), crdsPerCluster: Int = 1
    ) {
        self.crdsPerCluster = max(1, crdsPerCluster)
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.clusters = clusters
        self.workers = workers
        self.readyz = readyz
        self.namespace = namespace
        self.crdCreate = crdCreate
        self.crdEstablished = crdEstablished
        self.discovery = discovery
        self.allowExisting = allowExisting
        self.backoff = backoff
    }

    /// The timing of one step.
    public func timing(_ step: BootstrapStep) -> StepTiming {
        switch step {
        case .readyz: readyz
        case .namespace: namespace
        case .crdCreate: crdCreate
        case .crdEstablished: crdEstablished
        case .discovery: discovery
        }
    }

    /// `B = <url>/clusters/<cid>/control-plane`.
    public func clusterBase(_ cluster: String) -> String { "\(baseURL)/clusters/\(cluster)/control-plane" }
}

/// How one step polls: the pause between polls, the step's overall deadline, and each request's timeout.
public struct StepTiming: Sendable, Equatable {
    /// Pause between polls whose answer was "not yet" (or a transport error).
    public var interval: Duration
    /// Measured from the step's first request; when the next attempt would start after it, the step times out.
    public var deadline: Duration
    /// Per-request timeout, clipped to what remains of the deadline.
    public var requestTimeout: Duration

    public init(interval: Duration, deadline: Duration, requestTimeout: Duration) {
        self.interval = interval
        self.deadline = deadline
        self.requestTimeout = requestTimeout
    }
}
