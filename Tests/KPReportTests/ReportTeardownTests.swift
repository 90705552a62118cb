import Foundation
import KPRecords
import Testing

@testable import KPReport

@Suite struct ReportTeardownTests {
    static let mib = 1024.0 * 1024

    /// Four VCPs: each cost 2 MiB heap, 2 MiB RSS and 10 goroutines (steady − baseline); after the teardown
    /// heap fell by 4 MiB (1 MiB per VCP, half), RSS not at all, goroutines by 36 (9 per VCP).
    /// `postGoroutines`: the post-teardown sample's goroutines (104: 9 of the 10 per VCP came back).
    static func teardownRun(_ f: RunFixture, postTeardown: Bool = true, postGoroutines: Double = 104) throws {
        let s = Fixtures.s
        try f.write("meta.jsonl", [Fixtures.meta(scenario: "teardown", emulator: true).record, Fixtures.end().record])
        try f.write("endpoint.json", [Fixtures.endpoint().record])
        try f.write("bootstrap.jsonl", Fixtures.bootstrapRecords())
        var samples: [Record] = [
            Fixtures.sample("baseline", t: 30 * s, cpu: 10, heap: 40 * mib, rss: 80 * mib, gor: 100).record,
            Fixtures.sample("steady", t: 60 * s, cpu: 20, heap: 48 * mib, rss: 88 * mib, gor: 140).record,
        ]
        if postTeardown {
            samples.append(
                Fixtures.sample("post-teardown", t: 90 * s, cpu: 21, heap: 44 * mib, rss: 88 * mib, gor: postGoroutines)
                    .record)
        }
        try f.write("samples.jsonl", samples)
        var steps: [Record] = []
        for (i, c) in ["c-000", "c-001", "c-002", "c-003"].enumerated() {
            let t = 70 * s + Int64(i) * 1_000_000
            steps.append(
                TeardownStepRecord(
                    cluster: c, step: "api_objects", outcome: "ok", startNs: t, endNs: t + 1, objectsDeleted: 2,
                    statusCounts: ["200": 3]
                ).record)
            steps.append(
                TeardownStepRecord(
                    cluster: c, step: "api_crd", outcome: i == 3 ? "failed" : "ok", startNs: t + 1, endNs: t + 2,
                    objectsDeleted: i == 3 ? nil : 1, statusCounts: [i == 3 ? "403" : "200": 1],
                    error: i == 3 ? "HTTP 403 Forbidden" : nil
                ).record)
        }
        steps.append(
            TeardownSummaryRecord(
                clusters: 4, ok: 3, failed: 1, keysDeleted: 0, objectsDeleted: 11, etcd: "skipped",
                skippedReason: "etcd not controlled by this run (mode url)", startNs: 70 * s, endNs: 71 * s,
                interrupted: false
            ).record)
        try f.write("teardown.jsonl", steps)
    }

    @Test func returnedPerVCPIsHandChecked() throws {
        let base = Fixtures.sample("baseline", t: 1, cpu: nil, heap: 40 * Self.mib, rss: 80 * Self.mib, gor: 100)
        let steady = Fixtures.sample("steady", t: 2, cpu: nil, heap: 48 * Self.mib, rss: 88 * Self.mib, gor: 140)
        let post = Fixtures.sample("post-teardown", t: 3, cpu: nil, heap: 44 * Self.mib, rss: 88 * Self.mib, gor: 104)
        let r = TeardownReturn.compute(baseline: base, steady: steady, postTeardown: post, vcps: 4)
        #expect(r.map(\.figure) == [.heapInuse, .rss, .goroutines])
        #expect(
            r[0].costPerVCP == 2 * Self.mib && r[0].returnedPerVCP == Self.mib && r[0].fraction == 0.5
                && !r[0].noneReturned)
        #expect(r[1].costPerVCP == 2 * Self.mib && r[1].returnedPerVCP == 0 && r[1].noneReturned)
        #expect(r[2].costPerVCP == 10 && r[2].returnedPerVCP == 9 && !r[2].noneReturned)
        // A figure that grew after the teardown returned nothing.
        let grew = Fixtures.sample("post-teardown", t: 3, cpu: nil, heap: 50 * Self.mib, rss: 88 * Self.mib, gor: 140)
        #expect(TeardownReturn.compute(baseline: base, steady: steady, postTeardown: grew, vcps: 4)[0].noneReturned)
        #expect(TeardownReturn.compute(baseline: base, steady: steady, postTeardown: post, vcps: 0).isEmpty)
        #expect(r.map(\.returnedPercent) == [50, 0, 90])
        #expect(!r.contains { $0.moreThanCost })
    }

    /// Post-teardown below the baseline: more came back than the VCPs cost.
    @Test func moreThanTheCostIsNamedNotAPercentOverAHundred() throws {
        let base = Fixtures.sample("baseline", t: 1, cpu: nil, heap: 40 * Self.mib, rss: 80 * Self.mib, gor: 100)
        let steady = Fixtures.sample("steady", t: 2, cpu: nil, heap: 48 * Self.mib, rss: 88 * Self.mib, gor: 140)
        let post = Fixtures.sample("post-teardown", t: 3, cpu: nil, heap: 44 * Self.mib, rss: 88 * Self.mib, gor: 96)
        let g = TeardownReturn.compute(baseline: base, steady: steady, postTeardown: post, vcps: 4)[2]
        #expect(g.costPerVCP == 10 && g.returnedPerVCP == 11 && g.moreThanCost && g.belowBaselinePerVCP == 1)
        #expect(g.fraction == 1.1 && g.returnedPercent == 100)

        let f = try RunFixture()
        defer { f.cleanup() }
        try Self.teardownRun(f, postGoroutines: 96)
        let md = Report(directory: f.dir).summaryMarkdown
        #expect(
            md.contains(
                "- goroutines: returned 11.00 per VCP, **more than the VCPs cost** (10.00 per VCP): post-teardown is below the baseline by 4 (1.00 per VCP); the server also released state it held before the bootstrap, or the baseline caught a transient."
            ), "\(md)")
        #expect(!md.contains("110 %"))
        #expect(md.contains("- heap in-use: returned 1024.0 KiB of 2048.0 KiB per VCP (50 %)."))
    }

    @Test func teardownSectionSaysWhatCameBack() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Self.teardownRun(f)
        let md = Report(directory: f.dir).summaryMarkdown
        #expect(md.contains("## Teardown\n"))
        #expect(md.contains("kp-bootstrap --teardown: 3 of 4 clusters torn down, **1 failed**; 11 API objects"))
        #expect(md.contains("etcd keys not deleted: etcd not controlled by this run (mode url)"))
        #expect(md.contains("first: c-003 api_crd failed: HTTP 403 Forbidden"))
        #expect(md.contains("- heap in-use: returned 1024.0 KiB of 2048.0 KiB per VCP (50 %)."))
        #expect(md.contains("- RSS: **none returned** (0.0 KiB of 2048.0 KiB per VCP)."))
        #expect(md.contains("- goroutines: returned 9.00 of 10.00 per VCP (90 %)."))
        #expect(md.contains("Teardown time: 1.0 s (first step to the last step's end)."))
    }

    @Test func withoutAPostTeardownSampleItSaysSo() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Self.teardownRun(f, postTeardown: false)
        let md = Report(directory: f.dir).summaryMarkdown
        #expect(
            md.contains("Returned per VCP: not computed: the run needs baseline, steady and post-teardown samples."))
    }
}
