/// An HDR histogram on the wire: sparse `[value, count]` pairs plus its configuration.
///
/// Values are in `unit` (kp-load uses `ns`). Each pair's value is the lowest value equivalent
/// to its bucket, so re-recording the pairs into a histogram with the same `lowest`, `highest`
/// and `significant_digits` reproduces the original counts exactly (merging shards works).
public struct HistogramWire: Codable, Sendable, Equatable {
    public var unit: String
    public var lowest: Int64
    public var highest: Int64
    public var significantDigits: Int
    /// Total recorded values.
    public var count: Int64
    public var min: Int64?
    public var max: Int64?
    /// Sum of the recorded values (exact, not bucketed), for the mean.
    public var sum: Double?
    /// Non-empty buckets, ascending: `[value, count]`.
    public var buckets: [[Int64]]

    enum CodingKeys: String, CodingKey {
        case unit, lowest, highest, count, min, max, sum, buckets
        case significantDigits = "significant_digits"
    }

    public init(
        unit: String, lowest: Int64, highest: Int64, significantDigits: Int, count: Int64, min: Int64?, max: Int64?,
        sum: Double?, buckets: [[Int64]]
    ) {
        self.unit = unit
        self.lowest = lowest
        self.highest = highest
        self.significantDigits = significantDigits
        self.count = count
        self.min = min
        self.max = max
        self.sum = sum
        self.buckets = buckets
    }
}

/// Outcome counts and latency histograms of one operation type over a window.
public struct OpWindow: Codable, Sendable, Equatable {
    /// `write`, `read`, `write.get` or `write.update`.
    public var op: String
    /// Operations whose outcome is known in this window (ended in it).
    public var count: Int64
    /// Operations that did not succeed (any non-2xx, transport error or timeout).
    public var errors: Int64
    /// Outcomes keyed by HTTP status (`"200"`, `"409"`) or transport error class (`"timeout"`, `"reset"`).
    public var byStatus: [String: Int64]
    /// 409 Conflicts on Update (also included in `errors` unless retried to success).
    public var conflicts: Int64
    /// Re-Get-and-retry attempts after a conflict (`--conflict-policy=retry`).
    public var retries: Int64
    /// End minus intended start (what a user waits; coordinated-omission safe), ns.
    public var response: HistogramWire
    /// End minus actual send, ns.
    public var service: HistogramWire
    /// First response byte minus actual send, ns (requests that got no byte are left out).
    /// For `write`, measured on its Get. Optional; added in schema v1 by kp-load.
    public var firstByte: HistogramWire?
    /// Request and response body bytes.
    public var bytesSent: Int64
    public var bytesReceived: Int64

    enum CodingKeys: String, CodingKey {
        case op, count, errors, conflicts, retries, response, service
        case firstByte = "first_byte"
        case byStatus = "by_status"
        case bytesSent = "bytes_sent"
        case bytesReceived = "bytes_received"
    }

    public init(
        op: String, count: Int64, errors: Int64, byStatus: [String: Int64], conflicts: Int64, retries: Int64,
        response: HistogramWire, service: HistogramWire, firstByte: HistogramWire? = nil, bytesSent: Int64,
        bytesReceived: Int64
    ) {
        self.op = op
        self.count = count
        self.errors = errors
        self.byStatus = byStatus
        self.conflicts = conflicts
        self.retries = retries
        self.response = response
        self.service = service
        self.firstByte = firstByte
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived
    }
}

/// How well the load generator kept its schedule over a window.
public struct GeneratorWindow: Codable, Sendable, Equatable {
    /// Actual send minus intended start, ns.
    public var scheduleLag: HistogramWire
    /// Most operations in flight at once.
    public var inflightPeak: Int64
    /// Operations due but not yet sent at the window's end.
    public var backlog: Int64
    /// kp-load's own CPU time (user + system) in the window, seconds.
    public var cpuSeconds: Double
    /// The scheduler's own share of the lag: hand-over to the HTTP client − intended start (less
    /// any wait at `--max-inflight`, which is the server's), ns. Absent before kp-load 0.10.
    public var schedulerLag: HistogramWire?
    /// Driver threads (libcurl multi handles) kp-load ran (`--threads`).
    public var threads: Int?
    /// CPU seconds of kp-load's busiest thread (scheduler or a driver) in the window, from its
    /// thread CPU clock: near the window's length means that thread was saturated.
    public var busiestThreadCPUSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case scheduleLag = "schedule_lag"
        case inflightPeak = "inflight_peak"
        case backlog
        case cpuSeconds = "cpu_seconds"
        case schedulerLag = "scheduler_lag"
        case threads
        case busiestThreadCPUSeconds = "busiest_thread_cpu_seconds"
    }

    public init(
        scheduleLag: HistogramWire, inflightPeak: Int64, backlog: Int64, cpuSeconds: Double,
        schedulerLag: HistogramWire? = nil, threads: Int? = nil, busiestThreadCPUSeconds: Double? = nil
    ) {
        self.scheduleLag = scheduleLag
        self.inflightPeak = inflightPeak
        self.backlog = backlog
        self.cpuSeconds = cpuSeconds
        self.schedulerLag = schedulerLag
        self.threads = threads
        self.busiestThreadCPUSeconds = busiestThreadCPUSeconds
    }
}

/// Written by kp-load every `--report-interval` (default 1 s): what ended in that window.
public struct LoadIntervalRecord: KPRecord {
    public static let kind = RecordKind.loadInterval
    public var kind: RecordKind = .loadInterval
    public var v: Int = Schema.currentVersion
    public var startNs: Int64
    public var endNs: Int64
    public var ops: [OpWindow]
    public var generator: GeneratorWindow

    enum CodingKeys: String, CodingKey {
        case kind, v, ops, generator
        case startNs = "start_ns"
        case endNs = "end_ns"
    }

    public init(startNs: Int64, endNs: Int64, ops: [OpWindow], generator: GeneratorWindow) {
        self.startNs = startNs
        self.endNs = endNs
        self.ops = ops
        self.generator = generator
    }

    public var record: Record { .loadInterval(self) }
}

/// Per-cluster response-time view, for fairness between tenants.
public struct ClusterLoadWire: Codable, Sendable, Equatable {
    public var cluster: String
    public var op: String
    public var count: Int64
    public var errors: Int64
    public var response: HistogramWire

    public init(cluster: String, op: String, count: Int64, errors: Int64, response: HistogramWire) {
        self.cluster = cluster
        self.op = op
        self.count = count
        self.errors = errors
        self.response = response
    }
}

/// Written once by kp-load at the end of the load phase: totals over the whole phase.
public struct LoadFinalRecord: KPRecord {
    public static let kind = RecordKind.loadFinal
    public var kind: RecordKind = .loadFinal
    public var v: Int = Schema.currentVersion
    public var startNs: Int64
    public var endNs: Int64
    /// Scheduled rates, operations per second, by op (`write`, `read`).
    public var targetRps: [String: Double]
    /// Operations started per second of the phase, by op.
    public var achievedRps: [String: Double]
    public var ops: [OpWindow]
    public var generator: GeneratorWindow
    public var perCluster: [ClusterLoadWire]
    /// True when kp-load could not keep its schedule (lag p99 over threshold or `--max-inflight` reached);
    /// the latencies then describe the generator, not only the server.
    public var generatorLimited: Bool
    public var generatorLimitReason: String?
    /// Size in bytes of the object the server returned after a pre-warm create (payload really stored).
    public var storedObjectBytes: Int64?
    /// True when the phase was cut short by a signal.
    public var interrupted: Bool
    /// All kp-load settings as given.
    public var settings: [String: String]
    /// True when operations were late because they waited on the server (stream slots, slow
    /// answers piling up in flight, timeouts) while kp-load itself kept up: a server result,
    /// the latencies stand. Absent before kp-load 0.10 (read as false).
    public var targetSaturated: Bool?
    /// "target saturated: achieved X of Y ops/s" with the evidence, when ``targetSaturated``.
    public var targetSaturationReason: String?

    enum CodingKeys: String, CodingKey {
        case kind, v, ops, generator, interrupted, settings
        case targetSaturated = "target_saturated"
        case targetSaturationReason = "target_saturation_reason"
        case startNs = "start_ns"
        case endNs = "end_ns"
        case targetRps = "target_rps"
        case achievedRps = "achieved_rps"
        case perCluster = "per_cluster"
        case generatorLimited = "generator_limited"
        case generatorLimitReason = "generator_limit_reason"
        case storedObjectBytes = "stored_object_bytes"
    }

    public init(
        startNs: Int64, endNs: Int64, targetRps: [String: Double], achievedRps: [String: Double], ops: [OpWindow],
        generator: GeneratorWindow, perCluster: [ClusterLoadWire], generatorLimited: Bool,
        generatorLimitReason: String?, storedObjectBytes: Int64?, interrupted: Bool, settings: [String: String],
        targetSaturated: Bool? = nil, targetSaturationReason: String? = nil
    ) {
        self.targetSaturated = targetSaturated
        self.targetSaturationReason = targetSaturationReason
        self.startNs = startNs
        self.endNs = endNs
        self.targetRps = targetRps
        self.achievedRps = achievedRps
        self.ops = ops
        self.generator = generator
        self.perCluster = perCluster
        self.generatorLimited = generatorLimited
        self.generatorLimitReason = generatorLimitReason
        self.storedObjectBytes = storedObjectBytes
        self.interrupted = interrupted
        self.settings = settings
    }

    public var record: Record { .loadFinal(self) }
}
