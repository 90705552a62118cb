import Foundation
import KPLaunch

/// The one throw-away etcd of the tests: Debian's `/usr/bin/etcd` on two free loopback ports with
/// a temp data dir, ready once `/health` answers 200; stopped and removed by `stop()` or deinit.
/// `keys(prefix:)` lists keys with `etcdctl` (gRPC), a client independent of kp-bench's own.
public final class TestEtcd: @unchecked Sendable {
    /// `http://127.0.0.1:<client port>`.
    public let endpoint: String
    public let dataDir: String
    private let process = Process()

    /// Starts etcd with `extraArgs` (e.g. `--enable-pprof`); throws ``BuiltTools/Missing`` naming the
    /// Debian package when etcd is not installed, or etcd's log tail when it does not get healthy in 20 s.
    public init(extraArgs: [String] = []) throws {
        let etcd = "/usr/bin/etcd"
        guard FileManager.default.isExecutableFile(atPath: etcd) else {
            throw BuiltTools.Missing("\(etcd) is not installed: apt-get install etcd-server")
        }
        let client = try PortProbe.freeLoopbackPort()
        var peer = try PortProbe.freeLoopbackPort()
        while peer == client { peer = try PortProbe.freeLoopbackPort() }
        endpoint = "http://127.0.0.1:\(client)"
        let peerURL = "http://127.0.0.1:\(peer)"
        dataDir = NSTemporaryDirectory() + "kptest-etcd-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let log = dataDir + ".log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.executableURL = URL(fileURLWithPath: etcd)
        process.arguments =
            [
                "--name", "kptest", "--data-dir", dataDir + "/data", "--listen-client-urls", endpoint,
                "--advertise-client-urls", endpoint, "--listen-peer-urls", peerURL,
                "--initial-advertise-peer-urls", peerURL, "--initial-cluster", "kptest=\(peerURL)",
                "--log-level=error",
            ] + extraArgs
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = process.standardOutput
        try process.run()
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline && process.isRunning {
            // curl (installed with the test dependencies) rather than a client of ours.
            if let health = try? BuiltTools.run(
                "/usr/bin/curl",
                ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2", endpoint + "/health"]),
                String(decoding: health.stdout, as: UTF8.self) == "200"
            {
                return
            }
            usleep(100_000)
        }
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        stop()
        throw BuiltTools.Missing("etcd did not become healthy at \(endpoint): \(text.suffix(400))")
    }

    /// Every key under `prefix`, listed by etcdctl (Debian etcd-client).
    public func keys(prefix: String) throws -> [String] {
        let r = try BuiltTools.run(
            "/usr/bin/env",
            ["ETCDCTL_API=3", "/usr/bin/etcdctl", "--endpoints=\(endpoint)", "get", prefix, "--prefix", "--keys-only"])
        guard r.status == 0 else { throw BuiltTools.Missing("etcdctl get \(prefix) failed: \(r.stderr)") }
        return String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    public var isRunning: Bool { process.isRunning }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dataDir)
        try? FileManager.default.removeItem(atPath: dataDir + ".log")
    }

    deinit { stop() }
}
