import Foundation
import KPRecords
import Testing

@testable import KPReport

@Suite struct ReportBootstrapTests {
    /// Parses a CSV without quoted commas into header → value maps.
    func rows(_ csv: String) -> [[String: String]] {
        let lines = csv.split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return lines.dropFirst().map { line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return Dictionary(uniqueKeysWithValues: zip(header, cells))
        }
    }

    @Test func phasesCSVHasHandCheckedValues() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        try Report(directory: f.dir).write(to: f.dir)
        let csv = try f.read("phases.csv")
        #expect(csv.hasPrefix(Report.phasesColumns.joined(separator: ",") + "\n"))
        let r = rows(csv)
        #expect(r.map { $0["phase"] } == ["baseline", "post-bootstrap", "steady"])
        // baseline: (10 − 9.5) CPU-s over the 5 s since the series sample at 25 s.
        #expect(r[0]["cpu_percent"] == "10.00")
        #expect(r[0]["cpu_from"] == "series")
        #expect(r[0]["elapsed_seconds"] == "30.000")
        #expect(r[0]["heap_inuse_per_vcp_bytes"] == "")
        // post-bootstrap: 30 CPU-s over 30 s: one core.
        #expect(r[1]["cpu_percent"] == "100.00")
        #expect(r[1]["cpu_interval_seconds"] == "30.000")
        #expect(r[1]["heap_inuse_per_vcp_bytes"] == "5242880.0")  // (120 − 100) MiB / 4
        // steady: 1 CPU-s over 100 s.
        #expect(r[2]["cpu_percent"] == "1.00")
        #expect(r[2]["heap_inuse_bytes"] == "113246208")  // 108 MiB
        #expect(r[2]["heap_inuse_per_vcp_bytes"] == "2097152.0")  // (108 − 100) MiB / 4
        #expect(r[2]["rss_per_vcp_bytes"] == "65536000.0")  // (500 − 250) MiB / 4
        #expect(r[2]["goroutines_per_vcp"] == "5.0000")
        #expect(r[2]["open_fds_per_vcp"] == "2.0000")
        #expect(r[2]["vcps"] == "4")
        #expect(r[2]["missing"] == "")
    }

    @Test func latencyCSVIsHeaderOnlyForBootstrap() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        try Report(directory: f.dir).write(to: f.dir)
        #expect(try f.read("latency.csv") == Report.latencyColumns.joined(separator: ",") + "\n")
    }

    @Test func summaryTablesAndSizing() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        let report = Report(directory: f.dir)
        let md = report.summaryMarkdown
        #expect(md.hasPrefix("# kp-bench report: bootstrap-4\n"))
        #expect(!md.contains("INCOMPLETE"))
        #expect(!md.contains("kp-sim"))
        // Headline: seed's columns.
        #expect(md.contains("| bootstrap | 4 | 2.0 s | 108.0 MiB | 2.00 MiB | 62.50 MiB | 5.00 | 1.0% |"))
        // Phases in the seed's order with the derived CPU.
        #expect(md.contains("| post-bootstrap | 60.0 s | 100.0% | 120.0 MiB | 108.0 MiB | 600.0 MiB | 240 | 50 |"))
        // Per-VCP KiB.
        #expect(md.contains("| heap in-use KiB/VCP | 5120.0 | 2048.0 |"))
        // Delta table.
        #expect(md.contains("| baseline → post-bootstrap | +20.0 MiB | +18.0 MiB | +350.0 MiB | +40 | 0 | 30.00 |"))
        #expect(md.contains("| baseline → steady |"))
        // Bootstrap step percentiles: readyz 10/20/30/40 ms; whole cluster 30/40/50/60 ms.
        #expect(md.contains("| readyz | 4 | 4 | 0 | 10 | 20.0 | 40.0 | 40.0 | 40.0 |"))
        #expect(md.contains("| whole cluster | 4 | 4 |  |  | 40.0 | 60.0 | 60.0 | 60.0 |"))
        #expect(md.contains("Answers by status: 200 ×20, 503 ×6."))
        #expect(md.contains("None: every step ended ok."))
        // Sizing: steady 500 MiB × 1.1 = 550 → 576Mi and 1 % → 10m, beside the steady row; the peak
        // RSS is the series sample at 42 s (700 MiB × 1.2 = 840 → 896Mi), the peak CPU the series
        // interval 40–42 s (5 CPU-s in 2 s = 250 % → 3 cores).
        #expect(
            md.contains("| steady (no traffic) | RSS 500.0 MiB, CPU 1.0% | requests.memory: 576Mi, requests.cpu: 10m |")
        )
        #expect(
            md.contains(
                "| peak over the run | RSS 700.0 MiB (a series sample at 42.0 s, during the bootstrap); CPU 250.0% (series samples 40.0–42.0 s, during the bootstrap) | limits.memory: 896Mi, limits.cpu: 3 |"
            ))
        #expect(
            md.contains("- `resources.limits.memory` = 896Mi: peak RSS 700.0 MiB × 1.2 = 840.0 MiB, rounded up to 64Mi")
        )
        #expect(md.contains("None: every line of every input was read."))
        #expect(
            md.contains(
                "Per-VCP rule of thumb at steady: heap ≈ 2.00 MiB / VCP, RSS ≈ 62.50 MiB / VCP, goroutines ≈ 5.00 / VCP."
            ))
    }

    @Test func rerunIsByteIdentical() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        try Report(directory: f.dir).write(to: f.dir)
        let first = try Report.outputFiles.map { try f.readBytes($0) }
        try Report(directory: f.dir).write(to: f.dir)
        let second = try Report.outputFiles.map { try f.readBytes($0) }
        #expect(first == second)
        // The same records in another directory give the same bytes (no paths, no clock).
        let g = try RunFixture()
        defer { g.cleanup() }
        try Fixtures.bootstrapRun(g)
        try Report(directory: g.dir).write(to: g.dir)
        #expect(try Report.outputFiles.map { try g.readBytes($0) } == first)
        // No temporary files left behind.
        let names = try FileManager.default.contentsOfDirectory(atPath: f.dir)
        #expect(!names.contains { $0.contains(".tmp-") })
    }

    @Test func emulatorRunSaysSoOnTheFirstLine() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f, emulator: true)
        let md = Report(directory: f.dir).summaryMarkdown
        #expect(md.split(separator: "\n").first.map(String.init) == Report.emulatorNotice)
        #expect(Report.emulatorNotice.contains("kp-sim, the bundled emulator, not the kplane apiserver"))
    }

    @Test func missingRunEndIsIncomplete() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f, withEnd: false)
        let md = Report(directory: f.dir).summaryMarkdown
        #expect(
            md.contains("**INCOMPLETE:** meta.jsonl has no run_end record: the run was cut off or is still running."))
    }

    @Test func failedRunNamesPhaseAndReason() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        try f.write(
            "meta.jsonl",
            [
                Fixtures.meta().record,
                Fixtures.end("failed", phase: "steady", reason: "target exited", code: 10).record,
            ])
        try f.write("samples.jsonl", Array(Fixtures.phaseSamples().prefix(2)))
        let report = Report(directory: f.dir)
        let md = report.summaryMarkdown
        #expect(
            md.contains(
                "**INCOMPLETE:** the run ended failed in phase steady: target exited (exit code 10); no sample for phase steady."
            ))
        #expect(report.phases.missingPhases == ["steady"])
        #expect(md.contains("- `resources.requests.memory` = —: RSS at steady not measured."))
    }

    @Test func bootstrapFailuresAreListed() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        try f.write("bootstrap.jsonl", Fixtures.bootstrapRecords(failOne: true))
        let report = Report(directory: f.dir)
        let md = report.summaryMarkdown
        #expect(report.phases.vcps == 3)
        #expect(md.contains("1 steps did not end ok: crd_create failed ×1."))
        #expect(md.contains("- c-003 crd_create failed: POST crd: 403 Forbidden"))
        #expect(md.contains("| crd_create | 4 | 3 | 1 |"))
        #expect(md.contains("First error: c-003 crd_create: 403"))
    }

    @Test func missingFiguresShowDashAndReason() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        var steady = Fixtures.sample(
            "steady", t: 160 * Fixtures.s, cpu: 41, heap: nil, rss: 500 * Fixtures.mib, gor: 220)
        steady.heapAllocBytes = nil
        steady.missing = ["go_memstats_heap_inuse_bytes": "not exposed", "go_memstats_heap_alloc_bytes": "not exposed"]
        try f.write("samples.jsonl", Array(Fixtures.phaseSamples().prefix(2)) + [steady.record])
        let report = Report(directory: f.dir)
        let md = report.summaryMarkdown
        #expect(md.contains("| steady | 160.0 s | 1.0% | — | — | 500.0 MiB | 220 | 58 |") == false)
        #expect(md.contains("| steady | 160.0 s | 1.0% | — | — | 500.0 MiB | 220 | 50 |"))
        #expect(md.contains("- steady heap in-use: not exposed"))
        #expect(md.contains("| heap in-use KiB/VCP | 5120.0 | — |"))
        let csv = report.phasesCSV
        #expect(csv.hasSuffix(",heap_inuse_bytes: not exposed; heap_alloc_bytes: not exposed\n"))
    }

    @Test func profilesAreListedWithMissingOnes() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        try FileManager.default.createDirectory(atPath: f.path("pprof"), withIntermediateDirectories: true)
        try Data(
            "goroutine profile: total 3\n2 @ 0x1 0x2\n#\t0x1\tmain.worker+0x10\t/x.go:1\n\n1 @ 0x3\n#\t0x3\tmain.main+0x1\t/x.go:2\n\n"
                .utf8
        )
        .write(to: URL(fileURLWithPath: f.path("pprof/goroutine-bootstrap-4-steady.txt")))
        let ok = ProfileRecord(
            tNs: 161 * Fixtures.s, phase: "steady", profile: "goroutine",
            path: "pprof/goroutine-bootstrap-4-steady.txt", bytes: 80,
            status: "ok", httpStatus: 200, error: nil)
        let failed = ProfileRecord(
            tNs: 161 * Fixtures.s, phase: "steady", profile: "heap", path: nil, bytes: nil, status: "failed",
            httpStatus: 403,
            error: "forbidden")
        try f.write("samples.jsonl", Fixtures.phaseSamples() + [ok.record, failed.record])
        let md = Report(directory: f.dir).summaryMarkdown
        #expect(md.contains("| pprof/goroutine-bootstrap-4-steady.txt |"))
        #expect(md.contains("| steady | 3 goroutines"))
        #expect(md.contains("- heap at steady: forbidden (HTTP 403)"))
    }
}

@Suite struct PhaseOrderTests {
    @Test func launchSampleComesFirstAndFeedsBaselineCPU() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        // kp-run's launch sample, appended last in the file but taken first (t = 1 s, 7.1 CPU-s).
        let launch = Fixtures.sample(
            "launch", t: 1 * Fixtures.s, cpu: 7.1, heap: 90 * Fixtures.mib, rss: 200 * Fixtures.mib, gor: 150)
        try f.write("samples.jsonl", Fixtures.phaseSamples() + [launch.record])
        let report = Report(directory: f.dir)
        #expect(report.phases.rows.map(\.phase) == ["launch", "baseline", "post-bootstrap", "steady"])
        // Baseline over the warmup: (10 − 7.1) CPU-s / 29 s = 10 %.
        let base = try #require(report.phases.row("baseline"))
        #expect(Format.fixed(base.cpuPercent, 2) == "10.00")
        #expect(base.cpuFrom == "launch")
        #expect(report.phases.phasesAfterBaseline == ["post-bootstrap", "steady"])
        #expect(report.phases.perVCP(.heapInuse, phase: "launch") == nil)
        let md = report.summaryMarkdown
        #expect(md.contains("| figure | post-bootstrap − baseline | steady − baseline |"))
        #expect(md.contains("| launch → baseline | +10.0 MiB |"))
        // Launch has no CPU % (nothing before it), and says why.
        #expect(md.contains("- launch CPU %: first sample of the run: no earlier scrape to difference against"))
    }
}
