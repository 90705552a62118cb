import Foundation
import KPRecords
import Testing

@testable import KPReport

/// A run that reused VCPs an earlier run left (kp-bootstrap --allow-existing) says so in summary.md
/// and names the per-VCP figures that does not measure.
@Suite struct ReportExistingVCPsTests {
    /// The fixture's bootstrap records with `existed` set on the crd_create of `existing` clusters.
    static func bootstrapRecords(existing: Set<String>) -> [Record] {
        Fixtures.bootstrapRecords().map { record in
            guard case .bootstrapStep(var step) = record, step.step == "crd_create", existing.contains(step.cluster)
            else { return record }
            step.existed = true
            step.statusCounts = ["409": 1]
            return step.record
        }
    }

    @Test func existingVCPsAreNamedWithTheFiguresTheySpoil() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        try f.write("bootstrap.jsonl", Self.bootstrapRecords(existing: ["c-001", "c-003"]))
        let report = Report(directory: f.dir)
        #expect(report.existingClusters == ["c-001", "c-003"])
        try report.write(to: f.dir)
        let summary = try f.read("summary.md")
        let line = try #require(summary.split(separator: "\n").first { $0.hasPrefix("**Existing VCPs:**") })
        #expect(line.contains("2 of 4 VCPs were already on the server"), "\(line)")
        #expect(line.contains("c-001, c-003"))
        #expect(line.contains("--allow-existing"))
        for figure in ["Headline (per-VCP heap, RSS, goroutines)", "Per VCP", "Sizing a pod", "Bootstrap"] {
            #expect(line.contains(figure), "the warning does not name \(figure): \(line)")
        }
        // Not a snapshot or teardown run: those sections are not named.
        #expect(!line.contains("Snapshot") && !line.contains("Teardown"))
        // Before the tables it qualifies.
        let warning = try #require(summary.range(of: "**Existing VCPs:**"))
        let perVCP = try #require(summary.range(of: "## Per VCP"))
        #expect(warning.lowerBound < perVCP.lowerBound)
    }

    @Test func freshVCPsGiveNoWarning() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        let report = Report(directory: f.dir)
        #expect(report.existingClusters.isEmpty)
        #expect(!report.summaryMarkdown.contains("Existing VCPs"))
    }

    /// Records written before `existed` existed (or a 409 that answered this run's own timed-out
    /// create, which kp-bootstrap does not mark) read as fresh VCPs.
    @Test func unmarkedConflictIsNotAnExistingVCP() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        let records = Fixtures.bootstrapRecords().map { record -> Record in
            guard case .bootstrapStep(var step) = record, step.step == "crd_create" else { return record }
            step.statusCounts = ["timeout": 1, "409": 1]
            return step.record
        }
        try f.write("bootstrap.jsonl", records)
        #expect(Report(directory: f.dir).existingClusters.isEmpty)
    }
}
