import Foundation
import Testing

/// Every tool's `--help` exits 0 on stdout and explains the tool: it names its key flags.
@Suite struct HelpTests {
    struct Case: CustomStringConvertible, Sendable {
        var tool: String
        var args: [String]
        var mentions: [String]
        var description: String { "\(tool) \(args.joined(separator: " "))" }
    }

    static let cases: [Case] = [
        Case(
            tool: "kp-run", args: ["--help"],
            mentions: [
                "--scenario", "--clusters", "--warmup", "--request-timeout", "--step-deadline", "--max-error-percent",
                "--force", "--sim",
            ]),
        Case(tool: "scripts/fault-matrix.sh", args: ["--help"], mentions: ["--only", "--list", "--bin-dir"]),
        Case(tool: "kp-launch", args: ["--help"], mentions: ["up", "down", "kubeconfig"]),
        Case(
            tool: "kp-launch", args: ["up", "--help"],
            mentions: [
                "--run-dir", "--sim", "--apiserver-bin", "--apiserver-url", "--stall-timeout", "--ready-timeout",
                "--insecure-skip-tls-verify",
            ]),
        Case(tool: "kp-launch", args: ["down", "--help"], mentions: ["--run-dir"]),
        Case(
            tool: "kp-bootstrap", args: ["--help"],
            mentions: ["--clusters", "--workers", "--endpoint", "--request-timeout", "--readyz-deadline"]),
        Case(
            tool: "kp-scrape", args: ["--help"],
            mentions: ["--interval", "--phase", "--pprof", "--timeout", "--endpoint"]),
        Case(
            tool: "kp-load", args: ["--help"],
            mentions: ["--hot-percent", "--load-duration", "--write-rps-per-cluster", "--request-timeout"]),
        Case(tool: "kp-report", args: ["--help"], mentions: ["fold", "meta", "end", "check", "compare", "sweep"]),
        Case(tool: "kp-report", args: ["check", "--help"], mentions: ["--max-load-error-percent", "exit"]),
        Case(
            tool: "kp-report", args: ["compare", "--help"],
            mentions: ["--thresholds", "--alpha", "--out", "too few valid runs to call", "exits 5"]),
        Case(tool: "kp-report", args: ["sweep", "--help"], mentions: ["--out", "clusters flag", "R²"]),
        Case(
            tool: "kp-report", args: ["end", "--help"], mentions: ["--status", "--phase", "--exit-code", "incomplete"]),
        Case(
            tool: "kp-sim", args: ["--help"],
            mentions: ["--secure-port", "--fault-crash-after", "--fault-stall", "--fault-arm-file"]),
    ]

    @Test(arguments: cases)
    func helpExitsZeroAndNamesKeyFlags(_ c: Case) throws {
        let path = c.tool.hasPrefix("scripts/") ? "\(ToolRunner.repoRoot)/\(c.tool)" : c.tool
        let r = try ToolRunner.run(path, c.args, timeout: 30)
        #expect(r.status == 0, "\(c): exit \(r.status): \(r.stderr)")
        for flag in c.mentions {
            #expect(r.stdout.contains(flag), "\(c): help does not mention \(flag)")
        }
        #expect(r.stdout.split(separator: "\n").count >= 5, "\(c): help is too short to explain anything")
    }

    /// docs/cli-reference.md is every --help verbatim: regenerated here, it must equal the committed file.
    @Test func cliReferenceMatchesTheTools() throws {
        let dir = try ToolRunner.tempDir("clidocs")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try ToolRunner.run(
            "\(ToolRunner.repoRoot)/scripts/gen-cli-docs.sh",
            ["--bin-dir", ToolRunner.binDir, "--out", "\(dir)/cli.md"], timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        let fresh = try String(contentsOfFile: "\(dir)/cli.md", encoding: .utf8)
        let committed = try String(contentsOfFile: "\(ToolRunner.repoRoot)/docs/cli-reference.md", encoding: .utf8)
        if fresh != committed {
            let a = fresh.split(separator: "\n", omittingEmptySubsequences: false)
            let b = committed.split(separator: "\n", omittingEmptySubsequences: false)
            let first = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
            Issue.record(
                "docs/cli-reference.md is out of date (run make docs); first difference at line \(first + 1): \(first < a.count ? a[first] : "<end>")"
            )
        }
    }

    /// The seed's run targets (and any other N) reach kp-run with their scenario, size and run name.
    /// (They once were .PHONY pattern targets, which make silently skips: "Nothing to be done".)
    @Test(arguments: [
        "bootstrap-200", "bootstrap-500", "bootstrap-1000", "bootstrap-2000", "bootstrap-37",
        "mixed-hot-200", "mixed-hot-1000", "mixed-uniform-200", "mixed-uniform-1000", "mixed-hot-3",
    ])
    func makeRunTargetsCallKpRun(_ target: String) throws {
        let r = try ToolRunner.run(
            "/usr/bin/make", ["-n", target, "NO_BUILD=1", "BIN_DIR=\(ToolRunner.binDir)"],
            cwd: ToolRunner.repoRoot, timeout: 30)
        #expect(r.status == 0, "\(r.stderr)")
        let n = target.split(separator: "-").last!
        let scenario = target.dropLast(n.count + 1)
        #expect(r.stdout.contains("/kp-run\" --bin-dir"), "make -n \(target): \(r.stdout)")
        #expect(
            r.stdout.contains("--scenario \(scenario) --clusters \(n) --run \(target)"),
            "make -n \(target): \(r.stdout)")
    }

    /// `make help`-style discovery: the Makefile has the fault-matrix target that docs/faults.md names.
    @Test func makefileHasFaultMatrixTarget() throws {
        let r = try ToolRunner.run(
            "/usr/bin/make", ["-n", "fault-matrix", "NO_BUILD=1", "FAULT_BIN_DIR=\(ToolRunner.binDir)"],
            cwd: ToolRunner.repoRoot, timeout: 30)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("scripts/fault-matrix.sh"))
    }
}
