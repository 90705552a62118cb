import Foundation
import KPRecords
import KPRunModel
import Testing

@testable import KPReport

/// Synthetic sweeps for `kp-report capacity`: RSS = fixed + marginal × N (+ noise) and CPU % =
/// cpuFixed + cpuPerVCP × N at steady, as a kp-sim sweep with `--sim-vcp-memory-bytes` shows them.
enum CapacityFixtures {
    static let mib = 1_048_576.0
    static let gib = 1_073_741_824.0
    static let s: Int64 = 1_000_000_000

    /// A complete bootstrap run of `clusters` VCPs.
    static func run(
        _ dir: String, clusters: Int, fixed: Double, perVCP: Double, noise: Double = 0, cpuFixed: Double = 1,
        cpuPerVCP: Double = 0.01
    ) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let f = RunFixture(at: dir)
        try f.write(
            "meta.jsonl",
            [Fixtures.meta(scenario: "bootstrap", clusters: clusters, emulator: true).record, Fixtures.end().record])
        let rss = fixed + Double(clusters) * perVCP + noise
        // CPU % at steady: the CPU seconds between post-bootstrap (t = 60 s) and steady (t = 160 s).
        let cpu = 20 + (cpuFixed + cpuPerVCP * Double(clusters))
        try f.write(
            "samples.jsonl",
            [
                Fixtures.sample("baseline", t: 30 * s, cpu: 10, heap: 40 * mib, rss: fixed, gor: 100).record,
                Fixtures.sample("post-bootstrap", t: 60 * s, cpu: 20, heap: rss / 2, rss: rss, gor: 100).record,
                Fixtures.sample(
                    "steady", t: 160 * s, cpu: cpu, heap: rss / 2, rss: rss, gor: 100 + 3 * Double(clusters),
                    fds: 50 + Double(clusters)
                ).record,
            ])
    }

    /// A sweep folder as kp-run writes it: runset.json and one run per size under n<size>/.
    static func sweep(
        _ dir: String, sizes: [Int], fixed: Double, perVCP: Double, noise: [Double]? = nil, cpuFixed: Double = 1,
        cpuPerVCP: Double = 0.01
    ) throws -> Sweep {
        let groups = sizes.map { "n\($0)" }
        try RunSetPlan(kind: .sweep, runs: groups, groups: groups).write(to: dir)
        for (i, n) in sizes.enumerated() {
            try run(
                "\(dir)/n\(n)", clusters: n, fixed: fixed, perVCP: perVCP, noise: noise?[i] ?? 0, cpuFixed: cpuFixed,
                cpuPerVCP: cpuPerVCP)
        }
        let (runs, plan) = try Capacity.sweepRuns(in: dir)
        return Sweep(runs: runs, directory: dir, plan: plan)
    }

    /// Mixed-hot runs (``Fixtures/mixedRun``: 2 hot VCPs, RSS +60 MiB and CPU 1 % → 10 % over the
    /// load, 2.5 requests/s) as a repeat set r1 … r`count`.
    static func loaded(_ dir: String, count: Int) throws -> RunSetMembers {
        var runs: [String] = []
        for i in 1...count {
            let d = "\(dir)/r\(i)"
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            try Fixtures.mixedRun(RunFixture(at: d))
            runs.append(d)
        }
        return RunSetMembers(runs: runs, reports: runs.map { Report(directory: $0) }, directory: dir)
    }
}

@Suite struct CapacityTests {
    typealias F = CapacityFixtures

    /// Fixed cost 200 MiB, 2 MiB per VCP, ±8 KiB noise: a 16Gi shard at 80 % holds
    /// (0.8 × 16Gi − 200 MiB) / 2 MiB = 6453.6 VCPs; memory binds (CPU is 1 % + 0.01 % per VCP of 8 cores).
    @Test func vcpsPerShardMatchTheKnownAnswer() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let sweep = try F.sweep(
            root.path("sweep"), sizes: [10, 20, 40, 80], fixed: 200 * F.mib, perVCP: 2 * F.mib,
            noise: [8192, -8192, -8192, 8192])
        let shard = try ShardCapacity.parse("cpu=8,memory=16Gi")
        let c = try Capacity(sweep: sweep, sweepDirectory: root.path("sweep"), shard: shard)
        let want = (0.8 * 16 * F.gib - 200 * F.mib) / (2 * F.mib)
        let at = c.answers[0]
        #expect(abs(Double(at.controlPlanes) - want) / want < 0.03)
        // Conservative: never above the point estimate.
        #expect(Double(at.controlPlanes) <= want)
        #expect(at.binding == "memory")
        #expect(at.extrapolated)
        let hard = c.answers[1]
        let wantHard = (0.9 * 16 * F.gib - 200 * F.mib) / (2 * F.mib)
        #expect(abs(Double(hard.controlPlanes) - wantHard) / wantHard < 0.03 && hard.binding == "memory")
        #expect(c.markdown.contains("**EXTRAPOLATED** (target)"))
        #expect(c.markdown.contains("| target 80% | \(Format.count(at.controlPlanes)) | memory |"))
        // The idle class's estimates are the marginal costs: 2 MiB and 0.0001 cores per VCP.
        let idle = try #require(c.profiles.first { $0.name == "idle" })
        #expect(abs(idle.memEstimate!.value - 2 * F.mib) < 1024)
        #expect(abs(idle.cpuEstimate!.value - 0.0001) < 1e-9)
    }

    /// 1 % + 1 % per VCP of a 1-core shard at 80 %: (0.8 − 0.01) / 0.01 = 79 VCPs, inside the
    /// measured range (up to 80), so not extrapolated, and CPU binds; maxControlPlanes caps it.
    @Test func cpuBindsInsideTheRangeAndMaxControlPlanesCaps() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let sweep = try F.sweep(
            root.path("sweep"), sizes: [10, 20, 40, 80], fixed: 200 * F.mib, perVCP: 2 * F.mib, cpuPerVCP: 1)
        let c = try Capacity(
            sweep: sweep, sweepDirectory: "s", shard: try ShardCapacity.parse("cpu=1,memory=16Gi"))
        #expect((78...79).contains(c.answers[0].controlPlanes))
        #expect(c.answers[0].binding == "cpu" && !c.answers[0].extrapolated)
        #expect(c.answers[0].byResource.first { $0.resource == "memory" }?.controlPlanes ?? 0 > 6000)
        let capped = try Capacity(
            sweep: sweep, sweepDirectory: "s", shard: try ShardCapacity.parse("cpu=8,memory=16Gi,maxControlPlanes=50"))
        #expect(capped.answers[0].controlPlanes == 50 && capped.answers[0].binding == "maxControlPlanes")
    }

    /// Hand-computed: N = 10, 20, 30, 40 with RSS 100 MiB + 1 MiB·N + (+4, −4, −4, +4 KiB): the noise
    /// is orthogonal to N, so slope = 1 MiB and intercept = 100 MiB exactly; SSE = 4 · 4096², s = 4096√2
    /// = 5792.619, Sxx = 500, t(0.975, 2) = 4.302653 ⇒ slope half-width t·s/√500 = 1114.618 bytes.
    /// At N = 30 (measured range) the conservative use is 100 MiB + 30 × (1 MiB + 1114.618); at N = 100
    /// the prediction half-width is t·s·√(1 + 1/4 + 75²/500) = 88118.33, smaller than 100 × 1114.618,
    /// so the use is 100 MiB + 100 × (1 MiB + 1114.618); the pod's RSS at 100 is 200 MiB ± 88118.33.
    @Test func intervalMathMatchesHandComputedNumbers() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let sweep = try F.sweep(
            root.path("sweep"), sizes: [10, 20, 30, 40], fixed: 100 * F.mib, perVCP: F.mib,
            noise: [4096, -4096, -4096, 4096])
        let c = try Capacity(
            sweep: sweep, sweepDirectory: "s", shard: try ShardCapacity.parse("memory=1Gi"), forN: 100)
        let rss = try #require(c.cost("rss_bytes"))
        #expect(abs(rss.marginal.value - F.mib) < 1e-6 && abs(rss.fixed.value - 100 * F.mib) < 1e-3)
        #expect(abs(rss.marginal.high! - (F.mib + 1114.618)) < 1e-2)
        #expect(abs(c.conservativeUse(rss, hot: nil, n: 30) - (100 * F.mib + 30 * (F.mib + 1114.618))) < 1)
        #expect(abs(c.conservativeUse(rss, hot: nil, n: 100) - (100 * F.mib + 100 * (F.mib + 1114.618))) < 2)
        let pi = try #require(rss.fit.predictionInterval(at: 100))
        #expect(abs(pi.1 - (200 * F.mib + 88118.33)) < 0.1)
        let u = c.use(rss, hot: nil, n: 100)
        #expect(abs(u.high! - pi.1) < 1e-6 && abs(u.low! - pi.0) < 1e-6)
        // 1 GiB at 80 %: (819.2 MiB − 100 MiB) / (1 MiB + 1114.618) = 718.4 → 718.
        #expect(c.answers[0].controlPlanes == 718 && c.answers[0].extrapolated)
        // --for 100: the request is SizingAdvice's rule on 200 MiB: × 1.1 = 220 MiB → 256Mi; extrapolated.
        let req = try #require(c.podLines.first { $0.field == "resources.requests.memory" })
        #expect(req.value == "256Mi" && req.low == "256Mi" && req.high == "256Mi")
        #expect(c.markdown.contains("## Pod for 100 VCPs") && c.markdown.contains("prediction intervals"))
    }

    /// A hot class from two identical mixed-hot runs: 2 hot VCPs each, RSS +60 MiB ⇒ 30 MiB per hot
    /// VCP, CPU (10 % − 1 %) × 10m / 2 = 45m, 2.5 requests/s ⇒ 1.25 per hot VCP. With 10 % hot, each VCP
    /// costs 2 MiB + 3 MiB: (0.8 × 16Gi − 200 MiB) / 5 MiB = 2581.4 (CPU, 0.1m + 4.5m per VCP, allows
    /// 0.8 × 64 cores / 4.6m = 11130).
    @Test func hotClassFromTheLoadedRuns() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let sweep = try F.sweep(
            root.path("sweep"), sizes: [10, 20, 40, 80], fixed: 200 * F.mib, perVCP: 2 * F.mib,
            noise: [8192, -8192, -8192, 8192])
        let loaded = try F.loaded(root.path("hot"), count: 2)
        let c = try Capacity(
            sweep: sweep, sweepDirectory: "s", loaded: loaded, loadedPath: "hot",
            shard: try ShardCapacity.parse("cpu=64,memory=16Gi"))
        #expect(c.mix == ClassMix(idlePercent: 90, hotPercent: 10))
        #expect(c.loadedRuns.map(\.hotVCPs) == [2, 2])
        let hot = try #require(c.profiles.first { $0.name == "hot" })
        #expect(abs(hot.memEstimate!.value - 32 * F.mib) < 1024)
        #expect(abs(hot.cpuEstimate!.value - (0.045 + 0.0001)) < 1e-9)
        #expect(abs(hot.requestRateEstimate!.value - 1.25) < 1e-3)
        let want = (0.8 * 16 * F.gib - 200 * F.mib) / (5 * F.mib)
        #expect(abs(Double(c.answers[0].controlPlanes) - want) / want < 0.03)
        #expect(c.answers[0].binding == "memory")
        // A hot share without a loaded run is refused.
        #expect(throws: CapacityInputError.self) {
            try Capacity(
                sweep: sweep, sweepDirectory: "s", shard: try ShardCapacity.parse("memory=16Gi"),
                mix: ClassMix(idlePercent: 90, hotPercent: 10))
        }
    }

    @Test func capacityJSONNamesTheDesignsFieldsAndSweepHTMLKeepsTheChart() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let dir = root.path("sweep")
        let sweep = try F.sweep(
            dir, sizes: [10, 20, 40, 80], fixed: 200 * F.mib, perVCP: 2 * F.mib, noise: [8192, -8192, -8192, 8192])
        try sweep.write(to: dir)
        let plain = try String(contentsOfFile: dir + "/sweep.html", encoding: .utf8)
        #expect(!plain.contains("id=\"capacity\""))
        let c = try Capacity(
            sweep: sweep, sweepDirectory: dir, shard: try ShardCapacity.parse("cpu=8,memory=16Gi,maxControlPlanes=500"))
        try c.write(to: dir)
        let json = try String(contentsOfFile: dir + "/capacity.json", encoding: .utf8)
        for field in [
            "\"maxControlPlanes\" : 500", "\"cpuLimit\" : \"8\"", "\"memoryLimit\" : \"16Gi\"", "\"cpuEstimate\"",
            "\"memEstimate\"", "\"requestRateEstimate\"",
        ] {
            #expect(json.contains(field), "capacity.json lacks \(field)")
        }
        let file = try #require(CapacityFile.read(directory: dir))
        #expect(file.atTarget.controlPlanes == 500 && file.atTarget.binding == "maxControlPlanes")
        #expect(file.estimates["idle"]?.memEstimate == Quantity.memory(c.profiles[0].memEstimate!.upper))
        let html = try String(contentsOfFile: dir + "/sweep.html", encoding: .utf8)
        #expect(html.contains("id=\"capacity\"") && html.contains("capacity-memory") && !html.contains("NaN"))
        #expect(CompareSweepHTMLTests.dataPoints(html).allSatisfy { $0 > 0 })
        // A re-fold of the sweep keeps the section, byte for byte.
        try sweep.write(to: dir)
        #expect(try String(contentsOfFile: dir + "/sweep.html", encoding: .utf8) == html)
    }

    @Test func twoSizesGiveNoIntervalAndSaySo() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let sweep = try F.sweep(root.path("sweep"), sizes: [10, 40], fixed: 200 * F.mib, perVCP: 2 * F.mib)
        let c = try Capacity(sweep: sweep, sweepDirectory: "s", shard: try ShardCapacity.parse("memory=16Gi"))
        #expect(c.cost("rss_bytes")?.marginal.high == nil)
        #expect(c.markdown.contains("**No intervals**"))
        let one = try F.sweep(root.path("one"), sizes: [10], fixed: 200 * F.mib, perVCP: 2 * F.mib)
        #expect(throws: CapacityInputError.self) {
            try Capacity(sweep: one, sweepDirectory: "one", shard: try ShardCapacity.parse("memory=16Gi"))
        }
    }

    @Test func quantitiesAndShardSpecs() throws {
        #expect(Quantity.parse("16Gi") == 16 * F.gib && Quantity.parse("500m") == 0.5 && Quantity.parse("8") == 8)
        #expect(Quantity.parse("1.5G") == 1.5e9 && Quantity.parse("2e3") == 2000)
        #expect(Quantity.parse("lots") == nil && Quantity.parse("-1") == nil && Quantity.parse("Gi") == nil)
        #expect(Quantity.memory(16 * F.gib) == "16Gi" && Quantity.memory(2 * F.mib + 1) == "2049Ki")
        #expect(Quantity.cpu(8) == "8" && Quantity.cpu(0.25) == "250m" && Quantity.cpu(0.0001234) == "0.000124")
        let s = try ShardCapacity.parse("cpu=8,memory=16Gi,maxControlPlanes=500")
        #expect(s.cpuCores == 8 && s.memoryBytes == 16 * F.gib && s.maxControlPlanes == 500)
        let manifest = """
            apiVersion: controlplane.kplane.dev/v1alpha1
            kind: ControlPlaneShard
            metadata:
              name: shard-a
            spec:
              capacity:
                maxControlPlanes: 500
                cpuLimit: "8"
                memoryLimit: "16Gi"
            """
        #expect(try ShardCapacity.parse(yaml: manifest, name: "shard.yaml") == s)
        #expect(try ClassMix.parse("idle=90,hot=10") == ClassMix(idlePercent: 90, hotPercent: 10))
        #expect(try ClassMix.parse("hot=25") == ClassMix(idlePercent: 75, hotPercent: 25))
        #expect(try Utilisation.parse("80%", flag: "--target") == 0.8)
    }

    @Test(arguments: [
        ("cpu=8,memory=lots", "memory 'lots'"), ("cpu=8,memory", "is not key=value"),
        ("gpu=1,memory=16Gi", "unknown key 'gpu'"), ("maxControlPlanes=500", "no cpu or memory"),
        ("cpu=8,cpu=4", "given twice"), ("memory=16Gi,maxControlPlanes=0", "maxControlPlanes '0'"),
    ])
    func badShardSpecsSayWhatIsWrong(spec: String, message: String) {
        #expect {
            _ = try ShardCapacity.parse(spec)
        } throws: { error in
            let d = "\(error)"
            return d.hasPrefix("--shard '") && d.contains(message) && !d.contains("\n")
        }
    }

    @Test func badMixAndPercentSayWhatIsWrong() {
        #expect { _ = try ClassMix.parse("idle=80,hot=10") } throws: { "\($0)".contains("sums to 90%") }
        #expect { _ = try ClassMix.parse("warm=10") } throws: { "\($0)".contains("'warm=10'") }
        #expect { _ = try Utilisation.parse("120%", flag: "--target") } throws: { "\($0)".hasPrefix("--target '120%'") }
        #expect { _ = try Utilisation.parse("0", flag: "--hard-stop") } throws: { "\($0)".hasPrefix("--hard-stop") }
    }
}
