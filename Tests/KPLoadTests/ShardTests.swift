import Foundation
import KPRecords
import KPStats
import KPTestSupport
import Testing

@testable import KPLoad

@Suite("shards and driver threads", .tags(.timing))
struct ShardTests {
    @Test("I/N parses and bad forms are refused")
    func parse() throws {
        let s = try LoadShard(parsing: "2/3")
        #expect(s.index == 2 && s.count == 3 && s.fileName == "load-2-of-3.jsonl")
        for bad in ["3/3", "-1/3", "1", "a/b", "0/0", "1/2/3", ""] {
            #expect(throws: InputProblem.self) { try LoadShard(parsing: bad) }
        }
    }

    @Test("every hot cluster is in exactly one shard, no shard empty while hot >= shards, whatever the seed")
    func partition() {
        let names = (0..<40).map { String(format: "c-%03d", $0) }
        for seed in (0..<50).map({ _ in UInt64.random(in: 0...UInt64(Int64.max)) }) {
            let hot = ClusterSelection.hotSubset(names, percent: 15, seed: seed)  // 6 hot clusters
            for n in 1...hot.count {
                var seen: [Int: Int] = [:]
                for i in 0..<n {
                    let mine = LoadShard(index: i, count: n).positions(hotCount: hot.count)
                    #expect(!mine.isEmpty && (hot.count / n...(hot.count + n - 1) / n).contains(mine.count))
                    for p in mine { seen[p, default: 0] += 1 }
                }
                #expect(seen.count == hot.count && seen.values.allSatisfy { $0 == 1 }, "seed \(seed), \(n) shards")
            }
        }
    }

    @Test("three shards' schedules (stream ids = index in the whole hot list) are exactly the one-process schedule")
    func shardedSchedule() {
        let hot = (0..<12).map { "c-\($0)" }
        for arrival in ArrivalProcess.allCases {
            func ops(_ clusters: [String], ids: [UInt64]?) -> [String: [Int64]] {
                let s = OpenLoopSchedule(
                    ratePerCluster: [.read: 37, .write: 11], clusterCount: clusters.count, durationNs: 2_000_000_000,
                    arrival: arrival, seed: 42, objectsPerCluster: 5, streamIDs: ids)
                var out: [String: [Int64]] = [:]
                var it = s.makeIterator()
                while let op = it.next() {
                    out["\(clusters[Int(op.cluster)])/\(op.kind.name)", default: []].append(
                        op.offsetNs * 1000 + Int64(op.object))
                }
                return out
            }
            let whole = ops(hot, ids: nil)
            var merged: [String: [Int64]] = [:]
            for i in 0..<3 {
                let shard = LoadShard(index: i, count: 3)
                let mine = shard.positions(hotCount: hot.count)
                merged.merge(ops(mine.map { hot[$0] }, ids: mine.map { UInt64($0) })) { a, _ in a }
            }
            #expect(merged == whole, "\(arrival)")
        }
    }

    @Test("several transports (driver threads): clusters split among them, the tallies of all threads add up")
    func threads() throws {
        let cfg = LoadGeneratorTests.config(clusters: 5, read: 60, write: 20, durationMs: 600)
        let transports = (0..<3).map { _ in FakeTransport.objectServer(delayNs: 2_000_000) }
        let sink = RecordSink()
        let result = LoadGenerator(configuration: cfg, transports: transports).run { sink.emit($0) }
        let f = result.final
        #expect(LoadGeneratorTests.op(f, "read").count == 5 * 36)
        #expect(LoadGeneratorTests.op(f, "write").count == 5 * 12)
        // Clusters 0 and 3 → transport 0, 1 and 4 → 1, 2 → 2; a write is a Get and an Update.
        let perCluster = 36 + 2 * 12
        #expect(transports.map(\.requestCount) == [2 * perCluster, 2 * perCluster, perCluster])
        #expect(f.perCluster.filter { $0.op == "read" }.map(\.count) == Array(repeating: 36, count: 5))
        #expect(f.generator.threads == 3)
        let readsInIntervals = sink.intervals.reduce(Int64(0)) { sum, i in
            sum + (i.ops.first { $0.op == "read" }?.count ?? 0)
        }
        #expect(readsInIntervals == 5 * 36)
        let lag = try LatencyHistogram(wire: f.generator.schedulerLag!)
        #expect(lag.count == 5 * 48)
        #expect(
            !f.generatorLimited && f.targetSaturated == false,
            "\(f.generatorLimitReason ?? "") \(f.targetSaturationReason ?? "")")
    }
}
