/// The Fleet part of a `fleet-bootstrap` run (contract §3.3), written by `kp-bootstrap --fleet` when the
/// wait for `status.readyReplicas` ends (ok, failed, timed out or interrupted).
public struct FleetStatusRecord: KPRecord {
    public static let kind = RecordKind.fleetStatus
    public var kind: RecordKind = .fleetStatus
    public var v: Int = Schema.currentVersion
    /// The Fleet's name (cluster-scoped, at the root).
    public var fleet: String
    /// `spec.replicas` asked for.
    public var replicas: Int
    /// `spec.namePrefix` sent, when members are named by prefix.
    public var namePrefix: String?
    /// `spec.names` sent, when members are named explicitly.
    public var names: [String]?
    /// CLOCK_MONOTONIC ns when the create was first sent, and when the wait ended.
    public var startNs: Int64
    public var endNs: Int64
    /// When the create was answered 201 (or 409 with --allow-existing).
    public var createdNs: Int64?
    /// The first poll that saw `status.readyReplicas` equal to `replicas` (absent when never).
    public var readyNs: Int64?
    /// Requests sent (create attempts plus polls).
    public var requests: Int
    /// Answers seen: HTTP status or transport class → count.
    public var statusCounts: [String: Int]
    /// The last `status.readyReplicas` and `status.observedGeneration` seen.
    public var readyReplicas: Int
    public var observedGeneration: Int?
    /// Member phase transitions observed (the `fleet_member` records written).
    public var transitions: Int
    /// `ok`, `failed`, `timeout` or `interrupted` (as `bootstrap_step.outcome`).
    public var outcome: String
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case kind, v, fleet, replicas, names, requests, transitions, outcome, error
        case namePrefix = "name_prefix"
        case startNs = "start_ns"
        case endNs = "end_ns"
        case createdNs = "created_ns"
        case readyNs = "ready_ns"
        case statusCounts = "status_counts"
        case readyReplicas = "ready_replicas"
        case observedGeneration = "observed_generation"
    }

    public init(
        fleet: String, replicas: Int, namePrefix: String?, names: [String]?, startNs: Int64, endNs: Int64,
        createdNs: Int64?,
        readyNs: Int64?, requests: Int, statusCounts: [String: Int], readyReplicas: Int, observedGeneration: Int?,
        transitions: Int,
        outcome: String, error: String?
    ) {
        self.fleet = fleet
        self.replicas = replicas
        self.namePrefix = namePrefix
        self.names = names
        self.startNs = startNs
        self.endNs = endNs
        self.createdNs = createdNs
        self.readyNs = readyNs
        self.requests = requests
        self.statusCounts = statusCounts
        self.readyReplicas = readyReplicas
        self.observedGeneration = observedGeneration
        self.transitions = transitions
        self.outcome = outcome
        self.error = error
    }

    public var record: Record { .fleetStatus(self) }
}

/// One member's phase as a poll of the Fleet first saw it change (`status.members[].phase`).
public struct FleetMemberRecord: KPRecord {
    public static let kind = RecordKind.fleetMember
    public var kind: RecordKind = .fleetMember
    public var v: Int = Schema.currentVersion
    public var fleet: String
    /// The member's cluster ID (`status.members[].clusterID`).
    public var cluster: String
    /// The phase now: `Pending`, `Ready`, `Failed` (or what the server wrote).
    public var phase: String
    /// The phase before (absent on the member's first appearance).
    public var previous: String?
    /// CLOCK_MONOTONIC ns when the poll that saw it was answered.
    public var tNs: Int64
    /// `status.members[].message`, when set.
    public var message: String?

    enum CodingKeys: String, CodingKey {
        case kind, v, fleet, cluster, phase, previous, message
        case tNs = "t_ns"
    }

    public init(fleet: String, cluster: String, phase: String, previous: String?, tNs: Int64, message: String?) {
        self.fleet = fleet
        self.cluster = cluster
        self.phase = phase
        self.previous = previous
        self.tNs = tNs
        self.message = message
    }

    public var record: Record { .fleetMember(self) }
}
