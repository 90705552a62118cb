import KPRecords
import KPStats

/// Client-side latency, errors, generator health and the server's own view of the load phase.
public struct LoadAnalysis: Sendable {
    /// Op order in tables: the seed's write and read, then their parts, then anything else.
    public static let opOrder = ["write", "read", "write.get", "write.update"]
    /// The server histogram compared with the client's latencies.
    public static let serverMetric = "apiserver_request_duration_seconds"

    /// One operation type over the whole load phase.
    public struct OpStats: Sendable {
        public var op: String
        public var count: Int64
        public var errors: Int64
        public var byStatus: [String: Int64]
        public var conflicts: Int64
        public var retries: Int64
        /// nil when the record's histogram could not be read (a data problem names why).
        public var response: LatencyHistogram?
        public var service: LatencyHistogram?
        public var targetRps: Double?
        public var achievedRps: Double?
    }

    /// p99 of response time across the clusters that got load, for one op.
    public struct Spread: Sendable {
        public var op: String
        public var clusters: Int
        public var minP99Ns: Int64
        public var minCluster: String
        public var maxP99Ns: Int64
        public var maxCluster: String
    }

    /// Server-side percentiles of one verb between two scrapes (``BucketQuantile`` says how to print them).
    public struct ServerVerb: Sendable {
        public var verb: String
        public var requests: Double
        public var p50: PromHistogram.Quantile?
        public var p99: PromHistogram.Quantile?
    }

    /// The server's view: `apiserver_request_duration_seconds` deltas between two samples.
    public struct ServerView: Sendable {
        public var before: SampleRecord?
        public var after: SampleRecord?
        public var verbs: [ServerVerb] = []
        public var resets: [String] = []
        /// Why there is no server view (or a caveat), when there is one.
        public var note: String?
        /// What the server counted in the window, beside what the records say sent it.
        public var accounting: ServerRequestAccounting?
        /// Every series of the server's request-duration histogram over the window (`after` −
        /// `before`), sorted by label-set key: what the SLO checks and the CL2 files read too.
        public var deltas: [PromHistogram] = []
    }

    public var final: LoadFinalRecord
    public var durationNs: Int64
    public var ops: [OpStats] = []
    public var scheduleLag: LatencyHistogram?
    /// kp-load's CPU over the phase as % of one core.
    public var generatorCPUPercent: Double?
    public var spread: [Spread] = []
    public var server: ServerView
    /// Histograms that could not be read.
    public var problems: [DataProblem] = []

    public init(final: LoadFinalRecord, data: RunData) {
        self.final = final
        durationNs = final.endNs - final.startNs
        var problems: [DataProblem] = []
        func histogram(_ wire: HistogramWire, _ what: String) -> LatencyHistogram? {
            do {
                return try LatencyHistogram(wire: wire)
            } catch {
                problems.append(
                    DataProblem(
                        location: "load.jsonl", message: "load_final \(what) histogram unreadable: \(error)",
                        affects: ["Load"]))
                return nil
            }
        }
        let seconds = Double(durationNs) / 1e9
        for w in Self.ordered(final.ops, by: \.op) {
            ops.append(
                OpStats(
                    op: w.op, count: w.count, errors: w.errors, byStatus: w.byStatus, conflicts: w.conflicts,
                    retries: w.retries, response: histogram(w.response, "\(w.op) response"),
                    service: histogram(w.service, "\(w.op) service"), targetRps: final.targetRps[w.op],
                    achievedRps: final.achievedRps[w.op] ?? (seconds > 0 ? Double(w.count) / seconds : nil)))
        }
        scheduleLag = histogram(final.generator.scheduleLag, "generator schedule_lag")
        generatorCPUPercent = seconds > 0 ? final.generator.cpuSeconds / seconds * 100 : nil

        var byOp: [String: [(String, Int64)]] = [:]
        for c in final.perCluster.sorted(by: { ($0.op, $0.cluster) < ($1.op, $1.cluster) }) {
            guard let h = histogram(c.response, "per-cluster \(c.cluster) \(c.op) response"), let p99 = h.percentile(99)
            else {
                continue
            }
            byOp[c.op, default: []].append((c.cluster, p99))
        }
        for op in Self.ordered(Array(byOp.keys), by: \.self) {
            let list = byOp[op]!
            let lo = list.min { ($0.1, $0.0) < ($1.1, $1.0) }!
            let hi = list.max { ($0.1, $1.0) < ($1.1, $0.0) }!
            spread.append(
                Spread(
                    op: op, clusters: list.count, minP99Ns: lo.1, minCluster: lo.0, maxP99Ns: hi.1, maxCluster: hi.0))
        }
        server = Self.serverView(final: final, data: data)
        self.problems = problems
    }

    /// Sorts by ``opOrder``, unknown ops after the known ones by name.
    static func ordered<T>(_ items: [T], by key: KeyPath<T, String>) -> [T] {
        items.sorted { a, b in
            let ia = opOrder.firstIndex(of: a[keyPath: key]) ?? opOrder.count
            let ib = opOrder.firstIndex(of: b[keyPath: key]) ?? opOrder.count
            return ia != ib ? ia < ib : a[keyPath: key] < b[keyPath: key]
        }
    }

    /// Picks the sample right before the load (latest at or before its start) and the one
    /// after it (the `post-load` sample, else the first after the load ended), both carrying
    /// the server histogram, and computes per-verb p50/p99 of the requests in between.
    static func serverView(final: LoadFinalRecord, data: RunData) -> ServerView {
        func family(_ s: SampleRecord) -> MetricFamilyWire? { s.families?.first { $0.name == serverMetric } }
        let all = (data.phaseSamples + data.seriesSamples).filter { family($0) != nil }.sorted { $0.tNs < $1.tNs }
        guard !all.isEmpty else {
            return ServerView(
                note: "no sample carries \(serverMetric) (scrape with kp-scrape --metric \(serverMetric))")
        }
        let before = all.last { $0.tNs <= final.startNs }
        let after =
            all.first { $0.phase == "post-load" && $0.tNs >= final.endNs } ?? all.first { $0.tNs >= final.endNs }
        guard let before, let after else {
            return ServerView(
                before: before, after: after,
                note: before == nil
                    ? "no sample with \(serverMetric) was taken before the load started"
                    : "no sample with \(serverMetric) was taken after the load ended")
        }
        let b = PromHistogram.series(from: family(before)!)
        let a = PromHistogram.series(from: family(after)!)
        let d = PromHistogram.deltas(after: a, before: b)
        let byVerb = PromHistogram.aggregate(d.series, by: "verb")
        var view = ServerView(before: before, after: after, resets: d.resets, deltas: d.series)
        view.accounting = ServerRequestAccounting(
            deltas: d.series, before: before, after: after, final: final, data: data)
        for verb in byVerb.keys.sorted() {
            let h = byVerb[verb]!
            let n = h.observations ?? 0
            guard n > 0 else { continue }
            view.verbs.append(
                ServerVerb(
                    verb: verb.isEmpty ? "(no verb)" : verb, requests: n, p50: h.quantile(0.5), p99: h.quantile(0.99)))
        }
        if !d.resets.isEmpty {
            view.note =
                "\(d.resets.count) series restarted from zero between the two scrapes (target restarted?); their counts are taken whole"
        }
        return view
    }
}
