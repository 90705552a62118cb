import Foundation

/// The schema of kp-bench's JSON-lines records: a public interface.
///
/// Every line carries `"kind"` (one of ``RecordKind``) and `"v"` (the schema major version).
/// Adding an optional field keeps `v`; a rename, removal or change of unit or meaning bumps it
/// and gets a CHANGELOG line. Readers accept any `v` up to ``Schema/currentVersion`` and reject
/// newer ones with a one-line error. Field documentation: `docs/records.md`.
public enum Schema {
    /// The schema major version this build writes and the highest it reads.
    public static let currentVersion = 1
    /// kp-bench's own version, stamped into run metadata and endpoint records.
    public static let toolVersion = "0.1.0"
}

/// Every kind of record kp-bench writes.
public enum RecordKind: String, Codable, Sendable, CaseIterable {
    case endpoint
    case runMeta = "run_meta"
    case runEnd = "run_end"
    case bootstrapStep = "bootstrap_step"
    case bootstrapSummary = "bootstrap_summary"
    case sample
    case profile
    case scrapeCost = "scrape_cost"
    case loadInterval = "load_interval"
    case loadFinal = "load_final"
    case kneeStep = "knee_step"
    case kneeResult = "knee_result"
    case fleetStatus = "fleet_status"
    case fleetMember = "fleet_member"
    case teardownStep = "teardown_step"
    case teardownSummary = "teardown_summary"
    case snapshotInterval = "snapshot_interval"
    case snapshotFinal = "snapshot_final"
    case snapshotWarm = "snapshot_warm"
    case snapshotWarmSummary = "snapshot_warm_summary"
    case watchInterval = "watch_interval"
    case watchFinal = "watch_final"
    case restart
    case firstRequest = "first_request"
    case firstRequestSummary = "first_request_summary"
    case error
}

/// A record of any kind, as read from or written to a JSON-lines stream.
public enum Record: Sendable, Equatable {
    case endpoint(EndpointRecord)
    case runMeta(RunMetaRecord)
    case runEnd(RunEndRecord)
    case bootstrapStep(BootstrapStepRecord)
    case bootstrapSummary(BootstrapSummaryRecord)
    case sample(SampleRecord)
    case profile(ProfileRecord)
    case scrapeCost(ScrapeCostRecord)
    case loadInterval(LoadIntervalRecord)
    case loadFinal(LoadFinalRecord)
    case kneeStep(KneeStepRecord)
    case kneeResult(KneeResultRecord)
    case fleetStatus(FleetStatusRecord)
    case fleetMember(FleetMemberRecord)
    case teardownStep(TeardownStepRecord)
    case teardownSummary(TeardownSummaryRecord)
    case snapshotInterval(SnapshotIntervalRecord)
    case snapshotFinal(SnapshotFinalRecord)
    case snapshotWarm(SnapshotWarmRecord)
    case snapshotWarmSummary(SnapshotWarmSummaryRecord)
    case watchInterval(WatchIntervalRecord)
    case watchFinal(WatchFinalRecord)
    case restart(RestartRecord)
    case firstRequest(FirstRequestRecord)
    case firstRequestSummary(FirstRequestSummaryRecord)
    case error(ErrorRecord)

    public var kind: RecordKind {
        switch self {
        case .endpoint: .endpoint
        case .runMeta: .runMeta
        case .runEnd: .runEnd
        case .bootstrapStep: .bootstrapStep
        case .bootstrapSummary: .bootstrapSummary
        case .sample: .sample
        case .profile: .profile
        case .scrapeCost: .scrapeCost
        case .loadInterval: .loadInterval
        case .loadFinal: .loadFinal
        case .kneeStep: .kneeStep
        case .kneeResult: .kneeResult
        case .fleetStatus: .fleetStatus
        case .fleetMember: .fleetMember
        case .teardownStep: .teardownStep
        case .teardownSummary: .teardownSummary
        case .snapshotInterval: .snapshotInterval
        case .snapshotFinal: .snapshotFinal
        case .snapshotWarm: .snapshotWarm
        case .snapshotWarmSummary: .snapshotWarmSummary
        case .watchInterval: .watchInterval
        case .watchFinal: .watchFinal
        case .restart: .restart
        case .firstRequest: .firstRequest
        case .firstRequestSummary: .firstRequestSummary
        case .error: .error
        }
    }
}

/// Conformed to by every record struct: its kind is fixed by its type.
public protocol KPRecord: Codable, Sendable, Equatable {
    static var kind: RecordKind { get }
    var record: Record { get }
}

/// Wall-clock timestamps in records: RFC 3339 UTC with milliseconds.
public enum WallClock {
    public static func now() -> String { format(Date()) }
    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
