import Foundation
import Testing

/// A tool's failure reaches the user in the tool's own words: on kp-run's last line and in summary.md,
/// not only in the tool's log.
@Suite struct ToolWordsTests {
    /// Docker mode (no target given) on a machine without a reachable Docker engine, or without docker:
    /// kp-launch stops at once with its own one-line reason, and kp-run passes exactly that line on.
    @Test func launchFailureIsToldInKpLaunchsWords() throws {
        let out = try ToolRunner.tempDir("tool-words")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try ToolRunner.run(
            "kp-run",
            [
                "--bin-dir", ToolRunner.binDir, "--clusters", "2", "--warmup", "1s", "--out", out, "--run", "x",
                "--skip-preflight",
            ],
            env: [
                "APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": "", "DOCKER_HOST": "unix://\(out)/none.sock",
            ],
            timeout: 120)
        #expect(r.status != 0 && r.status != 2, "\(r.stderr)")
        let log = try String(contentsOfFile: "\(out)/x/logs/kp-launch.log", encoding: .utf8)
        let own = try #require(
            log.split(separator: "\n").last { $0.hasPrefix("kp-launch: error: ") }, "kp-launch said nothing: \(log)")
        let reason = String(own.dropFirst("kp-launch: error: ".count).prefix(120))
        let last = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.contains("phase 'launch'") && last.contains(reason), "last line: \(last)")
        #expect(!last.contains("see logs/kp-launch.log"), "\(last)")
        let summary = try String(contentsOfFile: "\(out)/x/summary.md", encoding: .utf8)
        #expect(summary.contains(reason), "summary.md lacks kp-launch's reason")
    }
}
