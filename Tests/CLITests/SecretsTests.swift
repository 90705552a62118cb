import Foundation
import KPRecords
import KPTestSupport
import Testing

/// The run's bearer token never leaks, everything listens on loopback only, and TLS is verified
/// unless the user says otherwise (and then the summary says so).
@Suite(.serialized) struct SecretsTests {
    /// Listening TCP sockets (`ss -ltnp`): local address and the pids that own them.
    static func listeners() -> [(address: String, pids: [Int32])] {
        guard let r = try? ToolRunner.run("/usr/bin/ss", ["-H", "-ltnp"], timeout: 10), r.status == 0 else { return [] }
        return r.stdout.split(separator: "\n").compactMap { line in
            let cols = line.split(separator: " ", omittingEmptySubsequences: true)
            guard cols.count >= 4 else { return nil }
            var pids: [Int32] = []
            var rest = Substring(line)
            while let range = rest.range(of: "pid=") {
                rest = rest[range.upperBound...]
                pids.append(Int32(rest.prefix(while: \.isNumber)) ?? -1)
            }
            return (String(cols[3]), pids)
        }
    }

    /// Every process below `root` (by parent pid), from the process table.
    static func descendants(of root: Int32) -> [ProcessTable.Entry] {
        let all = ProcessTable.all()
        var out: [ProcessTable.Entry] = []
        var frontier: Set<Int32> = [root]
        while !frontier.isEmpty {
            let next = all.filter { frontier.contains($0.ppid) }
            out += next
            frontier = Set(next.map(\.pid))
        }
        return out
    }

    /// A self-signed CA certificate that signed nothing kp-sim serves (openssl is a test dependency).
    static func writeUnrelatedCA(to path: String) throws {
        let r = try ToolRunner.run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "\(path).key", "-out", path, "-subj", "/CN=unrelated-ca", "-days", "1",
            ], timeout: 30)
        try #require(r.status == 0, "openssl could not make a CA: \(r.stderr)")
    }

    /// Every regular file under `dir`, recursively.
    static func files(under dir: String) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
        var out: [String] = []
        while let rel = e.nextObject() as? String {
            var isDir: ObjCBool = false
            let path = "\(dir)/\(rel)"
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue { out.append(path) }
        }
        return out
    }

    @Test func tokenNeverLeavesItsFileAndEverythingListensOnLoopback() throws {
        let out = try ToolRunner.tempDir("secrets")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let dir = "\(out)/run"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "\(ToolRunner.binDir)/kp-run")
        p.arguments = [
            "--bin-dir", ToolRunner.binDir, "--sim", "--scenario", "mixed-hot", "--out", out, "--run", "run",
            "--clusters", "4",
            "--workers", "2", "--warmup", "2s", "--post-bootstrap-settle", "1s", "--steady-wait", "1s",
            "--load-duration", "3s",
            // --max-lag 1s: a busy CI machine must not make it generator-limited
            "--hot-percent", "50", "--series-interval", "1s", "--max-lag", "1s",
        ]
        var env = ProcessInfo.processInfo.environment
        for key in ["APISERVER_BIN", "APISERVER_DIR", "APISERVER_URL"] { env[key] = nil }
        p.environment = env
        let stdoutFile = "\(out)/kp-run.stdout"
        let stderrFile = "\(out)/kp-run.stderr"
        _ = FileManager.default.createFile(atPath: stdoutFile, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrFile, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutFile))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrFile))
        try p.run()

        // While it runs: capture the token, every command line and every listening socket of the run's processes.
        var token: String?
        var tokenMode: UInt16?
        var cmdlines: [Int32: String] = [:]
        var sockets: [String: String] = [:]  // address → command line
        let deadline = Date().addingTimeInterval(150)
        while p.isRunning && Date() < deadline {
            if token == nil, let t = try? String(contentsOfFile: "\(dir)/target/token", encoding: .utf8),
                !t.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            {
                token = t.trimmingCharacters(in: .whitespacesAndNewlines)
                let attrs = try? FileManager.default.attributesOfItem(atPath: "\(dir)/target/token")
                tokenMode = (attrs?[.posixPermissions] as? NSNumber)?.uint16Value
            }
            let procs = Self.descendants(of: p.processIdentifier)
            for e in procs where !e.cmdline.isEmpty { cmdlines[e.pid] = e.cmdline }
            let pids = Set(procs.map(\.pid) + [p.processIdentifier])
            for l in Self.listeners() where l.pids.contains(where: pids.contains) {
                sockets[l.address] = procs.first { l.pids.contains($0.pid) }?.cmdline ?? "?"
            }
            usleep(100_000)
        }
        if p.isRunning {
            p.terminate()
            p.waitUntilExit()
        }
        p.waitUntilExit()
        #expect(
            p.terminationStatus == 0,
            "kp-run failed: \(String(decoding: FileManager.default.contents(atPath: stderrFile) ?? Data(), as: UTF8.self))"
        )
        try RunChecks.samplesExactlyOnce(dir, scenario: "mixed-hot", run: "run")

        let secret = try #require(token, "never saw \(dir)/target/token while the run was up")
        // Random, at least 128 bits: 32+ hex digits or 22+ base64 characters, and no obvious pattern.
        #expect(secret.count >= 22, "token too short: \(secret.count) characters")
        #expect(Set(secret).count >= 10, "token has too few distinct characters")
        #expect(tokenMode == 0o600, "token file mode \(String(tokenMode ?? 0, radix: 8)), expected 600")

        // Never in a process argument of anything the harness started.
        #expect(cmdlines.count >= 5, "saw too few processes of the run to trust this check: \(cmdlines.values)")
        for (pid, cmd) in cmdlines {
            #expect(!cmd.contains(secret), "pid \(pid) has the token in its arguments: \(cmd)")
        }

        // Every listening socket is on loopback; kp-sim listened (so the check saw something).
        #expect(!sockets.isEmpty, "saw no listening socket of the run")
        for (address, cmd) in sockets {
            #expect(address.hasPrefix("127.0.0.1:"), "\(cmd) listens on \(address), not 127.0.0.1")
        }

        // Never in any file of the run (records, logs, summary, CSV, pprof), nor on kp-run's stdout/stderr.
        let data = Data(secret.utf8)
        var checked = 0
        for path in Self.files(under: dir) + [stdoutFile, stderrFile] {
            let contents = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(contents.range(of: data) == nil, "the token is in \(path)")
            checked += 1
        }
        #expect(checked >= 10, "only \(checked) files to check")
        // The secrets are removed once the run ends.
        for f in ["target/token", "target/tokens.csv", "target/sa.key"] {
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/\(f)"), "\(f) left behind")
        }
        #expect(ProcessTable.alive(matching: out).isEmpty)
    }

    /// url mode: the target's CA is required (verification on by default), and
    /// --insecure-skip-tls-verify works only when asked for and is printed in the summary.
    @Test func urlModeVerifiesTLSAndReportsInsecure() throws {
        let work = try ToolRunner.tempDir("secrets-url")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let sim = try ToolRunner.urlModeSim(work)
        defer { sim.stop() }
        let token = try String(contentsOfFile: "\(work)/token", encoding: .utf8)
        let url = "https://127.0.0.1:\(sim.port)"
        let base = [
            "--bin-dir", ToolRunner.binDir, "--scenario", "bootstrap", "--clusters", "2", "--workers", "2", "--warmup",
            "0s",
            "--post-bootstrap-settle", "0s", "--steady-wait", "0s", "--series-interval", "1s", "--out", "\(work)/out",
        ]
        let env = [
            "APISERVER_URL": url, "TOKEN_FILE": "\(work)/token", "APISERVER_BIN": "", "APISERVER_DIR": "",
            "CA_FILE": "",
        ]

        // No CA given: verification is on by default, so the run refuses before it starts anything
        // and names the two ways out.
        let refused = try ToolRunner.run(
            "\(ToolRunner.binDir)/kp-run", base + ["--run", "no-ca", "--", "--ready-timeout", "3s"], env: env,
            timeout: 90)
        #expect(refused.status == 2, "exit \(refused.status): \(refused.stderr)")
        #expect(
            refused.stderr.contains("--ca-file") && refused.stderr.contains("--insecure-skip-tls-verify"),
            "\(refused.stderr)")

        // A CA that did not sign the server's certificate: the TLS failure is named (exit 11, never ready).
        var wrongCA = env
        wrongCA["CA_FILE"] = "\(work)/wrong-ca.crt"
        try Self.writeUnrelatedCA(to: "\(work)/wrong-ca.crt")
        let mistrusted = try ToolRunner.run(
            "\(ToolRunner.binDir)/kp-run", base + ["--run", "wrong-ca", "--", "--ready-timeout", "3s"], env: wrongCA,
            timeout: 90)
        #expect(mistrusted.status == 11, "exit \(mistrusted.status): \(mistrusted.stderr)")
        let mistrustedLog =
            (try? String(contentsOfFile: "\(work)/out/wrong-ca/logs/kp-launch.log", encoding: .utf8)) ?? ""
        #expect(mistrustedLog.contains("TLS") || mistrustedLog.contains("certificate"), "\(mistrustedLog)")

        // With the server's CA: verified, and the summary does not mention skipping verification.
        var withCA = env
        withCA["CA_FILE"] = "\(work)/certs/apiserver.crt"
        let verified = try ToolRunner.run(
            "\(ToolRunner.binDir)/kp-run", base + ["--run", "ca"], env: withCA, timeout: 90)
        #expect(verified.status == 0, "exit \(verified.status): \(verified.stderr)")
        let verifiedSummary = (try? String(contentsOfFile: "\(work)/out/ca/summary.md", encoding: .utf8)) ?? ""
        #expect(!verifiedSummary.contains("insecure-skip-tls-verify"))

        // Explicitly insecure: works, and summary.md says so.
        let insecure = try ToolRunner.run(
            "\(ToolRunner.binDir)/kp-run",
            base + ["--run", "insecure", "--allow-existing", "--", "--insecure-skip-tls-verify"], env: env, timeout: 90)
        #expect(insecure.status == 0, "exit \(insecure.status): \(insecure.stderr)")
        let summary = (try? String(contentsOfFile: "\(work)/out/insecure/summary.md", encoding: .utf8)) ?? ""
        #expect(summary.contains("--insecure-skip-tls-verify"), "summary.md does not say TLS verification was off")
        // The user's token file is the user's: url mode neither copies nor prints it.
        for dir in ["\(work)/out/ca", "\(work)/out/insecure"] {
            for path in Self.files(under: dir) {
                let contents = try Data(contentsOf: URL(fileURLWithPath: path))
                #expect(contents.range(of: Data(token.utf8)) == nil, "the token is in \(path)")
            }
        }
        #expect(ProcessTable.alive(matching: "\(work)/out").isEmpty)
    }
}
