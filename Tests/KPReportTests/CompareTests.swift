import Foundation
import KPRecords
import Testing

@testable import KPReport

/// Synthetic runs for compare, sweep and repeat sets: N VCPs costing `perVCP` heap bytes each on
/// top of a baseline, with a little per-run jitter.
enum SetFixtures {
    static let mib = 1_048_576.0
    static let s: Int64 = 1_000_000_000

    /// Writes a complete bootstrap run (no bootstrap records: N comes from the clusters flag).
    static func run(
        _ dir: String, clusters: Int, perVCP: Double, base: Double = 40 * mib, jitter: Double = 0,
        scenario: String = "bootstrap", end: RunEndRecord? = Fixtures.end()
    ) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let f = RunFixture(at: dir)
        try f.write(
            "meta.jsonl",
            [Fixtures.meta(scenario: scenario, clusters: clusters, emulator: true).record]
                + (end.map { [$0.record] } ?? []))
        let steadyHeap = base + Double(clusters) * perVCP + jitter
        try f.write(
            "samples.jsonl",
            [
                Fixtures.sample("baseline", t: 30 * s, cpu: 10, heap: base, rss: base * 2, gor: 100).record,
                Fixtures.sample(
                    "post-bootstrap", t: 60 * s, cpu: 20, heap: steadyHeap, rss: base * 2 + steadyHeap - base, gor: 100
                ).record,
                Fixtures.sample(
                    "steady", t: 160 * s, cpu: 21, heap: steadyHeap, rss: base * 2 + steadyHeap - base + jitter,
                    gor: 100 + Double(clusters) * 2
                ).record,
            ])
    }

    /// `count` runs r1 … rcount under `set`, jitter 1…count KiB.
    static func repeatSet(_ set: String, count: Int, clusters: Int, perVCP: Double) throws -> [String] {
        try (1...count).map { i in
            let d = "\(set)/r\(i)"
            try run(d, clusters: clusters, perVCP: perVCP, jitter: Double(i) * 1024)
            return d
        }
    }
}

@Suite struct CompareTests {
    static let threshold10 =
        "version: 1\nfigures:\n  per_vcp.heap_inuse_bytes: {relative_percent: 10}\n  per_vcp.rss_bytes: {relative_percent: 10}\n"

    @Test func twentyFivePercentMorePerVCPIsWorseAndBeyondTenPercent() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let a = try SetFixtures.repeatSet(root.path("a"), count: 4, clusters: 10, perVCP: 2 * SetFixtures.mib)
        let b = try SetFixtures.repeatSet(root.path("b"), count: 4, clusters: 10, perVCP: 2.5 * SetFixtures.mib)
        #expect(RepeatSet.runDirectories(root.path("a")) == a)
        let limits = try Thresholds(yaml: Self.threshold10)
        let cmp = Compare(aRuns: a, bRuns: b, thresholds: limits)
        let heap = try #require(cmp.rows.first { $0.spec.key == "per_vcp.heap_inuse_bytes" })
        #expect(heap.verdict == .worse)
        #expect(abs(heap.test!.p - 2.0 / 70) < 1e-12)
        #expect(abs(heap.changePercent! - 25) < 0.1)
        #expect(heap.breach)
        #expect(Set(cmp.breaches.map(\.spec.key)) == ["per_vcp.heap_inuse_bytes", "per_vcp.rss_bytes"])
        // Goroutines are identical on both sides: all values equal, no p-value, "~".
        let gor = try #require(cmp.rows.first { $0.spec.key == "steady.goroutines" })
        #expect(gor.verdict == .same && gor.test == nil)
        #expect(cmp.markdown.contains("REGRESSION (exit 5)"))
        #expect(cmp.markdown.contains("per_vcp.heap_inuse_bytes:"))
        #expect(cmp.csv.contains("per_vcp.heap_inuse_bytes,per-VCP heap in-use (steady),bytes/VCP,lower,4,"))
        // The reverse is an improvement.
        let rev = Compare(aRuns: b, bRuns: a, thresholds: limits)
        #expect(rev.rows.first { $0.spec.key == "per_vcp.heap_inuse_bytes" }?.verdict == .better)
        #expect(rev.breaches.isEmpty)
    }

    @Test func sameSettingBothSidesPassesTheGate() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let a = try SetFixtures.repeatSet(root.path("a"), count: 4, clusters: 10, perVCP: 2 * SetFixtures.mib)
        let b = try SetFixtures.repeatSet(root.path("b"), count: 4, clusters: 10, perVCP: 2 * SetFixtures.mib)
        let cmp = Compare(aRuns: a, bRuns: b, thresholds: try Thresholds(yaml: Self.threshold10))
        #expect(cmp.breaches.isEmpty)
        #expect(cmp.rows.allSatisfy { $0.verdict == .same })
    }

    /// --b-scenario: the two sides ran different scenarios on one target, and compare.md says which.
    @Test func differentScenariosAreNamed() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        try SetFixtures.run(root.path("a"), clusters: 10, perVCP: 2 * SetFixtures.mib)
        try SetFixtures.run(root.path("b"), clusters: 10, perVCP: 2 * SetFixtures.mib, scenario: "fleet-bootstrap")
        let cmp = Compare(aRuns: [root.path("a")], bRuns: [root.path("b")])
        #expect(cmp.aScenarios == ["bootstrap"] && cmp.bScenarios == ["fleet-bootstrap"])
        #expect(cmp.markdown.contains("Scenarios differ: A ran bootstrap, B ran fleet-bootstrap"))
        let same = Compare(aRuns: [root.path("a")], bRuns: [root.path("a")])
        #expect(!same.markdown.contains("Scenarios differ"))
    }

    /// benchstat's rule: 3 runs a side are too few to call, 4 are enough.
    @Test func threeRunsASideAreTooFewFourAreEnough() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let a = try SetFixtures.repeatSet(root.path("a"), count: 4, clusters: 10, perVCP: 2 * SetFixtures.mib)
        let b = try SetFixtures.repeatSet(root.path("b"), count: 4, clusters: 10, perVCP: 3 * SetFixtures.mib)
        let three = Compare(
            aRuns: Array(a.prefix(3)), bRuns: Array(b.prefix(3)), thresholds: try Thresholds(yaml: Self.threshold10))
        #expect(three.tooFewRuns)
        #expect(three.rows.allSatisfy { $0.verdict == .tooFewRuns })
        #expect(three.breaches.isEmpty)
        #expect(three.markdown.contains("Too few valid runs to call"))
        let mixed = Compare(aRuns: Array(a.prefix(3)), bRuns: b)
        #expect(mixed.rows.allSatisfy { $0.verdict == .tooFewRuns })
        let four = Compare(aRuns: a, bRuns: b)
        #expect(!four.tooFewRuns)
        #expect(four.rows.first { $0.spec.key == "per_vcp.heap_inuse_bytes" }?.verdict == .worse)
    }

    @Test func repeatSetViewHasMedianAndSpread() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        _ = try SetFixtures.repeatSet(root.path("set"), count: 3, clusters: 10, perVCP: 2 * SetFixtures.mib)
        #expect(RepeatSet.isRepeatSet(root.path("set")))
        #expect(!RepeatSet.isRepeatSet(root.path("set/r1")))
        let set = RepeatSet(directory: root.path("set"))
        try set.write()
        let csv = try String(contentsOfFile: root.path("set/summary.csv"), encoding: .utf8)
        // Jitter 1, 2, 3 KiB on 40 MiB + 20 MiB: median is r2's.
        let heap = try #require(csv.split(separator: "\n").first { $0.hasPrefix("steady.heap_inuse_bytes,") })
        let cells = heap.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(cells[3] == "3")
        #expect(Double(cells[4]) == 60 * SetFixtures.mib + 2048)
        #expect(Double(cells[5]) == 60 * SetFixtures.mib + 1024 && Double(cells[6]) == 60 * SetFixtures.mib + 3072)
        #expect(FileManager.default.fileExists(atPath: root.path("set/r2/summary.md")))
        let md = try String(contentsOfFile: root.path("set/summary.md"), encoding: .utf8)
        #expect(md.contains("3 runs (r1, r2, r3)"))
    }
}

@Suite struct ThresholdsTests {
    @Test func exampleFileInTheRepoParses() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let t = try Thresholds(path: root.appendingPathComponent("thresholds.example.yaml").path)
        #expect(t.limit(for: "per_vcp.heap_inuse_bytes")?.absolute == 65536)
        #expect(t.limit(for: "load.read.response_p99_ms")?.relativePercent == 20)
        #expect(t.limit(for: "load.write.achieved_rps")?.polarity == .higherIsBetter)
        #expect(t.limit(for: "steady.heap_alloc_bytes")?.source == "default")
    }

    @Test func exactKeyBeatsGlobAndLongestGlobWins() throws {
        let t = try Thresholds(
            yaml: """
                figures:
                  "load.*": {relative_percent: 1}
                  "load.read.*": {relative_percent: 2}
                  load.read.errors: {absolute: 3}
                """)
        #expect(t.limit(for: "load.read.errors")?.absolute == 3)
        #expect(t.limit(for: "load.read.response_p50_ms")?.relativePercent == 2)
        #expect(t.limit(for: "load.write.errors")?.relativePercent == 1)
        #expect(t.limit(for: "steady.rss_bytes") == nil)
    }

    @Test func changeMustBeWorseAndBeyondEveryLimit() {
        let both = Thresholds.Limit(relativePercent: 10, absolute: 100, polarity: nil, source: "x")
        #expect(Thresholds.beyond(both, a: 1000, b: 1200, polarity: .lowerIsBetter))  // +20 %, +200
        #expect(!Thresholds.beyond(both, a: 1000, b: 1050, polarity: .lowerIsBetter))  // +5 %
        #expect(!Thresholds.beyond(both, a: 100, b: 150, polarity: .lowerIsBetter))  // +50 % but only +50 abs
        #expect(!Thresholds.beyond(both, a: 1200, b: 1000, polarity: .lowerIsBetter))  // better
        #expect(Thresholds.beyond(both, a: 1200, b: 1000, polarity: .higherIsBetter))  // a rate that fell
    }

    @Test(arguments: [
        ("figures: [1, 2]", "'figures' must be a mapping"),
        ("figures:\n  x: {relative_percent: -1}", "'x'.relative_percent must be a number ≥ 0"),
        ("figures:\n  x: {polarity: up}", "'x'.polarity must be lower or higher"),
        ("figures:\n  x: {polarity: lower}", "'x' gives no limit"),
        ("figures:\n  x: {relative: 5}", "'x' has unknown key 'relative'"),
        ("limits: {}", "unknown key 'limits'"),
        ("version: 2\nfigures: {x: {absolute: 1}}", "version 2 is not supported"),
        ("figures: {x: [", "not valid YAML"),
        ("version: 1", "no limits"),
    ])
    func badFilesSayWhatIsWrong(yaml: String, message: String) {
        #expect {
            _ = try Thresholds(yaml: yaml, name: "t.yaml")
        } throws: { error in
            let d = "\(error)"
            return d.hasPrefix("t.yaml: ") && d.contains(message) && !d.contains("\n")
        }
    }
}

@Suite struct SweepTests {
    @Test func slopeIsTheMarginalCostInterceptTheFixedCost() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        var runs: [String] = []
        for (i, n) in [4, 8, 12, 16].enumerated() {
            let d = root.path("s\(n)")
            try SetFixtures.run(d, clusters: n, perVCP: 2 * SetFixtures.mib, jitter: [1024.0, -2048, 2048, -1024][i])
            runs.append(d)
        }
        let sweep = Sweep(runs: runs)
        let heap = try #require(sweep.fits.first { $0.key == "heap_inuse_bytes" }?.fit)
        // Hand-computed: the line 40 MiB + 2 MiB·N plus jitter (+1, −2, +2, −1 KiB) at N = 4, 8, 12, 16:
        // N − N̄ = −6, −2, 2, 6, Sxx = 80; the jitter adds 1024·(−6 + 4 + 4 − 6) = −4096 to Sxy
        // ⇒ slope = 2 MiB − 4096/80 = 2 MiB − 51.2, intercept = 40 MiB + 0 − (−51.2)·10 = 40 MiB + 512.
        #expect(abs(heap.slope - (2 * SetFixtures.mib - 51.2)) < 1e-6)
        #expect(abs(heap.intercept - (40 * SetFixtures.mib + 512)) < 1e-6)
        #expect(heap.slopeInterval!.0 < heap.slope && heap.slopeInterval!.1 > heap.slope)
        #expect(sweep.csv.contains("heap_inuse_bytes,bytes,4,4,"))
        #expect(sweep.markdown.contains("marginal per VCP"))
        let gor = try #require(sweep.fits.first { $0.key == "goroutines" })
        #expect(gor.fit?.slope == 2 && gor.nonLinear == nil)
    }

    @Test func curvedResourceIsFlaggedNotLinear() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        var runs: [String] = []
        for n in [4, 8, 16, 32] {
            let d = root.path("s\(n)")
            // Heap grows with N²: a straight line leaves + at the ends, − between.
            try SetFixtures.run(d, clusters: n, perVCP: Double(n) * 64 * 1024)
            runs.append(d)
        }
        let fit = try #require(Sweep(runs: runs).fits.first { $0.key == "heap_inuse_bytes" })
        #expect(fit.nonLinear?.contains("residuals curve") == true)
        // One size only: no fit, and it says why.
        let one = Sweep(runs: [runs[0]])
        #expect(one.fits.first?.fit == nil && one.fits.first?.noFit?.contains("two or more") == true)
    }

    @Test func twoClusterCountsLeaveLinearityUntestedNotPassed() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        var runs: [String] = []
        for n in [4, 32] {
            let d = root.path("s\(n)")
            // Curved in N (as above), but two points cannot show it: the report must not say "linear".
            try SetFixtures.run(d, clusters: n, perVCP: Double(n) * 64 * 1024)
            runs.append(d)
        }
        let sweep = Sweep(runs: runs)
        let heap = try #require(sweep.fits.first { $0.key == "heap_inuse_bytes" })
        #expect(heap.fit != nil && !heap.linearityTestable)
        #expect(sweep.markdown.contains("untested: 2 cluster counts"))
        #expect(!sweep.markdown.contains("| yes |"))
        #expect(sweep.csv.contains("heap_inuse_bytes,bytes,2,2,"))
        #expect(!sweep.csv.contains(",true,"))
        #expect(sweep.html.contains("linearity untested") && !sweep.html.contains("fits not linear"))
        // A third count makes it testable again.
        let d = root.path("s8")
        try SetFixtures.run(d, clusters: 8, perVCP: 8 * 64 * 1024)
        let three = Sweep(runs: runs + [d])
        #expect(three.fits.allSatisfy { $0.fit == nil || $0.linearityTestable })
        #expect(three.html.contains("fits not linear"))
    }
}
