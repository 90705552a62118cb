import Foundation
import KPRecords
import Testing

@testable import KPReport

/// Absolute budgets (`--budgets FILE`): the file's checks, the one decision (held / broken / not
/// measured, max and min, error and warning), and what the fold writes of it (summary.md,
/// result.json, junit.xml); compare's junit.xml. The end-to-end path (kp-run's exit 7 on kp-sim,
/// junit.xml against the schema) is CLITests.BudgetE2ETests.
@Suite struct BudgetTests {
    static let mib = 1_048_576.0

    static func spec(_ key: String, _ unit: String) -> FigureSpec {
        FigureSpec(key: key, title: key, unit: unit, polarity: .lowerIsBetter)
    }

    @Test(arguments: [
        ("budgets:\n  per_vcp.heap:\n    max: 1\n    severity: error\n", "unknown figure 'per_vcp.heap'"),
        ("budgets:\n  per_vcp.goroutines:\n    max: 3\n    severity: fatal\n", "severity must be error or warning"),
        ("budgets:\n  per_vcp.goroutines:\n    max: 3\n    min: 1\n    severity: error\n", "both max and min"),
        ("budgets:\n  per_vcp.goroutines:\n    severity: error\n", "gives no limit: set max"),
        ("budgets:\n  per_vcp.goroutines:\n    max: 3\n", "gives no severity"),
        ("budgets:\n  per_vcp.rss_bytes:\n    max: 2.5MB\n    severity: error\n", "'2.5MB' is not a size"),
        ("budgets:\n  load.write.response_p99_ms:\n    max: 50 ms\n    severity: error\n", "is not a duration"),
        ("budgets:\n  per_vcp.goroutines:\n    max: three\n    severity: error\n", "is not a number"),
        ("budgets:\n  \"per_vcp.*\":\n    max: 3\n    severity: error\n", "one limit needs one unit"),
        (
            "budgets:\n  per_vcp.goroutines:\n    max: 3\n    severity: error\n    polarity: lower\n",
            "unknown key 'polarity'"
        ),
        ("version: 2\nbudgets: {}\n", "version 2 is not supported"),
        ("version: 1\n", "no budgets"),
        ("figures:\n  per_vcp.goroutines: {max: 3}\n", "unknown key 'figures'"),
        ("budgets: [1, 2\n", "not valid YAML"),
        ("- a\n", "expected a mapping with 'budgets:'"),
    ])
    func badFilesSayWhatAndHowToFix(yaml: String, expected: String) {
        #expect {
            try Budgets(yaml: yaml, name: "b.yaml")
        } throws: { error in
            let text = (error as? BudgetsError)?.description ?? ""
            return text.hasPrefix("b.yaml: ") && text.contains(expected) && !text.contains("\n")
        }
    }

    /// An unknown name lists the valid keys, grouped, so the fix is on the same line.
    @Test func unknownFigureListsTheValidOnes() throws {
        let e = #expect(throws: BudgetsError.self) {
            try Budgets(yaml: "budgets:\n  per_vcp.heap_bytes: {max: 1, severity: error}\n", name: "b.yaml")
        }
        let text = try #require(e?.description)
        for part in [
            "bootstrap.wall_seconds", "per_vcp.{heap_inuse_bytes,heap_alloc_bytes,rss_bytes,goroutines,open_fds}",
            "<phase>.{cpu_percent,", "(phase: launch, baseline,", "load.<op>.{response_p50_ms,", "(op: write, read,",
            "teardown.wall_seconds",
        ] {
            #expect(text.contains(part), "\(part) not in: \(text)")
        }
    }

    @Test func limitsTakeTheFiguresUnitOrAUnitOfTheirOwn() throws {
        let b = try Budgets(
            yaml: """
                version: 1
                budgets:
                  per_vcp.heap_inuse_bytes: {max: 2.5MiB, severity: error}
                  per_vcp.rss_bytes: {max: 512KiB, severity: warning}
                  steady.heap_inuse_bytes: {max: 1Gi, severity: warning}
                  per_vcp.goroutines: {max: 3, severity: warning}
                  load.write.response_p99_ms: {max: 1.5s, severity: error}
                  "load.*.response_p50_ms": {max: 20, severity: error}
                  bootstrap.wall_seconds: {max: 2m, severity: error}
                  steady.cpu_percent: {min: 0.5, severity: warning}
                """)
        #expect(b.entries.map(\.limit) == [2.5 * Self.mib, 512 * 1024, 1024 * Self.mib, 3, 1500, 20, 120, 0.5])
        #expect(b.entries.map(\.bound) == [.max, .max, .max, .max, .max, .max, .max, .min])
        #expect(b.entries.map(\.severity) == [.error, .warning, .warning, .warning, .error, .error, .error, .warning])
    }

    @Test func exampleFileInTheRepoParses() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let b = try Budgets(path: root.appendingPathComponent("budgets.example.yaml").path)
        let heap = try #require(b.entries.first { $0.pattern == "per_vcp.heap_inuse_bytes" })
        #expect(heap.limit == 2.5 * Self.mib && heap.bound == .max && heap.severity == .error)
        #expect(b.entries.contains { $0.pattern == "per_vcp.goroutines" && $0.limit == 3 && $0.severity == .warning })
        #expect(b.entries.contains { $0.pattern == "load.write.response_p99_ms" && $0.limit == 50 })
    }

    /// The decision: max holds at the limit and breaks above it; min holds at the limit and breaks
    /// below; severity does not change the verdict; a figure the run lacks is not measured; a glob
    /// gives one result per figure it matches.
    @Test func evaluateHoldsMaxAndMinPerFigure() throws {
        let b = try Budgets(
            yaml: """
                budgets:
                  per_vcp.heap_inuse_bytes: {max: 1.5MiB, severity: error}
                  per_vcp.goroutines: {max: 3, severity: warning}
                  "load.*.achieved_rps": {min: 10, severity: error}
                  load.read.response_p99_ms: {max: 50ms, severity: error}
                """)
        let figures = [
            FigureValue(spec: Self.spec("per_vcp.heap_inuse_bytes", "bytes/VCP"), value: 2 * Self.mib),
            FigureValue(spec: Self.spec("per_vcp.goroutines", "goroutines/VCP"), value: 3),
            FigureValue(spec: Self.spec("load.write.achieved_rps", "ops/s"), value: 9.99),
            FigureValue(spec: Self.spec("load.read.achieved_rps", "ops/s"), value: 10),
        ]
        let r = b.evaluate(figures)
        #expect(
            r.map(\.spec.key) == [
                "per_vcp.heap_inuse_bytes", "per_vcp.goroutines", "load.write.achieved_rps", "load.read.achieved_rps",
                "load.read.response_p99_ms",
            ])
        #expect(r.map(\.verdict) == [.broken, .held, .broken, .held, .unmeasured])
        #expect(r.broken(.error).map(\.spec.key) == ["per_vcp.heap_inuse_bytes", "load.write.achieved_rps"])
        #expect(r.broken(.warning).isEmpty)
        #expect(r[4].measured == nil && r[4].spec.unit == "ms")
        #expect(r[0].line == "per_vcp.heap_inuse_bytes: measured 2048.0 KiB, limit ≤ 1536.0 KiB (error)")
        // Just over the goroutine limit breaks it, as a warning.
        let over = b.evaluate([FigureValue(spec: Self.spec("per_vcp.goroutines", "goroutines/VCP"), value: 3.01)])
        #expect(over.broken(.warning).map(\.spec.key) == ["per_vcp.goroutines"])
        #expect(over.broken(.error).isEmpty)
    }

    /// Every figure a fixture run of each scenario reports is in the catalog with its unit: the
    /// catalog a budget is checked against cannot fall behind ``Report/figures``.
    @Test func catalogListsEveryFigureARunReports() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        for name in ["bootstrap", "mixed", "fleet"] {
            try FileManager.default.createDirectory(atPath: root.path(name), withIntermediateDirectories: true)
        }
        try Fixtures.bootstrapRun(RunFixture(at: root.path("bootstrap")))
        try Fixtures.mixedRun(RunFixture(at: root.path("mixed")))
        try ReportFleetTests.fleetRun(RunFixture(at: root.path("fleet")))
        try ScenarioFiguresTests.snapshotRun(root.path("snapshot"), k: 2)
        try ScenarioFiguresTests.watchRun(root.path("watch"), k: 2)
        try ScenarioFiguresTests.teardownRun(root.path("teardown"), k: 2)
        var seen = Set<String>()
        for name in ["bootstrap", "mixed", "fleet", "snapshot", "watch", "teardown"] {
            for f in Report(directory: root.path(name)).figures {
                seen.insert(f.spec.key.split(separator: ".").first.map(String.init) ?? "")
                #expect(FigureCatalog.unit(of: f.spec.key) == f.spec.unit, "\(name): \(f.spec.key) (\(f.spec.unit))")
            }
        }
        // Each group of keys was reached by some fixture.
        for prefix in ["bootstrap", "per_vcp", "steady", "load", "fleet", "snapshot", "watch", "teardown"] {
            #expect(seen.contains(prefix), "no fixture reports a \(prefix).* figure")
        }
    }

    /// A bootstrap fixture at 2 MiB per VCP (heap 100 → 108 MiB over 4 VCPs) folded with budgets.
    @Test func foldWritesTheBudgetsEverywhere() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        var report = Report(directory: f.dir)
        report.budgets = try Budgets(
            yaml: """
                budgets:
                  per_vcp.heap_inuse_bytes: {max: 1.5MiB, severity: error}
                  per_vcp.goroutines: {max: 3, severity: warning}
                  per_vcp.rss_bytes: {max: 100MiB, severity: error}
                  load.write.response_p99_ms: {max: 50, severity: error}
                """)
        try report.write(to: f.dir)
        let summary = try f.read("summary.md")
        #expect(summary.contains("## Budgets"))
        #expect(
            summary.contains("**BROKEN (exit 7): 4 budgets, 1 held, 2 broken (1 error, 1 warning), 1 not measured**"))
        #expect(summary.contains("| per_vcp.heap_inuse_bytes | ≤ 1536.0 KiB | 2048.0 KiB | error | **broken** |"))
        let result = try JSONDecoder().decode(ResultFile.self, from: f.readBytes("result.json"))
        let budgets = try #require(result.budgets)
        #expect(budgets.map(\.verdict) == ["broken", "broken", "held", "unmeasured"])
        #expect(budgets[0].measured == 2 * Self.mib && budgets[0].limit == 1.5 * Self.mib)
        #expect(budgets[1].figure == "per_vcp.goroutines" && budgets[1].severity == "warning")
        #expect(result.files.contains("junit.xml"))
        let xml = try f.read("junit.xml")
        #expect(xml.contains("<testsuites name=\"kp-bench bootstrap-4\" tests=\"4\" failures=\"1\" errors=\"0\">"))
        #expect(xml.contains("<testsuite name=\"budgets\" tests=\"4\" failures=\"1\" errors=\"0\" skipped=\"2\">"))
        #expect(
            xml.contains(
                "<failure message=\"per_vcp.heap_inuse_bytes: measured 2048.0 KiB, limit ≤ 1536.0 KiB (error)\" type=\"budget\">"
            ))
        #expect(xml.contains("<skipped message=\"warning budget broken: per_vcp.goroutines: measured"))
        #expect(report.reportHTML.contains("BROKEN (exit 7)"))
        // Folded again without budgets: no Budgets section, no budgets in result.json, the old junit.xml gone.
        try Report(directory: f.dir).write(to: f.dir)
        #expect(!(try f.read("summary.md")).contains("## Budgets"))
        #expect(try JSONDecoder().decode(ResultFile.self, from: f.readBytes("result.json")).budgets == nil)
        #expect(!FileManager.default.fileExists(atPath: f.path("junit.xml")))
    }

    /// A mixed run's junit.xml without budgets: one case per check result.json lists.
    @Test func checksBecomeTestCases() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.mixedRun(f)
        let report = Report(directory: f.dir)
        let junit = try #require(report.junit)
        let checks = report.result(exitCodeNames: [:]).checks
        #expect(junit.suites.map(\.name) == ["checks"])
        #expect(junit.tests == checks.count)
        #expect(junit.failures == checks.filter { $0.verdict == "missed" }.count)
        #expect(junit.skipped == checks.filter { $0.verdict == "inconclusive" }.count)
        #expect(junit.suites[0].cases.contains { $0.name == "load_error_percent" })
    }

    @Test func xmlTextIsEscaped() {
        #expect(JUnitReport.escape("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;")
        #expect(JUnitReport.escape("x\ny\u{1}z µ") == "x&#10;y\u{FFFD}z µ")
    }

    /// compare's junit.xml: one case per figure a threshold covers; the 25 % heap regression fails.
    @Test func compareThresholdsBecomeTestCases() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let a = try SetFixtures.repeatSet(root.path("a"), count: 4, clusters: 10, perVCP: 2 * Self.mib)
        let b = try SetFixtures.repeatSet(root.path("b"), count: 4, clusters: 10, perVCP: 2.5 * Self.mib)
        let cmp = Compare(aRuns: a, bRuns: b, thresholds: try Thresholds(yaml: CompareTests.threshold10))
        let junit = try #require(cmp.junit)
        #expect(junit.tests == 2 && junit.failures == 2)
        try cmp.write(to: root.dir)
        let xml = try root.read("junit.xml")
        #expect(xml.contains("<failure message=\"per_vcp.heap_inuse_bytes: A 2048."))
        #expect(xml.contains("beyond 10% (per_vcp.heap_inuse_bytes)\" type=\"regression\">"))
        #expect(Compare(aRuns: a, bRuns: b).junit == nil)
        try Compare(aRuns: a, bRuns: b).write(to: root.dir)
        #expect(!FileManager.default.fileExists(atPath: root.path("junit.xml")))
    }
}
