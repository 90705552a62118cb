/// The `/snapshot` figures of one window (contract §2.3): the requests as an ``OpWindow`` (op
/// `snapshot`: count, errors, by_status, response and service HDR histograms, bytes_received) plus
/// the items the answers carried.
public struct SnapshotWindow: Codable, Sendable, Equatable {
    /// Requests that ended in the window.
    public var requests: OpWindow
    /// Sum over the successful answers of their resources' `itemCount`s.
    public var items: Int64
    /// Largest `itemCount` sum and largest body of one answer, bytes.
    public var maxItems: Int64
    public var maxBytes: Int64

    enum CodingKeys: String, CodingKey {
        case requests, items
        case maxItems = "max_items"
        case maxBytes = "max_bytes"
    }

    public init(requests: OpWindow, items: Int64, maxItems: Int64, maxBytes: Int64) {
        self.requests = requests
        self.items = items
        self.maxItems = maxItems
        self.maxBytes = maxBytes
    }
}

/// One report interval of kp-load's snapshot operations (`--snapshot-rps-per-cluster`).
public struct SnapshotIntervalRecord: KPRecord {
    public static let kind = RecordKind.snapshotInterval
    public var kind: RecordKind = .snapshotInterval
    public var v: Int = Schema.currentVersion
    public var startNs: Int64
    public var endNs: Int64
    public var window: SnapshotWindow

    enum CodingKeys: String, CodingKey {
        case kind, v, window
        case startNs = "start_ns"
        case endNs = "end_ns"
    }

    public init(startNs: Int64, endNs: Int64, window: SnapshotWindow) {
        self.startNs = startNs
        self.endNs = endNs
        self.window = window
    }

    public var record: Record { .snapshotInterval(self) }
}

/// The end of kp-load's snapshot operations: the whole phase.
public struct SnapshotFinalRecord: KPRecord {
    public static let kind = RecordKind.snapshotFinal
    public var kind: RecordKind = .snapshotFinal
    public var v: Int = Schema.currentVersion
    public var startNs: Int64
    public var endNs: Int64
    /// The hot clusters that got snapshot operations.
    public var clusters: Int
    public var ratePerCluster: Double
    public var targetRps: Double
    public var achievedRps: Double
    /// The query sent: `warm=true` (`--snapshot-warm`) and the `resource=` filter (`--snapshot-resources`).
    public var warm: Bool
    public var resources: [String]
    public var window: SnapshotWindow
    /// Send time minus intended time, ns (the snapshot scheduler's own lag).
    public var scheduleLag: HistogramWire
    /// Schedule lag p99 over --max-lag: the snapshot latencies describe kp-load as much as the server.
    public var generatorLimited: Bool
    public var interrupted: Bool

    enum CodingKeys: String, CodingKey {
        case kind, v, clusters, warm, resources, window, interrupted
        case startNs = "start_ns"
        case endNs = "end_ns"
        case ratePerCluster = "rate_per_cluster"
        case targetRps = "target_rps"
        case achievedRps = "achieved_rps"
        case scheduleLag = "schedule_lag"
        case generatorLimited = "generator_limited"
    }

    public init(
        startNs: Int64, endNs: Int64, clusters: Int, ratePerCluster: Double, targetRps: Double, achievedRps: Double,
        warm: Bool, resources: [String], window: SnapshotWindow, scheduleLag: HistogramWire, generatorLimited: Bool,
        interrupted: Bool
    ) {
        self.startNs = startNs
        self.endNs = endNs
        self.clusters = clusters
        self.ratePerCluster = ratePerCluster
        self.targetRps = targetRps
        self.achievedRps = achievedRps
        self.warm = warm
        self.resources = resources
        self.window = window
        self.scheduleLag = scheduleLag
        self.generatorLimited = generatorLimited
        self.interrupted = interrupted
    }

    public var record: Record { .snapshotFinal(self) }
}

/// The first warm of one VCP: `GET /clusters/<cid>/control-plane/snapshot?warm=true` (`kp-load --snapshot-warm-pass`).
public struct SnapshotWarmRecord: KPRecord {
    public static let kind = RecordKind.snapshotWarm
    public var kind: RecordKind = .snapshotWarm
    public var v: Int = Schema.currentVersion
    public var cluster: String
    /// HTTP status (`"200"`) or transport error class (`"timeout"`, `"reset"`).
    public var status: String
    public var startNs: Int64
    public var endNs: Int64
    /// Response body bytes, the answer's `liveResources`, its resources listed and their `itemCount` sum.
    public var bytes: Int64
    public var liveResources: Int?
    public var resources: Int?
    public var items: Int64
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case kind, v, cluster, status, bytes, resources, items, error
        case startNs = "start_ns"
        case endNs = "end_ns"
        case liveResources = "live_resources"
    }

    public init(
        cluster: String, status: String, startNs: Int64, endNs: Int64, bytes: Int64, liveResources: Int?,
        resources: Int?, items: Int64, error: String? = nil
    ) {
        self.cluster = cluster
        self.status = status
        self.startNs = startNs
        self.endNs = endNs
        self.bytes = bytes
        self.liveResources = liveResources
        self.resources = resources
        self.items = items
        self.error = error
    }

    public var record: Record { .snapshotWarm(self) }
}

/// The end of a warm pass: every VCP warmed once, one at a time.
public struct SnapshotWarmSummaryRecord: KPRecord {
    public static let kind = RecordKind.snapshotWarmSummary
    public var kind: RecordKind = .snapshotWarmSummary
    public var v: Int = Schema.currentVersion
    public var clusters: Int
    public var ok: Int
    public var failed: Int
    /// Per-VCP latency (end minus start of its one request), ns.
    public var latency: HistogramWire
    public var bytes: Int64
    public var items: Int64
    public var startNs: Int64
    public var endNs: Int64
    public var interrupted: Bool

    enum CodingKeys: String, CodingKey {
        case kind, v, clusters, ok, failed, latency, bytes, items, interrupted
        case startNs = "start_ns"
        case endNs = "end_ns"
    }

    public init(
        clusters: Int, ok: Int, failed: Int, latency: HistogramWire, bytes: Int64, items: Int64, startNs: Int64,
        endNs: Int64, interrupted: Bool
    ) {
        self.clusters = clusters
        self.ok = ok
        self.failed = failed
        self.latency = latency
        self.bytes = bytes
        self.items = items
        self.startNs = startNs
        self.endNs = endNs
        self.interrupted = interrupted
    }

    public var record: Record { .snapshotWarmSummary(self) }
}
