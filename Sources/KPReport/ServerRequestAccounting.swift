import KPRecords
import KPStats

/// What the server counted between the two samples around the load, beside what the run's records
/// say sent it: the reason a server count differs from kp-load's.
///
/// The server's `apiserver_request_duration_seconds` labels every request it served: a resource
/// request by its `resource`, any other (probes, `/metrics`, discovery) by its path, which
/// Kubernetes' request metrics carry in `subresource` when `resource` is empty. Each row is one
/// (verb, resource or path group) of the deltas; its sender and the count the records give for it:
///
/// | requests | sender | counted from |
/// |---|---|---|
/// | GET, PUT of the test resource (`memwidgets`) | kp-load's load phase | `load_final`: read + write.get, write.update |
/// | POST of it | kp-load's pre-warm | its settings: objects per cluster × hot clusters |
/// | LIST, WATCH of it | kp-load's watchers | `watch_final`: lists; watchers + re-established |
/// | `/snapshot` | kp-load's snapshot reads | `snapshot_final` requests |
/// | `/metrics` | kp-scrape | `sample` records from the first scrape up to the second (each scrape is counted once it is answered) |
/// | `/debug/pprof/…` | kp-scrape `--pprof` | `profile` records in that span |
/// | `/readyz`, `/livez`, `/healthz` | kp-launch's stall watch; kp-bootstrap's readyz step | kp-bootstrap's readyz attempts in the span; the stall watch's probes are not recorded |
/// | discovery (`/api…`, `/apis…`, `/openapi…`, `/version`) | kp-bootstrap's discovery step | its attempts in the span |
public struct ServerRequestAccounting: Sendable {
    /// One (verb, what) the server counted.
    public struct Row: Sendable, Equatable {
        public var verb: String
        /// The resource (`memwidgets`), or a non-resource path or path group (`/readyz`, `/debug/pprof/*`).
        public var target: String
        public var isResource: Bool
        public var requests: Double
        /// Who sent them, with the records' figures.
        public var sender: String
        /// The count the records give for them; nil when nothing records these requests.
        public var recorded: Double?
    }

    /// kp-load's test resource (contract §4.2: the CRD kp-bootstrap creates in every VCP).
    public static let testResource = "memwidgets"

    public var rows: [Row] = []
    /// The first and second sample's time minus the load phase's start and end: how much wider the window is.
    public var leadNs: Int64
    public var tailNs: Int64
    /// kp-load's load phase per server verb: the requests its records count, and of which ops.
    public var loadPhase: [String: (count: Double, ops: String)] = [:]
    /// Another kp-load phase inside the window (watch-fanout's load phase without watchers): how long
    /// it overlaps the window and the requests per verb it sent in that stretch at its average rate.
    public var otherLoad: (file: String, overlapNs: Int64, byVerb: [String: Double])?

    public init(
        deltas: [PromHistogram], before: SampleRecord, after: SampleRecord, final: LoadFinalRecord, data: RunData
    ) {
        leadNs = final.startNs - before.tNs
        tailNs = after.tNs - final.endNs
        let window = before.tNs..<after.tNs
        func count(_ op: String) -> Double? { final.ops.first { $0.op == op }.map { Double($0.count) } }
        func parts(_ names: [String]) -> (count: Double, ops: String)? {
            let found = names.compactMap { n in count(n).map { (n, $0) } }
            guard !found.isEmpty else { return nil }
            return (
                found.reduce(0) { $0 + $1.1 }, found.map { "\($0.0) \(Format.count($0.1))" }.joined(separator: " + ")
            )
        }
        // A write is a GET and a PUT; without its parts' own counts, one of each per write.
        loadPhase["GET"] = parts(["read", count("write.get") == nil ? "write" : "write.get"])
        loadPhase["PUT"] = parts([count("write.update") == nil ? "write" : "write.update"])
        for other in data.nowatchLoadFinals where other.endNs > other.startNs {
            let overlap = Swift.min(other.endNs, after.tNs) - Swift.max(other.startNs, before.tNs)
            guard overlap > 0 else { continue }
            let share = Double(overlap) / Double(other.endNs - other.startNs)
            func n(_ ops: [String]) -> Double {
                ops.compactMap { op in other.ops.first { $0.op == op }.map { Double($0.count) } }.reduce(0, +) * share
            }
            var byVerb = otherLoad?.byVerb ?? [:]
            byVerb["GET", default: 0] += n(["read", "write.get"])
            byVerb["PUT", default: 0] += n(["write.update"])
            otherLoad = (
                RunData.nowatchPrefix + ".jsonl", Swift.max(otherLoad?.overlapNs ?? 0, overlap), byVerb
            )
        }

        var sums: [String: (verb: String, target: String, isResource: Bool, requests: Double)] = [:]
        for h in deltas {
            guard let n = h.observations, n > 0 else { continue }
            let verb = h.labels["verb"].flatMap { $0.isEmpty ? nil : $0 } ?? "(no verb)"
            let resource = h.labels["resource"] ?? ""
            let sub = h.labels["subresource"] ?? ""
            let isResource = !resource.isEmpty
            let target = isResource ? (sub.isEmpty ? resource : resource + "/" + sub) : Self.pathGroup(sub)
            let key = "\(verb)\u{1}\(isResource)\u{1}\(target)"
            sums[key, default: (verb, target, isResource, 0)].requests += n
        }

        let samples = (data.phaseSamples + data.seriesSamples).filter { window.contains($0.tNs) }
        let phaseNames = samples.filter { $0.phase != "series" }.map(\.phase)
        let seriesCount = samples.count - phaseNames.count
        let profiles = data.profiles.filter { window.contains($0.tNs) }.count
        let steps = data.steps.filter { window.contains($0.endNs) }
        func attempts(_ step: String) -> Int { steps.filter { $0.step == step }.reduce(0) { $0 + $1.attempts } }
        let hot = Set(final.perCluster.map(\.cluster)).count
        let objects = (final.settings["objects_per_cluster"] ?? final.settings["objects-per-cluster"]).flatMap(Int.init)
        let watches = data.watchFinals.compactMap(\.record)
        let snapshotReads = data.snapshotFinals.reduce(Int64(0)) { $0 + $1.window.requests.count }

        for (_, s) in sums {
            var sender = "not in the records"
            var recorded: Double?
            if s.isResource && s.target == Self.testResource {
                switch s.verb {
                case "GET", "PUT":
                    if let p = loadPhase[s.verb] {
                        sender = "kp-load's load phase: \(p.ops)"
                        recorded = p.count
                    }
                case "POST":
                    if let objects, hot > 0 {
                        sender = "kp-load's pre-warm: \(objects) objects × \(hot) hot clusters"
                        recorded = Double(objects * hot)
                    } else {
                        sender = "kp-load's pre-warm (its object count is not in the records)"
                    }
                case "LIST" where !watches.isEmpty:
                    let lists = watches.reduce(Int64(0)) { $0 + $1.counts.lists }
                    sender = "kp-load's watchers: \(Format.count(lists)) lists"
                    recorded = Double(lists)
                case "WATCH" where !watches.isEmpty:
                    let streams = watches.reduce(0) { $0 + $1.watchers }
                    let again = watches.reduce(Int64(0)) { $0 + $1.counts.reestablished }
                    sender =
                        "kp-load's watchers: \(Format.count(streams)) streams + \(Format.count(again)) re-established"
                    recorded = Double(Int64(streams) + again)
                default: break
                }
            } else if !s.isResource {
                switch s.target {
                case "/metrics":
                    var what = phaseNames.map { "the \($0) sample" }
                    if seriesCount > 0 { what.append("\(seriesCount) series samples") }
                    sender = "kp-scrape's scrapes: " + (what.isEmpty ? "none recorded" : what.joined(separator: " + "))
                    recorded = Double(samples.count)
                case "/debug/pprof/*":
                    sender = "kp-scrape's profiles: \(profiles) profile records"
                    recorded = Double(profiles)
                case "/readyz", "/livez", "/healthz":
                    let readyz = attempts("readyz")
                    sender =
                        s.target == "/readyz"
                        ? (readyz > 0 ? "kp-bootstrap's readyz step (\(Format.count(readyz)) attempts) + " : "")
                            + "kp-launch's stall watch (its probes are not recorded)"
                        : "health probes (not recorded)"
                case "/snapshot" where !data.snapshotFinals.isEmpty:
                    sender = "kp-load's snapshot reads"
                    recorded = Double(snapshotReads)
                case Self.discoveryGroup:
                    let discovery = attempts("discovery")
                    if discovery > 0 {
                        sender = "kp-bootstrap's discovery step: \(Format.count(discovery)) attempts"
                        recorded = Double(discovery)
                    } else {
                        sender = "discovery (no kp-bootstrap step in the window; not recorded)"
                    }
                default: break
                }
            }
            rows.append(
                Row(
                    verb: s.verb, target: s.target, isResource: s.isResource, requests: s.requests, sender: sender,
                    recorded: recorded))
        }
        rows.sort {
            ($0.verb, $0.isResource ? 0 : 1, -$0.requests, $0.target) < (
                $1.verb, $1.isResource ? 0 : 1, -$1.requests, $1.target
            )
        }
    }

    /// The label of discovery paths.
    public static let discoveryGroup = "discovery (/api…, /apis…, /openapi…, /version)"

    /// A non-resource path as the table groups it: `/debug/pprof/*`, discovery, the health
    /// endpoints and `/snapshot` by their last part (a VCP's `/clusters/<c>/control-plane` prefix
    /// dropped), anything else as it is.
    public static func pathGroup(_ path: String) -> String {
        if path.isEmpty { return "(no path)" }
        if path.contains("/debug/pprof") { return "/debug/pprof/*" }
        let parts = path.split(separator: "/").map(String.init)
        if let last = parts.last, ["readyz", "livez", "healthz", "metrics", "snapshot"].contains(last) {
            return "/" + last
        }
        if parts.count >= 2, ["readyz", "livez", "healthz"].contains(parts[parts.count - 2]) {
            return "/" + parts[parts.count - 2]
        }
        var rest = parts[...]
        if rest.first == "clusters" && rest.count >= 3 && rest.dropFirst(2).first == "control-plane" {
            rest = rest.dropFirst(3)
        }
        if let first = rest.first, ["api", "apis", "openapi", "version"].contains(first) { return discoveryGroup }
        return path
    }

    /// Server requests of one verb.
    public func total(_ verb: String) -> Double { rows.filter { $0.verb == verb }.reduce(0) { $0 + $1.requests } }

    /// Resource requests of one verb (what the API-call SLO checks).
    public func resourceTotal(_ verb: String) -> Double {
        rows.filter { $0.verb == verb && $0.isResource }.reduce(0) { $0 + $1.requests }
    }

    /// The verbs, in the rows' order.
    public var verbs: [String] {
        var out: [String] = []
        for r in rows where !out.contains(r.verb) { out.append(r.verb) }
        return out
    }
}
