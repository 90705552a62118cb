import Foundation

/// A bad flag or input file: one line naming the input and the fix.
public struct SimConfigurationError: Error, CustomStringConvertible, Equatable {
    /// The one-line message.
    public var message: String

    /// Creates an error with `message`.
    public init(_ message: String) { self.message = message }

    public var description: String { self.message }
}

/// Everything kp-sim is configured with: the kube-apiserver flags it honours plus `--sim-*` and `--fault-*`.
///
/// Built by ``SimArgumentParser`` from a command line, or directly by tests.
public struct SimConfiguration: Sendable {
    // MARK: Upstream flags that change behaviour
    public var etcdServers: [String] = []
    public var etcdPrefix = "/registry"
    public var certDir = "/var/run/kubernetes"
    public var securePort = 6443
    public var bindAddress = "127.0.0.1"
    public var tlsCertFile: String?
    public var tlsPrivateKeyFile: String?
    public var tokenAuthFile: String?
    public var anonymousAuth = true
    public var authorizationModes = ["AlwaysAllow"]
    public var serviceAccountKeyFiles: [String] = []
    public var serviceAccountSigningKeyFile: String?
    public var serviceAccountIssuer: String?
    public var apiAudiences: [String] = []
    public var allowPrivileged = false
    public var serviceClusterIPRange: String?
    public var serviceCIDRSharingMode = "per-cluster"
    public var kubernetesServiceMode = "per-cluster-autoip"
    public var rootControlPlaneName = "root"
    public var enableAggregatorRouting = false
    public var verbosity = 0

    // MARK: Emulator behaviour
    /// How long after start `/readyz` answers 500 (the real server's post-start hooks), 0 = ready at once.
    public var readyDelay: Duration = .zero
    /// Delay before a new VCP's system namespaces appear.
    public var namespaceDelay: Duration = .milliseconds(200)
    /// Delay before a new CRD gets NamesAccepted and Established.
    public var crdEstablishDelay: Duration = .milliseconds(300)
    /// Bytes of malloc'd, written memory each VCP retains.
    public var vcpMemoryBytes = 2 * 1024 * 1024
    /// Bytes of malloc'd, written memory each live informer retains (its caches and queues), on top
    /// of its copy of the objects.
    public var informerMemoryBytes = 64 * 1024
    /// Long-lived tasks each VCP keeps running.
    public var vcpTasks = 2
    /// Period of each VCP task's loop.
    public var vcpTaskInterval: Duration = .seconds(10)
    /// Evict a VCP (free its retained memory, cancel its tasks) when a CRD delete leaves it with no CRDs.
    /// Off by default: kplane never evicts per-VCP state (contract §3.1, §3.5).
    public var evictOnDelete = false
    /// Seed for fault decisions; nil means the system random source.
    public var seed: UInt64?
    /// File to write the bound port to once listening.
    public var portFile: String?
    /// Watch events kept per resource type (all VCPs together) for watch resumption.
    public var watchHistory = 1000
    /// Period of BOOKMARK events on watches with `allowWatchBookmarks=true` (upstream: about a minute).
    public var watchBookmarkInterval: Duration = .seconds(60)

    /// Most API requests served at once, all VCPs together; the rest wait FIFO (nil: unlimited).
    public var maxConcurrency: Int?

    /// Faults to inject.
    public var faults = FaultPlan()

    /// Flags that were not recognised (accepted and logged, never fatal).
    public var unknownFlags: [String] = []

    public init() {}
}
