import Foundation
import KPRecords
import KPRunModel
import Testing

@testable import KPReport

/// `## Churn` (the fit of each figure against the cycle, its verdict) and `## Observed`.
@Suite struct ReportChurnObserveTests {
    static let mib = 1024.0 * 1024

    /// A churn run of 4 VCPs, 3 cycles of 2 (50 %): heap grows `heapStep` per cycle (plus `noise`
    /// alternating ±), RSS is flat up to ±`noise`, goroutines grow by 4 per cycle exactly.
    static func churnRun(_ f: RunFixture, heapStep: Double, noise: Double) throws {
        let s = Fixtures.s
        var meta = Fixtures.meta(scenario: "churn", emulator: true)
        meta.flags["churn-cycles"] = "3"
        meta.flags["churn-percent"] = "50"
        try f.write("meta.jsonl", [meta.record, Fixtures.end().record])
        try f.write("endpoint.json", [Fixtures.endpoint(emulator: true).record])
        try f.write("bootstrap.jsonl", Fixtures.bootstrapRecords())
        var samples: [Record] = [
            Fixtures.sample("baseline", t: 30 * s, cpu: 10, heap: 40 * mib, rss: 80 * mib, gor: 100).record,
            Fixtures.sample("post-bootstrap", t: 50 * s, cpu: 12, heap: 48 * mib, rss: 88 * mib, gor: 140).record,
            Fixtures.sample("steady", t: 60 * s, cpu: 13, heap: 48 * mib, rss: 88 * mib, gor: 140).record,
        ]
        var churn: [Record] = []
        for k in 1...3 {
            let sign: Double = k % 2 == 0 ? 1 : -1
            let t = (60 + Int64(k) * 10) * s
            samples.append(
                Fixtures.sample(
                    "churn-\(k)", t: t, cpu: 13 + Double(k), heap: 48 * mib + Double(k) * heapStep + sign * noise,
                    rss: 88 * mib + sign * noise, gor: 140 + 4 * Double(k)
                ).record)
            churn.append(
                TeardownSummaryRecord(
                    clusters: 2, ok: 2, failed: 0, keysDeleted: 0, objectsDeleted: 4, etcd: "skipped",
                    skippedReason: "mode sim without etcd", startNs: t - 8 * s, endNs: t - 7 * s, interrupted: false
                ).record)
            churn.append(
                BootstrapSummaryRecord(
                    clusters: 2, ok: 2, failed: 0, workers: 2, startNs: t - 6 * s, endNs: t - 5 * s, requests: 10,
                    retriesByStatus: [:], interrupted: false, firstError: nil
                ).record)
        }
        try f.write("samples.jsonl", samples)
        try f.write("churn.jsonl", churn)
    }

    @Test func slopesPerCycleAndPerChurnedVCPWithTheirVerdicts() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        // Heap +4 MiB per cycle = 2 MiB per churned VCP (m = 2), with 64 KiB of noise.
        try Self.churnRun(f, heapStep: 4 * Self.mib, noise: 64 * 1024)
        let report = Report(directory: f.dir)
        #expect(report.phases.missingPhases.isEmpty, "\(report.phases.missingPhases)")
        let fits = report.churnFits
        #expect(fits.map(\.figure) == [.heapInuse, .rss, .goroutines])
        let heap = fits[0]
        #expect(heap.points.map(\.cycle) == [0, 1, 2, 3])
        #expect(abs(heap.perVCP - 2 * Self.mib) < 0.1 * Self.mib)
        #expect(heap.verdict == .leaks)
        #expect(fits[1].verdict == .flat)
        #expect(fits[2].perVCP == 2 && fits[2].verdict == .leaks && fits[2].perVCPInterval! == (2, 2))
        let md = report.summaryMarkdown
        #expect(md.contains("## Churn\n"))
        #expect(md.contains("3 cycles after the steady sample, each deleting the 2 oldest VCPs (50 % of 4)"))
        #expect(md.contains("| 1 | 2 of 2 | 2 of 2 |"))
        #expect(md.contains("leaks \(Format.kib(heap.perVCP)) KiB per churned VCP"))
        #expect(
            md.contains("| goroutines | 4 | +4.0 | 2.00 | [2.00, 2.00] | 10.00 | leaks 2.00 per churned VCP |"), "\(md)"
        )
        #expect(fits[0].costPerVCP == 2 * Self.mib)
        #expect(md.contains("| flat |"))
        #expect(report.reportHTML.contains("per churned VCP"))
    }

    @Test func verdictReadsTheInterval() throws {
        func fit(_ ys: [Double]) -> ChurnFit {
            ChurnFit(figure: .goroutines, points: ys.enumerated().map { ($0.offset, $0.element) }, perCycle: 2)!
        }
        #expect(fit([10, 12, 14, 16]).verdictText == "leaks 1.00 per churned VCP")
        #expect(fit([16, 14, 12, 10]).verdictText == "falls 1.00 per churned VCP")
        #expect(fit([10, 12, 9, 11]).verdict == .flat)
        // Two points: a slope but no interval, so no verdict.
        #expect(fit([10, 12]).verdict == nil && fit([10, 12]).verdictText.hasPrefix("no verdict"))
        #expect(ChurnFit(figure: .rss, points: [(0, 1), (1, 2)], perCycle: 0) == nil)
        // Growth that is sure but under 5 % of what a VCP costs is flat, with its figure.
        let small = ChurnFit(
            figure: .goroutines, points: [(0, 100), (1, 100.2), (2, 100.4), (3, 100.6)], perCycle: 2,
            costPerVCP: 10)!
        #expect(small.verdict == .flatUnderCost)
        #expect(small.verdictText == "flat (+0.10 per churned VCP, under 5 % of a VCP's cost 10.00)")
        let large = ChurnFit(
            figure: .goroutines, points: [(0, 100), (1, 102), (2, 104), (3, 106)], perCycle: 2, costPerVCP: 10)!
        #expect(large.verdict == .leaks)
    }

    @Test func aChurnRunMissingACycleSampleSaysSo() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Self.churnRun(f, heapStep: Self.mib, noise: 0)
        let lines = try f.read("samples.jsonl").split(separator: "\n").filter { !$0.contains("\"churn-3\"") }
        try (lines.joined(separator: "\n") + "\n").write(
            toFile: f.path("samples.jsonl"), atomically: true, encoding: .utf8)
        let report = Report(directory: f.dir)
        #expect(report.phases.missingPhases == ["churn-3"])
        #expect(report.churnFits[0].points.count == 3)
    }

    @Test func observedSectionComparesStartAndEnd() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        let s = Fixtures.s
        var meta = Fixtures.meta(scenario: "observe")
        meta.flags = ["observe-duration": "10m", "series-interval": "5s", "APISERVER_URL": "https://k:6443"]
        try f.write("meta.jsonl", [meta.record, Fixtures.end().record])
        try f.write("endpoint.json", [Fixtures.endpoint().record])
        try f.write(
            "samples.jsonl",
            [
                Fixtures.sample("launch", t: 1 * s, cpu: 100, heap: 500 * Self.mib, rss: 900 * Self.mib, gor: 4000)
                    .record,
                Fixtures.sample(
                    "observe-start", t: 2 * s, cpu: 101, heap: 500 * Self.mib, rss: 900 * Self.mib, gor: 4000
                )
                .record,
                Fixtures.sample(
                    "observe-end", t: 602 * s, cpu: 401, heap: 600 * Self.mib, rss: 950 * Self.mib, gor: 4100
                )
                .record,
            ])
        var series: [Record] = []
        for (i, heap) in [480.0, 700, 550].enumerated() {
            var r = Fixtures.sample(
                "series", t: Int64(100 + 200 * i) * s, cpu: nil, heap: heap * Self.mib, rss: nil, gor: nil)
            r.phase = "series"
            series.append(r.record)
        }
        try f.write("timeseries.jsonl", series)
        let report = Report(directory: f.dir)
        #expect(report.phases.missingPhases.isEmpty)
        #expect(report.phases.vcps == nil)
        let md = report.summaryMarkdown
        #expect(md.contains("## Observed\n"))
        #expect(md.contains("no VCP created, no object written"))
        #expect(md.contains("600.0 s apart (--observe-duration 10m)"), "\(md)")
        #expect(md.contains("3 series samples between them (every 5s)"))
        #expect(md.contains("| heap in-use | 500.0 MiB | 600.0 MiB | +100.0 MiB | 480.0 MiB | 700.0 MiB |"), "\(md)")
        #expect(md.contains("CPU over the watch (observe-start to observe-end): 50.0 % of one core."))
        #expect(!md.contains("## Churn"))
    }
}
