import Foundation
import KPRecords
import KPRunModel
import Testing

@testable import KPReport

/// Repeat sets, comparisons and sweeps fold valid runs only: a run that failed, was interrupted, was
/// generator-limited or never ended is listed with its reason and moves no figure; a set that
/// stopped early says how many of its runs ended.
@Suite struct RunSetValidityTests {
    static let mib = SetFixtures.mib
    static let generatorLimited = Fixtures.end(
        "failed", phase: "load", reason: "generator-limited: schedule lag p99 40ms over --max-lag 20ms", code: 3)
    static let interrupted = Fixtures.end("interrupted", phase: "load", reason: "interrupted by SIGINT", code: 130)

    static func heapMedian(_ csv: String) throws -> (runs: String, median: Double?) {
        let row = try #require(csv.split(separator: "\n").first { $0.hasPrefix("steady.heap_inuse_bytes,") })
        let cells = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return (cells[3], Double(cells[4]))
    }

    @Test func brokenRunsAreListedAndLeftOutOfTheMedian() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let set = root.path("set")
        try SetFixtures.run("\(set)/r1", clusters: 10, perVCP: 2 * Self.mib, jitter: 1024)
        try SetFixtures.run("\(set)/r2", clusters: 10, perVCP: 2 * Self.mib, jitter: 3072)
        // Two broken runs with far larger heaps: with them the median would move to 80+ MiB.
        try SetFixtures.run("\(set)/r3", clusters: 10, perVCP: 9 * Self.mib, end: Self.generatorLimited)
        try SetFixtures.run("\(set)/r4", clusters: 10, perVCP: 9 * Self.mib, end: nil)
        let view = RepeatSet(directory: set)
        #expect(view.members.valid.map(\.name) == ["r1", "r2"])
        #expect(view.members.leftOut.map(\.member.name) == ["r3", "r4"])
        let (runs, median) = try Self.heapMedian(view.summaryCSV)
        #expect(runs == "2")
        #expect(median == 60 * Self.mib + 2048)
        let md = view.summaryMarkdown
        #expect(md.contains("4 runs (r1, r2, r3, r4), 2 valid"))
        #expect(md.contains("- r3: ended failed in phase load: generator-limited: schedule lag p99 40ms"))
        #expect(md.contains("(exit code 3)"))
        #expect(md.contains("- r4: no run_end record"))
    }

    @Test func noValidRunGivesNoFigure() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let set = root.path("set")
        try SetFixtures.run("\(set)/r1", clusters: 10, perVCP: 2 * Self.mib, end: Self.interrupted)
        try SetFixtures.run("\(set)/r2", clusters: 10, perVCP: 2 * Self.mib, end: Self.generatorLimited)
        let view = RepeatSet(directory: set)
        #expect(view.summaryMarkdown.contains("Too few valid runs: none of the 2 runs is valid"))
        #expect(!view.summaryMarkdown.contains("| figure |"))
        #expect(view.summaryCSV.split(separator: "\n").count == 1)
    }

    /// A saturated target is a result (exit 6, status complete); a run missing a sample keeps the
    /// figures it has. Both stay in.
    @Test func saturatedAndGappedRunsStayIn() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let set = root.path("set")
        try SetFixtures.run(
            "\(set)/r1", clusters: 10, perVCP: 2 * Self.mib,
            end: Fixtures.end("complete", reason: "target saturated: answers slowed", code: 6))
        try SetFixtures.run(
            "\(set)/r2", clusters: 10, perVCP: 2 * Self.mib,
            end: Fixtures.end("incomplete", reason: "sample teardown failed", code: 4))
        let view = RepeatSet(directory: set)
        #expect(view.members.valid.count == 2 && view.members.leftOut.isEmpty)
        #expect(view.members.withGaps.map(\.member.name) == ["r2"])
        #expect(view.summaryMarkdown.contains("Used, with gaps"))
    }

    /// A set stopped by Ctrl-C after its first run: "1 of 3 runs ended", the rest named.
    @Test func aStoppedSetSaysHowManyOfItsRunsEnded() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let set = root.path("set")
        try RunSetPlan(kind: .repeatSet, runs: ["r1", "r2", "r3"]).write(to: set)
        try SetFixtures.run("\(set)/r1", clusters: 10, perVCP: 2 * Self.mib)
        try SetFixtures.run("\(set)/r2", clusters: 10, perVCP: 2 * Self.mib, end: Self.interrupted)
        #expect(RepeatSet.isRepeatSet(set))
        let plan = try RunSetPlan.read(from: set)
        let view = RepeatSet(directory: set, plan: plan)
        #expect(view.members.isIncomplete)
        let md = view.summaryMarkdown
        #expect(md.contains("**INCOMPLETE: 2 of 3 runs ended** (not run: r3)"))
        #expect(md.contains("- r2: ended interrupted in phase load: interrupted by SIGINT (exit code 130)"))
        #expect(try Self.heapMedian(view.summaryCSV).runs == "1")
        #expect(view.members.warning == "2 of 3 runs ended; 1 run(s) left out as not valid: r2")
    }

    /// A B run that was generator-limited must not feed the comparison: with it B looks 4× worse.
    @Test func compareUsesValidRunsOnly() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let a = try SetFixtures.repeatSet(root.path("A"), count: 4, clusters: 10, perVCP: 2 * Self.mib)
        var b = try SetFixtures.repeatSet(root.path("B"), count: 4, clusters: 10, perVCP: 2 * Self.mib)
        for i in 5...7 {
            let d = root.path("B/r\(i)")
            try SetFixtures.run(d, clusters: 10, perVCP: 8 * Self.mib, end: Self.generatorLimited)
            b.append(d)
        }
        let cmp = Compare(aRuns: a, bRuns: b, directory: root.dir)
        #expect(cmp.bMembers.valid.count == 4 && cmp.bMembers.leftOut.count == 3)
        let heap = try #require(cmp.rows.first { $0.spec.key == "per_vcp.heap_inuse_bytes" })
        #expect(heap.b.count == 4)
        #expect(heap.verdict == .same)
        #expect(cmp.markdown.contains("B: left out (3 of 7 runs not valid)"))
        #expect(cmp.markdown.contains("- B/r5: ended failed in phase load: generator-limited"))
        // With only 3 valid runs on B nothing is called, however many runs B has.
        let few = Compare(aRuns: a, bRuns: Array(b.dropFirst()), directory: root.dir)
        #expect(few.tooFewRuns)
        #expect(few.rows.allSatisfy { $0.verdict == .tooFewRuns || $0.verdict == .same })
        #expect(few.markdown.contains("Too few valid runs to call"))
    }

    /// A comparison stopped early says "k of n runs ended" from its plan.
    @Test func aStoppedComparisonSaysHowManyRunsEnded() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let plan = RunSetPlan(kind: .compare, runs: ["A/r1", "B/r1", "A/r2", "B/r2"], groups: ["A", "B"])
        try plan.write(to: root.dir)
        try SetFixtures.run(root.path("A/r1"), clusters: 10, perVCP: 2 * Self.mib)
        try SetFixtures.run(root.path("B/r1"), clusters: 10, perVCP: 2 * Self.mib, end: Self.interrupted)
        let cmp = Compare(aRuns: [root.path("A/r1")], bRuns: [root.path("B/r1")], directory: root.dir, plan: plan)
        #expect(cmp.isIncomplete)
        #expect(cmp.markdown.contains("**INCOMPLETE: 2 of 4 runs ended** (not run: A/r2, B/r2)"))
        #expect(cmp.markdown.contains("- B/r1: ended interrupted"))
    }

    /// A sweep fits valid runs only: one broken run at N = 16 with a 5× heap would bend the line.
    @Test func sweepFitsValidRunsOnly() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        var runs: [String] = []
        for n in [4, 8, 12, 16] {
            let d = root.path("n\(n)")
            try SetFixtures.run(d, clusters: n, perVCP: 2 * Self.mib)
            runs.append(d)
        }
        let bad = root.path("n16b")
        try SetFixtures.run(bad, clusters: 16, perVCP: 10 * Self.mib, end: Self.interrupted)
        runs.append(bad)
        let sweep = Sweep(runs: runs, directory: root.dir)
        let heap = try #require(sweep.fits.first { $0.key == "heap_inuse_bytes" })
        #expect(heap.points.count == 4)
        #expect(abs(heap.fit!.slope - 2 * Self.mib) < 1e-6)
        #expect(sweep.markdown.contains("5 runs, 4 valid"))
        #expect(sweep.markdown.contains("- n16b: ended interrupted"))
        // Only one valid size left: no fit, and it says the valid runs are too few.
        let one = Sweep(runs: [runs[0], bad], directory: root.dir)
        #expect(one.fits.first?.noFit?.hasPrefix("too few valid runs") == true)
    }

    @Test func planRoundTripsAndRefusesANewerVersion() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let plan = RunSetPlan(kind: .sweep, runs: ["n10/r1", "n20/r1"], groups: ["n10", "n20"])
        try plan.write(to: root.dir)
        #expect(try RunSetPlan.read(from: root.dir) == plan)
        #expect(try RunSetPlan.read(from: root.path("none")) == nil)
        try Data(#"{"version":2,"kind":"sweep","runs":[],"groups":[]}"#.utf8).write(
            to: URL(fileURLWithPath: root.path(RunLayout.runSet)))
        #expect(throws: RunSetPlan.ReadError.self) { try RunSetPlan.read(from: root.dir) }
    }
}

/// Provenance: what made each run, and a comparison that names what else differs.
@Suite struct ProvenanceTests {
    static func run(_ dir: String, clusters: Int = 10, harness: HarnessBuild?, host: String = "bench-1") throws {
        try SetFixtures.run(dir, clusters: clusters, perVCP: 2 * SetFixtures.mib)
        var meta = Fixtures.meta(clusters: clusters, emulator: true)
        meta.harness = harness
        meta.host.hostname = host
        try RunFixture(at: dir).write("meta.jsonl", [meta.record, Fixtures.end().record])
    }

    @Test func theRunTableResultAndPerfDataNameTheBuild() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let h = HarnessBuild(commit: "0123456789abcdef0123", dirty: true, build: "release")
        try Self.run(root.path("r"), harness: h)
        let report = Report(directory: root.path("r"))
        #expect(
            report.summaryMarkdown.contains(
                "| kp-bench | \(Schema.toolVersion), commit 0123456789ab (dirty), release build |"))
        let result = try #require(report.files.first { $0.name == "result.json" }?.text)
        #expect(result.contains("\"kp_bench_commit\" : \"0123456789abcdef0123\""))
        #expect(result.contains("\"kp_bench_build\" : \"release\"") && result.contains("\"kp_bench_dirty\" : true"))
        #expect(report.provenanceLabels["KpBenchCommit"] == "0123456789abcdef0123")
        #expect(HarnessBuild(commit: nil, dirty: nil, build: "debug").text == "commit unknown, debug build")
    }

    @Test func harnessFactsReadTheCheckoutOrTheEnvironment() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        // Not in a checkout: KP_BENCH_COMMIT, dirtiness unknown.
        try FileManager.default.createDirectory(atPath: root.path("bin"), withIntermediateDirectories: true)
        let h = HarnessFacts.current(
            configuration: "release", executable: root.path("bin/kp-report"), environment: ["KP_BENCH_COMMIT": "feed"])
        #expect(h == HarnessBuild(commit: "feed", dirty: nil, build: "release"))
        // This test binary lives in the kp-bench checkout: git names its HEAD.
        let here = HarnessFacts.current(configuration: "debug", executable: #filePath, environment: [:])
        #expect(here.commit?.count == 40 && here.dirty != nil)
    }

    @Test func compareNamesWhatDiffersBesidesTheTarget() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let a = HarnessBuild(commit: "aaaa", dirty: false, build: "release")
        let b = HarnessBuild(commit: "bbbb", dirty: false, build: "debug")
        try Self.run(root.path("A/r1"), harness: a)
        try Self.run(root.path("B/r1"), clusters: 20, harness: b, host: "bench-2")
        let cmp = Compare(aRuns: [root.path("A/r1")], bRuns: [root.path("B/r1")], directory: root.dir)
        let unlike = cmp.unlikeSettings
        #expect(unlike.contains("flag clusters: A 10, B 20"), "\(unlike)")
        #expect(unlike.contains { $0.hasPrefix("host: A bench-1") && $0.contains("B bench-2") }, "\(unlike)")
        #expect(
            unlike.contains { $0.contains("commit aaaa, release build") && $0.contains("commit bbbb, debug build") })
        // The target's own flag is what A and B are meant to differ in: never listed.
        #expect(!unlike.contains { $0.contains("flag target") })
        #expect(cmp.markdown.contains("**Not like for like:**"))
        try Self.run(root.path("B2/r1"), harness: a)
        let same = Compare(aRuns: [root.path("A/r1")], bRuns: [root.path("B2/r1")], directory: root.dir)
        #expect(same.unlikeSettings.isEmpty && !same.markdown.contains("Not like for like"))
    }
}
