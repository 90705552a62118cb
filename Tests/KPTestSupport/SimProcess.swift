import Foundation

/// The built kp-sim as a child process: started with `arguments` plus `--sim-port-file`, its port read
/// once it listens, its exit status kept, and stopped with SIGTERM (then SIGKILL). The one kp-sim
/// launcher of the tests (``SimProcess``, KPLoadTests' `SimServer` and KPSimTests' `SpawnedSim` use it).
public final class SimLauncher: @unchecked Sendable {
    /// The child process.
    public let process = Process()
    /// The port kp-sim reported (0 when started with `waitForPort: false`).
    public private(set) var port = 0
    private let exitStatus = ExitStatusBox()

    /// Starts kp-sim. `stdout`/`stderr` are files to append to (nil: discarded); with `waitForPort`
    /// it waits up to `timeout` for the port and throws (after stopping kp-sim) when none comes.
    public init(
        arguments: [String], portFile: String, stdout: String? = nil, stderr: String? = nil, binary: String? = nil,
        waitForPort: Bool = true, timeout: Duration = .seconds(30)
    ) throws {
        process.executableURL = URL(fileURLWithPath: try binary ?? BuiltTools.path("kp-sim"))
        process.arguments = arguments + ["--sim-port-file=\(portFile)"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try Self.handle(stdout)
        process.standardError = stderr == stdout ? process.standardOutput : try Self.handle(stderr)
        let box = exitStatus
        process.terminationHandler = { process in box.set(process.terminationStatus) }
        try process.run()
        guard waitForPort else { return }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, exitCode == nil {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8),
                let p = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), p > 0
            {
                port = p
                return
            }
            usleep(20_000)
        }
        let early = exitCode.map { "exited with status \($0)" } ?? "did not report its port within \(timeout)"
        stop()
        throw BuiltTools.Missing("kp-sim \(early)")
    }

    private static func handle(_ path: String?) throws -> FileHandle {
        guard let path else { return FileHandle.nullDevice }
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        h.seekToEndOfFile()
        return h
    }

    public var pid: Int32 { process.processIdentifier }
    /// The exit status once kp-sim has exited.
    public var exitCode: Int32? { exitStatus.get() }

    /// SIGTERM, up to `grace` to exit, then SIGKILL; waits for the exit.
    public func stop(grace: Duration = .seconds(5)) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + grace
        while process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

private final class ExitStatusBox: @unchecked Sendable {
    private let lock = NSLock()
    private var status: Int32?
    func set(_ s: Int32) { lock.withLock { status = s } }
    func get() -> Int32? { lock.withLock { status } }
}

/// Runs the built kp-sim on a free loopback port (`--secure-port=0` + `--sim-port-file`) with a token
/// CSV and a self-signed certificate in a temp dir; stops it and removes the dir on deinit.
public final class SimProcess {
    public let url: String
    public let tokenFile: String
    public let caFile: String
    public let dir: String
    private let launcher: SimLauncher

    /// `prefix` names the temp dir (which test made it).
    public init(prefix: String = "kptest", extraArgs: [String] = []) throws {
        dir = try SimFixture.makeWorkDir(prefix: prefix + "-sim")
        tokenFile = dir + "/token"
        caFile = dir + "/certs/apiserver.crt"
        do {
            launcher = try SimLauncher(
                arguments: [
                    "--secure-port=0", "--bind-address=127.0.0.1", "--cert-dir=\(dir)/certs",
                    "--token-auth-file=\(dir)/tokens.csv",
                    "--authorization-mode=RBAC",
                ] + extraArgs,
                portFile: dir + "/port", stdout: dir + "/sim.log", stderr: dir + "/sim.log")
        } catch {
            let logText = (try? String(contentsOfFile: dir + "/sim.log", encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: dir)
            throw BuiltTools.Missing("\(error): \(logText.suffix(500))")
        }
        url = "https://127.0.0.1:\(launcher.port)"
    }

    public func stop() {
        launcher.stop()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: dir)
    }
}

/// The products `swift build` built beside the test bundle: the one place every test finds them.
public enum BuiltTools {
    public struct Missing: Error, CustomStringConvertible {
        public var description: String
        public init(_ d: String) { description = d }
    }

    /// The folder holding the built tools: `KP_BIN_DIR`, else the folder this test binary was built
    /// into (…/<scratch>/debug/kp-benchPackageTests.xctest is a file on Linux).
    public static let binDir: String = {
        if let d = ProcessInfo.processInfo.environment["KP_BIN_DIR"], !d.isEmpty { return d }
        let exe =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe)
        while url.pathComponents.count > 1
            && !FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("kp-report").path)
        {
            url.deleteLastPathComponent()
        }
        return url.path
    }()

    public static func path(_ name: String) throws -> String {
        let found = "\(binDir)/\(name)"
        guard FileManager.default.isExecutableFile(atPath: found) else {
            throw Missing(
                "\(name) is not built next to the tests (looked in \(binDir)): run `swift build --product \(name)` with the same --scratch-path first"
            )
        }
        return found
    }

    /// Runs a tool to its end (``ProcessRunner``): (exit status, stdout, stderr).
    public static func run(_ path: String, _ args: [String], stdin: Data? = nil) throws -> (
        status: Int32, stdout: Data, stderr: String
    ) {
        let r = try ProcessRunner.run(path, args, stdin: stdin)
        return (r.status, r.stdout, r.stderrText)
    }
}
