import Foundation
import KPRecords
import Testing

@testable import KPReport

/// "Sizing a pod": the peak is the run's highest sample and says which, each limit is at least its
/// request, and the CPU rule of thumb shows its arithmetic.
@Suite struct SizingAdviceTests {
    static let s = Fixtures.s
    static let mib = Fixtures.mib

    /// `mixedRun`'s load (2 hot clusters at 2 reads/s and 1 write/s in all) with RSS growing after the
    /// cold start: 600 MiB post-bootstrap, 620 MiB steady, 900 MiB post-load. CPU: launch t=0 s 0 s,
    /// baseline t=30 s 0.3 s (1 %), post-bootstrap t=60 s 30.3 s (100 %), steady t=160 s 35.3 s (5 %),
    /// post-load t=300 s 105.3 s (50 %). No time series.
    static func growingRun() throws -> RunFixture {
        let f = try RunFixture()
        try Fixtures.mixedRun(f)
        try f.write(
            "samples.jsonl",
            [
                Fixtures.sample("launch", t: 0, cpu: 0, heap: 90 * mib, rss: 240 * mib, gor: 190).record,
                Fixtures.sample("baseline", t: 30 * s, cpu: 0.3, heap: 100 * mib, rss: 250 * mib, gor: 200).record,
                Fixtures.sample("post-bootstrap", t: 60 * s, cpu: 30.3, heap: 120 * mib, rss: 600 * mib, gor: 240)
                    .record,
                Fixtures.sample("steady", t: 160 * s, cpu: 35.3, heap: 108 * mib, rss: 620 * mib, gor: 220).record,
                Fixtures.sample("post-load", t: 300 * s, cpu: 105.3, heap: 130 * mib, rss: 900 * mib, gor: 230).record,
            ])
        return f
    }

    @Test func limitIsAtLeastTheRequestWhenRSSGrowsAfterTheColdStart() throws {
        let f = try Self.growingRun()
        defer { f.cleanup() }
        let report = Report(directory: f.dir)
        let sizing = report.sizing
        func value(_ field: String) -> String? { sizing.lines.first { $0.field == "resources." + field }?.value }
        // Request: post-load 900 MiB × 1.1 = 990 → 1Gi. The cold-start peak alone (600 × 1.2 = 720 → 768Mi)
        // would be under it; the run's peak is the post-load sample: 900 × 1.2 = 1080 → 1088Mi.
        #expect(value("requests.memory") == "1Gi")
        #expect(value("limits.memory") == "1088Mi")
        #expect(sizing.peakRSS?.value == 900 * Self.mib)
        #expect(sizing.peakRSS?.source == "the post-load sample at 300.0 s")
        #expect(sizing.requestRSSPhase == "post-load")
        #expect(try Self.mebibytes(value("limits.memory")) >= Self.mebibytes(value("requests.memory")))
        // CPU: the request is the load phase's 50 % → 500m; the peak is the post-bootstrap row's
        // average (no time series), 100 % → 1 core, not under the request's 0.5 core.
        #expect(value("requests.cpu") == "500m")
        #expect(value("limits.cpu") == "1")
        #expect(sizing.peakCPU?.isPhaseAverage == true)
        #expect(sizing.peakCPU?.source == "the post-bootstrap row's average over 30.0 s")
        let md = report.summaryMarkdown
        #expect(
            md.contains(
                "| peak over the run | RSS 900.0 MiB (the post-load sample at 300.0 s); CPU 100.0% (the post-bootstrap row's average over 30.0 s) | limits.memory: 1088Mi, limits.cpu: 1 |"
            ))
        #expect(
            md.contains(
                "| post-load (over the load phase) | RSS 900.0 MiB, CPU 50.0% | requests.memory: 1Gi, requests.cpu: 500m |"
            ))
        #expect(md.contains("| steady (no traffic) | RSS 620.0 MiB, CPU 5.0% | — |"))
        #expect(md.contains("a shorter burst goes higher"))
    }

    @Test func cpuPerVCPShowsItsArithmetic() throws {
        let f = try Self.growingRun()
        defer { f.cleanup() }
        let report = Report(directory: f.dir)
        // Idle: (steady 5 % − baseline 1 %) × 10m / 4 VCPs = 10m per VCP.
        #expect(abs((report.sizing.idleMillicoresPerVCP ?? 0) - 10) < 1e-9)
        // Under load: (post-load 50 % − steady 5 %) × 10m / 2 hot VCPs = 225m per hot VCP,
        // each at 2 / 2 = 1 read/s and 1 / 2 = 0.5 write/s.
        #expect(abs((report.sizing.loadMillicoresPerHotVCP ?? 0) - 225) < 1e-9)
        #expect(report.sizing.hotVCPs == 2)
        #expect(
            report.summaryMarkdown.contains(
                "CPU per VCP: ≈ 10.00m / VCP at idle ((steady 5.0% − baseline 1.0%) × 10m / 4 VCPs); under load ≈ 225.0m per hot VCP ((post-load 50.0% − steady 5.0%) × 10m / 2 hot VCPs, each at 1 reads/s + 0.5 writes/s)."
            ))
    }

    @Test func peakNamesTheSeriesSampleAndInterval() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        let sizing = Report(directory: f.dir).sizing
        // 700 MiB at t=42 s, the bootstrap's last instant (40–42 s); CPU 5 s in 40–42 s = 250 %.
        #expect(sizing.peakRSS?.value == 700 * Self.mib)
        #expect(sizing.peakRSS?.source == "a series sample at 42.0 s, during the bootstrap")
        #expect(sizing.peakCPU?.value == 250)
        #expect(sizing.peakCPU?.source == "series samples 40.0–42.0 s, during the bootstrap")
        #expect(sizing.peakCPU?.isPhaseAverage == false)
        // A bootstrap run's requests come from the steady row; there is no load line.
        #expect(sizing.requestRSSPhase == "steady" && sizing.requestCPUPhase == "steady")
        #expect(sizing.loadMillicoresPerHotVCP == nil)
    }

    @Test func aLaterSampleAboveTheColdStartIsThePeak() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        // A series sample after the steady one, above every earlier sample.
        try f.write(
            "timeseries.jsonl",
            Fixtures.seriesSamples()
                + [
                    Fixtures.sample(
                        "series", t: 170 * Self.s, cpu: 41.5, heap: 110 * Self.mib, rss: 800 * Self.mib, gor: 220
                    ).record
                ])
        let report = Report(directory: f.dir)
        #expect(report.sizing.peakRSS?.source == "a series sample at 170.0 s, after the steady sample")
        // 800 × 1.2 = 960 → 960Mi; the request stays steady's 500 × 1.1 → 576Mi.
        #expect(report.sizing.lines[1].value == "960Mi" && report.sizing.lines[0].value == "576Mi")
    }

    /// MiB of a `NMi` / `NGi` quantity.
    static func mebibytes(_ q: String?) throws -> Int {
        let q = try #require(q)
        if q.hasSuffix("Gi") { return try #require(Int(q.dropLast(2))) * 1024 }
        return try #require(Int(q.dropLast(2)))
    }
}
