import Foundation
import KPRecords
import KPReport
import KPStats
import KPTestSupport
import Testing

@testable import KPLoad

/// The kp-load binary against kp-sim: shards that merge exactly, and why sends were late.
///
/// Needs `kp-sim` and `kp-load` built with the same scratch path as the tests.
@Suite("kp-load shards and saturation against kp-sim", .serialized, .tags(.timing))
struct SimShardTests {
    static let clusters = (0..<6).map { String(format: "c-%03d", $0) }

    /// Runs the kp-load binary to its end; returns its exit status and stdout.
    static func kpLoad(_ sim: SimServer, _ args: [String], wrap: [String] = []) throws -> (Process, Pipe) {
        let p = Process()
        let bin = try SimServer.binary("kp-load", env: "KP_LOAD_BIN")
        p.executableURL = URL(fileURLWithPath: wrap.isEmpty ? bin : "/usr/bin/env")
        p.arguments =
            wrap + (wrap.isEmpty ? [] : [bin]) + [
                "--url", sim.baseURL, "--token-file", sim.tokenFile, "--insecure-skip-tls-verify",
            ] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        return (p, out)
    }

    static func finish(_ run: (Process, Pipe)) -> (Int32, Data) {
        let data = run.1.fileHandleForReading.readDataToEndOfFile()
        run.0.waitUntilExit()
        return (run.0.terminationStatus, data)
    }

    static func final(_ data: Data) throws -> LoadFinalRecord? {
        for line in data.split(separator: UInt8(ascii: "\n")).reversed() {
            if case .loadFinal(let f) = try RecordCodec.decode(Data(line), location: "kp-load stdout") { return f }
        }
        return nil
    }

    static func op(_ f: LoadFinalRecord, _ name: String) -> OpWindow? { f.ops.first { $0.op == name } }

    @Test(
        "seed 7, Poisson arrivals: 1 shard and 3 shards give the same counts overall and per cluster; kp-report's merge equals the union of the shards"
    )
    func oneVersusThreeShards() async throws {
        let sim = try SimServer(faults: [])
        defer { sim.stop() }
        try await sim.bootstrap(Self.clusters, client: try sim.client())
        let common = [
            "--clusters", "6", "--scenario", "mixed-uniform", "--read-rps-per-cluster", "8", "--write-rps-per-cluster",
            "2",
            "--load-duration", "3s", "--seed", "7", "--arrival", "poisson", "--max-lag", "2s", "--threads", "2",
        ]
        let dir1 = FileManager.default.temporaryDirectory.appendingPathComponent("kp-shard1-\(UUID().uuidString)")
        let dir3 = FileManager.default.temporaryDirectory.appendingPathComponent("kp-shard3-\(UUID().uuidString)")
        for d in [dir1, dir3] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        defer { for d in [dir1, dir3] { try? FileManager.default.removeItem(at: d) } }

        let (rc1, out1) = Self.finish(try Self.kpLoad(sim, common))
        #expect(rc1 == 0)
        try out1.write(to: dir1.appendingPathComponent("load.jsonl"))
        // The three shards run side by side, as the orchestrator runs them.
        let runs = try (0..<3).map { try Self.kpLoad(sim, common + ["--shard", "\($0)/3"]) }
        var shardFinals: [LoadFinalRecord] = []
        for (i, r) in runs.enumerated() {
            let (rc, out) = Self.finish(r)
            #expect(rc == 0, "shard \(i)")
            try out.write(to: dir3.appendingPathComponent("load-\(i)-of-3.jsonl"))
            if let f = try Self.final(out) {
                #expect(f.settings["shard"] == "\(i)/3" && f.settings["shard_count"] == "3")
                shardFinals.append(f)
            }
        }
        #expect(shardFinals.count == 3)
        guard let one = try Self.final(out1), shardFinals.count == 3 else { return }

        let merged = RunData.load(directory: dir3.path)
        #expect(merged.loadShards.count == 3 && merged.loadShards.problems.isEmpty)
        guard let m = merged.loadFinal else {
            Issue.record("kp-report folded no load_final from the shard files")
            return
        }
        for name in ["read", "write", "write.get", "write.update"] {
            #expect(Self.op(m, name)?.count == Self.op(one, name)?.count, "\(name) overall")
            #expect(Self.op(one, name)?.count ?? 0 > 0)
            // The merged histograms are the union of the shards' records.
            var union = LatencyHistogram()
            var service = LatencyHistogram()
            for f in shardFinals {
                union.merge(try LatencyHistogram(wire: Self.op(f, name)!.response))
                service.merge(try LatencyHistogram(wire: Self.op(f, name)!.service))
            }
            #expect(try LatencyHistogram(wire: Self.op(m, name)!.response) == union, "\(name) response")
            #expect(try LatencyHistogram(wire: Self.op(m, name)!.service) == service, "\(name) service")
            #expect(Self.op(m, name)!.count == shardFinals.reduce(0) { $0 + (Self.op($1, name)?.count ?? 0) })
        }
        func perCluster(_ f: LoadFinalRecord) -> [String: Int64] {
            Dictionary(uniqueKeysWithValues: f.perCluster.map { ("\($0.cluster)/\($0.op)", $0.count) })
        }
        #expect(perCluster(m) == perCluster(one))
        #expect(perCluster(m).count == 12)
        #expect(Set(shardFinals.flatMap { $0.perCluster.map(\.cluster) }).count == 6)

        // A missing shard makes the report INCOMPLETE, naming it.
        try FileManager.default.removeItem(at: dir3.appendingPathComponent("load-1-of-3.jsonl"))
        let partial = Report(directory: dir3.path)
        #expect(partial.incompleteReasons.contains { $0.contains("load shard 1/3 is missing") })
        #expect(partial.summaryMarkdown.contains("Load from 3 kp-load shards"))
    }

    @Test(
        "a server at 2.5× its capacity (kp-sim --sim-max-concurrency): target saturated, exit 6, not generator-limited"
    )
    func saturatedTarget() async throws {
        // 5 requests served at once, 50 ms each: 100 requests/s. kp-load offers 250 reads/s for 3 s.
        let sim = try SimServer(faults: ["--sim-max-concurrency=5", "--fault-latency=fixed:50ms"])
        defer { sim.stop() }
        try await sim.bootstrap(["c-000"], client: try sim.client())
        // No --max-inflight: the requests wait in the server (or for a stream slot in kp-load), and
        // the answers fall behind. --max-lag 5s keeps a slow machine's own scheduling out of the verdict.
        let (rc, out) = Self.finish(
            try Self.kpLoad(
                sim,
                [
                    "--clusters", "1", "--scenario", "mixed-uniform", "--read-rps-per-cluster", "250",
                    "--write-rps-per-cluster", "0", "--load-duration", "3s", "--seed", "3", "--max-lag", "5s",
                ]))
        let f = try Self.final(out)
        #expect(rc == 6, "\(f?.generatorLimitReason ?? f?.targetSaturationReason ?? "no load_final")")
        #expect(f?.generatorLimited == false)
        #expect(f?.targetSaturated == true)
        #expect(f?.targetSaturationReason?.hasPrefix("target saturated: achieved") == true)
        #expect(f?.targetSaturationReason?.contains("answers fell behind the offered rate") == true)
        // The latencies stand: every read was sent and answered, each after at least its 50 ms of service.
        if let f, let reads = Self.op(f, "read") {
            #expect(reads.count == 750 && reads.errors == 0)
            #expect(try LatencyHistogram(wire: reads.service).min! >= 50_000_000)
        }
    }

    @Test(
        "kp-load starved of CPU (nice 19, pinned to a core four busy loops hold) while kp-sim is not: generator-limited at the default --max-lag, exit 3"
    )
    func starvedGenerator() async throws {
        guard ProcessInfo.processInfo.activeProcessorCount >= 2 else { return }
        let sim = try SimServer(faults: [])
        defer { sim.stop() }
        try await sim.bootstrap(["c-000"], client: try sim.client())
        // Keep kp-sim off core 0, where the competitors and kp-load go.
        let pin = Process()
        pin.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
        pin.arguments = ["-a", "-p", "-c", "1", String(sim.pid)]
        pin.standardOutput = FileHandle.nullDevice
        try pin.run()
        pin.waitUntilExit()
        var hogs: [Process] = []
        defer {
            // SIGKILL: the test runner's children may inherit a blocked SIGTERM.
            for h in hogs where h.isRunning {
                kill(h.processIdentifier, SIGKILL)
                h.waitUntilExit()
            }
        }
        // Four busy loops against kp-load at nice 19 leave it well under 1 % of core 0 (nice 10 against
        // two loops can leave it enough to keep a 1000/s schedule on a 2-core machine).
        for _ in 0..<4 {
            let h = Process()
            // The loop ends by itself after 60 s even if this test dies before its defer runs.
            h.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
            h.arguments = ["-c", "0", "/bin/bash", "-c", "while (( SECONDS < 60 )); do :; done"]
            try h.run()
            hogs.append(h)
        }
        let (rc, out) = Self.finish(
            try Self.kpLoad(
                sim,
                [
                    "--clusters", "1", "--scenario", "mixed-uniform", "--read-rps-per-cluster", "2000",
                    "--write-rps-per-cluster", "0", "--load-duration", "2s", "--seed", "3", "--threads", "1",
                ], wrap: ["taskset", "-c", "0", "nice", "-n", "19"]))
        let f = try Self.final(out)
        #expect(rc == 3, "\(f?.targetSaturationReason ?? f?.generatorLimitReason ?? "no load_final")")
        #expect(f?.generatorLimited == true)
        #expect(f?.targetSaturated == false)
        #expect(
            f?.generatorLimitReason?.contains("starved of CPU") == true
                || f?.generatorLimitReason?.contains("late") == true)
    }
}
