import Foundation
import KPRunModel
import Testing

@testable import KPRun

@Suite struct PreflightTests {
    static let gib: Int64 = 1_073_741_824
    static let mib: Int64 = 1_048_576

    /// The seed's defaults (bootstrap-200 at a 5 s series interval) for `scenario` and `clusters`.
    static func settings(
        _ scenario: String = "bootstrap", clusters: Int = 200, environment: [String: String] = [:], sim: Bool = false
    ) -> RunSettings {
        .forTests(scenario, clusters: clusters, sim: sim, environment: environment)
    }

    @Test func memoryFollowsTheSeedsTable() {
        #expect(Preflight.memoryNeed(clusters: 200) == 3 * Self.gib)
        #expect(Preflight.memoryNeed(clusters: 1000) == 6 * Self.gib)
        #expect(Preflight.memoryNeed(clusters: 2000) == 8 * Self.gib)
        // Linear between the seed's points, the last slope beyond them.
        #expect(Preflight.memoryNeed(clusters: 600) == 9 * Self.gib / 2)
        #expect(Preflight.memoryNeed(clusters: 1500) == 7 * Self.gib)
        #expect(Preflight.memoryNeed(clusters: 3000) == 10 * Self.gib)
        // Below 200 in proportion, down to the floor.
        #expect(Preflight.memoryNeed(clusters: 100) == 3 * Self.gib / 2)
        #expect(Preflight.memoryNeed(clusters: 50) == 3 * Self.gib / 4)
        #expect(Preflight.memoryNeed(clusters: 10) == Preflight.memoryFloor)
        #expect(Preflight.memoryNeed(clusters: 1) == Preflight.memoryFloor)
        for n in stride(from: 1, to: 3000, by: 37) {
            #expect(Preflight.memoryNeed(clusters: n) <= Preflight.memoryNeed(clusters: n + 37))
        }
    }

    @Test func diskGrowsWithTheVCPsAndTheScenario() {
        let small = Preflight.diskNeed([Self.settings(clusters: 200)])
        let large = Preflight.diskNeed([Self.settings(clusters: 2000)])
        #expect(small < large)
        // bootstrap-200 on a real server: its records and samples, two profile pairs and the log allowance,
        // doubled: well under a gigabyte.
        #expect(small > 100 * Self.mib && small < Self.gib)
        #expect(Preflight.diskNeed([Self.settings("mixed-hot")]) > small)
        #expect(Preflight.diskNeed([Self.settings("watch-fanout")]) > Preflight.diskNeed([Self.settings("mixed-hot")]))
        // On kp-sim the profiles are kilobytes, not the real server's allowance.
        #expect(Preflight.diskNeed([Self.settings(sim: true)]) < small)
        // A shorter series interval writes more timeseries lines.
        var often = Self.settings()
        often.seriesInterval = RunDuration(text: "1s", duration: .seconds(1))
        #expect(Preflight.diskNeed([often]) > small)
    }

    @Test func aSeriesNeedsTheSumOfItsRuns() {
        let one = Preflight.diskBytes(Self.settings())
        let five = Preflight.diskNeed(Array(repeating: Self.settings(), count: 5))
        #expect(Double(five) >= 5 * one * Preflight.safetyFactor)
        let sweep = Preflight.diskNeed([50, 100, 200].map { Self.settings(clusters: $0) })
        #expect(sweep > Preflight.diskNeed([Self.settings(clusters: 200)]))
    }

    @Test func tooLittleDiskNamesBothFiguresAndTheWayOut() throws {
        let runs = [Self.settings()]
        let need = Preflight.diskNeed(runs)
        let free = need / 3
        let problem = try #require(
            Preflight.problem(runs: runs, out: "/data/out", freeDisk: free, availableMemory: 64 * Self.gib))
        #expect(problem.contains(Preflight.format(need)) && problem.contains(Preflight.format(free)))
        #expect(problem.contains("--out /data/out"))
        #expect(problem.contains("--skip-preflight") && problem.contains("SKIP_PREFLIGHT=1"))
        #expect(!problem.contains("\n"))
        #expect(!problem.contains("memory"))
        #expect(Preflight.problem(runs: runs, out: "/data/out", freeDisk: need, availableMemory: nil) == nil)
    }

    @Test func tooLittleMemoryNamesBothFiguresUnlessTheTargetIsElsewhere() throws {
        let runs = [Self.settings(clusters: 1000)]
        let problem = try #require(
            Preflight.problem(runs: runs, out: "out", freeDisk: 1 << 50, availableMemory: 4 * Self.gib))
        #expect(problem.contains("1000 VCPs") && problem.contains("6.0 GiB") && problem.contains("4.0 GiB"))
        #expect(problem.contains("--skip-preflight"))
        #expect(!problem.contains("disk"))
        // url mode: the server runs elsewhere, its memory is not this machine's.
        let url = [Self.settings(clusters: 1000, environment: ["APISERVER_URL": "https://h:6443"])]
        #expect(Preflight.problem(runs: url, out: "out", freeDisk: 1 << 50, availableMemory: 4 * Self.gib) == nil)
        // Runs go one after another: the largest run counts, not the sum.
        let sweep = [200, 500, 1000].map { Self.settings(clusters: $0) }
        #expect(
            Preflight.problem(runs: sweep, out: "out", freeDisk: 1 << 50, availableMemory: 6 * Self.gib) == nil)
        // Both short: one line with both.
        let both = try #require(Preflight.problem(runs: runs, out: "out", freeDisk: 1, availableMemory: 1))
        #expect(both.contains("disk") && both.contains("memory") && !both.contains("\n"))
    }

    @Test func memAvailableIsReadFromMeminfo() {
        let text = "MemTotal:       24683780 kB\nMemFree:         1000 kB\nMemAvailable:   24012392 kB\n"
        #expect(Preflight.memAvailable(in: text) == Int64(24_012_392) * 1024)
        #expect(Preflight.memAvailable(in: "MemTotal: 1 kB\n") == nil)
    }

    /// An earlier sweep of the target raises the memory need above the seed's table when it measured
    /// more; it never lowers it; a folder without a usable sweep.csv is refused with one line.
    @Test func aSweepsRSSFitRaisesTheMemoryNeed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kp-pf-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: PreflightInputError.self) { try Preflight.memoryFit(sweepDirectory: dir) }
        let header =
            "resource,unit,points,distinct_n,slope_per_vcp,slope_ci_low,slope_ci_high,intercept,intercept_ci_low,intercept_ci_high,r_squared,baseline_min,baseline_max,linear,note"
        // 10 MiB per VCP (upper bound 11 MiB) over 100 MiB (upper 120 MiB).
        let row = "rss_bytes,bytes,8,4,10485760,9437184,11534336,104857600,94371840,125829120,0.99,1,2,true,"
        try (header + "\n" + row + "\n").write(toFile: "\(dir)/sweep.csv", atomically: true, encoding: .utf8)
        let fit = try Preflight.memoryFit(sweepDirectory: dir)
        #expect(fit.slopePerVCP == 11_534_336 && fit.intercept == 125_829_120)
        #expect(fit.need(clusters: 1000) == 125_829_120 + 1000 * 11_534_336)
        let runs = [Self.settings(clusters: 1000)]
        // The table asks 6 GiB for 1000 VCPs; the sweep says about 10.9 GiB.
        let problem = try #require(
            Preflight.problem(runs: runs, out: "out", freeDisk: 1 << 50, availableMemory: 8 * Self.gib, fit: fit))
        #expect(problem.contains("10.9 GiB") && problem.contains("sweep.csv"), "\(problem)")
        #expect(Preflight.problem(runs: runs, out: "out", freeDisk: 1 << 50, availableMemory: 8 * Self.gib) == nil)
        // A lighter target than the table: the table still counts.
        let light = Preflight.MemoryFit(intercept: 1, slopePerVCP: 1, source: "x")
        #expect(
            Preflight.problem(runs: runs, out: "out", freeDisk: 1 << 50, availableMemory: 4 * Self.gib, fit: light)?
                .contains("6.0 GiB") == true)
    }
}
