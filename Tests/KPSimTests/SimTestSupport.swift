import Foundation
import KPTestSupport
import Logging
import Synchronization
import Testing

@testable import KPSim

/// Shared helpers: temp dirs, in-process servers, the curl CLI as an independent client, spawning the kp-sim binary.
enum Support {
    static let token = SimFixture.token

    /// A fresh temp directory with `tokens.csv` (0600) and an RSA `sa.key` (``SimFixture``).
    static func makeWorkDir() throws -> String {
        try SimFixture.makeWorkDir(prefix: "kpsim-test")
    }

    /// The smoke-test flag set of contract §1.1 (without etcd), plus fast sim delays.
    static func smokeArguments(dir: String, extra: [String] = []) -> [String] {
        SimFixture.contractArguments(
            dir: dir,
            extra: [
                "--v=2", "--sim-namespace-delay=50ms", "--sim-crd-establish-delay=100ms",
                "--sim-vcp-memory-bytes=64Ki",
            ] + extra)
    }

    /// Parses `arguments` into a configuration (failing the test on error).
    static func configuration(_ arguments: [String]) throws -> SimConfiguration {
        guard case .run(let configuration) = try SimArgumentParser.parse(arguments) else {
            throw TestFailure("arguments did not produce a run configuration")
        }
        return configuration
    }

    /// Runs `body` against an in-process server started with the smoke flags plus `extra`; always cleans up.
    static func withServer<T>(
        extra: [String] = [], onCrash: @escaping @Sendable (String) -> Void = { _ in },
        _ body: (TestServer) async throws -> T
    ) async throws -> T {
        let dir = try makeWorkDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var logger = Logger(label: "kp-sim-test")
        logger.logLevel = .warning
        let server = try await SimServer.start(
            try configuration(smokeArguments(dir: dir, extra: extra)), logger: logger, onCrash: onCrash)
        let test = TestServer(server: server, dir: dir)
        do {
            let result = try await body(test)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }

    /// Path of a built product next to the test bundle (kp-sim), or a failure naming the build command.
    static func productPath(_ name: String) throws -> String {
        try BuiltTools.path(name)
    }

    /// The path of an external tool, or a failure naming the Debian package that provides it.
    static func tool(_ path: String, package: String) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestFailure("\(path) is missing: install it with 'apt-get install \(package)'")
        }
        return path
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// An in-process server plus its work dir.
struct TestServer: Sendable {
    let server: SimServer
    let dir: String

    var port: Int { self.server.port }
    var ca: String { self.server.certificatePath }
    var context: SimContext { self.server.context }

    func url(_ path: String, cluster: String? = nil) -> String {
        if let cluster { return "https://127.0.0.1:\(self.port)/clusters/\(cluster)/control-plane\(path)" }
        return "https://127.0.0.1:\(self.port)\(path)"
    }

    /// One request with the curl CLI over HTTP/2 (an independent client).
    func curl(
        _ path: String, cluster: String? = nil, method: String = "GET", body: String? = nil,
        token: String? = Support.token,
        contentType: String = "application/json", extra: [String] = []
    ) async throws -> CurlResult {
        try await Curl.request(
            self.url(path, cluster: cluster), ca: self.ca, method: method, body: body, token: token,
            contentType: contentType, extra: extra)
    }

    /// Polls `path` until it answers `status` (or fails after `timeout`).
    func waitFor(_ path: String, cluster: String? = nil, status: Int = 200, timeout: Duration = .seconds(10))
        async throws -> CurlResult
    {
        let deadline = ContinuousClock.now + timeout
        while true {
            let result = try await self.curl(path, cluster: cluster)
            if result.status == status { return result }
            if ContinuousClock.now > deadline {
                throw TestFailure("\(path) answered \(result.status), not \(status): \(result.body)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

struct CurlResult: Sendable {
    var status: Int
    /// Time from the request being sent to the first response byte (server time plus one round trip).
    var serverSeconds: Double
    var body: String
    var headers: String
    var exitCode: Int32
    var stderr: String

    var json: JSONValue? { try? JSONValue.parse(Array(self.body.utf8)) }
}

enum Curl {
    static func request(
        _ url: String, ca: String, method: String = "GET", body: String? = nil, token: String? = Support.token,
        contentType: String = "application/json", extra: [String] = []
    ) async throws -> CurlResult {
        let curl = try Support.tool("/usr/bin/curl", package: "curl")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: scratch + ".body")
            try? FileManager.default.removeItem(atPath: scratch + ".headers")
            try? FileManager.default.removeItem(atPath: scratch + ".in")
        }
        var arguments = [
            "-sS", "--http2", "--cacert", ca, "-X", method, "-o", scratch + ".body", "-D", scratch + ".headers",
            "-w", "%{http_code} %{time_pretransfer} %{time_starttransfer}", "--max-time", "30",
        ]
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        if let body {
            try Data(body.utf8).write(to: URL(fileURLWithPath: scratch + ".in"))
            arguments += ["-H", "Content-Type: \(contentType)", "--data-binary", "@" + scratch + ".in"]
        }
        arguments += extra + [url]
        let result = try await ProcessRunner.run(curl, arguments)
        let written = result.stdout.split(separator: " ").map(String.init)
        let pretransfer = written.count > 1 ? Double(written[1]) ?? 0 : 0
        let firstByte = written.count > 2 ? Double(written[2]) ?? 0 : 0
        return CurlResult(
            status: written.first.flatMap { Int($0) } ?? 0, serverSeconds: max(0, firstByte - pretransfer),
            body: (try? String(contentsOfFile: scratch + ".body", encoding: .utf8)) ?? "",
            headers: (try? String(contentsOfFile: scratch + ".headers", encoding: .utf8)) ?? "",
            exitCode: result.exitCode, stderr: result.stderr)
    }
}

/// Runs a child process without blocking a cooperative thread (output goes to temp files).
enum ProcessRunner {
    struct Output: Sendable {
        var exitCode: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws
        -> Output
    {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("proc-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err"))
        process.standardInput = FileHandle.nullDevice
        let code: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { process in continuation.resume(returning: process.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        return Output(
            exitCode: code, stdout: (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
    }
}

/// The kp-sim binary running as a child process (for exit codes, signals and clean RSS numbers).
final class SpawnedSim: @unchecked Sendable {
    private let launcher: SimLauncher
    let dir: String
    let stderrPath: String
    var port: Int { launcher.port }

    /// Starts kp-sim with `arguments` (plus `--sim-port-file`); waits for the port unless `expectExit`.
    init(arguments: [String], dir: String, waitForPort: Bool = true) async throws {
        self.dir = dir
        self.stderrPath = dir + "/kp-sim.stderr"
        _ = FileManager.default.createFile(atPath: self.stderrPath, contents: nil)
        let portFile = dir + "/port-\(UUID().uuidString.prefix(6))"
        do {
            self.launcher = try SimLauncher(
                arguments: arguments, portFile: portFile, stderr: self.stderrPath,
                binary: try Support.productPath("kp-sim"),
                waitForPort: waitForPort, timeout: .seconds(20))
        } catch {
            throw TestFailure(
                "kp-sim did not start: \(error): \((try? String(contentsOfFile: dir + "/kp-sim.stderr", encoding: .utf8)) ?? "")"
            )
        }
    }

    var pid: Int32 { self.launcher.pid }
    var exitCode: Int32? { self.launcher.exitCode }
    var stderr: String { (try? String(contentsOfFile: self.stderrPath, encoding: .utf8)) ?? "" }
    var ca: String { self.dir + "/certs/apiserver.crt" }

    /// Waits for the process to exit (SIGKILL after `timeout`); returns the status.
    @discardableResult
    func waitForExit(timeout: Duration = .seconds(10)) async -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let code = self.exitCode { return code }
            try? await Task.sleep(for: .milliseconds(20))
        }
        kill(self.pid, SIGKILL)
        while self.exitCode == nil { try? await Task.sleep(for: .milliseconds(20)) }
        return self.exitCode ?? -1
    }

    /// SIGTERM, then wait.
    @discardableResult
    func stop() async -> Int32 {
        if self.exitCode == nil { kill(self.pid, SIGTERM) }
        return await self.waitForExit()
    }

    /// VmRSS from /proc/<pid>/status in bytes.
    func vmRSS() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(self.pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
        return 0
    }

    func curl(_ path: String, cluster: String? = nil, token: String? = Support.token) async throws -> CurlResult {
        let url =
            cluster.map { "https://127.0.0.1:\(self.port)/clusters/\($0)/control-plane\(path)" }
            ?? "https://127.0.0.1:\(self.port)\(path)"
        return try await Curl.request(url, ca: self.ca, token: token)
    }
}
