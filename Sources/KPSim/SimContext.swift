import Logging
import NIOCore
import Synchronization

/// The shared state of one running emulator: configuration, storage, VCPs, counters.
public final class SimContext: Sendable {
    /// The configuration it runs with.
    public let configuration: SimConfiguration
    /// All objects of all VCPs.
    public let store: ObjectStore
    /// The VCPs.
    public let registry: ControlPlaneRegistry
    /// Live per-VCP informers (the `/snapshot` source).
    public let informers: InformerRegistry
    /// Live task counts.
    public let tasks: TaskTracker
    /// Tracked allocations for the heap profile.
    public let allocations: AllocationTracker
    /// Request and connection counters.
    public let metrics: RequestMetrics
    /// kplane's one shared CRD runtime for all non-root VCPs (its serves index and status queue).
    let crdRuntime = SharedCRDRuntime()
    /// `workqueue_*{name="mc_fleet_controller"}`: the Fleet controller's reconciles.
    let fleetQueue = WorkQueueMetrics(name: "mc_fleet_controller")
    /// `--sim-max-concurrency`: the API requests served at once, and the queue of those waiting.
    let concurrency: ConcurrencyLimit
    /// Fault decisions.
    let random: FaultRandom
    let logger: Logger
    let tokens: TokenAuthenticator
    /// When the emulator started (for stalls and crash timers).
    public let started: ContinuousClock.Instant
    /// When the faults apply (`--fault-arm-file`).
    let faultArming: FaultArming
    private let port = Mutex(0)

    init(
        configuration: SimConfiguration, tokens: TokenAuthenticator, persistence: (any ObjectPersistence)?,
        logger: Logger
    ) {
        self.configuration = configuration
        self.tokens = tokens
        self.logger = logger
        self.allocations = AllocationTracker()
        self.store = ObjectStore(
            historyLimit: configuration.watchHistory, allocations: self.allocations,
            persistence: persistence, etcdPrefix: configuration.etcdPrefix)
        self.registry = ControlPlaneRegistry()
        self.informers = InformerRegistry()
        self.tasks = TaskTracker()
        self.metrics = RequestMetrics()
        self.concurrency = ConcurrencyLimit(limit: configuration.maxConcurrency)
        self.random = FaultRandom(seed: configuration.seed)
        self.started = .now
        self.faultArming = FaultArming(file: configuration.faults.armFile, started: self.started)
    }

    /// The bound port (0 before listening).
    public var boundPort: Int {
        self.port.withLock { $0 }
    }

    func setBoundPort(_ value: Int) { self.port.withLock { $0 = value } }

    /// Time since start.
    var elapsed: Duration { ContinuousClock.now - self.started }
}
