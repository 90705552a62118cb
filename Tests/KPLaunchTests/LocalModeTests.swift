import Foundation
import KPRecords
import Testing

/// Local mode with kp-sim standing in for the apiserver binary and a throw-away etcd started by kp-launch.
@Suite("kp-launch local mode", .serialized)
struct LocalModeTests {
    /// The throw-away etcd's data dir, from its argv in the process table.
    static func etcdDataDir(etcdPid: Int32) -> String? {
        let argv = LaunchHarness.commandLine(etcdPid).split(separator: " ").map(String.init)
        guard let i = argv.firstIndex(of: "--data-dir"), i + 1 < argv.count else { return nil }
        return argv[i + 1]
    }

    /// The etcd process in the launcher's children.
    static func etcdPid(launcher: Int32) -> Int32? {
        LaunchHarness.processTable().first {
            $0.ppid == launcher && LaunchHarness.commandLine($0.pid).contains("--name kpbench")
        }?.pid
    }

    @Test(
        "--apiserver-bin kp-sim with a throw-away etcd: the target uses it; afterwards no etcd, no kp-sim, no data dir")
    func localWithThrowawayEtcd() throws {
        guard LaunchHarness.requireBuiltTools(), LaunchHarness.requireCommand("etcd", aptPackage: "etcd-server") != nil
        else { return }
        let run = try LaunchHarness.Run(name: "local", args: ["--apiserver-bin", LaunchHarness.kpSim])
        var pids: [Int32] = []
        defer { run.cleanUp(extraPids: pids) }
        guard let record = run.waitForEndpoint() else { return }
        let launcher = run.process.processIdentifier
        guard let etcd = Self.etcdPid(launcher: launcher), let dataDir = Self.etcdDataDir(etcdPid: etcd) else {
            Issue.record("no throw-away etcd among kp-launch's children")
            return
        }
        pids = [record.pid ?? 0, etcd]
        #expect(record.mode == "local")
        #expect(record.etcdManaged == true)
        #expect(record.etcdEndpoints?.hasPrefix("http://127.0.0.1:") == true)
        #expect(
            record.targetArgs?.dropFirst().first == "--etcd-servers=\(record.etcdEndpoints!)",
            "--etcd-servers comes first")
        #expect(record.targetArgs?.first == LaunchHarness.kpSim)
        #expect(record.logFiles?.contains(run.runDir + "/logs/etcd.log") == true)
        #expect(FileManager.default.fileExists(atPath: dataDir))
        #expect(LaunchHarness.read(run.runDir + "/logs/etcd.log").isEmpty == false)

        kill(launcher, SIGTERM)
        #expect(
            LaunchHarness.waitForExit(run.process, timeout: 20) == 143,
            "SIGTERM (not via down) exits 143: \(run.stderr)")
        let left = LaunchHarness.waitNoLeftovers([launcher, record.pid ?? 0, etcd])
        #expect(left.isEmpty, "left: \(left.map { "\($0.pid) \(LaunchHarness.commandLine($0.pid))" })")
        #expect(!FileManager.default.fileExists(atPath: dataDir), "the etcd data dir must be deleted")
        #expect(!FileManager.default.fileExists(atPath: run.runDir + "/target/sa.key"))
    }

    @Test("the throw-away etcd killed mid-run: kp-launch exits 13 and stops the target")
    func etcdDeathExits13() throws {
        guard LaunchHarness.requireBuiltTools(), LaunchHarness.requireCommand("etcd", aptPackage: "etcd-server") != nil
        else { return }
        let run = try LaunchHarness.Run(name: "etcddies", args: ["--apiserver-bin", LaunchHarness.kpSim])
        var pids: [Int32] = []
        defer { run.cleanUp(extraPids: pids) }
        guard let record = run.waitForEndpoint(), let etcd = Self.etcdPid(launcher: run.process.processIdentifier)
        else { return }
        pids = [record.pid ?? 0, etcd]
        kill(etcd, SIGKILL)
        #expect(LaunchHarness.waitForExit(run.process, timeout: 20) == 13, "stderr: \(run.stderr)")
        #expect(
            run.stderr.hasSuffix(
                "kp-launch: error: etcd failed during the run: the throw-away etcd (pid \(etcd)) was killed by signal 9 (SIGKILL); see \(run.runDir)/logs/etcd.log\n"
            ))
        #expect(LaunchHarness.waitNoLeftovers([run.process.processIdentifier] + pids).isEmpty)
    }

    @Test("local mode with given --etcd-endpoints starts no etcd and passes them through")
    func localWithGivenEtcd() throws {
        guard LaunchHarness.requireBuiltTools(),
            let etcdBin = LaunchHarness.requireCommand("etcd", aptPackage: "etcd-server")
        else { return }
        // An etcd the test owns, standing in for the user's long-running one.
        let dir = try LaunchHarness.tempDir("ownetcd")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let client = try freePort()
        let peer = try freePort()
        let etcd = try LaunchHarness.start(
            etcdBin,
            [
                "--name", "own", "--data-dir", dir + "/data", "--listen-client-urls", "http://127.0.0.1:\(client)",
                "--advertise-client-urls", "http://127.0.0.1:\(client)", "--listen-peer-urls",
                "http://127.0.0.1:\(peer)",
                "--initial-advertise-peer-urls", "http://127.0.0.1:\(peer)", "--initial-cluster",
                "own=http://127.0.0.1:\(peer)",
            ], stdout: dir + "/etcd.log", stderr: dir + "/etcd.log")
        defer {
            etcd.terminate()
            etcd.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(15)
        while !LaunchHarness.read(dir + "/etcd.log").contains("ready to serve client requests") && Date() < deadline {
            usleep(50_000)
        }
        let run = try LaunchHarness.Run(
            name: "givenetcd", args: ["--apiserver-bin", LaunchHarness.kpSim, "--ready-timeout", "30s"],
            env: ["ETCD_ENDPOINTS": "http://127.0.0.1:\(client)"])
        var targetPid: Int32 = 0
        defer { run.cleanUp(extraPids: [targetPid]) }
        guard let record = run.waitForEndpoint() else { return }
        targetPid = record.pid ?? 0
        #expect(record.etcdManaged == false)
        #expect(record.etcdEndpoints == "http://127.0.0.1:\(client)")
        #expect(Self.etcdPid(launcher: run.process.processIdentifier) == nil)
        let down = try LaunchHarness.run(LaunchHarness.kpLaunch, ["down", "--run-dir", run.runDir])
        #expect(down.status == 0)
        #expect(LaunchHarness.waitForExit(run.process, timeout: 20) == 0)
        #expect(etcd.isRunning, "kp-launch must not stop an etcd it did not start")
    }
}

/// A free loopback port (bind to port 0).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
    }
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
}
