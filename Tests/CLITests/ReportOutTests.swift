import Foundation
import Testing

/// `kp-report --out DIR` writes into a directory that does not exist yet (creating it and its parents),
/// and creates nothing when the run directory holds no run.
@Suite struct ReportOutTests {
    static let runMeta =
        #"{"flags":{"clusters":"3"},"host":{"cores":2,"hostname":"h","kernel":"6.1","memory_bytes":1024,"os":"Debian"},"kind":"run_meta","kp_bench_version":"0.1.0","run":"r","scenario":"bootstrap","start_ns":5,"started_at":"2026-11-29T04:30:00.000Z","v":1}"#

    @Test func outDirectoryIsCreated() throws {
        let mark = try ToolRunner.tempDir("report-out")
        defer { try? FileManager.default.removeItem(atPath: mark) }
        let run = "\(mark)/run"
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        try (Self.runMeta + "\n").write(toFile: "\(run)/meta.jsonl", atomically: true, encoding: .utf8)
        let out = "\(mark)/reports/r1"
        let r = try ToolRunner.run("kp-report", [run, "--out", out, "--quiet"], timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            Set(try FileManager.default.contentsOfDirectory(atPath: out)) == [
                "summary.md", "phases.csv", "latency.csv", "report.html", "result.json",
            ])
        #expect(
            !FileManager.default.fileExists(atPath: "\(run)/summary.md"),
            "the report went to --out, not the run directory")
    }

    @Test func noRunCreatesNothing() throws {
        let mark = try ToolRunner.tempDir("report-out-empty")
        defer { try? FileManager.default.removeItem(atPath: mark) }
        try FileManager.default.createDirectory(atPath: "\(mark)/empty", withIntermediateDirectories: true)
        let r = try ToolRunner.run("kp-report", ["\(mark)/empty", "--out", "\(mark)/reports"], timeout: 60)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(mark)/reports"))
    }

    /// A sweep's or a comparison's folder (as kp-run writes them) is not one run: kp-report says which
    /// subcommand folds it, with the exact command line, and exits 2.
    @Test(arguments: [("sweep", ["n10", "n2"]), ("compare", ["A", "B"])])
    func aSetFolderNamesTheCommandThatFoldsIt(_ kind: String, _ folders: [String]) throws {
        let mark = try ToolRunner.tempDir("report-set")
        defer { try? FileManager.default.removeItem(atPath: mark) }
        for f in folders {
            try FileManager.default.createDirectory(atPath: "\(mark)/set/\(f)", withIntermediateDirectories: true)
        }
        let r = try ToolRunner.run("kp-report", ["\(mark)/set"], timeout: 60)
        #expect(r.status == 2, "\(r.stderr)")
        let expected =
            kind == "sweep"
            ? "kp-report sweep --out \(mark)/set \(mark)/set/n2 \(mark)/set/n10"
            : "kp-report compare --out \(mark)/set \(mark)/set/A -- \(mark)/set/B"
        #expect(r.stderr.contains("is not one run: fold it with \(expected)"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }
}
