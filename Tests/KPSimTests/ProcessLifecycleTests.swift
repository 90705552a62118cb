import Foundation
import KPPromText
import Testing

@testable import KPSim

@Suite struct ProcessLifecycleTests {
    func failingStart(_ extra: [String], dir: String, replacing: [String: String] = [:]) async throws
        -> ProcessRunner.Output
    {
        var arguments = Support.smokeArguments(dir: dir, extra: extra)
        for (old, new) in replacing { arguments = arguments.map { $0.replacingOccurrences(of: old, with: new) } }
        return try await ProcessRunner.run(try Support.productPath("kp-sim"), arguments)
    }

    @Test func refusesToStartWithOneClearLine() async throws {
        let dir = try Support.makeWorkDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let noTokens = try await self.failingStart([], dir: dir, replacing: ["tokens.csv": "missing.csv"])
        #expect(noTokens.exitCode == 2)
        #expect(noTokens.stderr.hasPrefix("--token-auth-file \(dir)/missing.csv: cannot read it"))
        #expect(noTokens.stderr.split(separator: "\n").count == 1)
        let noKey = try await self.failingStart([], dir: dir, replacing: ["sa.key": "nokey"])
        #expect(
            noKey.exitCode == 2 && noKey.stderr.contains("--service-account-")
                && noKey.stderr.split(separator: "\n").count == 1)
        let badFault = try await self.failingStart(["--fault-latency=sometimes"], dir: dir)
        #expect(badFault.exitCode == 2 && badFault.stderr.hasPrefix("--fault-latency: cannot parse 'sometimes'"))
        #expect(badFault.stderr.split(separator: "\n").count == 1)
        // No openssl on PATH (an empty directory) and no certificate yet: exit 2 naming the fix.
        let emptyDir = dir + "/empty-path"
        try FileManager.default.createDirectory(atPath: emptyDir, withIntermediateDirectories: true)
        let noOpenSSL = try await ProcessRunner.run(
            try Support.productPath("kp-sim"), Support.smokeArguments(dir: dir), environment: ["PATH": emptyDir])
        #expect(noOpenSSL.exitCode == 2 && noOpenSSL.stderr.split(separator: "\n").count == 1)
        #expect(
            noOpenSSL.stderr.hasPrefix("--cert-dir \(dir)/certs: openssl is not on PATH")
                && noOpenSSL.stderr.contains("apt-get install openssl"), "\(noOpenSSL.stderr)")
        // Port taken: occupy one with a running instance.
        let first = try await SpawnedSim(arguments: Support.smokeArguments(dir: dir), dir: dir)
        let taken = try await self.failingStart(["--secure-port=\(first.port)"], dir: dir)
        #expect(taken.exitCode == 1)
        #expect(taken.stderr.contains("cannot listen on 127.0.0.1:\(first.port)"))
        #expect(taken.stderr.split(separator: "\n").count == 1)
        #expect(await first.stop() == 0)
    }

    @Test func sigtermShutsDownCleanly() async throws {
        let dir = try Support.makeWorkDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sim = try await SpawnedSim(arguments: Support.smokeArguments(dir: dir), dir: dir)
        #expect(try await sim.curl("/readyz", cluster: "c-1").status == 200)
        // A second start reuses the cert in --cert-dir.
        let cert = try String(contentsOfFile: sim.ca, encoding: .utf8)
        #expect(await sim.stop() == 0)
        #expect(sim.stderr.contains("shutting down"))
        let again = try await SpawnedSim(arguments: Support.smokeArguments(dir: dir), dir: dir)
        #expect(try String(contentsOfFile: again.ca, encoding: .utf8) == cert)
        kill(again.pid, SIGINT)
        #expect(await again.waitForExit() == 0)
    }

    /// Each VCP really costs --sim-vcp-memory-bytes of RSS, and the RSS metric matches /proc.
    @Test func perVCPMemoryReallyGrowsRSS() async throws {
        let dir = try Support.makeWorkDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let perVCP = 4 * 1024 * 1024
        let count = 25
        let sim = try await SpawnedSim(
            arguments: Support.smokeArguments(dir: dir, extra: ["--sim-vcp-memory-bytes=4Mi"]), dir: dir)
        defer { Task { await sim.stop() } }
        // Warm up the HTTP path so the baseline includes it.
        for _ in 0..<3 { _ = try await sim.curl("/metrics") }
        try await Task.sleep(for: .milliseconds(200))
        let before = sim.vmRSS()
        for index in 0..<count { #expect(try await sim.curl("/readyz", cluster: "mem-\(index)").status == 200) }
        try await Task.sleep(for: .milliseconds(500))
        let after = sim.vmRSS()
        let delta = Double(after - before)
        let expected = Double(perVCP * count)
        #expect(abs(delta - expected) / expected < 0.20, "RSS grew \(delta) bytes for \(expected) expected")
        let families = try PromTextParser.parse(try await sim.curl("/metrics").body)
        let rss = families.first { $0.name == "process_resident_memory_bytes" }?.samples.first?.value ?? 0
        let vmRSS = Double(sim.vmRSS())
        #expect(abs(rss - vmRSS) / vmRSS < 0.10, "metric \(rss) vs VmRSS \(vmRSS)")
        let goroutines = families.first { $0.name == "go_goroutines" }?.samples.first?.value ?? 0
        #expect(goroutines >= Double(count * 2), "2 tasks per VCP must be counted: \(goroutines)")
        #expect(await sim.stop() == 0)
    }
}
