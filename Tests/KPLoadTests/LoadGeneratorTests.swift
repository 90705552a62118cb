import Foundation
import KPCore
import KPHTTP
import KPRecords
import KPStats
import KPTestSupport
import Testing

@testable import KPLoad

@Suite("LoadGenerator on a fake transport", .serialized, .tags(.timing))
struct LoadGeneratorTests {
    static func config(
        clusters: Int = 2, read: Double, write: Double, durationMs: Int64, objects: Int = 5,
        policy: ConflictPolicy = .count, maxInflight: Int = 10_000, timeoutNs: Int64 = 2_000_000_000,
        maxLagNs: Int64 = 1_000_000_000
    ) -> LoadConfiguration {
        LoadConfiguration(
            baseURL: "https://fake", hotClusters: (0..<clusters).map { "c-\($0)" }, clusterCount: clusters,
            writeRatePerCluster: write, readRatePerCluster: read, durationNs: durationMs * 1_000_000, objectBytes: 64,
            objectsPerCluster: objects, seed: 1, conflictPolicy: policy, maxConflictRetries: 50, maxLagNs: maxLagNs,
            maxInflight: maxInflight, reportIntervalNs: 200_000_000, timeoutNs: timeoutNs, settings: ["k": "v"])
    }

    static func op(_ f: LoadFinalRecord, _ name: String) -> OpWindow { f.ops.first { $0.op == name }! }
    static func h(_ w: HistogramWire) throws -> LatencyHistogram { try LatencyHistogram(wire: w) }

    @Test("every scheduled operation runs once; response ≥ service ≥ server delay; intervals add up to the total")
    func basicRun() throws {
        let cfg = Self.config(read: 100, write: 25, durationMs: 1000)
        let sink = RecordSink()
        let gen = LoadGenerator(configuration: cfg, transport: FakeTransport.objectServer(delayNs: 3_000_000))
        let result = gen.run(storedObjectBytes: 1234) { sink.emit($0) }
        let f = result.final
        #expect(sink.finals.count == 1 && f == sink.finals[0])
        #expect(Self.op(f, "read").count == 200 && Self.op(f, "write").count == 50)
        #expect(Self.op(f, "write.get").count == 50 && Self.op(f, "write.update").count == 50)
        #expect(Self.op(f, "read").errors == 0 && Self.op(f, "write.get").errors == 0)
        // Two writes of one object can overlap (6 ms each): the later Update then conflicts, as on a real server.
        #expect(Self.op(f, "write").errors == Self.op(f, "write").conflicts)
        let read = try Self.h(Self.op(f, "read").service)
        #expect(read.min! >= 3_000_000)
        let resp = try Self.h(Self.op(f, "read").response)
        for p in [50.0, 99] { #expect(resp.percentile(p)! >= read.percentile(p)!) }
        let write = try Self.h(Self.op(f, "write").service)
        #expect(write.min! >= 6_000_000)  // a Get and an Update
        #expect(f.targetRps == ["read": 200, "write": 50])
        #expect(abs(f.achievedRps["read"]! - 200) / 200 < 0.01)
        #expect(f.storedObjectBytes == 1234 && !f.interrupted && f.settings == ["k": "v"])
        #expect(f.perCluster.count == 4 && f.perCluster.map(\.count).reduce(0, +) == 250)
        // Intervals: what ended in each window, summing to the final totals.
        // Windows close at the report boundaries (every 200 ms from the phase start). A boundary missed
        // while the reporter waited for a core is skipped, not made up, so a loaded machine may see fewer
        // than five windows in the 1 s phase (four, with suites side by side on 2 cores): what always holds is
        // that window k, if a boundary closed it, ends no earlier than boundary k, and that at least one
        // boundary closed a window before the last one.
        #expect(sink.intervals.count >= 2)
        if let phaseStart = sink.intervals.first?.startNs {
            for (k, w) in sink.intervals.dropLast().enumerated() {
                #expect(w.endNs - phaseStart >= Int64(k + 1) * cfg.reportIntervalNs, "window \(k + 1)")
            }
        }
        for name in ["read", "write", "write.get", "write.update"] {
            let sum = sink.intervals.map { i in i.ops.first { $0.op == name }!.count }.reduce(0, +)
            #expect(sum == Self.op(f, name).count, "\(name)")
        }
        #expect(zip(sink.intervals, sink.intervals.dropFirst()).allSatisfy { $0.endNs == $1.startNs })
        #expect(sink.intervals.map(\.generator.scheduleLag.count).reduce(0, +) == 250)
        #expect(f.generator.inflightPeak >= 1 && f.generator.backlog == 0 && f.generator.cpuSeconds > 0)
    }

    @Test("409 Conflicts on Update are counted apart (count policy), and retried and counted (retry policy)")
    func conflicts() throws {
        // One object, 200 writes/s, 5 ms per request: writes overlap, so Updates race.
        for policy in ConflictPolicy.allCases {
            let cfg = Self.config(clusters: 1, read: 0, write: 200, durationMs: 500, objects: 1, policy: policy)
            let gen = LoadGenerator(configuration: cfg, transport: FakeTransport.objectServer(delayNs: 5_000_000))
            let f = gen.run { _ in }.final
            let w = Self.op(f, "write")
            let u = Self.op(f, "write.update")
            #expect(w.count == 100)
            #expect(u.conflicts > 0, "\(policy)")
            #expect(u.byStatus["409"] == u.conflicts)
            #expect(w.conflicts == u.conflicts)
            switch policy {
            case .count:
                #expect(w.byStatus["409"] == w.conflicts && w.errors == w.conflicts && w.retries == 0)
            case .retry:
                #expect(w.retries > 0 && w.retries == u.conflicts - (w.byStatus["409"] ?? 0))
                #expect(Self.op(f, "write.get").retries == w.retries)
                #expect(Self.op(f, "write.get").count == 100 + w.retries)
            }
        }
    }

    @Test("a timeout is an error recorded at the timeout, never dropped")
    func timeouts() throws {
        let cfg = Self.config(clusters: 1, read: 50, write: 0, durationMs: 400, objects: 2, timeoutNs: 20_000_000)
        let transport = FakeTransport.objectServer(
            delayNs: 1_000_000, failGet: { $0.hasSuffix("kp-load-1") ? .timeout : nil })
        let f = LoadGenerator(configuration: cfg, transport: transport).run { _ in }.final
        let r = Self.op(f, "read")
        #expect(r.count == 20)
        let timeouts = r.byStatus["timeout"] ?? 0
        #expect(timeouts > 0 && timeouts == r.errors && timeouts + (r.byStatus["200"] ?? 0) == 20)
        #expect(try Self.h(r.service).max! == 20_000_000)
        #expect(f.perCluster.first { $0.op == "read" }!.errors == timeouts)
    }

    @Test(
        "--max-inflight reached because answers are slow: the target saturated (a server result), not generator-limited"
    )
    func maxInflight() {
        let cfg = Self.config(clusters: 1, read: 200, write: 0, durationMs: 300, maxInflight: 2)
        let result = LoadGenerator(configuration: cfg, transport: FakeTransport.objectServer(delayNs: 30_000_000)).run {
            _ in
        }
        #expect(!result.final.generatorLimited)
        #expect(result.final.targetSaturated == true)
        #expect(result.final.targetSaturationReason?.hasPrefix("target saturated: achieved") == true)
        #expect(result.final.targetSaturationReason?.contains("--max-inflight 2") == true)
        // Nothing dropped: every operation still ran, late, and its response time shows the wait.
        #expect(Self.op(result.final, "read").count == 60)
        #expect(result.final.generator.inflightPeak == 2)
    }

    @Test("lag over --max-lag makes the run generator-limited")
    func lagLimit() {
        // A 1 ns threshold cannot be met by any real scheduler.
        let cfg = Self.config(clusters: 1, read: 100, write: 0, durationMs: 200, maxLagNs: 1)
        let result = LoadGenerator(configuration: cfg, transport: FakeTransport.objectServer(delayNs: 1_000_000)).run {
            _ in
        }
        #expect(result.final.generatorLimited)
        #expect(result.final.targetSaturated == false)
        #expect(result.limitReasons.contains { $0.contains("schedule lag p99") })
        #expect(result.limitReasons.contains { $0.contains("the scheduler itself was late") })
    }

    @Test("stop(): scheduling ends, in-flight operations finish, final says interrupted")
    func stopEarly() {
        let cfg = Self.config(clusters: 1, read: 100, write: 20, durationMs: 10_000)
        let gen = LoadGenerator(configuration: cfg, transport: FakeTransport.objectServer(delayNs: 2_000_000))
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(300)) { gen.stop() }
        let t0 = MonotonicClock.now()
        let f = gen.run { _ in }.final
        #expect(MonotonicClock.now() - t0 < 2_000_000_000)
        #expect(f.interrupted)
        let reads = Self.op(f, "read").count
        #expect(reads > 10 && reads < 100)
        // The achieved rate is over the time until the stop, so it still matches the target.
        #expect(abs(f.achievedRps["read"]! - 100) < 10)
        #expect(!f.generatorLimited)
    }
}
