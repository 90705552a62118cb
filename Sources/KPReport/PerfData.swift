import Foundation
import KPRecords
import KPStats

/// clusterloader2-compatible exports (docs/reports.md, "CL2 PerfData export"), so perfdash and
/// other tools that read CL2's report directory can read a kp-bench run.
///
/// PerfData is CL2's `measurement/util` type: `{"version":"v1","dataItems":[{"data":{…},"unit":…,"labels":{…}}]}`.
/// File names follow CL2's summaries, `<Measurement>_<test>_<RFC 3339 time>.json`, with test =
/// `kp-bench_<run>` and the time the run's recorded start (never "now"), so a re-fold writes the same files.
public enum PerfData {
    /// One data item: figures by bucket name (`Perc50`, …), their unit, and labels.
    public struct Item: Codable, Sendable, Equatable {
        public var data: [String: Double]
        public var unit: String
        public var labels: [String: String]
    }

    /// A PerfData document. `labels` is CL2's dataset-wide `labels`: here what made the run (the
    /// kp-bench version, commit and build; the target and its version).
    public struct Document: Codable, Sendable, Equatable {
        public var version = "v1"
        public var dataItems: [Item]
        public var labels: [String: String]?
    }

    /// perfdash's ResourceUsageSummary entry (`{"<percentile>": [{"Name", "Cpu", "Mem"}]}`).
    public struct UsageEntry: Codable, Sendable, Equatable {
        public var name: String
        /// CPU in cores.
        public var cpu: Double
        /// Resident memory in bytes.
        public var mem: Int64
        enum CodingKeys: String, CodingKey {
            case name = "Name"
            case cpu = "Cpu"
            case mem = "Mem"
        }
    }

    /// `2026-11-29T09:05:38.342Z` → `2026-11-29T09:05:38Z` (Go's time.RFC3339, as CL2 names files).
    public static func rfc3339(_ wallClock: String) -> String? {
        guard wallClock.count >= 19 else { return nil }
        let head = wallClock.prefix(19)
        guard head.dropFirst(10).first == "T" else { return nil }
        var rest = wallClock.dropFirst(19)
        if rest.first == "." { rest = rest.drop { $0 == "." || $0.isNumber } }
        return String(head) + (rest.isEmpty ? "Z" : String(rest))
    }

    static func encode<T: Encodable>(_ value: T) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // Encoding plain structs of strings and finite numbers cannot fail.
        return (try? String(decoding: e.encode(value), as: UTF8.self)).map { $0 + "\n" } ?? "{}\n"
    }

    /// A figure rounded to 3 decimals, so the files stay readable (values are ms, MiB, %, counts).
    static func r3(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
}

extension Report {
    /// `kp-bench_<run>_<RFC 3339 start>`; nil without a recorded start time.
    var perfDataSuffix: String? {
        guard let run = data.runMeta?.run,
            let ts = (data.runMeta?.startedAt ?? data.endpoint?.startedAt).flatMap(PerfData.rfc3339)
        else { return nil }
        return "kp-bench_\(run.replacingOccurrences(of: "/", with: "-"))_\(ts)"
    }

    /// The PerfData-style files of this run: (file name, content). Empty without a start time.
    public var perfDataFiles: [(name: String, text: String)] {
        guard let suffix = perfDataSuffix else { return [] }
        var out: [(String, String)] = []
        func labelled(_ d: PerfData.Document) -> PerfData.Document {
            var d = d
            d.labels = provenanceLabels
            return d
        }
        if let server = serverPerfData, !server.dataItems.isEmpty {
            out.append(("APIResponsivenessPrometheus_\(suffix).json", PerfData.encode(labelled(server))))
        }
        if let client = clientPerfData, !client.dataItems.isEmpty {
            out.append(("ClientLatency_\(suffix).json", PerfData.encode(labelled(client))))
        }
        let usage = resourceUsageSummary
        if !usage.isEmpty { out.append(("ResourceUsageSummary_\(suffix).json", PerfData.encode(usage))) }
        let perPhase = resourcePerPhase
        if !perPhase.dataItems.isEmpty {
            out.append(("ResourceUsagePerPhase_\(suffix).json", PerfData.encode(labelled(perPhase))))
        }
        return out
    }

    /// The PerfData documents' dataset labels: kp-bench's version, commit, dirtiness and build; the
    /// target and its version. Unknown values are left out.
    var provenanceLabels: [String: String] {
        var l: [String: String] = [:]
        let m = data.runMeta
        l["KpBench"] = m?.kpBenchVersion
        l["KpBenchCommit"] = m?.harness?.commit
        l["KpBenchDirty"] = m?.harness?.dirty.map { $0 ? "true" : "false" }
        l["KpBenchBuild"] = m?.harness?.build
        l["Target"] = data.endpoint?.target
        l["TargetVersion"] = data.endpoint?.targetVersion
        l["TargetCommit"] = data.endpoint?.targetCommit
        l["TargetImageDigest"] = data.endpoint?.imageDigest
        return l
    }

    /// Server-side latency of the load phase by (verb, resource, subresource, scope), as CL2's
    /// APIResponsivenessPrometheus: Perc50/90/99 in ms from `apiserver_request_duration_seconds` deltas.
    var serverPerfData: PerfData.Document? {
        guard let l = load, l.server.before != nil, l.server.after != nil else { return nil }
        let keys = ["verb", "resource", "subresource", "scope"]
        let deltas = l.server.deltas.map { h in
            var h = h
            h.labels["_kp_key"] = keys.map { h.labels[$0] ?? "" }.joined(separator: "\u{1}")
            return h
        }
        let grouped = PromHistogram.aggregate(deltas, by: "_kp_key")
        var items: [PerfData.Item] = []
        for key in grouped.keys.sorted() {
            let h = grouped[key]!
            guard let n = h.observations, n > 0, let p50 = h.quantile(0.5), let p90 = h.quantile(0.9),
                let p99 = h.quantile(0.99)
            else { continue }
            let parts = key.components(separatedBy: "\u{1}")
            items.append(
                PerfData.Item(
                    data: [
                        "Perc50": PerfData.r3(p50.value * 1000), "Perc90": PerfData.r3(p90.value * 1000),
                        "Perc99": PerfData.r3(p99.value * 1000),
                    ],
                    unit: "ms",
                    labels: [
                        "Verb": parts[0], "Resource": parts[1], "Subresource": parts[2], "Scope": parts[3],
                        "Count": Format.fixed(n, 0),
                    ]))
        }
        return PerfData.Document(dataItems: items)
    }

    /// Client-side latency by op: response and service time, Perc50/90/99/99.9 and Max in ms.
    var clientPerfData: PerfData.Document? {
        guard let l = load else { return nil }
        var items: [PerfData.Item] = []
        for op in l.ops {
            for (metric, h) in [("response", op.response), ("service", op.service)] {
                guard let h, let p50 = h.percentile(50), let p90 = h.percentile(90), let p99 = h.percentile(99),
                    let p999 = h.percentile(99.9), let max = h.max
                else { continue }
                func ms(_ ns: Int64) -> Double { PerfData.r3(Double(ns) / 1e6) }
                items.append(
                    PerfData.Item(
                        data: [
                            "Perc50": ms(p50), "Perc90": ms(p90), "Perc99": ms(p99), "Perc99.9": ms(p999),
                            "Max": ms(max),
                        ],
                        unit: "ms",
                        labels: ["Op": op.op, "Metric": metric, "Count": "\(h.count)", "Errors": "\(op.errors)"]))
            }
        }
        return PerfData.Document(dataItems: items)
    }

    /// perfdash's ResourceUsageSummary: per stretch of the run (warmup, bootstrap, …), percentiles
    /// over the `series` samples inside it of CPU (cores, between consecutive samples) and RSS (bytes).
    var resourceUsageSummary: [String: [PerfData.UsageEntry]] {
        let series = data.seriesSamples.filter { $0.error == nil }
        guard let t0 = runStartNs else { return [:] }
        let name = data.endpoint?.target ?? "apiserver"
        var out: [String: [PerfData.UsageEntry]] = [:]
        for band in phaseBands {
            var cpu: [Double] = []
            var rss: [Double] = []
            let inside = series.filter {
                let s = Double($0.tNs - t0) / 1e9
                return s >= band.from && s <= band.to
            }
            for s in inside { if let r = s.rssBytes { rss.append(r) } }
            let withCPU = series.filter { $0.cpuSeconds != nil }
            for (a, b) in zip(withCPU, withCPU.dropFirst()) {
                let sb = Double(b.tNs - t0) / 1e9
                guard sb > band.from && sb <= band.to,
                    let p = PhaseMath.cpuPercent(
                        cpuBefore: a.cpuSeconds, tBeforeNs: a.tNs, cpuAfter: b.cpuSeconds, tAfterNs: b.tNs)
                else { continue }
                cpu.append(p / 100)
            }
            guard !rss.isEmpty || !cpu.isEmpty else { continue }
            for pct in [50, 90, 99, 100] {
                let c = NearestRank.percentile(cpu, Double(pct)) ?? 0
                let m = NearestRank.percentile(rss, Double(pct)) ?? 0
                out["\(pct)", default: []].append(
                    PerfData.UsageEntry(name: "\(name)/\(band.label)", cpu: PerfData.r3(c), mem: Int64(m)))
            }
        }
        return out
    }

    /// Each phase sample's figures and their per-VCP cost, as PerfData (`Total`, `PerVCP`).
    var resourcePerPhase: PerfData.Document {
        var items: [PerfData.Item] = []
        let figures: [(ResourceFigure, String, String, Double)] = [
            (.rss, "RSS", "MiB", 1_048_576), (.heapInuse, "HeapInuse", "MiB", 1_048_576),
            (.heapAlloc, "HeapAlloc", "MiB", 1_048_576),
            (.goroutines, "Goroutines", "count", 1), (.openFds, "OpenFDs", "count", 1),
        ]
        for row in phases.rows {
            for (f, name, unit, scale) in figures {
                guard let v = f.value(in: row.sample) else { continue }
                var d = ["Total": PerfData.r3(v / scale)]
                if let p = phases.perVCP(f, phase: row.phase) { d["PerVCP"] = PerfData.r3(p / scale) }
                items.append(
                    PerfData.Item(
                        data: d, unit: unit,
                        labels: ["Phase": row.phase, "Resource": name, "VCPs": phases.vcps.map(String.init) ?? ""]))
            }
            if let c = row.cpuPercent {
                items.append(
                    PerfData.Item(
                        data: ["Total": PerfData.r3(c)], unit: "%",
                        labels: ["Phase": row.phase, "Resource": "CPU", "VCPs": phases.vcps.map(String.init) ?? ""]))
            }
        }
        return PerfData.Document(dataItems: items)
    }
}
