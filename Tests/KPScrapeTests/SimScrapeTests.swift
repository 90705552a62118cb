import Foundation
import KPPprof
import KPRecords
import KPTestSupport
import Testing

/// kp-scrape against the emulator: HTTPS with a token, and the emulator's /metrics and pprof faults.
@Suite(.serialized) struct SimScrapeTests {
    static func records(_ stdout: Data) throws -> [Record] {
        try stdout.split(separator: 0x0A).enumerated().map { i, line in
            try RecordCodec.decode(Data(line), location: "stdout:\(i + 1)")
        }
    }

    @Test func httpsWithTokenGivesEveryFigureAndBothProfiles() throws {
        let sim = try SimProcess()
        let dir = try TempDir()
        let tool = try BuiltTools.path("kp-scrape")
        let r = try BuiltTools.run(
            tool,
            [
                "--url", sim.url, "--token-file", sim.tokenFile, "--ca-file", sim.caFile, "--phase", "baseline",
                "--pprof", dir.path,
            ])
        #expect(r.status == 0, "\(r.stderr)")
        let records = try Self.records(r.stdout)
        guard case .sample(let s) = records.first else {
            Issue.record("no sample")
            return
        }
        #expect(s.error == nil && s.missing == nil, "\(s.missing ?? [:])")
        #expect((s.goroutines ?? 0) > 0 && (s.rssBytes ?? 0) > 0 && s.heapInuseBytes != nil)
        let profiles = records.compactMap { if case .profile(let p) = $0 { p } else { nil } }
        #expect(profiles.map(\.status) == ["ok", "ok"])
        _ = try PprofProfile(data: try Data(contentsOf: URL(fileURLWithPath: profiles[0].path!)))
    }

    @Test func malformedMetricsAreAFailedSampleAndABrokenPprofEndpointDoesNotFailIt() throws {
        let sim = try SimProcess(extraArgs: ["--fault-metrics-malformed"])
        let tool = try BuiltTools.path("kp-scrape")
        let dir = try TempDir()
        let target = ["--url", sim.url, "--token-file", sim.tokenFile, "--ca-file", sim.caFile]
        let r = try BuiltTools.run(tool, target + ["--phase", "steady"])
        #expect(r.status == 1)
        guard case .sample(let s) = try Self.records(r.stdout).first else {
            Issue.record("no sample")
            return
        }
        #expect(s.error?.hasPrefix("parse error") == true && s.goroutines == nil)

        let sim2 = try SimProcess(extraArgs: ["--fault-pprof-status=500"])
        let r2 = try BuiltTools.run(
            tool,
            [
                "--url", sim2.url, "--token-file", sim2.tokenFile, "--ca-file", sim2.caFile, "--phase", "steady",
                "--pprof", dir.path,
            ])
        #expect(r2.status == 0, "\(r2.stderr)")
        let recs = try Self.records(r2.stdout)
        guard case .sample(let ok) = recs.first else {
            Issue.record("no sample")
            return
        }
        #expect(ok.error == nil)
        let profiles = recs.compactMap { if case .profile(let p) = $0 { p } else { nil } }
        #expect(profiles.map(\.status) == ["failed", "failed"] && profiles.allSatisfy { $0.httpStatus == 500 })
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}
