import Foundation
import KPCore
import KPHTTP
import KPPprof
import KPRecords
import KPTestSupport
import Testing

@testable import KPScrape

@Suite struct ScraperTests {
    func scraper(_ fake: FakeTransport, families: [String] = [], raw: String? = nil, pprof: String? = nil) -> Scraper {
        Scraper(
            configuration: ScrapeConfiguration(
                baseURL: "https://h:6443/", families: families, timeout: .seconds(20), saveRawDirectory: raw,
                pprofDirectory: pprof,
                scenario: "bootstrap-5"),
            transport: fake)
    }

    @Test func figuresAreTheFirstUnlabelledSamples() async throws {
        let fake = FakeTransport { _, _ in answer(200, goodMetrics) }
        let o = await scraper(fake).sample(phase: "baseline")
        let s = o.sample
        #expect(o.succeeded && s.error == nil && s.missing == nil)
        #expect(s.phase == "baseline" && s.source == "https://h:6443/metrics")
        #expect(s.cpuSeconds == 12.34)
        #expect(s.heapInuseBytes == 6_291_456)  // not the labelled decoy, not the later duplicate
        #expect(s.heapAllocBytes == 4_794_768)
        #expect(s.rssBytes == 26_189_824)
        #expect(s.goroutines == 123)
        #expect(s.openFds == 19)
        #expect(s.families == nil)
        #expect((s.scrapeNs ?? -1) >= 0)
        #expect(fake.requests.map(\.url) == ["https://h:6443/metrics"])
        #expect(fake.requests[0].headers.contains { $0.0 == "Accept" && $0.1.hasPrefix("text/plain") })
        #expect(fake.requests[0].timeout == .seconds(20))
    }

    @Test func absentFiguresAreNamedWithTheReason() async throws {
        let body = """
            # TYPE go_goroutines gauge
            go_goroutines{instance="a"} 5
            process_resident_memory_bytes NaN
            process_open_fds 7

            """
        let s = await scraper(FakeTransport { _, _ in answer(200, body) }).sample(phase: "steady").sample
        #expect(s.error == nil)
        #expect(s.openFds == 7)
        #expect(s.goroutines == nil && s.rssBytes == nil && s.cpuSeconds == nil)
        let missing = try #require(s.missing)
        #expect(missing.count == 5)
        #expect(missing["go_goroutines"]?.contains("only labelled") == true)
        #expect(missing["process_resident_memory_bytes"]?.contains("non-finite") == true)
        #expect(missing["process_cpu_seconds_total"] == "not exposed")
        #expect(missing["go_memstats_heap_inuse_bytes"] == "not exposed")
        #expect(missing["go_memstats_heap_alloc_bytes"] == "not exposed")
        // The record still encodes (no NaN reaches JSON).
        _ = try RecordCodec.encode(s.record)
    }

    @Test func anHTTPErrorIsAFailedSampleWithNoFigures() async throws {
        let dir = try TempDir()
        let body =
            #"{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","message":"forbidden: User \"x\" cannot get path \"/metrics\"","code":403}"#
        let fake = FakeTransport { _, _ in answer(403, body, contentType: "application/json") }
        let o = await scraper(fake, families: ["apiserver_request_duration_seconds"], raw: dir.path).sample(
            phase: "baseline")
        let s = o.sample
        #expect(!o.succeeded)
        #expect(s.error?.contains("HTTP 403 Forbidden") == true)
        #expect(
            s.cpuSeconds == nil && s.heapInuseBytes == nil && s.heapAllocBytes == nil && s.rssBytes == nil
                && s.goroutines == nil && s.openFds == nil)
        #expect(s.families == nil)
        #expect(s.missing?.count == 7)
        #expect(s.missing?.values.allSatisfy { $0 == "scrape failed" } == true)
        // The raw body is still kept for the audit trail.
        let raw = try #require(o.rawPath)
        #expect(try String(contentsOfFile: raw, encoding: .utf8) == body)
        #expect(raw.hasSuffix("/metrics-baseline-\(s.tNs).prom"))
    }

    @Test func noAnswerIsAFailedSample() async throws {
        let fake = FakeTransport { r, _ in .failure(HTTPError(.timeout, url: r.url)) }
        let s = await scraper(fake).sample(phase: "x").sample
        #expect(s.error == "timed out waiting for https://h:6443/metrics")
        #expect(s.goroutines == nil && s.scrapeNs != nil)
    }

    @Test func aBodyThatIsNotPrometheusTextIsAParseError() async throws {
        let fake = FakeTransport { _, _ in answer(200, "<html><body>login</body></html>\n", contentType: "text/html") }
        let s = await scraper(fake).sample(phase: "x").sample
        #expect(s.error?.hasPrefix("parse error:") == true)
        #expect(s.heapInuseBytes == nil && s.goroutines == nil)
    }

    @Test func aFailedScrapeNeverCarriesEarlierFiguresForward() async throws {
        let fake = FakeTransport { _, n in
            switch n {
            case 0: return answer(200, goodMetrics)
            case 1: return answer(500, "boom")
            default: return answer(200, "go_goroutines 7\n")
            }
        }
        let sc = scraper(fake)
        let a = await sc.sample(phase: "series").sample
        let b = await sc.sample(phase: "series").sample
        let c = await sc.sample(phase: "series").sample
        #expect(a.goroutines == 123 && a.rssBytes == 26_189_824)
        #expect(b.error?.contains("HTTP 500") == true && b.goroutines == nil && b.rssBytes == nil)
        #expect(c.error == nil && c.goroutines == 7 && c.rssBytes == nil)
        #expect(c.missing?["process_resident_memory_bytes"] == "not exposed")
        #expect(a.tNs < b.tNs && b.tNs < c.tNs)
    }

    @Test func requestedFamiliesAreCarriedWholeAndAbsentOnesNamed() async throws {
        let fake = FakeTransport { _, _ in answer(200, goodMetrics) }
        let s = await scraper(fake, families: ["apiserver_request_duration_seconds", "mc_crd_runtime_create_total"])
            .sample(phase: "p").sample
        let fams = try #require(s.families)
        #expect(fams.count == 1)
        let h = fams[0]
        #expect(
            h.name == "apiserver_request_duration_seconds" && h.type == "histogram" && h.help == "Response latency.")
        #expect(h.samples.count == 5)
        #expect(
            h.samples.map(\.name) == [
                "apiserver_request_duration_seconds_bucket", "apiserver_request_duration_seconds_bucket",
                "apiserver_request_duration_seconds_bucket", "apiserver_request_duration_seconds_sum",
                "apiserver_request_duration_seconds_count",
            ])
        #expect(h.samples[2].labels == ["verb": "GET", "le": "+Inf"] && h.samples[2].value == PromValue(8))
        #expect(s.missing == ["mc_crd_runtime_create_total": "not exposed"])
        // The +Inf bound is a label and survives the JSON round trip.
        let line = try RecordCodec.encode(s.record)
        #expect(try RecordCodec.decode(line, location: "t") == s.record)
    }

    @Test func profilesAreValidatedSavedAndRecorded() async throws {
        let dir = try TempDir()
        var builder = ProfileBuilder(
            sampleTypes: SampleType.goHeap, periodType: SampleType.goHeapPeriod, period: SampleType.goHeapPeriodBytes)
        try builder.addSample(functions: ["main.alloc", "main.main"], values: [1, 1024, 1, 1024])
        let heap = try builder.gzipped()
        let goroutines = """
            goroutine profile: total 3
            2 @ 0x43f076 0x40919b
            #\t0x43f075\truntime.gopark+0x75\t/usr/lib/go/src/runtime/proc.go:363

            1 @ 0x43f076
            #\t0x43f075\truntime.gopark+0x75\t/usr/lib/go/src/runtime/proc.go:363


            """
        let fake = FakeTransport { r, _ in
            if r.url.hasSuffix("/debug/pprof/heap") { return answer(200, heap) }
            if r.url.hasSuffix("/debug/pprof/goroutine?debug=1") { return answer(200, goroutines) }
            return answer(200, goodMetrics)
        }
        let records = await scraper(fake, pprof: dir.path).profiles(phase: "post-bootstrap")
        #expect(records.count == 2)
        let h = records[0]
        #expect(
            h.profile == "heap" && h.status == "ok" && h.httpStatus == 200 && h.bytes == heap.count && h.error == nil)
        #expect(h.path == "\(dir.path)/heap-bootstrap-5-post-bootstrap.pb.gz")
        #expect(FileManager.default.contents(atPath: h.path!) == heap)
        let g = records[1]
        #expect(g.profile == "goroutine" && g.status == "ok")
        #expect(g.path == "\(dir.path)/goroutine-bootstrap-5-post-bootstrap.txt")
        #expect(
            fake.requests.map(\.url) == [
                "https://h:6443/debug/pprof/heap", "https://h:6443/debug/pprof/goroutine?debug=1",
            ])
    }

    @Test func brokenProfilesAreFailedRecordsAndNotSaved() async throws {
        let dir = try TempDir()
        let fake = FakeTransport { r, _ in
            // Truncated gzip
            if r.url.hasSuffix("/heap") { return answer(200, Data([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02])) }
            return answer(404, "404 page not found\n")
        }
        let records = await scraper(fake, pprof: dir.path).profiles(phase: "steady")
        #expect(records.map(\.status) == ["failed", "failed"])
        #expect(records[0].error?.contains("invalid heap profile") == true && records[0].path == nil)
        #expect(records[1].httpStatus == 404 && records[1].error?.contains("HTTP 404") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test func noPprofDirectoryMeansNoProfileRequests() async throws {
        let fake = FakeTransport { _, _ in answer(200, goodMetrics) }
        #expect(await scraper(fake).profiles(phase: "x").isEmpty)
        #expect(fake.requests.isEmpty)
    }

    @Test func inputChecks() {
        #expect(ScrapeConfiguration.checkRootURL("https://127.0.0.1:6443/clusters/c-001/control-plane") != nil)
        #expect(ScrapeConfiguration.checkRootURL("https://127.0.0.1:6443") == nil)
        #expect(ScrapeConfiguration.checkLabel("post-bootstrap", flag: "--phase") == nil)
        #expect(ScrapeConfiguration.checkLabel("a/b", flag: "--phase")?.contains("--phase 'a/b'") == true)
        #expect(ScrapeConfiguration.checkLabel("..", flag: "--phase") != nil)
        #expect(ScrapeConfiguration.checkLabel("", flag: "--scenario") != nil)
    }
}

@Suite struct ScrapeSeriesTests {
    @Test func countStopsTheSeriesAtTheCadence() async throws {
        let fake = FakeTransport { _, _ in answer(200, goodMetrics) }
        let sc = Scraper(configuration: ScrapeConfiguration(baseURL: "http://h"), transport: fake)
        var got: [SampleRecord] = []
        let before = MonotonicClock.now()
        let n = await ScrapeSeries(interval: .milliseconds(30), count: 4).run(scraper: sc, phase: "series") {
            got.append($0.sample)
        }
        #expect(n == 4 && got.count == 4 && fake.requests.count == 4)
        #expect(got.allSatisfy { $0.phase == "series" && $0.goroutines == 123 })
        // Sample k is never taken before its tick, start + k × 30ms.
        for (k, s) in got.enumerated() { #expect(s.tNs >= before + Int64(k) * 30_000_000) }
    }

    @Test func durationStopsTheSeries() async throws {
        let fake = FakeTransport { _, _ in answer(200, goodMetrics) }
        let sc = Scraper(configuration: ScrapeConfiguration(baseURL: "http://h"), transport: fake)
        var got: [SampleRecord] = []
        let before = MonotonicClock.now()
        await ScrapeSeries(interval: .milliseconds(100), duration: .milliseconds(450)).run(scraper: sc, phase: "s") {
            got.append($0.sample)
        }
        let after = MonotonicClock.now()
        // Ticks at 0, 100, 200, 300, 400 ms: at most 5 samples (fewer only if a busy machine made one overrun a tick).
        #expect(got.count >= 1 && got.count <= 5)
        // Ignoring the duration would keep scraping every 100ms (the series has no count).
        #expect(after - before < 10_000_000_000)
    }

    @Test func cancellationEndsTheSeries() async throws {
        let fake = FakeTransport { _, _ in answer(200, goodMetrics) }
        let sc = Scraper(configuration: ScrapeConfiguration(baseURL: "http://h"), transport: fake)
        let task = Task { await ScrapeSeries(interval: .milliseconds(20)).run(scraper: sc, phase: "s") { _ in } }
        let waitUntil = MonotonicClock.now() + 20_000_000_000
        while fake.requests.count < 2 && MonotonicClock.now() < waitUntil {
            try await Task.sleep(for: .milliseconds(5))
        }
        task.cancel()
        let cancelledAt = MonotonicClock.now()
        let n = await task.value
        #expect(n >= 2)
        #expect(MonotonicClock.now() - cancelledAt < 2_000_000_000)  // no scrape runs after cancellation
        #expect(fake.requests.count <= n + 1)
    }
}
