import Foundation
import KPRecords
import KPTestSupport
import Testing

/// Runs the built kp-launch (and kp-sim) from the scratch path's debug folder, as a user would,
/// and inspects the process table and run directory afterwards.
enum LaunchHarness {
    /// The folder holding the built tools: the one this test binary was built into (or `KP_BIN_DIR`).
    static var binDir: String { BuiltTools.binDir }

    static var kpLaunch: String { binDir + "/kp-launch" }
    static var kpSim: String { binDir + "/kp-sim" }

    /// Records an issue (failing the test) unless the built tools exist.
    static func requireBuiltTools() -> Bool {
        for tool in [kpLaunch, kpSim] where !FileManager.default.isExecutableFile(atPath: tool) {
            Issue.record(
                "\(tool) is not built: run swift build --product kp-launch --product kp-sim with the same scratch path first"
            )
            return false
        }
        return true
    }

    /// Finds an external command in PATH, failing the test with the Debian package to install when missing.
    static func requireCommand(_ name: String, aptPackage: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        Issue.record("\(name) is not on PATH: install it (apt-get install \(aptPackage))")
        return nil
    }

    /// A fresh temporary directory; remove it with `cleanUp`.
    static func tempDir(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kplaunch-\(name)-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The result of a finished command.
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `path args` to completion (SIGKILL after `timeout` seconds, status -1).
    static func run(_ path: String, _ args: [String], env: [String: String] = [:], timeout: Double = 60) throws
        -> Result
    {
        let dir = try tempDir("run")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let process = try start(path, args, env: env, stdout: dir + "/out", stderr: dir + "/err")
        let status =
            waitForExit(process, timeout: timeout)
            ?? {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return -1
            }()
        return Result(status: status, stdout: read(dir + "/out"), stderr: read(dir + "/err"))
    }

    /// Starts `path args` in the background with stdout/stderr going to files.
    static func start(_ path: String, _ args: [String], env: [String: String] = [:], stdout: String, stderr: String)
        throws -> Process
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in env { environment[key] = value }
        process.environment = environment
        _ = FileManager.default.createFile(atPath: stdout, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: stdout)
        process.standardError = FileHandle(forWritingAtPath: stderr)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The exit status once `process` ends, or nil after `timeout` seconds.
    static func waitForExit(_ process: Process, timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { return nil }
        return process.terminationStatus
    }

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// A kp-launch up running in the background, with its run directory.
    final class Run {
        let dir: String
        let runDir: String
        let process: Process
        var stdoutPath: String { dir + "/launch.stdout" }
        var stderrPath: String { dir + "/launch.stderr" }

        init(name: String, args: [String], env: [String: String] = [:]) throws {
            dir = try LaunchHarness.tempDir(name)
            runDir = dir + "/out/\(name)"
            process = try LaunchHarness.start(
                LaunchHarness.kpLaunch, ["up", "--run-dir", runDir] + args, env: env,
                stdout: dir + "/launch.stdout", stderr: dir + "/launch.stderr")
        }

        /// Waits for endpoint.json; nil (with the launcher's stderr recorded) if it exits or times out first.
        func waitForEndpoint(timeout: Double = 30) -> EndpointRecord? {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let text = try? String(contentsOfFile: runDir + "/endpoint.json", encoding: .utf8),
                    text.hasSuffix("\n"),
                    case .endpoint(let record) = try? RecordCodec.decode(Data(text.utf8), location: "endpoint.json")
                {
                    return record
                }
                if !process.isRunning { break }
                usleep(50_000)
            }
            Issue.record(
                "no endpoint.json from kp-launch (status \(process.isRunning ? "running" : "\(process.terminationStatus)")): \(LaunchHarness.read(stderrPath))"
            )
            return nil
        }

        /// The records kp-launch printed on stdout.
        var records: [Record] {
            (try? JSONLReader.read(path: stdoutPath))?.compactMap { try? $0.get() } ?? []
        }

        var stderr: String { LaunchHarness.read(stderrPath) }

        /// Stops whatever is still running (test failure paths) and deletes the temp dir.
        func cleanUp(extraPids: [Int32] = []) {
            if process.isRunning {
                kill(process.processIdentifier, SIGTERM)
                if LaunchHarness.waitForExit(process, timeout: 20) == nil {
                    kill(process.processIdentifier, SIGKILL)
                    process.waitUntilExit()
                }
            }
            for pid in extraPids where pid > 0 { kill(-pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    // MARK: - Process table

    /// One line of /proc/<pid>/stat.
    struct ProcStat {
        var pid: Int32
        var state: Character
        var ppid: Int32
        var pgid: Int32
    }

    /// Every process in /proc.
    static func processTable() -> [ProcStat] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> ProcStat? in
            guard let pid = Int32(entry),
                let text = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = text.lastIndex(of: ")")
            else { return nil }
            let fields = text[text.index(after: close)...].split(separator: " ")
            guard fields.count > 3, let state = fields[0].first, let ppid = Int32(fields[1]),
                let pgid = Int32(fields[2])
            else { return nil }
            return ProcStat(pid: pid, state: state, ppid: ppid, pgid: pgid)
        }
    }

    /// Processes (zombies included) that are, or belong to the process group of, or are children of, any of `pids`.
    static func leftovers(of pids: [Int32]) -> [ProcStat] {
        let set = Set(pids.filter { $0 > 0 })
        return processTable().filter { set.contains($0.pid) || set.contains($0.pgid) || set.contains($0.ppid) }
    }

    /// Waits up to `timeout` seconds for `leftovers(of:)` to be empty; returns what is left.
    static func waitNoLeftovers(_ pids: [Int32], timeout: Double = 5) -> [ProcStat] {
        let deadline = Date().addingTimeInterval(timeout)
        var left = leftovers(of: pids)
        while !left.isEmpty && Date() < deadline {
            usleep(50_000)
            left = leftovers(of: pids)
        }
        return left
    }

    /// `/proc/<pid>/cmdline` with NULs as spaces ("" when gone).
    static func commandLine(_ pid: Int32) -> String {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else { return "" }
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }

    /// The file's permission bits.
    static func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? NSNumber)?.intValue ?? -1
    }

    /// Every regular file's content under `dir`, for secret scans.
    static func allFileContents(under dir: String) -> [(String, String)] {
        guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
        var out: [(String, String)] = []
        while let rel = e.nextObject() as? String {
            let path = dir + "/" + rel
            if let text = try? String(contentsOfFile: path, encoding: .utf8) { out.append((path, text)) }
        }
        return out
    }

    /// Runs kubectl with a kubeconfig, retrying while the output does not satisfy `until` (VCP bootstrap takes a moment).
    static func kubectl(
        _ kubectl: String, kubeconfig: String, _ args: [String], until: (Result) -> Bool, timeout: Double = 10
    ) throws -> Result {
        let deadline = Date().addingTimeInterval(timeout)
        var result = try run(kubectl, ["--kubeconfig", kubeconfig] + args, timeout: 20)
        while !until(result) && Date() < deadline {
            usleep(200_000)
            result = try run(kubectl, ["--kubeconfig", kubeconfig] + args, timeout: 20)
        }
        return result
    }
}
