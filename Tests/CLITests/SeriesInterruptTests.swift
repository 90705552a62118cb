import Foundation
import KPRunModel
import Testing

/// Ctrl-C during a repeat set, a sweep or a comparison: kp-run stops the run in progress, starts no
/// other, and still folds the set from the runs that ended. The fold says "k of n runs ended", lists
/// the interrupted run as left out, and kp-run exits 130. Two or three short kp-sim runs a case.
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

    static let cases = [
        Case(
            name: "repeat set", args: ["--clusters", "2", "--repeat", "3"], interruptIn: "r2", fold: "summary.md",
            asked: 3, notRun: "r3"),
        Case(
            name: "sweep", args: ["--sizes", "2 3 4"], interruptIn: "n3", fold: "sweep.md", asked: 3, notRun: "n4"),
        Case(
            name: "compare",
            args: ["--clusters", "2", "--repeat", "2", "--b-sim-args", "--sim-vcp-memory-bytes=2097152"],
            interruptIn: "B/r1", fold: "compare.md", asked: 4, notRun: "A/r2, B/r2"),
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
        #expect(ProcessTable.alive(matching: root).isEmpty)
    }
}
