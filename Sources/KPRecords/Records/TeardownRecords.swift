/// One step of tearing one cluster down (`kp-bootstrap --teardown`, scenario `teardown`, contract §3.5).
public struct TeardownStepRecord: KPRecord {
    public static let kind = RecordKind.teardownStep
    public var kind: RecordKind = .teardownStep
    public var v: Int = Schema.currentVersion
    public var cluster: String
    /// `api_objects` (delete every `memwidgets` object in namespace default), `api_crd` (delete the
    /// test CRD) or `etcd_keys` (delete every key under the run's prefix containing `/clusters/<cid>/`).
    public var step: String
    /// `ok`, `failed`, `skipped` or `interrupted`.
    public var outcome: String
    /// CLOCK_MONOTONIC ns when the step began and ended.
    public var startNs: Int64
    public var endNs: Int64
    /// etcd keys deleted (`etcd_keys` only).
    public var keysDeleted: Int?
    /// API objects deleted (`api_objects`: test objects; `api_crd`: 1 when the CRD was deleted).
    public var objectsDeleted: Int?
    /// Answers seen: HTTP status or transport class → count.
    public var statusCounts: [String: Int]
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case kind, v, cluster, step, outcome, error
        case startNs = "start_ns"
        case endNs = "end_ns"
        case keysDeleted = "keys_deleted"
        case objectsDeleted = "objects_deleted"
        case statusCounts = "status_counts"
    }

    public init(
        cluster: String, step: String, outcome: String, startNs: Int64, endNs: Int64, keysDeleted: Int? = nil,
        objectsDeleted: Int? = nil, statusCounts: [String: Int], error: String? = nil
    ) {
        self.cluster = cluster
        self.step = step
        self.outcome = outcome
        self.startNs = startNs
        self.endNs = endNs
        self.keysDeleted = keysDeleted
        self.objectsDeleted = objectsDeleted
        self.statusCounts = statusCounts
        self.error = error
    }

    public var record: Record { .teardownStep(self) }
}

/// The end of a teardown: one per `kp-bootstrap --teardown` run.
public struct TeardownSummaryRecord: KPRecord {
    public static let kind = RecordKind.teardownSummary
    public var kind: RecordKind = .teardownSummary
    public var v: Int = Schema.currentVersion
    /// Clusters torn down, and how many had every step ok (or skipped) / any step failed.
    public var clusters: Int
    public var ok: Int
    public var failed: Int
    /// Sums over the steps.
    public var keysDeleted: Int
    public var objectsDeleted: Int
    /// `deleted` when the etcd keys were deleted, `skipped` when the run does not control etcd.
    public var etcd: String
    public var skippedReason: String?
    public var startNs: Int64
    public var endNs: Int64
    public var interrupted: Bool

    enum CodingKeys: String, CodingKey {
        case kind, v, clusters, ok, failed, etcd, interrupted
        case keysDeleted = "keys_deleted"
        case objectsDeleted = "objects_deleted"
        case skippedReason = "skipped_reason"
        case startNs = "start_ns"
        case endNs = "end_ns"
    }

    public init(
        clusters: Int, ok: Int, failed: Int, keysDeleted: Int, objectsDeleted: Int, etcd: String,
        skippedReason: String?,
        startNs: Int64, endNs: Int64, interrupted: Bool
    ) {
        self.clusters = clusters
        self.ok = ok
        self.failed = failed
        self.keysDeleted = keysDeleted
        self.objectsDeleted = objectsDeleted
        self.etcd = etcd
        self.skippedReason = skippedReason
        self.startNs = startNs
        self.endNs = endNs
        self.interrupted = interrupted
    }

    public var record: Record { .teardownSummary(self) }
}
