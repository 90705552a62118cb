import Foundation
import KPRecords
import KPStats

/// The first-warm cost of one figure per VCP (scenario snapshot, contract §2.3).
public struct SnapshotWarmCost: Sendable, Equatable {
    public var figure: ResourceFigure
    public var preWarm: Double
    public var postWarm: Double
    /// `(post-warm − pre-warm) / N`.
    public var perVCP: Double

    /// The figures of one run, nil for a figure a sample lacks. N must be positive.
    public static func compute(preWarm: SampleRecord, postWarm: SampleRecord, vcps: Int) -> [SnapshotWarmCost] {
        guard vcps > 0 else { return [] }
        return [ResourceFigure.heapInuse, .rss, .goroutines].compactMap { f in
            guard let a = f.value(in: preWarm), let b = f.value(in: postWarm) else { return nil }
            return SnapshotWarmCost(figure: f, preWarm: a, postWarm: b, perVCP: (b - a) / Double(vcps))
        }
    }
}

/// kp-load's snapshot operations of a run, all shards merged.
public struct SnapshotLoadFigures: Sendable {
    public var count: Int64 = 0
    public var errors: Int64 = 0
    public var byStatus: [String: Int64] = [:]
    public var response = LatencyHistogram()
    public var service = LatencyHistogram()
    public var bytes: Int64 = 0
    public var items: Int64 = 0
    public var maxBytes: Int64 = 0
    public var maxItems: Int64 = 0
    public var targetRps: Double = 0
    public var achievedRps: Double = 0
    public var warm = false
    public var resources: [String] = []
    public var generatorLimited = false
    public var interrupted = false
    /// Histograms that could not be read (damaged records).
    public var problems: [String] = []

    /// Successful answers (the ones bytes and items are counted over).
    public var answered: Int64 { count - errors }

    /// Mean bytes and items per successful answer; nil without one.
    public var bytesPerAnswer: Double? { answered > 0 ? Double(bytes) / Double(answered) : nil }
    public var itemsPerAnswer: Double? { answered > 0 ? Double(items) / Double(answered) : nil }

    public init(finals: [SnapshotFinalRecord]) {
        for f in finals {
            let w = f.window
            count += w.requests.count
            errors += w.requests.errors
            for (k, v) in w.requests.byStatus { byStatus[k, default: 0] += v }
            do {
                response.merge(try LatencyHistogram(wire: w.requests.response))
                service.merge(try LatencyHistogram(wire: w.requests.service))
            } catch {
                problems.append("a snapshot_final histogram is unreadable: \(error)")
            }
            bytes += w.requests.bytesReceived
            items += w.items
            maxBytes = max(maxBytes, w.maxBytes)
            maxItems = max(maxItems, w.maxItems)
            targetRps += f.targetRps
            achievedRps += f.achievedRps
            warm = warm || f.warm
            resources = f.resources
            generatorLimited = generatorLimited || f.generatorLimited
            interrupted = interrupted || f.interrupted
        }
    }
}

extension Report {
    /// N of the first-warm cost: the VCPs the warm pass warmed, else the run's VCPs.
    var snapshotWarmVCPs: Int? { data.snapshotWarmSummary?.ok ?? phases.vcps }

    /// The first-warm cost per VCP; nil without pre-warm and post-warm samples or without a positive N.
    var snapshotWarmCosts: [SnapshotWarmCost]? {
        guard let pre = phases.row("pre-warm"), let post = phases.row("post-warm"), let n = snapshotWarmVCPs, n > 0
        else { return nil }
        return SnapshotWarmCost.compute(preWarm: pre.sample, postWarm: post.sample, vcps: n)
    }

    /// The warm pass's latency per VCP; nil without a readable `snapshot_warm_summary`.
    var snapshotWarmLatency: LatencyHistogram? {
        data.snapshotWarmSummary.flatMap { try? LatencyHistogram(wire: $0.latency) }
    }

    /// The load phase's snapshot reads, shards merged; nil without a `snapshot_final`.
    var snapshotLoad: SnapshotLoadFigures? {
        data.snapshotFinals.isEmpty ? nil : SnapshotLoadFigures(finals: data.snapshotFinals)
    }

    /// `## Snapshot`: the warm pass (per-VCP latency, bytes, items), the first-warm cost per VCP
    /// ((post-warm − pre-warm) / N of heap, RSS and goroutines), and the load phase's snapshot
    /// reads (response and service time, bytes and items per answer, errors by status). Empty
    /// without any snapshot record and without pre-warm / post-warm samples.
    var snapshotSection: String {
        let pre = phases.row("pre-warm")
        let post = phases.row("post-warm")
        guard
            pre != nil || post != nil || data.snapshotWarmSummary != nil || !data.snapshotWarms.isEmpty
                || !data.snapshotFinals.isEmpty
        else { return "" }
        var text = "## Snapshot\n\n"
        text += "`GET /clusters/<cid>/control-plane/snapshot` (contract §2.3).\n\n"

        // The warm pass.
        text += "### Warm pass\n\n"
        var warmed: Int?
        if let s = data.snapshotWarmSummary {
            warmed = s.ok
            text +=
                "kp-load --snapshot-warm-pass: \(Format.count(s.ok)) of \(Format.count(s.clusters)) VCPs warmed (`?warm=true`, one at a time)"
            if s.failed > 0 { text += ", **\(Format.count(s.failed)) failed**" }
            text += s.interrupted ? "; the pass was interrupted.\n\n" : ".\n\n"
            var t = MarkdownTable(["", "p50", "p90", "p99", "max", "mean"])
            if let h = snapshotWarmLatency {
                t.add([
                    "latency per VCP", Format.latency(h.percentile(50).map(Double.init)),
                    Format.latency(h.percentile(90).map(Double.init)),
                    Format.latency(h.percentile(99).map(Double.init)), Format.latency(h.max.map(Double.init)),
                    Format.latency(h.mean),
                ])
                text += t.text
            } else {
                text += "The pass's latency histogram is unreadable.\n"
            }
            if s.ok > 0 {
                text +=
                    "\nPer warmed VCP: \(Format.fixed(Double(s.bytes) / Double(s.ok), 0)) bytes and \(Format.fixed(Double(s.items) / Double(s.ok), 1)) items in the answer.\n"
            }
        } else if !data.snapshotWarms.isEmpty {
            text +=
                "No snapshot_warm_summary record (the pass did not finish); \(data.snapshotWarms.count) snapshot_warm records.\n"
        } else {
            text += "No warm-pass records (snapshot-warm.jsonl).\n"
        }
        let failures = data.snapshotWarms.filter { $0.error != nil }
        if let first = failures.first {
            var statuses: [String: Int] = [:]
            for f in failures { statuses[f.status, default: 0] += 1 }
            text +=
                "\n\(failures.count) warms failed (\(statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))); first: \(first.cluster): \(first.error ?? "?")\n"
        }

        // The first-warm cost.
        text += "\n### First-warm cost per VCP\n\n"
        if pre != nil, post != nil {
            let n = snapshotWarmVCPs ?? 0
            if n > 0 {
                let source =
                    warmed != nil ? "VCPs the warm pass warmed" : "VCPs (\(phases.vcpsSource)); no warm summary"
                text += "(post-warm − pre-warm) / N, N = \(n) \(source).\n\n"
                var t = MarkdownTable(["figure", "pre-warm", "post-warm", "per VCP"])
                for c in snapshotWarmCosts ?? [] {
                    if c.figure.isBytes {
                        t.add([
                            c.figure.title, Format.bytes(c.preWarm), Format.bytes(c.postWarm),
                            Format.kib(c.perVCP) + " KiB",
                        ])
                    } else {
                        t.add([
                            c.figure.title, Format.fixed(c.preWarm, 0), Format.fixed(c.postWarm, 0),
                            Format.fixed(c.perVCP, 2),
                        ])
                    }
                }
                text += t.rows.isEmpty ? "No figure is present in both samples.\n" : t.text
            } else {
                text += "Not computed: the number of warmed VCPs is unknown or zero.\n"
            }
        } else {
            text += "Not computed: the run needs pre-warm and post-warm samples.\n"
        }

        // The load phase's snapshot reads.
        text += "\n### Snapshot reads under load\n\n"
        if let f = snapshotLoad {
            if f.generatorLimited {
                text +=
                    "**The snapshot schedule fell behind (lag p99 over --max-lag): these latencies describe kp-load as much as the server.**\n\n"
            }
            if f.interrupted { text += "**Interrupted; the figures cover what had finished.**\n\n" }
            var query = f.warm ? "`warm=true`" : "no `warm`"
            if !f.resources.isEmpty { query += ", `resource=\(f.resources.joined(separator: ","))`" }
            text +=
                "\(Format.count(f.count)) requests (\(query)), target \(Format.fixed(f.targetRps, 2)) /s, achieved \(Format.fixed(f.achievedRps, 2)) /s, \(Format.count(f.errors)) errors. Response time = end − intended start; service time = end − actual send.\n\n"
            var t = MarkdownTable(["", "p50", "p90", "p99", "p99.9", "max", "mean"])
            for (title, h) in [("response", f.response), ("service", f.service)] {
                t.add([
                    title, Format.latency(h.percentile(50).map(Double.init)),
                    Format.latency(h.percentile(90).map(Double.init)),
                    Format.latency(h.percentile(99).map(Double.init)),
                    Format.latency(h.percentile(99.9).map(Double.init)), Format.latency(h.max.map(Double.init)),
                    Format.latency(h.mean),
                ])
            }
            text += t.text
            var per = MarkdownTable(["per answer", "mean", "max"])
            per.add(["bytes", Format.count(f.bytesPerAnswer), Format.count(f.maxBytes)])
            per.add(["items", Format.fixed(f.itemsPerAnswer, 1), Format.count(f.maxItems)])
            text += "\n" + per.text
            text +=
                "\nBy status: "
                + f.byStatus.sorted { $0.key < $1.key }.map { "\($0.key): \(Format.count($0.value))" }.joined(
                    separator: ", ") + ".\n"
            for p in f.problems { text += "\n\(p)\n" }
        } else {
            text += "No snapshot_final record (no snapshot reads, or kp-load did not finish).\n"
        }
        if isEmulator { text += "\nThese are kp-sim's figures, not kplane's.\n" }
        return text
    }
}
