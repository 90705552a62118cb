import Foundation
import KPHTTP
import KPRecords
import KPTestSupport
import Testing

@testable import KPBootstrap

/// A throw-away etcd on free loopback ports with a temp data dir (as KPSimTests' TestEtcd; test targets
/// cannot share it). Skips (returns nil) when /usr/bin/etcd is not installed.
final class ThrowAwayEtcd: @unchecked Sendable {
    let process = Process()
    let endpoint: String
    let dataDir: String

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        let named = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard named == 0 else { throw POSIXError(.EINVAL) }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    init() async throws {
        let clientPort = try Self.freePort()
        let peerPort = try Self.freePort()
        endpoint = "http://127.0.0.1:\(clientPort)"
        dataDir = NSTemporaryDirectory() + "kptear-etcd-" + UUID().uuidString
        process.executableURL = URL(fileURLWithPath: "/usr/bin/etcd")
        process.arguments = [
            "--data-dir=\(dataDir)", "--listen-client-urls=\(endpoint)", "--advertise-client-urls=\(endpoint)",
            "--listen-peer-urls=http://127.0.0.1:\(peerPort)",
            "--initial-advertise-peer-urls=http://127.0.0.1:\(peerPort)",
            "--initial-cluster=default=http://127.0.0.1:\(peerPort)", "--log-level=error",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let client = try HTTPClient(configuration: HTTPClientConfiguration(timeout: .seconds(2), allowHTTP2: false))
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let r = try? await client.send(HTTPRequest(url: endpoint + "/health")), r.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        stop()
        throw BuiltTools.Missing("etcd did not become healthy at \(endpoint)")
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dataDir)
    }

    /// Every key under `prefix` (keys-only range over etcd's JSON gateway).
    func keys(prefix: String) async throws -> [String] {
        let client = try HTTPClient(configuration: HTTPClientConfiguration(allowHTTP2: false))
        let body: [String: Any] = [
            "key": Data(prefix.utf8).base64EncodedString(),
            "range_end": Teardowner.prefixEnd(prefix).base64EncodedString(), "keys_only": true,
        ]
        let r = try await client.send(
            HTTPRequest(
                method: "POST", url: endpoint + "/v3/kv/range", headers: [("Content-Type", "application/json")],
                body: try JSONSerialization.data(withJSONObject: body)))
        let object = try JSONSerialization.jsonObject(with: r.body) as? [String: Any]
        let kvs = object?["kvs"] as? [[String: Any]] ?? []
        return kvs.compactMap {
            ($0["key"] as? String).flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
        }
    }
}

@Suite(.serialized) struct SimEtcdTeardownTests {
    @Test func keysUnderTheRunPrefixContainingTheClusterAreDeletedOthersKept() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/etcd") else {
            Issue.record("/usr/bin/etcd is not installed (apt-get install etcd-server)")
            return
        }
        let etcd = try await ThrowAwayEtcd()
        defer { etcd.stop() }
        let prefix = "/registry-kptear-\(UInt64(Date().timeIntervalSince1970 * 1e9))"
        let sim = try SimProcess(
            prefix: "tear", extraArgs: ["--etcd-servers=\(etcd.endpoint)", "--etcd-prefix=\(prefix)"])
        let tool = try BuiltTools.path("kp-bootstrap")
        let target = SimTeardownTests.target(sim)
        let boot = try BuiltTools.run(tool, target + ["--clusters", "3", "--workers", "3"])
        #expect(boot.status == 0, "\(boot.stderr)")
        // A key of another run whose prefix starts with this one must survive.
        let client = try HTTPClient(configuration: HTTPClientConfiguration(allowHTTP2: false))
        let foreign = prefix + "x/namespaces/clusters/c-000/default"
        let put = try await client.send(
            HTTPRequest(
                method: "POST", url: etcd.endpoint + "/v3/kv/put", headers: [("Content-Type", "application/json")],
                body: Data(#"{"key":"\#(Data(foreign.utf8).base64EncodedString())","value":"eA=="}"#.utf8)))
        #expect(put.status == 200)
        let before = try await etcd.keys(prefix: prefix + "/")
        #expect(
            before.contains { $0.contains("/clusters/c-000/") } && before.contains { $0.contains("/clusters/c-002/") })

        // The endpoint record kp-launch writes in sim mode with a throw-away etcd.
        var rec = EndpointRecord(
            url: sim.url, caFile: sim.caFile, tokenFile: sim.tokenFile, mode: "sim", target: "kp-sim", emulator: true,
            launchedNs: 0, startedAt: "2026-11-29T00:00:00Z")
        rec.etcdEndpoints = etcd.endpoint
        rec.etcdPrefix = prefix
        rec.etcdManaged = true
        let dir = try SimTeardownTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try (RecordCodec.encode(rec.record) + Data([0x0A])).write(to: URL(fileURLWithPath: dir + "/endpoint.json"))

        // An independent count of what the teardown should delete: etcdctl (Debian etcd-client, gRPC),
        // not the JSON gateway kp-bootstrap and `keys(prefix:)` use.
        let etcdctl = try BuiltTools.run(
            "/usr/bin/etcdctl", ["--endpoints=\(etcd.endpoint)", "get", prefix + "/", "--prefix", "--keys-only"])
        #expect(etcdctl.status == 0, "etcdctl: \(etcdctl.stderr)")
        let listed = String(decoding: etcdctl.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        let doomed = listed.filter { $0.contains("/clusters/c-000/") || $0.contains("/clusters/c-001/") }
        #expect(!doomed.isEmpty)

        let r = try BuiltTools.run(
            tool, ["--endpoint", dir + "/endpoint.json", "--teardown", "--names", "c-000,c-001"])
        #expect(r.status == 0, "\(r.stderr)")
        let records = try SimBootstrapTests.records(r.stdout)
        let steps = records.compactMap { if case .teardownStep(let s) = $0 { s } else { nil } }
        let etcdSteps = steps.filter { $0.step == "etcd_keys" }
        #expect(etcdSteps.count == 2 && etcdSteps.allSatisfy { $0.outcome == "ok" && ($0.keysDeleted ?? 0) > 0 })
        guard case .teardownSummary(let summary) = records.last else {
            Issue.record("no summary")
            return
        }
        #expect(summary.etcd == "deleted" && summary.skippedReason == nil && summary.ok == 2)

        let after = try await etcd.keys(prefix: prefix)
        #expect(
            !after.contains {
                $0.hasPrefix(prefix + "/") && ($0.contains("/clusters/c-000/") || $0.contains("/clusters/c-001/"))
            })
        #expect(after.contains { $0.contains("/clusters/c-002/") })
        #expect(after.contains(foreign))
        #expect(summary.keysDeleted == etcdSteps.reduce(0) { $0 + ($1.keysDeleted ?? 0) })
        // The API deletes (test objects, then the CRD) come first and remove their own keys; the etcd
        // step removes the rest: together, every key etcdctl listed.
        #expect(
            summary.keysDeleted + summary.objectsDeleted == doomed.count,
            "kp-bootstrap deleted \(summary.keysDeleted) keys + \(summary.objectsDeleted) objects, etcdctl listed \(doomed.count)"
        )

        // Without etcd_managed the keys are left alone and the summary says why.
        rec.etcdManaged = false
        try (RecordCodec.encode(rec.record) + Data([0x0A])).write(to: URL(fileURLWithPath: dir + "/endpoint.json"))
        let skipped = try BuiltTools.run(
            tool, ["--endpoint", dir + "/endpoint.json", "--teardown", "--names", "c-002"])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        guard case .teardownSummary(let s2) = try SimBootstrapTests.records(skipped.stdout).last else {
            Issue.record("no summary")
            return
        }
        #expect(
            s2.etcd == "skipped" && s2.skippedReason == "etcd not controlled by this run (etcd_managed is not true)")
        #expect(try await etcd.keys(prefix: prefix + "/").contains { $0.contains("/clusters/c-002/") })
    }
}
