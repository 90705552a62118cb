import Foundation
import KPTestSupport
import Testing

@testable import KPSim

@Suite(.serialized) struct EtcdTests {
    @Test func writesKeysInKplaneLayoutAndRefusesWhenEtcdIsDown() async throws {
        let etcd = try TestEtcd()
        defer { etcd.stop() }
        let prefix = "/registry-smoke-kpsim-\(UInt64(Date().timeIntervalSince1970 * 1e9))"
        try await Support.withServer(extra: ["--etcd-servers=\(etcd.endpoint)", "--etcd-prefix=\(prefix)"]) { server in
            try await server.establishCRD("c-001")
            let created = try await server.curl(
                server.crPath("c-001"), cluster: "c-001", method: "POST", body: crBody(cluster: "c-001", name: "w1"))
            #expect(created.status == 201)
            let keys = try etcd.keys(prefix: prefix)
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
                try !etcd.keys(prefix: prefix).contains(
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

    /// A kp-sim started on the same etcd prefix holds no VCP until one is asked for, then serves that
    /// VCP's stored CRD and objects (lazy restore), and its new writes get higher resource versions.
    @Test func restartedServerRestoresEachVCPOnItsFirstRequest() async throws {
        let etcd = try TestEtcd()
        defer { etcd.stop() }
        let prefix = "/registry-restart-kpsim-\(UInt64(Date().timeIntervalSince1970 * 1e9))"
        let flags = ["--etcd-servers=\(etcd.endpoint)", "--etcd-prefix=\(prefix)"]
        let before = try await Support.withServer(extra: flags) { server in
            try await server.establishCRD("c-001")
            try await server.establishCRD("c-002")
            let created = try await server.curl(
                server.crPath("c-001"), cluster: "c-001", method: "POST", body: crBody(cluster: "c-001", name: "w1"))
            #expect(created.status == 201, "\(created.body)")
            let metadata = created.json?["metadata"]
            return (
                metadata?["resourceVersion"]?.stringValue.flatMap { UInt64($0) } ?? 0,
                metadata?["uid"]?.stringValue ?? ""
            )
        }
        #expect(before.0 > 0 && !before.1.isEmpty)
        try await Support.withServer(extra: flags) { server in
            #expect(server.context.registry.count == 0)
            #expect(server.context.store.all(cluster: "c-001", resource: .crds).isEmpty)
            let widget = try await server.curl(server.crPath("c-001", "w1"), cluster: "c-001")
            #expect(widget.status == 200, "\(widget.body)")
            // The same object: its uid and resource version as the first server stored them.
            #expect(widget.json?["metadata"]?["uid"]?.stringValue == before.1)
            #expect(widget.json?["metadata"]?["resourceVersion"]?.stringValue == String(before.0))
            #expect(server.context.registry.count == 1)
            #expect(!server.context.registry.contains("c-002"))
            let crd = try await server.curl(
                "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/memwidgets.mem-c-002.kplane.dev",
                cluster: "c-002")
            #expect(crd.status == 200, "\(crd.body)")
            let next = try await server.curl(
                server.crPath("c-001"), cluster: "c-001", method: "POST", body: crBody(cluster: "c-001", name: "w2"))
            #expect(next.status == 201, "\(next.body)")
            let rv = next.json?["metadata"]?["resourceVersion"]?.stringValue.flatMap { UInt64($0) } ?? 0
            #expect(rv > before.0)
        }
    }
}
