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

    /// Runs `path` with `args`, waiting at most `timeout` seconds (then SIGKILL and status -1). With
    /// `signal`, sends it once to the tool the first time `when` returns true (checked every 20 ms).
    static func run(
        _ path: String, _ args: [String], env: [String: String] = [:], cwd: String? = nil, timeout: Double = 120,
        signal: (number: Int32, when: () -> Bool)? = nil
    ) throws -> Result {
        let p = Process()
        // Through env(1) with default signal handling: this test process may have set SIGINT/SIGTERM
        // to SIG_IGN (in-process signal watchers), which a child would inherit and bash could not trap.
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["--default-signal=INT,TERM,HUP,QUIT", path.hasPrefix("/") ? path : "\(binDir)/\(path)"] + args
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        let start = Date()
        try p.run()
        let outData = Locked(Data())
        let errData = Locked(Data())
        let g = DispatchGroup()
        for (pipe, box) in [(out, outData), (err, errData)] {
            g.enter()
            DispatchQueue.global().async {
                let d = pipe.fileHandleForReading.readDataToEndOfFile()
                box.set(d)
                g.leave()
            }
        }
        let deadline = Date().addingTimeInterval(timeout)
        var signalled = signal == nil
        while p.isRunning && Date() < deadline {
            if !signalled, let signal, signal.when() {
                kill(p.processIdentifier, signal.number)
                signalled = true
            }
            usleep(20_000)
        }
        var status: Int32
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            status = -1
        } else {
            status = p.terminationStatus
        }
        _ = g.wait(timeout: .now() + 10)
        return Result(
            status: status, stdout: String(decoding: outData.get(), as: UTF8.self),
            stderr: String(decoding: errData.get(), as: UTF8.self), seconds: Date().timeIntervalSince(start))
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

final class Locked<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ v: T) { value = v }
    func get() -> T {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
    func set(_ v: T) {
        lock.lock()
        value = v
        lock.unlock()
    }
}
