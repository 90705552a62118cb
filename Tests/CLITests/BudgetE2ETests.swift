import Foundation
import Testing

/// Absolute budgets end to end on kp-sim, whose per-VCP memory is set (`--sim-vcp-memory-bytes`,
/// 2 MiB): one kp-run bootstrap of 4 VCPs with 1.5 MiB per-VCP heap and RSS budgets of severity
/// error exits 7 and says which; a re-fold of the same run with the same budgets as warnings exits
/// 0 and says so. Both junit.xml files validate against Tests/Fixtures/junit.xsd (xmllint, Debian's
/// libxml2-utils, installed by `make deps-test`) and their counts match their test cases. The
/// parsing and the decision are unit-tested in KPReportTests.BudgetTests; nothing here is timed.
@Suite(.serialized) struct BudgetE2ETests {
    static let env = ["APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": ""]

    static func budgets(_ severity: String) -> String {
        """
        version: 1
        budgets:
          per_vcp.heap_inuse_bytes: {max: 1.5MiB, severity: \(severity)}
          per_vcp.rss_bytes: {max: 1.5MiB, severity: \(severity)}
          per_vcp.goroutines: {max: 1000, severity: \(severity)}
        """
    }

    /// Validates `path` against the checked-in schema; returns the counts it claims and the elements it has.
    static func validate(_ path: String) throws -> (tests: Int, failures: Int, skipped: Int) {
        let xmllint = "/usr/bin/xmllint"
        try #require(
            FileManager.default.isExecutableFile(atPath: xmllint),
            "xmllint is missing: install libxml2-utils (make deps-test)")
        let schema = "\(ToolRunner.repoRoot)/Tests/Fixtures/junit.xsd"
        let v = try ToolRunner.run(xmllint, ["--noout", "--schema", schema, path], timeout: 30)
        #expect(v.status == 0, "xmllint: \(v.stderr)")
        let xml = try String(contentsOfFile: path, encoding: .utf8)
        func attribute(_ name: String) -> Int? {
            guard let r = xml.range(of: "<testsuites [^>]*\(name)=\"([0-9]+)\"", options: .regularExpression) else {
                return nil
            }
            return Int(xml[r].split(separator: "\"").last ?? "")
        }
        func count(_ element: String) -> Int { xml.components(separatedBy: "<\(element) ").count - 1 }
        #expect(attribute("tests") == count("testcase"))
        #expect(attribute("failures") == count("failure"))
        return (count("testcase"), count("failure"), count("skipped"))
    }

    @Test func errorBudgetExitsSevenWarningBudgetSaysSoAndExitsZero() throws {
        let root = try ToolRunner.tempDir("budget-e2e")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.budgets("error").write(toFile: "\(root)/error.yaml", atomically: true, encoding: .utf8)
        try Self.budgets("warning").write(toFile: "\(root)/warning.yaml", atomically: true, encoding: .utf8)
        let r = try ToolRunner.run(
            "kp-run",
            [
                "--bin-dir", ToolRunner.binDir, "--sim", "--out", root, "--run", "b", "--clusters", "4", "--workers",
                "4", "--warmup", "1s", "--post-bootstrap-settle", "1s", "--steady-wait", "1s", "--series-interval",
                "1s", "--budgets", "\(root)/error.yaml", "--", "--sim-arg=--sim-vcp-memory-bytes=2097152",
            ],
            env: Self.env, timeout: 120)
        let run = "\(root)/b"
        print("e2e budgets (error): exit \(r.status); stdout:\n\(r.stdout)stderr tail: \(r.stderr.suffix(400))")
        #expect(r.status == 7, "kp-run: \(r.stderr)")
        #expect(r.stderr.contains("error budget broken: per_vcp.heap_inuse_bytes: measured"), "\(r.stderr)")
        #expect(r.stdout.contains("budget BROKEN: per_vcp.rss_bytes"), "\(r.stdout)")
        let errorCounts = try Self.validate("\(run)/junit.xml")
        #expect(errorCounts == (3, 2, 0))
        let result = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: "\(run)/result.json")))
        // result.json says the code kp-run exited with, not run_end's 0.
        #expect((result as? [String: Any])?["exit_code"] as? Int == 7)
        #expect((result as? [String: Any])?["exit_name"] as? String == "budget-broken")
        let budgets = try #require((result as? [String: Any])?["budgets"] as? [[String: Any]])
        #expect(budgets.compactMap { $0["verdict"] as? String } == ["broken", "broken", "held"])
        #expect((budgets[0]["measured"] as? Double).map { $0 > 1.5 * 1_048_576 } == true)

        // The same run, re-folded with the budgets as warnings: said, exit 0.
        let w = try ToolRunner.run("kp-report", [run, "--budgets", "\(root)/warning.yaml"], timeout: 60)
        #expect(w.status == 0, "kp-report: \(w.stderr)")
        #expect(w.stdout.contains("budgets: HELD with warnings: 3 budgets, 1 held, 2 broken (0 error, 2 warning)"))
        #expect(w.stderr.contains("warning budget broken: per_vcp.heap_inuse_bytes"), "\(w.stderr)")
        let summary = try String(contentsOfFile: "\(run)/summary.md", encoding: .utf8)
        #expect(summary.contains("**HELD with warnings: 3 budgets"))
        let warned = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: "\(run)/result.json")))
        #expect((warned as? [String: Any])?["exit_code"] as? Int == 0)
        let warningCounts = try Self.validate("\(run)/junit.xml")
        #expect(warningCounts == (3, 0, 2))
        #expect(ProcessTable.alive(matching: root).isEmpty)
    }
}
