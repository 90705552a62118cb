import Foundation
import KPRecords
import Testing

@testable import KPReport

@Suite struct ReportLoadTests {
    @Test func latencyCSVRowsHaveHandCheckedPercentiles() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.mixedRun(f)
        try Report(directory: f.dir).write(to: f.dir)
        let lines = try f.read("latency.csv").split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0] == Report.latencyColumns.joined(separator: ","))
        #expect(lines[0].contains("response_p50_ms") && lines[0].contains("service_p99_9_ms"))
        // write first (seed order). Response 1..100 ms: p50 = top of 50 ms's 32,768 ns bucket = 50,003,967 ns;
        // p90 = 90,046,463; p99 = 99,024,895; p99.9 and max = 100 ms exactly; mean 50.5 ms (exact sum).
        let w = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(Array(w.prefix(7)) == ["write", "100", "3", "3.000", "3", "1.000", "0.833"])
        #expect(Array(w[7...12]) == ["50.004", "90.046", "99.025", "100.000", "100.000", "50.500"])
        // Service 0.5..50 ms: p50 = 25 ms → bucket of width 16,384 → 25,001,983 ns; max 50 ms.
        #expect(w[13] == "25.002")
        #expect(w[17] == "50.000")
        #expect(lines[2].hasPrefix("read,200,2,1.000,0,2.000,1.667,"))
    }

    @Test func summaryLoadSection() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.mixedRun(f)
        let report = Report(directory: f.dir)
        let md = report.summaryMarkdown
        #expect(!md.contains("INCOMPLETE"))
        #expect(md.contains("## Load"))
        #expect(md.contains("| op | count | errors | p50 | p99 | max |"))
        #expect(md.contains("| write | 100 | 3 | 50.00 ms | 99.02 ms | 100.0 ms |"))
        #expect(md.contains("| write | 3 | 200 ×97, 409 ×3 | 3 | 1 |"))
        #expect(md.contains("| kp-load CPU | 6.00 s (5.0% of one core) |"))
        #expect(md.contains("| generator limited | no |"))
        #expect(!md.contains("GENERATOR-LIMITED"))
        // Spread: c-000 p99 = 50 ms, c-001 p99 = 100 ms.
        #expect(md.contains("| write | 2 | 50.00 ms (c-000) | 100.0 ms (c-001) | 2.00× |"))
        // Server view, steady → post-load: GET delta [40, 80, 100, 100], PUT [0, 50, 50, 50].
        // GET p50: rank 50 in (5, 25] ms holding 40, 10 in: 5 + 20 × 10/40 = 10 ms.
        // GET p99: rank 99 in (25, 100] ms holding 20, 19 in: 25 + 75 × 19/20 = 96.25 ms.
        // PUT p50: rank 25 in (5, 25] holding 50: 15 ms; p99: rank 49.5: 24.8 ms.
        // Inside a bucket: its range, and the estimate labelled as one.
        #expect(
            md.contains("| GET | 100 | 5–25 ms (≈ 10.00 ms, interpolated) | 25–100 ms (≈ 96.25 ms, interpolated) |"))
        #expect(
            md.contains("| PUT | 50 | 5–25 ms (≈ 15.00 ms, interpolated) | 5–25 ms (≈ 24.80 ms, interpolated) |"))
        #expect(
            md.contains(
                "between the steady sample and the post-load sample (140.0 s apart; the load phase started 10.0 s after the first and ended 10.0 s before the second)"
            ))
        #expect(md.contains("| write.update |") == false)  // no such op in this run
        // Mixed sizing uses the load phase's CPU: 14 CPU-s over 140 s = 10 % → 100m; RSS max(steady 500,
        // post-load 560) × 1.1 = 616 → 640Mi.
        #expect(
            md.contains(
                "| post-load (over the load phase) | RSS 560.0 MiB, CPU 10.0% | requests.memory: 640Mi, requests.cpu: 100m |"
            ))
        #expect(md.contains("| post-load | 300.0 s | 10.0% |"))
    }

    @Test func generatorLimitedIsLoud() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.mixedRun(f, generatorLimited: true)
        let md = Report(directory: f.dir).summaryMarkdown
        #expect(
            md.contains("**GENERATOR-LIMITED: kp-load could not keep its schedule (schedule lag p99 2.5 s over 1 s)"))
    }

    @Test func serverViewNeedsTheHistogram() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.mixedRun(f)
        var samples = try f.read("samples.jsonl")
        samples = samples.replacingOccurrences(of: "apiserver_request_duration_seconds", with: "something_else")
        try samples.write(toFile: f.path("samples.jsonl"), atomically: true, encoding: .utf8)
        let md = Report(directory: f.dir).summaryMarkdown
        #expect(
            md.contains(
                "no sample carries apiserver_request_duration_seconds (scrape with kp-scrape --metric apiserver_request_duration_seconds)"
            ))
    }

    @Test func mixedRunWithoutLoadIsIncomplete() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.mixedRun(f)
        try FileManager.default.removeItem(atPath: f.path("load.jsonl"))
        let report = Report(directory: f.dir)
        #expect(report.incompleteReasons.contains("no load_final record: the load phase did not finish"))
        #expect(report.problems.contains { $0.location == "load.jsonl" && $0.message == "missing" })
        #expect(report.latencyCSV == Report.latencyColumns.joined(separator: ",") + "\n")
    }
}
