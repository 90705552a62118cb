import Foundation
import KPHTTP
import KPRecords
import KPTestSupport
import Testing

@testable import KPBootstrap

@Suite(.serialized) struct SimEtcdTeardownTests {
    @Test func keysUnderTheRunPrefixContainingTheClusterAreDeletedOthersKept() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/etcd") else {
            Issue.record("/usr/bin/etcd is not installed (apt-get install etcd-server)")
            return
        }
        let etcd = try TestEtcd()
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
        let before = try etcd.keys(prefix: prefix + "/")
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

        // An independent count of what the teardown should delete: etcdctl (gRPC), not the JSON gateway
        // kp-bootstrap uses.
        let doomed = try etcd.keys(prefix: prefix + "/").filter {
            $0.contains("/clusters/c-000/") || $0.contains("/clusters/c-001/")
        }
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

        let after = try etcd.keys(prefix: prefix)
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
        #expect(try etcd.keys(prefix: prefix + "/").contains { $0.contains("/clusters/c-002/") })
    }
}
