import Foundation
import KPHTTP
import KPRecords
import KPTestSupport
import Testing

@testable import KPScrape

/// `kp-scrape --burst`: the scrapes it makes and the readings its scrape_cost record keeps.
@Suite struct ScrapeBurstTests {
    /// A server whose CPU counter reads 10 + 0.01·k at its k-th scrape (10 ms per scrape), whose
    /// allocation counter grows 1 MiB per scrape, and which answers 500 from scrape `failAt` on.
    static func server(failAt: Int? = nil) -> FakeTransport {
        FakeTransport { _, k in
            if let failAt, k >= failAt { return answer(500, "broken") }
            return answer(
                200,
                """
                process_cpu_seconds_total \(10 + 0.01 * Double(k))
                process_resident_memory_bytes \(1_000_000 + k)
                go_memstats_heap_inuse_bytes 2000
                go_memstats_heap_alloc_bytes 1500
                go_memstats_alloc_bytes_total \(1_048_576 * k)

                """)
        }
    }

    static func scraper(_ t: FakeTransport) -> Scraper {
        Scraper(
            configuration: ScrapeConfiguration(baseURL: "https://h:6443", families: [ScrapeBurst.allocMetric]),
            transport: t)
    }

    @Test func recordsTheIdleWindowAndTheBurst() async throws {
        let t = Self.server()
        let r = await ScrapeBurst(scrapes: 5, idleWindow: .milliseconds(50)).run(scraper: Self.scraper(t)).record
        #expect(r.error == nil && r.missing == nil)
        #expect(t.requests.count == 7 && t.requests.allSatisfy { $0.url == "https://h:6443/metrics" })
        #expect(r.scrapes == 5 && r.source == "https://h:6443/metrics")
        #expect(r.idleStartCPUSeconds == 10 && r.burstStartCPUSeconds == 10.01 && r.burstEndCPUSeconds == 10.06)
        let idle = try #require(r.burstStartNs) - (try #require(r.idleStartNs))
        #expect(idle >= 50_000_000)
        #expect(abs(try #require(r.cpuStepSeconds) - 0.01) < 1e-9)
        #expect(r.rssBytesBefore == 1_000_001 && r.rssBytesAfter == 1_000_006)
        #expect(r.allocBytesTotalBefore == 1_048_576 && r.allocBytesTotalAfter == 6 * 1_048_576)
        #expect(r.allocBytesPerScrape == 1_048_576)
        #expect((r.bodyBytes ?? 0) > 0)
    }

    @Test func aFailedScrapeEndsTheBurstAndSaysWhy() async {
        let result = await ScrapeBurst(scrapes: 10, idleWindow: .milliseconds(1)).run(
            scraper: Self.scraper(Self.server(failAt: 4)))
        let r = result.record
        #expect(r.scrapes == 2 && r.burstEndCPUSeconds == 10.03)
        #expect(r.error?.hasPrefix("scrape 3 of 10 failed: HTTP 500") == true, "\(r.error ?? "")")
        #expect(!result.timedOut)
    }

    @Test func absentFiguresAreNamed() async {
        let t = FakeTransport { _, k in answer(200, "process_cpu_seconds_total \(k)\n") }
        let r = await ScrapeBurst(scrapes: 2, idleWindow: .milliseconds(1)).run(scraper: Self.scraper(t)).record
        #expect(r.missing?["process_resident_memory_bytes"] == "not exposed")
        #expect(r.missing?[ScrapeBurst.allocMetric] == "not exposed")
        #expect(r.rssBytesBefore == nil && r.allocBytesPerScrape == nil)
        #expect(r.cpuStepSeconds == 1)
    }
}
