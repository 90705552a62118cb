import KPRecords
import KPStats

/// The Kubernetes API-call latency SLO (sig-scalability), checked over the load phase:
/// single-object mutating calls and single-object GETs p99 ≤ 1 s; other non-streaming calls
/// (LIST) p99 ≤ 30 s. Checked per op and per hot cluster, from the client's response time and
/// from the server's `apiserver_request_duration_seconds` deltas (docs/reports.md, "API-call SLO").
public struct APICallSLO: Sendable {
    /// Outcome of one check.
    public enum Verdict: String, Sendable, Codable {
        case held
        case missed
        /// The figure cannot decide (a composite op over the bound, or a server quantile in a bucket straddling it).
        case inconclusive
    }

    /// One SLO check.
    public struct Check: Sendable {
        /// `client` (kp-load's response time) or `server` (apiserver_request_duration_seconds).
        public var source: String
        /// `all` or the cluster id.
        public var cluster: String
        /// Client op (`read`, `write.get`, …) or server verb (`GET`, `PUT`, `LIST`, …).
        public var call: String
        public var requests: Double
        /// The p99: the client's from its HDR histogram; the server's `histogram_quantile` estimate
        /// (the highest finite bound when it lies in the `+Inf` bucket). Read a server figure with ``bucket``.
        public var p99Seconds: Double
        public var thresholdSeconds: Double
        public var verdict: Verdict
        /// How to read the figure (a composite op; a server p99 that an interpolated estimate decided).
        public var note: String?
        /// Server checks: the bucket the p99 lies in, which is all the histogram knows of it; nil for client checks.
        public var bucket: BucketQuantile?

        /// The p99 as the data allows: the client's figure, or the server's bucket (``BucketQuantile/text``).
        public var p99Text: String { bucket?.text ?? Format.latency(p99Seconds * 1e9) }

        /// The figure to hold against the bound: the client's p99; for the server the bucket's upper
        /// bound (its lower bound in the `+Inf` bucket), what the histogram can vouch for.
        public var boundingSeconds: Double { bucket?.boundingSeconds ?? p99Seconds }

        /// Orders checks of one call by their p99: server checks by bucket, then estimate.
        static func isLower(_ a: Check, _ b: Check) -> Bool {
            if let x = a.bucket, let y = b.bucket { return BucketQuantile.isLower(x, y) }
            return a.p99Seconds < b.p99Seconds
        }
    }

    public var checks: [Check] = []
    /// Why a part could not be checked (no server samples, …).
    public var notes: [String] = []

    /// The SLO bound for a client op: LIST-like ops 30 s, every other op (single-object) 1 s.
    public static func threshold(op: String) -> Double { op.lowercased().contains("list") ? 30 : 1 }

    /// The SLO bound for a server verb; nil for calls the SLO leaves out (WATCH, CONNECT: streaming).
    public static func threshold(verb: String) -> Double? {
        switch verb.uppercased() {
        case "WATCH", "WATCHLIST", "CONNECT": nil
        case "LIST": 30
        default: 1
        }
    }

    /// Ops made of more than one API call (kp-load's `write` is a GET then a PUT).
    public static let compositeOps: Set<String> = ["write"]

    public init(load: LoadAnalysis) {
        for op in load.ops {
            guard let h = op.response, let p = h.percentile(99) else { continue }
            checks.append(Self.client(op: op.op, cluster: "all", requests: Double(h.count), p99Ns: p))
        }
        // Per hot cluster: the per-cluster response histograms kp-load keeps.
        for c in load.final.perCluster.sorted(by: {
            ($0.cluster, LoadAnalysis.opRank($0.op), $0.op) < ($1.cluster, LoadAnalysis.opRank($1.op), $1.op)
        }) {
            guard let h = try? LatencyHistogram(wire: c.response), let p = h.percentile(99) else { continue }
            checks.append(Self.client(op: c.op, cluster: c.cluster, requests: Double(h.count), p99Ns: p))
        }
        guard load.server.before != nil, load.server.after != nil else {
            notes.append("server side not checked: " + (load.server.note ?? "no samples around the load"))
            return
        }
        // Resource requests only: the SLO is about API calls, not /readyz or discovery.
        let deltas = load.server.deltas.filter { !($0.labels["resource"] ?? "").isEmpty }
        checks += Self.server(deltas, cluster: "all")
        let clusters = Set(load.final.perCluster.map(\.cluster)).sorted()
        for c in clusters {
            let group = "mem-" + c.replacingOccurrences(of: "_", with: "-") + ".kplane.dev"
            checks += Self.server(deltas.filter { $0.labels["group"] == group }, cluster: c)
        }
    }

    static func client(op: String, cluster: String, requests: Double, p99Ns: Int64) -> Check {
        let t = threshold(op: op)
        let s = Double(p99Ns) / 1e9
        var verdict: Verdict = s <= t ? .held : .missed
        var note: String?
        if compositeOps.contains(op) {
            note = "GET + PUT in sequence: each call is at most the whole"
            if verdict == .missed { verdict = .inconclusive }
        }
        return Check(
            source: "client", cluster: cluster, call: op, requests: requests, p99Seconds: s, thresholdSeconds: t,
            verdict: verdict, note: note)
    }

    static func server(_ series: [PromHistogram], cluster: String) -> [Check] {
        var out: [Check] = []
        let byVerb = PromHistogram.aggregate(series, by: "verb")
        for verb in byVerb.keys.sorted() {
            guard let t = threshold(verb: verb), let h = byVerb[verb], let n = h.observations, n > 0,
                let q = h.quantile(0.99)
            else { continue }
            var verdict: Verdict
            var note: String?
            if q.isInOverflowBucket {
                verdict = q.lowerBound >= t ? .missed : .inconclusive
                if verdict == .inconclusive {
                    note = "in the +Inf bucket, which starts under the bound: cannot be placed"
                }
            } else if q.upperBound <= t {
                verdict = .held
            } else if q.lowerBound >= t {
                verdict = .missed
            } else {
                // The bound falls inside the bucket: the interpolated value decides, as histogram_quantile would.
                verdict = q.value <= t ? .held : .missed
                note = "the bound lies inside the bucket: decided by the interpolated estimate"
            }
            out.append(
                Check(
                    source: "server", cluster: cluster, call: verb.isEmpty ? "(no verb)" : verb, requests: n,
                    p99Seconds: q.isInOverflowBucket ? q.lowerBound : q.value, thresholdSeconds: t, verdict: verdict,
                    note: note, bucket: BucketQuantile(q)))
        }
        return out
    }

    /// True when no check missed.
    public var held: Bool { !checks.contains { $0.verdict == .missed } }

    /// Count of checks per verdict.
    public func count(_ v: Verdict) -> Int { checks.filter { $0.verdict == v }.count }
}

extension LoadAnalysis {
    /// Position of an op in ``opOrder`` (unknown ops after the known ones).
    static func opRank(_ op: String) -> Int { opOrder.firstIndex(of: op) ?? opOrder.count }
}
