import Foundation
import Testing

@testable import KPSim

/// A throw-away etcd on free loopback ports with a temp data dir.
final class TestEtcd: @unchecked Sendable {
    let process = Process()
    let endpoint: String
    let dataDir: String

    init() async throws {
        let etcd = try Support.tool("/usr/bin/etcd", package: "etcd-server")
        let clientPort = Support.freePort()
        let peerPort = Support.freePort()
        self.endpoint = "http://127.0.0.1:\(clientPort)"
        self.dataDir =
            FileManager.default.temporaryDirectory.appendingPathComponent("kpsim-etcd-\(UUID().uuidString.prefix(8))")
            .path
        self.process.executableURL = URL(fileURLWithPath: etcd)
        self.process.arguments = [
            "--data-dir=\(self.dataDir)", "--listen-client-urls=\(self.endpoint)",
            "--advertise-client-urls=\(self.endpoint)",
            "--listen-peer-urls=http://127.0.0.1:\(peerPort)",
            "--initial-advertise-peer-urls=http://127.0.0.1:\(peerPort)",
            "--initial-cluster=default=http://127.0.0.1:\(peerPort)", "--log-level=error",
        ]
        self.process.standardOutput = FileHandle.nullDevice
        self.process.standardError = FileHandle.nullDevice
        try self.process.run()
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let health = try await ProcessRunner.run(
                "/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", self.endpoint + "/health"])
            if health.stdout == "200" { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        self.stop()
        throw TestFailure("etcd did not become healthy at \(self.endpoint)")
    }

    func stop() {
        if self.process.isRunning {
            self.process.terminate()
            self.process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: self.dataDir)
    }

    func keys(prefix: String) async throws -> [String] {
        let etcdctl = try Support.tool("/usr/bin/etcdctl", package: "etcd-client")
        let result = try await ProcessRunner.run(
            etcdctl, ["--endpoints=\(self.endpoint)", "get", "--prefix", prefix, "--keys-only"],
            environment: ["ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"])
        guard result.exitCode == 0 else { throw TestFailure("etcdctl failed: \(result.stderr)") }
        return result.stdout.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }
}

@Suite(.serialized) struct EtcdTests {
    @Test func writesKeysInKplaneLayoutAndRefusesWhenEtcdIsDown() async throws {
        let etcd = try await TestEtcd()
        defer { etcd.stop() }
        let prefix = "/registry-smoke-kpsim-\(UInt64(Date().timeIntervalSince1970 * 1e9))"
        try await Support.withServer(extra: ["--etcd-servers=\(etcd.endpoint)", "--etcd-prefix=\(prefix)"]) { server in
            try await server.establishCRD("c-001")
            let created = try await server.curl(
                server.crPath("c-001"), cluster: "c-001", method: "POST", body: crBody(cluster: "c-001", name: "w1"))
            #expect(created.status == 201)
            let keys = try await etcd.keys(prefix: prefix)
            #expect(keys.contains("\(prefix)/namespaces/clusters/c-001/default"), "\(keys)")
            #expect(keys.contains("\(prefix)/configmaps/clusters/c-001/kube-system/extension-apiserver-authentication"))
            #expect(
                keys.contains(
                    "\(prefix)/apiextensions.k8s.io/customresourcedefinitions/clusters/c-001/memwidgets.mem-c-001.kplane.dev"
                ))
            #expect(keys.contains("\(prefix)/mem-c-001.kplane.dev/memwidgets/clusters/c-001/default/w1"))
            #expect(keys.contains("\(prefix)/namespaces/clusters/root/default"))
            #expect(
                try await server.curl(server.crPath("c-001", "w1"), cluster: "c-001", method: "DELETE").status == 200)
            #expect(
                try await !etcd.keys(prefix: prefix).contains(
                    "\(prefix)/mem-c-001.kplane.dev/memwidgets/clusters/c-001/default/w1"))
        }
        let endpoint = etcd.endpoint
        etcd.stop()
        let dir = try Support.makeWorkDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let refused = try await ProcessRunner.run(
            try Support.productPath("kp-sim"),
            Support.smokeArguments(dir: dir, extra: ["--etcd-servers=\(endpoint)", "--etcd-prefix=\(prefix)"]))
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.hasPrefix("kp-sim: etcd is unreachable"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1)
    }
}
