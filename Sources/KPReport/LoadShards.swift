import Foundation
import KPRecords
import KPStats

/// The load records of a run that was split over several kp-load processes (`kp-load --shard I/N`),
/// each writing `load-I-of-N.jsonl`, folded into one `load_final` exactly (HDR histograms merge
/// without loss: every shard uses the same layout).
public struct LoadShardSet: Sendable {
    /// One shard file that was found.
    public struct Shard: Sendable {
        public var file: String
        public var index: Int
        public var count: Int
        public var final: LoadFinalRecord?
    }

    /// Shards found, by index.
    public var shards: [Shard] = []
    /// N of the `load-I-of-N.jsonl` files (the largest N when files disagree).
    public var count: Int = 0
    /// One clause per shard that is missing, wrote no `load_final`, or was generator-limited,
    /// naming the shard; each makes the report INCOMPLETE.
    public var problems: [String] = []

    /// `load-I-of-N.jsonl` (or `.jsonl.gz`) → (I, N); nil for any other name.
    public static func parse(fileName: String) -> (index: Int, count: Int)? {
        var name = fileName
        if name.hasSuffix(".gz") { name.removeLast(3) }
        guard name.hasPrefix("load-"), name.hasSuffix(".jsonl") else { return nil }
        let core = name.dropFirst(5).dropLast(6)
        let parts = core.components(separatedBy: "-of-")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n,
            parts[0] == String(i), parts[1] == String(n)
        else { return nil }
        return (i, n)
    }

    /// Shard file names present in `directory`, sorted by (N, I); a plain file wins over its `.gz`.
    public static func files(in directory: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var byKey: [String: String] = [:]
        for name in names {
            guard let p = parse(fileName: name) else { continue }
            let key = "\(p.count)/\(p.index)"
            if byKey[key] == nil || !name.hasSuffix(".gz") { byKey[key] = name }
        }
        return byKey.values.sorted { a, b in
            let pa = parse(fileName: a)!
            let pb = parse(fileName: b)!
            return (pa.count, pa.index) < (pb.count, pb.index)
        }
    }

    /// Checks the set (every index of N present, each with a `load_final`, none generator-limited)
    /// and folds the finals into one. nil when no shard has a `load_final`.
    public mutating func fold() -> LoadFinalRecord? {
        count = shards.map(\.count).max() ?? 0
        problems = []
        let counts = Set(shards.map(\.count))
        if counts.count > 1 {
            problems.append(
                "the load shard files disagree on the number of shards (\(counts.sorted().map(String.init).joined(separator: ", "))); only the \(count)-shard files are used"
            )
        }
        let used = shards.filter { $0.count == count }.sorted { $0.index < $1.index }
        let present = Set(used.map(\.index))
        for i in 0..<count where !present.contains(i) {
            problems.append("load shard \(i)/\(count) is missing (no load-\(i)-of-\(count).jsonl)")
        }
        for s in used {
            guard let f = s.final else {
                problems.append(
                    "load shard \(s.index)/\(count) (\(s.file)) has no load_final: that kp-load failed or was cut off")
                continue
            }
            if f.generatorLimited {
                problems.append(
                    "load shard \(s.index)/\(count) (\(s.file)) was generator-limited"
                        + (f.generatorLimitReason.map { ": \($0)" } ?? ""))
            }
        }
        let finals = used.compactMap { s in s.final.map { (s.index, $0) } }
        guard !finals.isEmpty else { return nil }
        return Self.merge(finals, shardCount: count)
    }

    /// One `load_final` from several shards' (index, record): counts and rates add, histograms
    /// merge exactly, per-cluster rows are concatenated (a cluster belongs to one shard), the
    /// in-flight peak is the sum of the shards' peaks (an upper bound: they need not coincide).
    public static func merge(_ finals: [(Int, LoadFinalRecord)], shardCount: Int) -> LoadFinalRecord {
        let records = finals.map(\.1)
        if records.count == 1 && shardCount == 1 { return records[0] }
        var target: [String: Double] = [:]
        var achieved: [String: Double] = [:]
        for f in records {
            for (k, v) in f.targetRps { target[k, default: 0] += v }
            for (k, v) in f.achievedRps { achieved[k, default: 0] += v }
        }
        var opOrder: [String] = []
        var ops: [String: OpWindow] = [:]
        for f in records {
            for w in f.ops {
                if let cur = ops[w.op] {
                    ops[w.op] = mergeOp(cur, w)
                } else {
                    opOrder.append(w.op)
                    ops[w.op] = w
                }
            }
        }
        var clusters: [String: ClusterLoadWire] = [:]
        for f in records {
            for c in f.perCluster {
                let key = c.cluster + "\u{0}" + c.op
                if var cur = clusters[key] {
                    cur.count += c.count
                    cur.errors += c.errors
                    cur.response = mergeWire(cur.response, c.response)
                    clusters[key] = cur
                } else {
                    clusters[key] = c
                }
            }
        }
        let perCluster = clusters.values.sorted { ($0.cluster, $0.op) < ($1.cluster, $1.op) }
        let gens = records.map(\.generator)
        let lagParts = gens.compactMap(\.schedulerLag)
        let generator = GeneratorWindow(
            scheduleLag: gens.dropFirst().reduce(gens[0].scheduleLag) { mergeWire($0, $1.scheduleLag) },
            inflightPeak: gens.reduce(0) { $0 + $1.inflightPeak }, backlog: gens.reduce(0) { $0 + $1.backlog },
            cpuSeconds: gens.reduce(0) { $0 + $1.cpuSeconds },
            schedulerLag: lagParts.isEmpty ? nil : lagParts.dropFirst().reduce(lagParts[0]) { mergeWire($0, $1) },
            threads: gens.allSatisfy { $0.threads != nil } ? gens.reduce(0) { $0 + ($1.threads ?? 0) } : nil,
            busiestThreadCPUSeconds: gens.compactMap(\.busiestThreadCPUSeconds).max())
        let limited = finals.filter { $0.1.generatorLimited }
        let saturated = finals.filter { $0.1.targetSaturated == true }
        var settings = records[0].settings
        settings["shard"] = "merged"
        settings["shard_count"] = String(shardCount)
        settings["shard_index"] = nil
        settings["shards_merged"] = finals.map { String($0.0) }.joined(separator: ",")
        let hot = records.compactMap { $0.settings["hot_clusters"].flatMap(Int.init) }
        if hot.count == records.count { settings["hot_clusters"] = String(hot.reduce(0, +)) }
        return LoadFinalRecord(
            startNs: records.map(\.startNs).min()!, endNs: records.map(\.endNs).max()!, targetRps: target,
            achievedRps: achieved, ops: opOrder.map { ops[$0]! }, generator: generator, perCluster: perCluster,
            generatorLimited: !limited.isEmpty,
            generatorLimitReason: limited.isEmpty
                ? nil
                : limited.map { "shard \($0.0)/\(shardCount): \($0.1.generatorLimitReason ?? "?")" }.joined(
                    separator: "; "),
            storedObjectBytes: records.compactMap(\.storedObjectBytes).max(),
            interrupted: records.contains { $0.interrupted }, settings: settings,
            targetSaturated: saturated.isEmpty ? (records.contains { $0.targetSaturated != nil } ? false : nil) : true,
            targetSaturationReason: saturated.isEmpty
                ? nil
                : saturated.map { "shard \($0.0)/\(shardCount): \($0.1.targetSaturationReason ?? "?")" }.joined(
                    separator: "; "))
    }

    static func mergeOp(_ a: OpWindow, _ b: OpWindow) -> OpWindow {
        var out = a
        out.count += b.count
        out.errors += b.errors
        for (k, v) in b.byStatus { out.byStatus[k, default: 0] += v }
        out.conflicts += b.conflicts
        out.retries += b.retries
        out.response = mergeWire(a.response, b.response)
        out.service = mergeWire(a.service, b.service)
        switch (a.firstByte, b.firstByte) {
        case (let x?, let y?): out.firstByte = mergeWire(x, y)
        case (nil, let y?): out.firstByte = y
        default: break
        }
        out.bytesSent += b.bytesSent
        out.bytesReceived += b.bytesReceived
        return out
    }

    /// Exact merge of two histograms of the same layout; when one cannot be read (damaged), the
    /// other is kept and the damage shows in the counts (the per-file reader already reported it).
    static func mergeWire(_ a: HistogramWire, _ b: HistogramWire) -> HistogramWire {
        guard var ha = try? LatencyHistogram(wire: a) else { return b }
        guard let hb = try? LatencyHistogram(wire: b) else { return a }
        ha.merge(hb)
        return ha.wire
    }
}
