import Foundation
import KPRecords
import Testing

@testable import KPReport

@Suite struct ReportFleetTests {
    /// A fleet-bootstrap run: the Fleet (members c-000…c-003 via names) created at 39 s, members seen Pending
    /// then Ready, then the usual bootstrap steps of those members from 40 s.
    static func fleetRun(_ f: RunFixture, ready: Bool = true) throws {
        let s = Fixtures.s
        let start: Int64 = 39 * s
        var records: [Record] = []
        let names = ["c-000", "c-001", "c-002", "c-003"]
        for (i, c) in names.enumerated() {
            records.append(
                FleetMemberRecord(
                    fleet: "fb", cluster: c, phase: "Pending", previous: nil, tNs: start + 100_000_000, message: nil
                ).record)
            if ready || i < 2 {
                records.append(
                    FleetMemberRecord(
                        fleet: "fb", cluster: c, phase: "Ready", previous: "Pending",
                        tNs: start + Int64(i + 2) * 100_000_000, message: "readyz ok"
                    ).record)
            }
        }
        records.append(
            FleetStatusRecord(
                fleet: "fb", replicas: 4, namePrefix: nil, names: names, startNs: start, endNs: start + 500_000_000,
                createdNs: start + 10_000_000,
                readyNs: ready ? start + 500_000_000 : nil, requests: 6, statusCounts: ["201": 1, "200": 5],
                readyReplicas: ready ? 4 : 2,
                observedGeneration: 1, transitions: ready ? 8 : 6, outcome: ready ? "ok" : "timeout",
                error: ready ? nil : "status.readyReplicas = 4 not reached within 1s"
            ).record)
        try f.write("meta.jsonl", [Fixtures.meta(scenario: "fleet-bootstrap").record, Fixtures.end().record])
        try f.write("endpoint.json", [Fixtures.endpoint().record])
        try f.write("bootstrap.jsonl", records + Fixtures.bootstrapRecords())
        try f.write("samples.jsonl", Fixtures.phaseSamples())
    }

    @Test func fleetSectionShowsTimeToReadyTransitionsAndMemberSteps() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Self.fleetRun(f)
        let md = Report(directory: f.dir).summaryMarkdown
        #expect(md.contains("## Fleet\n"))
        #expect(
            md.contains(
                "Fleet `fb` (replicas 4, names c-000, c-001, c-002, …): **ok**, all members Ready 0.50 s after the create was sent"
            ))
        #expect(md.contains("8 member phase changes seen"))
        // Pending seen at 0.1 s for all four; Ready at 0.2, 0.3, 0.4, 0.5 s (p50 nearest rank = 0.3).
        #expect(md.contains("| Pending | 4 | 0.100 | 0.100 | 0.100 |"))
        #expect(md.contains("| Ready | 4 | 0.200 | 0.300 | 0.500 |"))
        // namespace steps of the fixture end at 40 s + (i+1)·10 ms + i·1 ms + 5 ms: 1.015, 1.026, 1.037, 1.048 s after 39 s.
        #expect(md.contains("| namespace ok (client) | 4 | 1.015 | 1.026 | 1.048 |"))
        #expect(md.contains("| c-003 | Pending | Ready | 0.500 |"))
        // Section order: Fleet before Bootstrap.
        let fleetAt = try #require(md.range(of: "## Fleet"))
        let bootAt = try #require(md.range(of: "## Bootstrap"))
        #expect(fleetAt.lowerBound < bootAt.lowerBound)
    }

    @Test func aFleetThatTimedOutSaysHowFarItGot() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Self.fleetRun(f, ready: false)
        let md = Report(directory: f.dir).summaryMarkdown
        #expect(md.contains("**timeout**, status.readyReplicas 2 of 4 when the wait ended after 0.50 s"))
        #expect(md.contains("Error: status.readyReplicas = 4 not reached within 1s"))
        #expect(md.contains("| Ready | 2 |"))
    }

    @Test func noFleetNoSection() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        #expect(!Report(directory: f.dir).summaryMarkdown.contains("## Fleet"))
    }
}
