import Foundation
import KPTestSupport

/// Runs the built kp-* tools as a user would, for the CLI and end-to-end tests.
enum ToolRunner {
    /// The folder holding the built tools: the one this test binary was built into.
    static var binDir: String { BuiltTools.binDir }

    /// The package root (where Makefile and scripts/ are).
    static let repoRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var seconds: Double
    }

    /// Runs a built tool (a bare name) or any program (a path) through ``KPTestSupport/ProcessRunner``.
    static func run(
        _ path: String, _ args: [String], env: [String: String] = [:], cwd: String? = nil, timeout: Double = 120,
        signal: (number: Int32, when: () -> Bool)? = nil
    ) throws -> Result {
        let r = try ProcessRunner.run(
            path.hasPrefix("/") ? path : "\(binDir)/\(path)", args, env: env, cwd: cwd, timeout: timeout, signal: signal
        )
        return Result(status: r.status, stdout: r.stdoutText, stderr: r.stderrText, seconds: r.seconds)
    }

    /// A kp-sim a url-mode run can reach: a fresh admin token (`work/token`, 0600, and the server's
    /// `work/tokens.csv`) and serving certificates under `work/certs` (the CA is `certs/apiserver.crt`).
    static func urlModeSim(_ work: String) throws -> SimLauncher {
        let token = (0..<32).map { _ in String(format: "%x", Int.random(in: 0..<16)) }.joined()
        try "\(token),kpbench,1,\"system:masters\"\n".write(
            toFile: "\(work)/tokens.csv", atomically: true, encoding: .utf8)
        try token.write(toFile: "\(work)/token", atomically: true, encoding: .utf8)
        chmod("\(work)/token", 0o600)
        return try SimLauncher(
            arguments: ["--secure-port=0", "--cert-dir=\(work)/certs", "--token-auth-file=\(work)/tokens.csv"],
            portFile: "\(work)/port", binary: "\(binDir)/kp-sim", timeout: .seconds(10))
    }

    static func tempDir(_ name: String) throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kpbench-\(name)-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }
}
