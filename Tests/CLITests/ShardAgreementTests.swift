import Foundation
import KPRecords
import Testing

/// N kp-load shards of a run are exactly the one-process run's load, with the seed left to kp-run
/// (as a user runs it): one run seed reaches every shard, so the shards split one hot set between
/// them with no cluster twice and none left out.
@Suite struct ShardAgreementTests {
    struct Load {
        var seeds: Set<String> = []
        /// Operations started per cluster and op, over all files.
        var perCluster: [String: [String: Int64]] = [:]
        /// Clusters that appear in more than one file.
        var repeated: Set<String> = []
        var total: Int64 { perCluster.values.flatMap(\.values).reduce(0, +) }
    }

    static func run(shards: Int, root: String) throws -> Load {
        let name = "s\(shards)"
        let r = try ToolRunner.run(
            "kp-run",
            [
                "--bin-dir", ToolRunner.binDir, "--sim", "--scenario", "mixed-hot", "--out", root, "--run", name,
                "--clusters", "12", "--hot-percent", "50", "--workers", "4", "--warmup", "1s",
                "--post-bootstrap-settle", "1s", "--steady-wait", "1s", "--load-duration", "4s",
                "--write-rps-per-cluster", "2", "--read-rps-per-cluster", "5", "--series-interval", "1s",
                "--max-lag", "1s", "--load-shards", "\(shards)",
            ],
            env: ["APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": ""], timeout: 240)
        #expect(r.status == 0, "kp-run with \(shards) shards: \(r.stderr)")
        let dir = "\(root)/\(name)"
        let files =
            shards == 1 ? ["load.jsonl"] : (0..<shards).map { "load-\($0)-of-\(shards).jsonl" }
        var load = Load()
        var seen: Set<String> = []
        for f in files {
            var inFile: Set<String> = []
            for case .success(.loadFinal(let final)) in try JSONLReader.read(path: "\(dir)/\(f)") {
                if let seed = final.settings["seed"] { load.seeds.insert(seed) }
                for c in final.perCluster {
                    load.perCluster[c.cluster, default: [:]][c.op, default: 0] += c.count
                    inFile.insert(c.cluster)
                }
            }
            load.repeated.formUnion(seen.intersection(inFile))
            seen.formUnion(inFile)
        }
        return load
    }

    @Test func threeShardsCarryTheOneProcessLoad() throws {
        let root = try ToolRunner.tempDir("shard-agree")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let one = try Self.run(shards: 1, root: root)
        let three = try Self.run(shards: 3, root: root)
        // 6 of 12 clusters hot, 5 reads + 2 writes a second each, 4 s.
        for (label, load) in [("1 shard", one), ("3 shards", three)] {
            #expect(load.seeds.count == 1, "\(label): seeds \(load.seeds)")
            #expect(load.repeated.isEmpty, "\(label): clusters loaded by two shards: \(load.repeated.sorted())")
            #expect(load.perCluster.count == 6, "\(label): \(load.perCluster.keys.sorted())")
            for (cluster, ops) in load.perCluster {
                #expect((19...21).contains(ops["read"] ?? 0), "\(label) \(cluster) reads \(ops)")
                #expect((7...9).contains(ops["write"] ?? 0), "\(label) \(cluster) writes \(ops)")
            }
        }
        #expect(abs(one.total - three.total) <= 6, "1 shard \(one.total) vs 3 shards \(three.total)")
    }
}
