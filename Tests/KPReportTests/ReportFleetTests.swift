import Foundation
import KPRecords
import Testing

@testable import KPReport

@Suite struct ReportFleetTests {
    /// A fleet-bootstrap run: the Fleet (members c-000…c-003 via names) created at 39 s, members seen Pending
    /// then Ready, then the usual bootstrap steps of those members from 40 s. The bootstrap_summary starts
    /// at 40 s, or with `summaryFromCreate` at the Fleet's create (39 s) as kp-bootstrap --fleet writes it.
    static func fleetRun(_ f: RunFixture, ready: Bool = true, summaryFromCreate: Bool = false) throws {
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
        let bootstrap = Fixtures.bootstrapRecords().map { record -> Record in
            guard summaryFromCreate, case .bootstrapSummary(var summary) = record else { return record }
            summary.stepsStartNs = summary.startNs
            summary.startNs = start
            summary.fleet = "fb"
            return summary.record
        }
        try f.write("bootstrap.jsonl", records + bootstrap)
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

    /// fleet-bootstrap's bootstrap time runs from the Fleet create (39 s) to the members' last step (42 s):
    /// the Fleet wait (0.5 s) plus what follows it (2.5 s). A summary that starts at the create (`fleet`
    /// set) and one that starts after the wait (written without `fleet`) give the same span.
    @Test(arguments: [true, false])
    func bootstrapTimeIsTheFleetWaitPlusTheMembersSteps(summaryFromCreate: Bool) throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Self.fleetRun(f, summaryFromCreate: summaryFromCreate)
        let report = Report(directory: f.dir)
        let s = Fixtures.s
        #expect(report.bootstrap.startNs == 39 * s)
        #expect(report.bootstrap.wallNs == 3 * s)
        let split = try #require(report.fleetBootstrapSplit)
        #expect(split.waitNs == 500_000_000 && split.stepsNs == 2_500_000_000)
        #expect(split.waitNs + split.stepsNs == report.bootstrap.wallNs)
        let figure = report.figures.first { $0.spec.key == "bootstrap.wall_seconds" }
        #expect(figure?.value == 3.0 && figure?.spec.title == "bootstrap time")
        let md = report.summaryMarkdown
        #expect(
            md.contains(
                "Bootstrap time 3.000 s from the Fleet create to the members' last step (discovery): Fleet wait 0.500 s (create sent → all members Ready), then 2.500 s of member steps."
            ), "\(md)")
        #expect(md.contains("4 clusters with 2 workers in 3.0 s from the Fleet create (Fleet wait 0.500 s): 4 ok"))
        #expect(md.contains("| fleet-bootstrap | 4 | 3.0 s |"), "\(md)")
    }

    /// A client-driven bootstrap's time is its summary's span (first request to last step), with no Fleet split.
    @Test func aClientBootstrapsTimeIsItsSummarysSpan() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        let report = Report(directory: f.dir)
        #expect(report.bootstrap.startNs == 40 * Fixtures.s && report.bootstrap.wallNs == 2 * Fixtures.s)
        #expect(report.fleetBootstrapSplit == nil)
        #expect(report.summaryMarkdown.contains("4 clusters with 2 workers in 2.0 s: 4 ok"))
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
