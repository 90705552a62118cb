import KPRecords
import KPStats

/// The four operation views kp-load reports.
public enum MeasuredOp: Int, Sendable, CaseIterable {
    /// A whole write: Get + Update (+ retries), from the write's intended start.
    case write = 0
    /// A read: one Get.
    case read = 1
    /// The Get of a write, from the write's intended start.
    case writeGet = 2
    /// The Update of a write, from its own intended start: the end of the Get before it.
    case writeUpdate = 3

    /// The name in records: `write`, `read`, `write.get`, `write.update`.
    public var name: String {
        switch self {
        case .write: "write"
        case .read: "read"
        case .writeGet: "write.get"
        case .writeUpdate: "write.update"
        }
    }

    /// The view of a whole scheduled operation of `kind`.
    public init(_ kind: LoadOpKind) {
        self = kind == .read ? .read : .write
    }
}

/// Outcome counts and latency histograms of one operation view over a window.
public struct OpTally: Sendable, Equatable {
    public var count: Int64 = 0
    public var errors: Int64 = 0
    public var byStatus: [String: Int64] = [:]
    public var conflicts: Int64 = 0
    public var retries: Int64 = 0
    /// End − intended start, ns.
    public var response = LatencyHistogram()
    /// End − actual send, ns.
    public var service = LatencyHistogram()
    /// First byte − actual send, ns.
    public var firstByte = LatencyHistogram()
    public var bytesSent: Int64 = 0
    public var bytesReceived: Int64 = 0

    public init() {}

    /// Adds everything of `other` (histograms merge exactly: same layout).
    public mutating func merge(_ other: OpTally) {
        count += other.count
        errors += other.errors
        for (k, v) in other.byStatus { byStatus[k, default: 0] += v }
        conflicts += other.conflicts
        retries += other.retries
        response.merge(other.response)
        service.merge(other.service)
        firstByte.merge(other.firstByte)
        bytesSent += other.bytesSent
        bytesReceived += other.bytesReceived
    }

    /// The record form.
    public func window(op: String) -> OpWindow {
        OpWindow(
            op: op, count: count, errors: errors, byStatus: byStatus, conflicts: conflicts, retries: retries,
            response: response.fastWire, service: service.fastWire, firstByte: firstByte.fastWire, bytesSent: bytesSent,
            bytesReceived: bytesReceived)
    }
}

/// Everything measured over one window (a report interval, or the whole phase when merged).
///
/// A plain value: the engine keeps the current window behind a lock and swaps in a fresh one at
/// each report boundary, so recording never waits for record encoding.
public struct LoadTally: Sendable, Equatable {
    /// Indexed by ``MeasuredOp/rawValue``.
    public var ops: [OpTally] = MeasuredOp.allCases.map { _ in OpTally() }
    /// Actual send − intended start of scheduled operations, ns.
    public var scheduleLag = LatencyHistogram()
    /// The scheduler's own part of it: hand-over to the client − intended start, less any wait
    /// at `--max-inflight` (see ``LoadGenerator``), ns.
    public var schedulerLag = LatencyHistogram()
    /// Actual send − hand-over to the client: the driver thread and libcurl (a connection or an
    /// HTTP/2 stream slot), ns.
    public var driverLag = LatencyHistogram()
    /// Scheduled operations whose first request went out within the phase, by ``LoadOpKind/rawValue``
    /// (for the achieved rate).
    public var sentInPhase: [Int64] = [0, 0]

    public init() {}

    public subscript(op: MeasuredOp) -> OpTally {
        get { ops[op.rawValue] }
        set { ops[op.rawValue] = newValue }
    }

    /// Records one request of a write (`write.get` or `write.update`).
    ///
    /// Its response time runs from `intendedNs` (the write's intended start for its Get, the end of
    /// the preceding Get for its Update); a 409 on an Update counts as a conflict.
    public mutating func recordRequest(
        _ op: MeasuredOp, intendedNs: Int64, outcome o: RequestOutcome, bytesSent: Int64, retried: Bool = false
    ) {
        // Mutated in place (array subscript's modify accessor): copying an OpTally out and back
        // would copy its histograms' ~33k-entry count arrays on every record (copy-on-write).
        Self.update(&ops[op.rawValue]) { t in
            t.count += 1
            if !o.succeeded { t.errors += 1 }
            t.byStatus[o.statusKey, default: 0] += 1
            if op == .writeUpdate && o.isConflict { t.conflicts += 1 }
            if retried { t.retries += 1 }
            t.response.record(o.endNs - intendedNs)
            t.service.record(o.endNs - o.sentNs)
            if o.firstByteNs > 0 { t.firstByte.record(o.firstByteNs - o.sentNs) }
            t.bytesSent += bytesSent
            t.bytesReceived += o.bytesReceived
        }
    }

    private static func update(_ t: inout OpTally, _ body: (inout OpTally) -> Void) { body(&t) }

    /// Records a whole scheduled operation once its last request ended.
    ///
    /// - Parameters:
    ///   - first: the outcome of its first request (its send time is the operation's actual send,
    ///     its first byte the operation's first byte).
    ///   - last: the outcome of its last request (its status is the operation's outcome).
    ///   - conflicts: 409s its Updates got; `retries`: Get+Update attempts repeated after one.
    public mutating func recordOperation(
        _ kind: LoadOpKind, intendedNs: Int64, first: RequestOutcome, last: RequestOutcome, conflicts: Int64,
        retries: Int64, bytesSent: Int64, bytesReceived: Int64
    ) {
        Self.update(&ops[MeasuredOp(kind).rawValue]) { t in
            t.count += 1
            if !last.succeeded { t.errors += 1 }
            t.byStatus[last.statusKey, default: 0] += 1
            t.conflicts += conflicts
            t.retries += retries
            t.response.record(last.endNs - intendedNs)
            t.service.record(last.endNs - first.sentNs)
            if first.firstByteNs > 0 { t.firstByte.record(first.firstByteNs - first.sentNs) }
            t.bytesSent += bytesSent
            t.bytesReceived += bytesReceived
        }
    }

    /// Records the schedule lag of a scheduled operation's first request, and whether it went out
    /// before `phaseEndNs`.
    public mutating func recordSend(
        _ kind: LoadOpKind, intendedNs: Int64, sentNs: Int64, phaseEndNs: Int64, schedulerLagNs: Int64? = nil,
        driverLagNs: Int64? = nil
    ) {
        scheduleLag.record(sentNs - intendedNs)
        if let schedulerLagNs { schedulerLag.record(max(0, schedulerLagNs)) }
        if let driverLagNs { driverLag.record(max(0, driverLagNs)) }
        if sentNs <= phaseEndNs { sentInPhase[Int(kind.rawValue)] += 1 }
    }

    /// Adds everything of `other`.
    public mutating func merge(_ other: LoadTally) {
        for i in ops.indices { ops[i].merge(other.ops[i]) }
        scheduleLag.merge(other.scheduleLag)
        schedulerLag.merge(other.schedulerLag)
        driverLag.merge(other.driverLag)
        for i in sentInPhase.indices { sentInPhase[i] += other.sentInPhase[i] }
    }

    /// The `ops` list of a record: every view, in ``MeasuredOp`` order.
    public var opWindows: [OpWindow] {
        MeasuredOp.allCases.map { ops[$0.rawValue].window(op: $0.name) }
    }
}

/// One cluster's response times by operation kind, for the per-cluster (fairness) view.
///
/// Uses a coarser layout than the op histograms (1 µs lowest, 2 significant digits, ~25 KB
/// instead of ~270 KB) because there is one per hot cluster and kind: 2,000 of them in a
/// 1000-cluster uniform run. Percentiles stay within 1 %.
public struct ClusterTally: Sendable, Equatable {
    public static let lowestNs: Int64 = 1_000
    public static let significantDigits = 2

    public var count: Int64 = 0
    public var errors: Int64 = 0
    /// Allocated on the first record, so clusters without load cost nothing.
    public var response: LatencyHistogram?

    public init() {}

    public mutating func record(responseNs: Int64, succeeded: Bool) {
        count += 1
        if !succeeded { errors += 1 }
        if response == nil {
            response = try? LatencyHistogram(
                lowest: Self.lowestNs, highest: LatencyHistogram.defaultHighest,
                significantDigits: Self.significantDigits)
        }
        response?.record(responseNs)
    }

    public func wire(cluster: String, op: String) -> ClusterLoadWire {
        let empty =
            (try? LatencyHistogram(
                lowest: Self.lowestNs, highest: LatencyHistogram.defaultHighest,
                significantDigits: Self.significantDigits))
            ?? LatencyHistogram()
        return ClusterLoadWire(
            cluster: cluster, op: op, count: count, errors: errors, response: (response ?? empty).fastWire)
    }
}
