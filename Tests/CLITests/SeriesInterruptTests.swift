import Foundation
import KPRunModel
import Testing

/// Ctrl-C during a run set: kp-run stops the run in progress, starts no other, and still folds the
/// set from the runs that ended. The fold says "k of n runs ended", lists the interrupted run as left
/// out, and kp-run exits 130. One whole and one interrupted short kp-sim run.
@Suite struct SeriesInterruptTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var args: [String]
        /// The run whose start triggers the SIGINT, relative to the set's folder.
        var interruptIn: String
        /// The set's fold file.
        var fold: String
        var asked: Int
        var notRun: String
        var testDescription: String { name }
    }

    /// A sweep: its fold goes through runset.json (`kp-report DIR`), the path repeat sets and
    /// comparisons share; their folds of a stopped set are checked on fixtures
    /// (KPReportTests.RunSetValidityTests) and their stop through the real orchestrator
    /// (KPRunTests.RunOrchestratorTests).
    static let cases = [
        Case(name: "sweep", args: ["--sizes", "2 3 4"], interruptIn: "n3", fold: "sweep.md", asked: 3, notRun: "n4")
    ]

    @Test(arguments: cases) func ctrlCStillFoldsTheSet(_ c: Case) throws {
        let root = try ToolRunner.tempDir("series-int")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let set = "\(root)/s"
        let phaseFile = "\(set)/\(c.interruptIn)/\(RunLayout.phase)"
        let r = try ToolRunner.run(
            "kp-run",
            ["--bin-dir", ToolRunner.binDir, "--sim", "--out", root, "--run", "s"] + c.args
                + CompareSweepE2ETests.phases,
            env: CompareSweepE2ETests.env, timeout: 240,
            signal: (SIGINT, { FileManager.default.fileExists(atPath: phaseFile) }))
        #expect(r.status == 130, "kp-run: \(r.stderr.suffix(1500))")
        #expect(r.stderr.contains("folding the runs that ended"), "\(r.stderr.suffix(800))")
        let plan = try #require(try RunSetPlan.read(from: set))
        #expect(plan.runs.count == c.asked)
        let md = try String(contentsOfFile: "\(set)/\(c.fold)", encoding: .utf8)
        #expect(md.contains("**INCOMPLETE: 2 of \(c.asked) runs ended** (not run: \(c.notRun))"), "\(md.prefix(1500))")
        #expect(md.contains("\(c.interruptIn): ended interrupted"), "\(md.prefix(1500))")
        #expect(!FileManager.default.fileExists(atPath: "\(set)/\(c.notRun.components(separatedBy: ", ")[0])"))
        // `kp-report DIR` folds the same folder again from its runset.json, with the same words.
        let again = try ToolRunner.run("kp-report", [set, "--quiet"], timeout: 60)
        #expect(again.status == 0, "kp-report \(set): \(again.stderr)")
        let md2 = try String(contentsOfFile: "\(set)/\(c.fold)", encoding: .utf8)
        #expect(md2.contains("**INCOMPLETE: 2 of \(c.asked) runs ended**"))
        // A comparison's folder folds the same way: the whole run on both sides, two more asked.
        let cmp = "\(root)/cmp"
        for side in ["A", "B"] {
            try FileManager.default.createDirectory(atPath: "\(cmp)/\(side)", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(set)/n2", toPath: "\(cmp)/\(side)/r1")
        }
        try RunSetPlan(kind: .compare, runs: ["A/r1", "B/r1", "A/r2", "B/r2"], groups: ["A", "B"]).write(to: cmp)
        let folded = try ToolRunner.run("kp-report", [cmp], timeout: 60)
        #expect(folded.status == 0, "kp-report \(cmp): \(folded.stderr)")
        #expect(folded.stderr.contains("too few valid runs to call"), "\(folded.stderr)")
        let cmd = try String(contentsOfFile: "\(cmp)/compare.md", encoding: .utf8)
        #expect(cmd.contains("**INCOMPLETE: 2 of 4 runs ended** (not run: A/r2, B/r2)"), "\(cmd.prefix(1200))")
        #expect(ProcessTable.alive(matching: root).isEmpty)
    }
}
