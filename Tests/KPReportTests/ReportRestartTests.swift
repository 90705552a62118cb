import Foundation
import KPRecords
import Testing

@testable import KPReport

@Suite struct ReportRestartTests {
    static let mib = 1024.0 * 1024
    static let ms: Int64 = 1_000_000

    /// Four VCPs. The restart: asked at 100 s, stop 1 ms later, the old target gone after 200 ms, the new
    /// one started 10 ms later and ready 300 ms after that. First requests 40, 10, 30 and 20 ms (c-001
    /// after a retry), the last answer 50 ms after the first request. `failOne`: c-003 got a 404.
    static func restartRun(_ f: RunFixture, failOne: Bool = false, seriesDown: Int = 2) throws {
        let s = Fixtures.s
        try f.write("meta.jsonl", [Fixtures.meta(scenario: "restart", emulator: true).record, Fixtures.end().record])
        try f.write("endpoint.json", [Fixtures.endpoint(emulator: true).record])
        try f.write("bootstrap.jsonl", Fixtures.bootstrapRecords())
        try f.write(
            "samples.jsonl",
            [
                Fixtures.sample("baseline", t: 30 * s, cpu: 10, heap: 40 * mib, rss: 80 * mib, gor: 100).record,
                Fixtures.sample("steady", t: 60 * s, cpu: 20, heap: 48 * mib, rss: 88 * mib, gor: 140).record,
                Fixtures.sample("restart-ready", t: 101 * s, cpu: 1, heap: 20 * mib, rss: 50 * mib, gor: 90).record,
                Fixtures.sample("post-restart", t: 110 * s, cpu: 3, heap: 50 * mib, rss: 90 * mib, gor: 142).record,
            ])
        let asked = 100 * s
        try f.write(
            "restart.jsonl",
            [
                RestartRecord(
                    outcome: "ok", mode: "sim", requestedNs: asked, stopNs: asked + ms, stoppedNs: asked + 201 * ms,
                    startedNs: asked + 211 * ms, readyNs: asked + 511 * ms, pid: 4242,
                    etcdEndpoints: "http://127.0.0.1:2379", etcdPrefix: "/registry-kpbench-restart-4-1"
                ).record
            ])
        // Series samples: one before, `seriesDown` failed while down, one failed after ready (a real gap).
        var series = [Fixtures.sample("series", t: asked - s, cpu: 20, heap: 48 * mib, rss: 88 * mib, gor: 140)]
        for i in 0..<seriesDown {
            var down = SampleRecord(
                tNs: asked + Int64(i + 1) * 100 * ms, phase: "series", source: "https://127.0.0.1:6443/metrics")
            down.error = "connection refused"
            series.append(down)
        }
        var late = SampleRecord(tNs: asked + 5 * s, phase: "series", source: "https://127.0.0.1:6443/metrics")
        late.error = "timed out"
        series.append(late)
        try f.write("timeseries.jsonl", series.map(\.record))
        let start = asked + 600 * ms
        var records: [Record] = []
        for (i, (c, took)) in [("c-000", 40), ("c-001", 10), ("c-002", 30), ("c-003", 20)].enumerated() {
            let failed = failOne && c == "c-003"
            records.append(
                FirstRequestRecord(
                    cluster: c, outcome: failed ? "failed" : "ok", startNs: start + Int64(i) * 10 * ms,
                    endNs: start + Int64(i) * 10 * ms + Int64(took) * ms, attempts: c == "c-001" ? 2 : 1,
                    objects: failed ? nil : 0, statusCounts: failed ? ["404": 1] : ["200": 1],
                    error: failed ? "HTTP 404 Not Found" : nil
                ).record)
        }
        records.append(
            FirstRequestSummaryRecord(
                clusters: 4, ok: failOne ? 3 : 4, failed: failOne ? 1 : 0, workers: 4, startNs: start,
                endNs: start + 50 * ms, interrupted: false, firstError: failOne ? "c-003: HTTP 404 Not Found" : nil
            ).record)
        try f.write("first-requests.jsonl", records)
    }

    @Test func restartSectionGivesTheTimesMemoryAndStorm() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Self.restartRun(f)
        let report = Report(directory: f.dir)
        let md = report.summaryMarkdown
        #expect(md.contains("## Restart\n"))
        #expect(md.contains("kp-launch restart (sim mode)"))
        #expect(md.contains("prefix (/registry-kpbench-restart-4-1)"))
        #expect(md.contains("| stop (SIGTERM until the old target exited) | 200.0 ms |"), "\(md)")
        #expect(md.contains("| time to readyz (start until /readyz 200) | 300.0 ms |"))
        #expect(md.contains("| down (stop until /readyz 200) | 510.0 ms |"))
        #expect(md.contains("| heap in-use | 48.0 MiB | 20.0 MiB | 50.0 MiB | -28.0 MiB | +2.0 MiB |"), "\(md)")
        #expect(md.contains("| goroutines | 140 | 90 | 142 | -50 | +2 |"))
        #expect(md.contains("4 of 4 VCPs answered 200"))
        #expect(md.contains("Time until all 4 VCPs answered: 50.00 ms."))
        // HDR percentiles of 10, 20, 30, 40 ms: p50 20 ms, p90 = p99 = max = 40 ms.
        #expect(md.contains("| latency (retries included) | 4 | 20.00 ms | 40.00 ms | 40.00 ms | 40.00 ms |"), "\(md)")
        #expect(md.contains("1 VCPs needed more than one attempt"))
        // The series samples that failed while the target was down are expected; the later one is a gap.
        #expect(md.contains("2 series samples failed while the target was down for the restart"))
        #expect(report.gaps.failedSeries == 1 && report.gaps.restartSeries == 2)
        #expect(md.contains("1 of 4 series samples failed (first: timed out)"))
        #expect(md.contains("These are kp-sim's figures, not kplane's."))
        let keys = Dictionary(uniqueKeysWithValues: report.figures.map { ($0.spec.key, $0.value) })
        #expect(keys["restart.ready_seconds"] == 0.3)
        #expect(keys["restart.all_answered_seconds"] == 0.05)
        #expect(keys["restart.first_request_p99_ms"].map { abs($0 - 40) < 0.05 } == true)
        #expect(report.reportHTML.contains("Time until all 4 VCPs answered"))
    }

    @Test func aFailedFirstRequestIsNamedAndLeavesNoAllAnsweredTime() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Self.restartRun(f, failOne: true)
        let report = Report(directory: f.dir)
        let md = report.summaryMarkdown
        #expect(md.contains("3 of 4 VCPs answered 200, **1 failed** (first: c-003: HTTP 404 Not Found)"))
        #expect(!md.contains("Time until all"))
        #expect(md.contains("| latency (retries included) | 3 |"))
        #expect(!report.figures.contains { $0.spec.key == "restart.all_answered_seconds" })
    }

    @Test func otherScenariosHaveNoRestartSection() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        #expect(!Report(directory: f.dir).summaryMarkdown.contains("## Restart"))
    }
}
