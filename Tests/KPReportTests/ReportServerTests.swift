import Foundation
import KPRecords
import KPStats
import Testing

@testable import KPReport

/// The server-side view says only what the histogram's buckets know, and accounts for every request
/// the server counted in the window.
@Suite struct ReportServerTests {
    static let s = Fixtures.s

    @Test func quantilesSayOnlyWhatTheBucketsKnow() {
        func q(_ value: Double, _ lower: Double, _ upper: Double) -> String {
            BucketQuantile(
                PromHistogram.Quantile(
                    value: value, lowerBound: lower, upperBound: upper, observations: 10, forcedMonotonic: false)
            ).text
        }
        // First bucket: anything from 0 to its bound, no invented figure.
        #expect(q(0.00495, 0, 0.005) == "≤ 5 ms")
        // +Inf bucket: beyond the highest finite bound.
        #expect(q(60, 60, .infinity) == "> 60 s")
        #expect(q(0.1, 0.1, .infinity) == "> 100 ms")
        // Inside: the range, and the estimate labelled as one.
        #expect(q(0.09625, 0.025, 0.1) == "25–100 ms (≈ 96.25 ms, interpolated)")
        #expect(q(1.5, 1, 2.5) == "1–2.5 s (≈ 1500.0 ms, interpolated)")
        #expect(Format.boundRange(0.5, 1) == "500 ms–1 s")
        #expect(Format.bucketQuantile(nil) == "—")
        // A bucket that starts at 0 after a `le="0"` bucket is still "at most its bound".
        #expect(q(0.003, 0, 0.005) == "≤ 5 ms")
    }

    /// `mixedRun` with the server histogram of a fuller window: every GET and POST of the test resource
    /// in the first bucket, every PUT in the +Inf bucket, and the non-resource requests a run makes.
    static func runWithServerTraffic() throws -> RunFixture {
        let f = try RunFixture()
        try Fixtures.mixedRun(f)
        func series(_ labels: [String: String], _ counts: [Double]) -> [MetricSampleWire] {
            let name = LoadAnalysis.serverMetric
            var out = zip(["0.005", "0.025", "0.1", "+Inf"], counts).map { le, c in
                MetricSampleWire(
                    name: name + "_bucket", labels: labels.merging(["le": le]) { a, _ in a }, value: PromValue(c))
            }
            out.append(MetricSampleWire(name: name + "_count", labels: labels, value: PromValue(counts.last!)))
            return out
        }
        func family(_ scale: Double) -> MetricFamilyWire {
            let widgets = ["resource": "memwidgets"]
            let samples =
                series(
                    widgets.merging(["verb": "GET", "group": "mem-c-000.kplane.dev"]) { a, _ in a },
                    [150, 150, 150, 150].map { $0 * scale })
                + series(
                    widgets.merging(["verb": "GET", "group": "mem-c-001.kplane.dev"]) { a, _ in a },
                    [150, 150, 150, 150].map { $0 * scale })
                + series(widgets.merging(["verb": "PUT"]) { a, _ in a }, [0, 0, 0, 100].map { $0 * scale })
                + series(widgets.merging(["verb": "POST"]) { a, _ in a }, [10, 10, 10, 10].map { $0 * scale })
                + series(
                    ["verb": "GET", "resource": "", "subresource": "/readyz"], [12, 12, 12, 12].map { $0 * scale })
                + series(["verb": "GET", "resource": "", "subresource": "/metrics"], [3, 3, 3, 3].map { $0 * scale })
                + series(
                    ["verb": "GET", "resource": "", "subresource": "/debug/pprof/heap"],
                    [1, 1, 1, 1].map { $0 * scale })
                + series(
                    ["verb": "GET", "resource": "", "subresource": "/apis/mem-c-000.kplane.dev/v1"],
                    [2, 2, 2, 2].map { $0 * scale })
            return MetricFamilyWire(name: LoadAnalysis.serverMetric, type: "histogram", help: nil, samples: samples)
        }
        var steady = Fixtures.sample(
            "steady", t: 160 * s, cpu: 41, heap: 108 * Fixtures.mib, rss: 500 * Fixtures.mib, gor: 220)
        steady.families = [family(0)]
        var postLoad = Fixtures.sample(
            "post-load", t: 300 * s, cpu: 55, heap: 130 * Fixtures.mib, rss: 560 * Fixtures.mib, gor: 230)
        postLoad.families = [family(1)]
        // Scrapes in the window: the steady sample's own and two series samples; one profile after steady.
        try f.write(
            "samples.jsonl",
            Array(Fixtures.phaseSamples().prefix(2)) + [
                steady.record,
                ProfileRecord(
                    tNs: 161 * s, phase: "steady", profile: "heap", path: nil, bytes: 100, status: "ok",
                    httpStatus: 200,
                    error: nil
                ).record,
                postLoad.record,
            ])
        try f.write(
            "timeseries.jsonl",
            [200, 250].map {
                Fixtures.sample("series", t: $0 * s, cpu: nil, heap: nil, rss: 520 * Fixtures.mib, gor: nil).record
            })
        // kp-load's pre-warm setting: 5 objects in each of the 2 hot clusters.
        let line = try #require(try f.read("load.jsonl").split(separator: "\n").first)
        guard case .loadFinal(var final) = try RecordCodec.decode(Data(line.utf8), location: "load.jsonl") else {
            Issue.record("load.jsonl holds no load_final")
            return f
        }
        final.settings["objects_per_cluster"] = "5"
        try f.write("load.jsonl", [final.record])
        return f
    }

    @Test func serverViewTablesPrintBuckets() throws {
        let f = try Self.runWithServerTraffic()
        defer { f.cleanup() }
        let md = Report(directory: f.dir).summaryMarkdown
        // GET: 318 requests, all in the first bucket; PUT: all beyond 100 ms.
        #expect(md.contains("| GET | 318 | ≤ 5 ms | ≤ 5 ms |"))
        #expect(md.contains("| PUT | 100 | > 100 ms | > 100 ms |"))
        // The client beside the server: the same bucket text.
        let read = md.split(separator: "\n").first { $0.hasPrefix("| read |") && $0.contains("| GET |") }
        #expect(read?.hasSuffix("| GET | ≤ 5 ms | ≤ 5 ms |") == true)
        #expect(!md.contains("4.95 ms") && !md.contains("2.50 ms (bucket"))
        // The SLO table: resource requests only (GET 300), the bucket for the p99.
        #expect(md.contains("| server | GET | 300 | ≤ 5 ms | 1 s | held |  |"))
        #expect(
            md.contains(
                "| server | PUT | 100 | > 100 ms | 1 s | inconclusive | in the +Inf bucket, which starts under the bound: cannot be placed |"
            ))
        // Per hot cluster: both clusters' GET p99 in the same first bucket.
        #expect(md.contains("| server | GET | 2 | 2 | 0 | 0 | ≤ 5 ms (2 clusters) | 1 s |"))
    }

    @Test func resultFileCarriesTheBucketBounds() throws {
        let f = try Self.runWithServerTraffic()
        defer { f.cleanup() }
        let r = Report(directory: f.dir).result(exitCodeNames: [:])
        let get = try #require(r.checks.first { $0.source == "server" && $0.cluster == "all" && $0.call == "GET" })
        #expect(get.bucketLowerSeconds == 0 && get.bucketUpperSeconds == 0.005)
        #expect(abs(get.value - 0.00495) < 1e-9)  // the number stays, the bounds say what it is worth
        let put = try #require(r.checks.first { $0.source == "server" && $0.cluster == "all" && $0.call == "PUT" })
        #expect(put.bucketLowerSeconds == 0.1 && put.bucketUpperSeconds == nil && put.verdict == "inconclusive")
        let client = try #require(r.checks.first { $0.source == "client" && $0.call == "read" })
        #expect(client.bucketLowerSeconds == nil && client.bucketUpperSeconds == nil)
        // Encoded under snake_case keys; absent for client checks.
        let json = PerfData.encode(r)
        #expect(json.contains("\"bucket_upper_seconds\" : 0.005"))
    }

    @Test func everyServerRequestIsAccountedFor() throws {
        let f = try Self.runWithServerTraffic()
        defer { f.cleanup() }
        let report = Report(directory: f.dir)
        let a = try #require(report.load?.server.accounting)
        func row(_ verb: String, _ target: String) -> ServerRequestAccounting.Row? {
            a.rows.first { $0.verb == verb && $0.target == target }
        }
        // kp-load's load phase: read 200 + one GET per write (the fixture has no write.get) = 300.
        #expect(row("GET", "memwidgets")?.recorded == 300 && row("GET", "memwidgets")?.requests == 300)
        #expect(row("PUT", "memwidgets")?.recorded == 100)
        // The pre-warm: 5 objects × 2 hot clusters.
        #expect(row("POST", "memwidgets")?.sender == "kp-load's pre-warm: 5 objects × 2 hot clusters")
        #expect(row("POST", "memwidgets")?.recorded == 10)
        // kp-scrape: the steady sample and the 2 series samples before the post-load one; 1 profile.
        #expect(row("GET", "/metrics")?.recorded == 3)
        #expect(row("GET", "/metrics")?.sender == "kp-scrape's scrapes: the steady sample + 2 series samples")
        #expect(row("GET", "/debug/pprof/*")?.recorded == 1)
        // Not in the records: kp-launch's probes, and discovery with no bootstrap step in the window.
        #expect(row("GET", "/readyz")?.recorded == nil && row("GET", "/readyz")?.requests == 12)
        #expect(row("GET", ServerRequestAccounting.discoveryGroup)?.recorded == nil)
        #expect(a.total("GET") == 318 && a.resourceTotal("GET") == 300)
        #expect(a.leadNs == 10 * Self.s && a.tailNs == 10 * Self.s)
        let md = report.summaryMarkdown
        #expect(
            md.contains(
                "- GET: the server counted 318, kp-load's load phase sent 300 (read 200 + write 100); 18 are not resource requests (`/readyz` 12, `/metrics` 3, `\(ServerRequestAccounting.discoveryGroup)` 2, `/debug/pprof/*` 1), which the API-call SLO leaves out: it checks 300."
            ))
        #expect(md.contains("- PUT: the server counted 100, as many as kp-load's load phase sent (write 100)."))
        #expect(
            md.contains(
                "- POST: the server counted 10, none of them in kp-load's load phase: `memwidgets` 10 from kp-load's pre-warm: 5 objects × 2 hot clusters."
            ))
        #expect(md.contains("| GET | 12 | `/readyz` | kp-launch's stall watch (its probes are not recorded) | — |"))
    }

    @Test func aServerCountAboveKpLoadsNamesTheWindow() throws {
        let f = try Self.runWithServerTraffic()
        defer { f.cleanup() }
        // kp-load counted 50 fewer reads than the server served: the window is 10 s wider on each side.
        let line = try #require(try f.read("load.jsonl").split(separator: "\n").first)
        guard case .loadFinal(var final) = try RecordCodec.decode(Data(line.utf8), location: "load.jsonl") else {
            Issue.record("load.jsonl holds no load_final")
            return
        }
        final.ops[final.ops.firstIndex { $0.op == "read" }!].count = 150
        try f.write("load.jsonl", [final.record])
        let md = Report(directory: f.dir).summaryMarkdown
        #expect(
            md.contains(
                "`memwidgets`: 50 more than kp-load's load phase counted (likely: the window opens 10.0 s before the load started; it closes 10.0 s after the load ended; a pre-warm create that found its object already there (409) reads and updates it instead)."
            ))
    }

    @Test func pathGroups() {
        #expect(ServerRequestAccounting.pathGroup("/readyz") == "/readyz")
        #expect(ServerRequestAccounting.pathGroup("/readyz/etcd") == "/readyz")
        #expect(ServerRequestAccounting.pathGroup("/clusters/c-001/control-plane/readyz") == "/readyz")
        #expect(ServerRequestAccounting.pathGroup("/debug/pprof/goroutine") == "/debug/pprof/*")
        #expect(
            ServerRequestAccounting.pathGroup("/apis/mem-c-000.kplane.dev/v1") == ServerRequestAccounting.discoveryGroup
        )
        #expect(ServerRequestAccounting.pathGroup("/version") == ServerRequestAccounting.discoveryGroup)
        #expect(ServerRequestAccounting.pathGroup("/snapshot") == "/snapshot")
        #expect(ServerRequestAccounting.pathGroup("/other") == "/other")
    }
}
