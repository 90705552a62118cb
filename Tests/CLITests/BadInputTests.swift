import Foundation
import Testing

/// Bad input at every entry point: one line on stderr that names the input, exit 2, and nothing
/// started (no process of the attempt in the process table, no run directory left behind).
@Suite struct BadInputTests {
    /// One bad invocation: the tool, its arguments, extra environment, and what the line must name.
    struct Case: CustomStringConvertible, Sendable {
        var tool: String
        var args: [String]
        var env: [String: String] = [:]
        var names: String
        var description: String { "\(tool) \(args.joined(separator: " "))" }
    }

    /// Arguments that reach a bad flag in each class; `MARK` is replaced by a fresh folder per case.
    static let cases: [Case] = [
        // kp-run (what make runs): counts, percentages, durations, scenario, modes, files, --out, an existing run.
        Case(tool: "kp-run", args: ["--sim", "--clusters", "0", "--out", "MARK/out"], names: "--clusters"),
        // make compare-bins with nothing that makes B differ from A.
        Case(
            tool: "kp-run", args: ["--sim", "--compare", "--repeat", "2", "--out", "MARK/out"], names: "compare-bins"),
        Case(
            tool: "kp-run", args: ["--sim", "--a-sim-args", "--x=1", "--b-sim-args", "--x=1", "--out", "MARK/out"],
            names: "--a-sim-args"),
        Case(tool: "kp-run", args: ["--sim", "--workers", "-3", "--out", "MARK/out"], names: "--workers"),
        // make knee: the rates, the scenario it needs, what it excludes, its SLO flags alone.
        Case(
            tool: "kp-run", args: ["--sim", "--scenario", "mixed-hot", "--knee-steps", "400,200", "--out", "MARK/out"],
            names: "--knee-steps"),
        Case(
            tool: "kp-run", args: ["--sim", "--scenario", "bootstrap", "--knee-steps", "100,200", "--out", "MARK/out"],
            names: "mixed-hot"),
        Case(
            tool: "kp-run",
            args: [
                "--sim", "--scenario", "mixed-hot", "--knee-steps", "linear:100:400:4", "--load-shards", "2", "--out",
                "MARK/out",
            ], names: "--load-shards"),
        Case(tool: "kp-run", args: ["--sim", "--knee-p99", "50ms", "--out", "MARK/out"], names: "--knee-p99"),
        Case(
            tool: "kp-run", args: ["--sim", "--scenario", "mixed-hot", "--hot-percent", "150", "--out", "MARK/out"],
            names: "--hot-percent"),
        Case(
            tool: "kp-run", args: ["--sim", "--max-error-percent", "101", "--out", "MARK/out"],
            names: "--max-error-percent"),
        Case(tool: "kp-run", args: ["--sim", "--warmup", "5x", "--out", "MARK/out"], names: "--warmup"),
        Case(
            tool: "kp-run", args: ["--sim", "--request-timeout", "0s", "--out", "MARK/out"], names: "--request-timeout"),
        Case(tool: "kp-run", args: ["--sim", "--scenario", "soak", "--out", "MARK/out"], names: "--scenario"),
        Case(tool: "kp-run", args: ["--bogus", "--out", "MARK/out"], names: "--bogus"),
        Case(
            tool: "kp-run", args: ["--out", "MARK/out"],
            env: ["APISERVER_BIN": "/bin/true", "APISERVER_URL": "https://127.0.0.1:1"], names: "APISERVER_URL"),
        Case(
            tool: "kp-run", args: ["--sim", "--out", "MARK/out"], env: ["APISERVER_URL": "https://127.0.0.1:1"],
            names: "--sim"),
        Case(
            tool: "kp-run", args: ["--out", "MARK/out"],
            env: ["APISERVER_URL": "https://127.0.0.1:1", "TOKEN_FILE": "MARK/no-such-token"], names: "TOKEN_FILE"),
        Case(
            tool: "kp-run", args: ["--out", "MARK/out"],
            env: ["APISERVER_URL": "https://127.0.0.1:1", "CA_FILE": "MARK/no-such-ca.crt"], names: "CA_FILE"),
        Case(tool: "kp-run", args: ["--sim", "--out", "/proc/kpbench-cannot-write"], names: "--out"),
        Case(
            tool: "kp-run", args: ["--sim", "--out", "MARK/out", "--", "--kubeconfig", "MARK/no-such-kubeconfig"],
            names: "--kubeconfig"),
        Case(
            tool: "kp-run", args: ["--sim", "--out", "MARK/out", "--", "--apiserver-url", "https://127.0.0.1:1"],
            names: "--apiserver-url"),
        // kp-run: the rest of its flags, one row each (every bad flag exits 2 before anything starts).
        Case(
            tool: "kp-run", args: ["--sim", "--post-bootstrap-settle", "soon", "--out", "MARK/out"],
            names: "--post-bootstrap-settle"),
        Case(tool: "kp-run", args: ["--sim", "--steady-wait", "1m30", "--out", "MARK/out"], names: "--steady-wait"),
        Case(
            tool: "kp-run", args: ["--sim", "--scenario", "mixed-hot", "--load-duration", "0s", "--out", "MARK/out"],
            names: "--load-duration"),
        Case(
            tool: "kp-run", args: ["--sim", "--series-interval", "0s", "--out", "MARK/out"], names: "--series-interval"),
        Case(tool: "kp-run", args: ["--sim", "--step-deadline", "5s", "--out", "MARK/out"], names: "--step-deadline"),
        Case(tool: "kp-run", args: ["--sim", "--sizes", "4 4", "--out", "MARK/out"], names: "--sizes"),
        Case(tool: "kp-run", args: ["--sim", "--sizes", "4", "--out", "MARK/out"], names: "--sizes"),
        Case(
            tool: "kp-run", args: ["--sim", "--scenario", "mixed-hot", "--max-lag", "0s", "--out", "MARK/out"],
            names: "--max-lag"),
        Case(
            tool: "kp-run",
            args: ["--sim", "--scenario", "mixed-hot", "--write-rps-per-cluster", "-1", "--out", "MARK/out"],
            names: "--write-rps-per-cluster"),
        Case(
            tool: "kp-run", args: ["--sim", "--read-rps-per-cluster", "lots", "--out", "MARK/out"],
            names: "--read-rps-per-cluster"),
        Case(
            tool: "kp-run", args: ["--sim", "--scenario", "mixed-hot", "--object-bytes", "-1", "--out", "MARK/out"],
            names: "--object-bytes"),
        // kp-bootstrap's own name rule (59 characters), checked up front: otherwise kp-sim is launched
        // and the run fails in bootstrap with exit 12.
        Case(
            tool: "kp-run",
            args: ["--sim", "--name-format", "c-" + String(repeating: "x", count: 58) + "-%d", "--out", "MARK/out"],
            names: "--name-format"),
        Case(tool: "kp-run", args: ["--sim", "--name-format", "c-%s", "--out", "MARK/out"], names: "--name-format"),
        Case(tool: "kp-run", args: ["--sim", "--run", "a/b", "--out", "MARK/out"], names: "--run"),
        Case(tool: "kp-run", args: ["--sim", "--repeat", "0", "--out", "MARK/out"], names: "--repeat"),
        // kp-run: scenario snapshot's flags.
        Case(
            tool: "kp-run",
            args: ["--sim", "--scenario", "snapshot", "--snapshot-rps-per-cluster", "0", "--out", "MARK/out"],
            names: "--snapshot-rps-per-cluster"),
        Case(
            tool: "kp-run",
            args: ["--sim", "--scenario", "snapshot", "--snapshot-resources", "Config Maps", "--out", "MARK/out"],
            names: "--snapshot-resources"),
        Case(tool: "kp-run", args: ["--sim", "--snapshot-warm", "--out", "MARK/out"], names: "--snapshot-warm"),
        Case(
            tool: "kp-run", args: ["--sim", "--scenario", "mixed-hot", "--load-shards", "0", "--out", "MARK/out"],
            names: "--load-shards"),
        Case(tool: "kp-run", args: ["--sim", "--load-shards", "2", "--out", "MARK/out"], names: "--load-shards"),
        // 10 % of 10 clusters is one hot cluster: two shards cannot both get work (known before launch).
        Case(
            tool: "kp-run",
            args: ["--sim", "--scenario", "mixed-hot", "--clusters", "10", "--load-shards", "2", "--out", "MARK/out"],
            names: "--load-shards"),
        Case(
            tool: "kp-run",
            args: ["--sim", "--scenario", "watch-fanout", "--watchers-per-cluster", "0", "--out", "MARK/out"],
            names: "--watchers-per-cluster"),
        Case(
            tool: "kp-run",
            args: ["--sim", "--scenario", "mixed-hot", "--watchers-per-cluster", "2", "--out", "MARK/out"],
            names: "--watchers-per-cluster"),
        Case(
            tool: "kp-run", args: ["--sim", "--scenario", "churn", "--churn-cycles", "1", "--out", "MARK/out"],
            names: "--churn-cycles"),
        Case(
            tool: "kp-run", args: ["--sim", "--scenario", "churn", "--churn-percent", "0", "--out", "MARK/out"],
            names: "--churn-percent"),
        Case(
            tool: "kp-run", args: ["--sim", "--scenario", "bootstrap", "--churn-cycles", "3", "--out", "MARK/out"],
            names: "--churn-cycles"),
        // restart restarts only a target kp-bench started: a server given by URL is refused.
        Case(
            tool: "kp-run", args: ["--scenario", "restart", "--out", "MARK/out"],
            env: ["APISERVER_URL": "https://127.0.0.1:1"], names: "APISERVER_URL"),
        Case(
            tool: "kp-run",
            args: ["--sim", "--scenario", "bootstrap", "--observe-duration", "1m", "--out", "MARK/out"],
            names: "--observe-duration"),
        Case(tool: "kp-run", args: ["--sim", "--sizes", "50 x", "--out", "MARK/out"], names: "--sizes"),
        Case(
            tool: "kp-run", args: ["--sim", "--scenario", "observe", "--sizes", "4 8", "--out", "MARK/out"],
            names: "--sizes"),
        Case(tool: "kp-run", args: ["--out", "MARK/out", "--a-bin", "/bin/true"], names: "--b-bin"),
        Case(
            tool: "kp-run", args: ["--out", "MARK/out", "--a-bin", "/bin/true", "--b-bin", "MARK/no-such-bin"],
            names: "--b-bin"),
        Case(
            tool: "kp-run",
            args: ["--out", "MARK/out", "--a-sim-args", "--sim-vcp-memory-bytes=1", "--b-sim-args", "x"], names: "--sim"
        ),
        Case(tool: "kp-run", args: ["--sim", "--out", "MARK/out", "--b-scenario", "nope"], names: "--b-scenario"),
        Case(
            tool: "kp-run", args: ["--sim", "--out", "MARK/out", "--b-scenario", "bootstrap"], names: "--b-scenario"),
        Case(
            tool: "kp-run",
            args: [
                "--out", "MARK/out", "--b-scenario", "fleet-bootstrap", "--a-bin", "/bin/true", "--b-bin", "/bin/true",
            ],
            names: "--b-scenario"),
        Case(
            tool: "kp-run", args: ["--sim", "--out", "MARK/out", "--thresholds", "MARK/no-such.yaml"],
            names: "--thresholds"),
        Case(
            tool: "kp-run", args: ["--sim", "--out", "MARK/out", "--budgets", "MARK/no-such.yaml"],
            names: "no-such.yaml"),
        Case(
            tool: "kp-run", args: ["--sim", "--out", "MARK/out", "--bin-dir", "MARK/no-such-bin-dir"],
            names: "--bin-dir"),
        Case(
            tool: "kp-run", args: ["--out", "MARK/out"], env: ["APISERVER_BIN": "MARK/no-such-apiserver"],
            names: "APISERVER_BIN"),
        Case(
            tool: "kp-run", args: ["--out", "MARK/out"], env: ["APISERVER_DIR": "MARK/no-such-checkout"],
            names: "APISERVER_DIR"),
        Case(
            tool: "kp-run", args: ["--out", "MARK/out"], env: ["APISERVER_URL": "127.0.0.1:6443"],
            names: "APISERVER_URL"),
        Case(tool: "kp-run", args: ["--sim", "--out", "MARK/out", "--clusters"], names: "--clusters"),
        // kp-launch
        Case(
            tool: "kp-launch", args: ["up", "--run-dir", "MARK/r", "--sim", "--ready-timeout", "soon"],
            names: "--ready-timeout"),
        Case(tool: "kp-launch", args: ["up", "--run-dir", "MARK/r", "--mode", "cloud"], names: "--mode"),
        Case(tool: "kp-launch", args: ["up", "--run-dir", "MARK/r", "--port", "0", "--sim"], names: "--port"),
        Case(
            tool: "kp-launch", args: ["up", "--run-dir", "MARK/r", "--sim", "--stall-timeout", "0s"],
            names: "--stall-timeout"),
        Case(
            tool: "kp-launch",
            args: [
                "up", "--run-dir", "MARK/r", "--apiserver-bin", "/bin/true", "--apiserver-url", "https://127.0.0.1:1",
            ],
            names: "--apiserver-url"),
        Case(
            tool: "kp-launch", args: ["up", "--run-dir", "MARK/r", "--kubeconfig", "MARK/no-such-kubeconfig"],
            names: "kubeconfig"),
        Case(
            tool: "kp-launch",
            args: [
                "up", "--run-dir", "MARK/r", "--apiserver-url", "https://127.0.0.1:1", "--token-file", "MARK/no-token",
            ],
            names: "no-token"),
        Case(
            tool: "kp-launch",
            args: [
                "up", "--run-dir", "MARK/r", "--apiserver-url", "https://127.0.0.1:1", "--token-file", "MARK/token",
                "--ca-file", "MARK/no-ca",
            ],
            names: "no-ca"),
        Case(tool: "kp-launch", args: ["up", "--run-dir", "MARK/r", "--sim", "--pull", "never"], names: "--pull"),
        // kp-bootstrap
        Case(tool: "kp-bootstrap", args: ["--url", "https://127.0.0.1:1", "--clusters", "0"], names: "--clusters"),
        Case(tool: "kp-bootstrap", args: ["--url", "https://127.0.0.1:1", "--workers", "-1"], names: "--workers"),
        Case(
            tool: "kp-bootstrap", args: ["--url", "https://127.0.0.1:1", "--crds-per-cluster", "0"],
            names: "--crds-per-cluster"),
        Case(
            tool: "kp-bootstrap", args: ["--url", "https://127.0.0.1:1", "--crds-per-cluster", "1001"],
            names: "--crds-per-cluster"),
        Case(
            tool: "kp-run", args: ["--sim", "--crds-per-cluster", "0", "--out", "MARK/out"], names: "--crds-per-cluster"
        ),
        Case(tool: "kp-run", args: ["--sim", "--crd-sweep", "1 1", "--out", "MARK/out"], names: "--crd-sweep"),
        Case(
            tool: "kp-run", args: ["--sim", "--crd-sweep", "1 2", "--sizes", "2 4", "--out", "MARK/out"],
            names: "--crd-sweep"),
        Case(
            tool: "kp-bootstrap", args: ["--url", "https://127.0.0.1:1", "--teardown", "--first-request"],
            names: "--first-request"),
        Case(
            tool: "kp-bootstrap", args: ["--url", "https://127.0.0.1:1", "--backoff-jitter", "2"],
            names: "--backoff-jitter"),
        Case(
            tool: "kp-bootstrap", args: ["--url", "https://127.0.0.1:1", "--request-timeout", "ten"],
            names: "--request-timeout"),
        Case(
            tool: "kp-bootstrap", args: ["--url", "https://127.0.0.1:1", "--token-file", "MARK/no-token"],
            names: "no-token"),
        Case(tool: "kp-bootstrap", args: ["--endpoint", "MARK/no-endpoint.json"], names: "--endpoint"),
        // kp-scrape
        Case(tool: "kp-scrape", args: ["--url", "https://127.0.0.1:1", "--interval", "abc"], names: "--interval"),
        Case(
            tool: "kp-scrape", args: ["--url", "https://127.0.0.1:1", "--interval", "1s", "--count", "0"],
            names: "--count"),
        Case(
            tool: "kp-scrape", args: ["--url", "https://127.0.0.1:1", "--ca-file", "MARK/no-ca.crt", "--phase", "p"],
            names: "no-ca.crt"
        ),
        Case(tool: "kp-scrape", args: ["--url", "ftp://127.0.0.1:1"], names: "--url"),
        Case(tool: "kp-scrape", args: ["--url", "https://127.0.0.1:1", "--burst", "1"], names: "--burst"),
        Case(
            tool: "kp-scrape", args: ["--url", "https://127.0.0.1:1", "--burst", "5", "--interval", "1s"],
            names: "--interval"),
        Case(tool: "kp-scrape", args: ["--url", "https://127.0.0.1:1", "--idle-window", "1s"], names: "--idle-window"),
        // kp-load
        Case(tool: "kp-load", args: ["--url", "https://127.0.0.1:1", "--hot-percent", "0"], names: "--hot-percent"),
        Case(tool: "kp-load", args: ["--url", "https://127.0.0.1:1", "--scenario", "soak"], names: "--scenario"),
        Case(
            tool: "kp-load", args: ["--url", "https://127.0.0.1:1", "--load-duration", "-5s"], names: "--load-duration"),
        Case(tool: "kp-load", args: ["--url", "https://127.0.0.1:1", "--clusters", "0"], names: "--clusters"),
        Case(
            tool: "kp-load", args: ["--url", "https://127.0.0.1:1", "--snapshot-rps-per-cluster", "-2"],
            names: "--snapshot-rps-per-cluster"),
        Case(
            tool: "kp-load",
            args: ["--url", "https://127.0.0.1:1", "--snapshot-rps-per-cluster", "1", "--snapshot-resources", "a,,b"],
            names: "--snapshot-resources"),
        Case(tool: "kp-load", args: ["--url", "https://127.0.0.1:1", "--snapshot-warm"], names: "--snapshot-warm"),
        Case(
            tool: "kp-load",
            args: ["--url", "https://127.0.0.1:1", "--snapshot-warm-pass", "--snapshot-rps-per-cluster", "1"],
            names: "--snapshot-warm-pass"),
        Case(
            tool: "kp-load", args: ["--url", "https://127.0.0.1:1", "--watchers-per-cluster", "-1"],
            names: "--watchers-per-cluster"),
        Case(
            tool: "kp-load", args: ["--url", "https://127.0.0.1:1", "--watch-resources", "memwidgets,pods"],
            names: "--watch-resources"),
        Case(
            tool: "kp-load", args: ["--url", "https://127.0.0.1:1", "--watch-timeout", "500ms"],
            names: "--watch-timeout"
        ),
        Case(
            tool: "kp-load", args: ["--url", "https://127.0.0.1:1", "--bootstrap", "MARK/no-bootstrap.jsonl"],
            names: "--bootstrap"),
        // kp-report
        Case(tool: "kp-report", args: ["MARK/no-such-run"], names: "no-such-run"),
        Case(
            tool: "kp-report", args: ["end", "--status", "fine", "--phase", "load", "--exit-code", "0"],
            names: "--status"),
        Case(
            tool: "kp-report", args: ["end", "--status", "failed", "--phase", "load", "--exit-code", "300"],
            names: "--exit-code"),
        Case(
            tool: "kp-report", args: ["check", "MARK", "--max-load-error-percent", "120"],
            names: "--max-load-error-percent"),
        Case(tool: "kp-report", args: ["MARK", "--out", "MARK/token"], names: "--out"),
        Case(tool: "kp-report", args: ["MARK", "--budgets", "MARK/token"], names: "token"),
        Case(tool: "kp-report", args: ["compare", "MARK", "MARK"], names: "--"),
        Case(tool: "kp-report", args: ["compare", "MARK", "--", "MARK/no-such-run"], names: "no-such-run"),
        Case(tool: "kp-report", args: ["compare", "--", "MARK"], names: "side A is empty"),
        Case(tool: "kp-report", args: ["compare", "--alpha", "1.5", "MARK", "--", "MARK"], names: "--alpha"),
        Case(
            tool: "kp-report", args: ["compare", "--thresholds", "MARK/no-such.yaml", "MARK", "--", "MARK"],
            names: "no-such.yaml"),
        Case(tool: "kp-report", args: ["compare", "--thresholds", "MARK/token", "MARK", "--", "MARK"], names: "token"),
        Case(tool: "kp-report", args: ["sweep", "MARK/no-such-run"], names: "no-such-run"),
        Case(tool: "kp-report", args: ["sweep", "MARK"], names: "two or more"),
        Case(tool: "kp-report", args: ["capacity", "MARK", "--shard", "cpu=8,memory=16Gi"], names: "holds no sweep"),
        Case(tool: "kp-report", args: ["capacity", "MARK", "--shard", "cpu=8,memory=lots"], names: "--shard"),
        Case(
            tool: "kp-report", args: ["capacity", "MARK", "--shard", "memory=16Gi", "--target", "120%"],
            names: "--target"),
        Case(
            tool: "kp-report", args: ["capacity", "MARK", "--shard", "memory=16Gi", "--mix", "idle=80,hot=10"],
            names: "--mix"),
        // kp-sim
        Case(tool: "kp-sim", args: ["--secure-port=0", "--fault-crash-after=soon"], names: "--fault-crash-after"),
        Case(tool: "kp-sim", args: ["--secure-port=0", "--fault-error-rate=1.5"], names: "--fault-error-rate"),
        Case(tool: "kp-sim", args: ["--secure-port=0", "--fault-stall=2s"], names: "--fault-stall"),
        Case(
            tool: "kp-sim", args: ["--secure-port=0", "--token-auth-file=MARK/no-tokens.csv"], names: "no-tokens.csv"),
        Case(tool: "kp-sim", args: ["--secure-port=0", "--bind-address=0.0.0.0"], names: "--bind-address"),
        // The wire check of kp-load's latencies (docs/load.md).
        Case(tool: "scripts/wire-latency.py", args: ["analyze", "MARK/none.tsv"], names: "none.tsv"),
        Case(tool: "scripts/wire-latency.py", args: ["analyze", "a", "b", "c"], names: "one or two capture files"),
    ]

    @Test(arguments: cases)
    func oneLineExitTwoNothingStarted(_ c: Case) throws {
        let mark = try ToolRunner.tempDir("badinput")
        defer { try? FileManager.default.removeItem(atPath: mark) }
        // A readable token for the cases whose bad input comes after the token check.
        try "t0k3n\n".write(toFile: "\(mark)/token", atomically: true, encoding: .utf8)
        let args = c.args.map { $0.replacingOccurrences(of: "MARK", with: mark) }
        var env = c.env.mapValues { $0.replacingOccurrences(of: "MARK", with: mark) }
        for key in ["APISERVER_BIN", "APISERVER_DIR", "APISERVER_URL", "TOKEN_FILE", "CA_FILE", "ETCD_ENDPOINTS"]
        where env[key] == nil {
            env[key] = ""
        }
        let path = c.tool.hasPrefix("scripts/") ? "\(ToolRunner.repoRoot)/\(c.tool)" : c.tool
        let fullArgs = c.tool == "kp-run" ? ["--bin-dir", ToolRunner.binDir] + args : args
        let r = try ToolRunner.run(path, fullArgs, env: env, cwd: mark, timeout: 60)
        #expect(r.status == 2, "\(c): exit \(r.status), stderr: \(r.stderr)")
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count == 1, "\(c): expected one stderr line, got \(lines.count): \(r.stderr)")
        #expect(r.stderr.contains(c.names), "\(c): the line does not name \(c.names): \(r.stderr)")
        #expect(r.stdout.isEmpty, "\(c): stdout must stay empty (records only): \(r.stdout)")
        #expect(
            ProcessTable.alive(matching: mark).isEmpty,
            "\(c): left running: \(ProcessTable.alive(matching: mark).map(\.cmdline))")
        // Nothing started means no run left behind either.
        for leftover in ["out/bootstrap-200", "out/mixed-hot-200", "r/endpoint.json", "r/target"] {
            #expect(!FileManager.default.fileExists(atPath: "\(mark)/\(leftover)"), "\(c): left \(leftover)")
        }
        if c.tool == "kp-run" {
            // No run directory of any name under --out.
            let left = (try? FileManager.default.contentsOfDirectory(atPath: "\(mark)/out")) ?? []
            #expect(left.isEmpty, "\(c): left \(left) in --out")
        }
    }

    /// An out directory that already holds a run is refused without --force, and its records are untouched.
    @Test func existingRunIsRefusedWithoutForce() throws {
        let mark = try ToolRunner.tempDir("badinput-existing")
        defer { try? FileManager.default.removeItem(atPath: mark) }
        let dir = "\(mark)/out/demo"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let record = "{\"kind\":\"run_meta\"}\n"
        try record.write(toFile: "\(dir)/meta.jsonl", atomically: true, encoding: .utf8)
        let r = try ToolRunner.run(
            "\(ToolRunner.binDir)/kp-run",
            ["--bin-dir", ToolRunner.binDir, "--sim", "--out", "\(mark)/out", "--run", "demo"],
            env: ["APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": ""], timeout: 60)
        #expect(r.status == 2)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("--force"), "\(r.stderr)")
        #expect(try String(contentsOfFile: "\(dir)/meta.jsonl", encoding: .utf8) == record)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["meta.jsonl"])
    }

    /// make passes a bad variable through to kp-run, which refuses it the same way.
    @Test func makeWithBadVariableExitsTwo() throws {
        let mark = try ToolRunner.tempDir("badinput-make")
        defer { try? FileManager.default.removeItem(atPath: mark) }
        let r = try ToolRunner.run(
            "/usr/bin/make",
            ["-s", "demo", "NO_BUILD=1", "BIN_DIR=\(ToolRunner.binDir)", "OUT=\(mark)/out", "DEMO_CLUSTERS=-4"],
            env: ["APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": ""], cwd: ToolRunner.repoRoot, timeout: 60)
        #expect(r.status != 0)
        #expect(r.stderr.contains("kp-run: error: --clusters must be a whole number >= 1 (got '-4')"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(mark)/out/demo"))
    }

    /// `make compare-bins` with nothing that makes B differ from A stops before anything starts.
    @Test func compareBinsWithoutADifferenceExitsTwo() throws {
        let mark = try ToolRunner.tempDir("badinput-cmp")
        defer { try? FileManager.default.removeItem(atPath: mark) }
        let r = try ToolRunner.run(
            "/usr/bin/make",
            [
                "-s", "compare-bins", "NO_BUILD=1", "BIN_DIR=\(ToolRunner.binDir)", "OUT=\(mark)/out", "SIM=1",
                "SCENARIO=mixed-hot", "CLUSTERS=10", "REPEAT=2",
            ],
            env: ["APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": ""], cwd: ToolRunner.repoRoot, timeout: 60)
        #expect(r.status != 0)
        let line = r.stderr.split(separator: "\n").first { $0.hasPrefix("kp-run: error: ") } ?? ""
        #expect(line.contains("A_BIN") && line.contains("B_SCENARIO"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(mark)/out"))
    }
}
