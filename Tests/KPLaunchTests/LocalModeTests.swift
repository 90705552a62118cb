import Foundation
import KPRecords
import KPTestSupport
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
            LaunchHarness.requireCommand("etcd", aptPackage: "etcd-server") != nil
        else { return }
        // An etcd the test owns, standing in for the user's long-running one.
        let etcd = try TestEtcd()
        defer { etcd.stop() }
        let client = URL(string: etcd.endpoint)!.port!
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
