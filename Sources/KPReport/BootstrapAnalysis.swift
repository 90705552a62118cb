import KPRecords
import KPStats

/// Bootstrap wall time, per-step duration percentiles across clusters, and failures.
public struct BootstrapAnalysis: Sendable {
    /// The seed's per-cluster steps, in the order each cluster runs them.
    public static let stepOrder = ["readyz", "namespace", "crd_create", "crd_established", "discovery"]

    /// Durations of one step across clusters (ms, nearest-rank, over steps that ended `ok`).
    public struct StepStats: Sendable {
        public var step: String
        public var records: Int
        public var ok: Int
        public var failed: Int
        public var attempts: Int
        public var durationsMs: NearestRank.Summary?
    }

    /// A step that did not end `ok`.
    public struct Failure: Sendable {
        public var cluster: String
        public var step: String
        public var outcome: String
        public var error: String?
    }

    public var summary: BootstrapSummaryRecord?
    /// Start of the bootstrap (``span(_:)``): kp-bootstrap's first request, for fleet-bootstrap the Fleet's create.
    public var startNs: Int64?
    /// The bootstrap time: ``startNs`` to the last step's end (``span(_:)``).
    public var wallNs: Int64?
    public var steps: [StepStats] = []
    /// Per cluster: first step's start to last step's end, for clusters whose steps all ended `ok`.
    public var clusterTotalMs: NearestRank.Summary?
    public var clusters: Int
    public var failures: [Failure] = []
    /// Answers by HTTP status or transport class, summed over all steps.
    public var statusCounts: [String: Int] = [:]
    public var retries: Int = 0

    public init(data: RunData) {
        summary = data.bootstrapSummary
        if let span = Self.span(data) {
            startNs = span.startNs
            wallNs = span.endNs - span.startNs
        }
        var byStep: [String: [BootstrapStepRecord]] = [:]
        var byCluster: [String: [BootstrapStepRecord]] = [:]
        for r in data.steps {
            byStep[r.step, default: []].append(r)
            byCluster[r.cluster, default: []].append(r)
            for (k, v) in r.statusCounts { statusCounts[k, default: 0] += v }
            retries += r.retries
            if r.outcome != "ok" {
                failures.append(Failure(cluster: r.cluster, step: r.step, outcome: r.outcome, error: r.error))
            }
        }
        clusters = byCluster.count
        let names =
            Self.stepOrder.filter { byStep[$0] != nil } + byStep.keys.filter { !Self.stepOrder.contains($0) }.sorted()
        for name in names {
            let rs = byStep[name]!
            let ok = rs.filter { $0.outcome == "ok" }
            steps.append(
                StepStats(
                    step: name, records: rs.count, ok: ok.count, failed: rs.count - ok.count,
                    attempts: rs.reduce(0) { $0 + $1.attempts },
                    durationsMs: NearestRank.summary(ok.map { Double($0.endNs - $0.startNs) / 1e6 })))
        }
        let totals = byCluster.keys.sorted().compactMap { c -> Double? in
            let rs = byCluster[c]!
            guard rs.allSatisfy({ $0.outcome == "ok" }), let a = rs.map(\.startNs).min(), let b = rs.map(\.endNs).max()
            else {
                return nil
            }
            return Double(b - a) / 1e6
        }
        clusterTotalMs = NearestRank.summary(totals)
    }

    /// The bootstrap's span, whose length every report, comparison and repeat set calls "bootstrap
    /// time": kp-bootstrap's first request to the last step's end, from `bootstrap_summary`, else
    /// from the step records. In a fleet-bootstrap run the first request is the Fleet's create
    /// (`fleet_status.start_ns`), so the span is the Fleet wait followed by the members' steps; a
    /// summary that starts later (written without `fleet`, at the end of the Fleet wait) is
    /// extended back to the create.
    public static func span(_ data: RunData) -> (startNs: Int64, endNs: Int64)? {
        var start: Int64
        let end: Int64
        if let s = data.bootstrapSummary {
            (start, end) = (s.startNs, s.endNs)
        } else if let first = data.steps.map(\.startNs).min(), let last = data.steps.map(\.endNs).max() {
            (start, end) = (first, last)
        } else {
            return nil
        }
        if let fleet = data.fleetStatus { start = min(start, fleet.startNs) }
        return (start, end)
    }
}
