/// What to do when an Update answers 409 Conflict (someone else changed the object since the Get).
public enum ConflictPolicy: String, Sendable, CaseIterable {
    /// Count the conflict as the write's outcome (an error).
    case count
    /// Re-Get and retry the Update, up to the configured number of retries; each retry is counted.
    case retry
}

/// Everything a load phase needs, resolved from flags: no defaults are applied here.
public struct LoadConfiguration: Sendable {
    /// `--max-lag`'s default in ms (kp-load's and kp-run's). Measured (docs/load.md, "How late is
    /// late"): 20 idle-rate mixed-hot runs in a row on a loaded 2-core VM had a schedule-lag p99 of up
    /// to 12.2 ms; 50 ms is four times that, and twenty times below the 1 s API-call SLO.
    public static let defaultMaxLagMs = 50

    /// Server root URL without a trailing slash, e.g. `https://127.0.0.1:6443`.
    public var baseURL: String
    /// Clusters that get load (the hot subset), in schedule order.
    public var hotClusters: [String]
    /// All clusters considered (for the settings record).
    public var clusterCount: Int
    public var writeRatePerCluster: Double
    public var readRatePerCluster: Double
    public var durationNs: Int64
    public var objectBytes: Int
    public var objectsPerCluster: Int
    public var namespace: String
    public var arrival: ArrivalProcess
    public var seed: UInt64
    public var conflictPolicy: ConflictPolicy
    public var maxConflictRetries: Int
    /// Schedule-lag p99 above this marks the run generator-limited, ns.
    public var maxLagNs: Int64
    /// In-flight operations above which the scheduler waits (and the run is generator-limited).
    public var maxInflight: Int
    public var reportIntervalNs: Int64
    /// Per-request timeout, ns: a timed-out request is recorded with this latency.
    public var timeoutNs: Int64
    /// All settings as the user gave them, copied into `load_final.settings`.
    public var settings: [String: String]
    /// Seeds of the clusters' schedule streams, by index in ``hotClusters`` (nil: the index). A
    /// shard passes each cluster's index in the unsharded hot list (see ``OpenLoopSchedule/streamIDs``).
    public var streamIDs: [UInt64]?
    /// Where each successful Update's resulting resourceVersion and times go (scenario
    /// `watch-fanout`, ``WatchFanout``); nil: nowhere, the writers do nothing extra.
    public var updateLedger: UpdateLedger?

    public init(
        baseURL: String, hotClusters: [String], clusterCount: Int, writeRatePerCluster: Double,
        readRatePerCluster: Double, durationNs: Int64, objectBytes: Int, objectsPerCluster: Int = 5,
        namespace: String = "default", arrival: ArrivalProcess = .even, seed: UInt64,
        conflictPolicy: ConflictPolicy = .count, maxConflictRetries: Int = 5, maxLagNs: Int64 = 10_000_000,
        maxInflight: Int = 10_000, reportIntervalNs: Int64 = 1_000_000_000, timeoutNs: Int64 = 10_000_000_000,
        settings: [String: String] = [:], streamIDs: [UInt64]? = nil
    ) {
        self.streamIDs = streamIDs
        self.baseURL = baseURL
        self.hotClusters = hotClusters
        self.clusterCount = clusterCount
        self.writeRatePerCluster = writeRatePerCluster
        self.readRatePerCluster = readRatePerCluster
        self.durationNs = durationNs
        self.objectBytes = objectBytes
        self.objectsPerCluster = objectsPerCluster
        self.namespace = namespace
        self.arrival = arrival
        self.seed = seed
        self.conflictPolicy = conflictPolicy
        self.maxConflictRetries = maxConflictRetries
        self.maxLagNs = maxLagNs
        self.maxInflight = maxInflight
        self.reportIntervalNs = reportIntervalNs
        self.timeoutNs = timeoutNs
        self.settings = settings
    }

    /// The schedule these settings define.
    public var schedule: OpenLoopSchedule {
        OpenLoopSchedule(
            ratePerCluster: [.read: readRatePerCluster, .write: writeRatePerCluster], clusterCount: hotClusters.count,
            durationNs: durationNs, arrival: arrival, seed: seed, objectsPerCluster: objectsPerCluster,
            streamIDs: streamIDs)
    }
}
