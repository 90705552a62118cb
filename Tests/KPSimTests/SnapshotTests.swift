import Foundation
import Testing

@testable import KPSim

/// `GET /clusters/<cid>/control-plane/snapshot` (contract §2.3) and the informers behind it.
@Suite struct SnapshotTests {
    /// `(group/resource, itemCount, item names)` of each resource in a snapshot body.
    static func resources(_ body: JSONValue?) -> [(String, Int, [String])] {
        (body?["resources"]?.arrayValue ?? []).map { entry in
            let name = "\(entry["group"]?.stringValue ?? "?")/\(entry["resource"]?.stringValue ?? "?")"
            let items = entry["items"]?.arrayValue ?? []
            return (
                name, Int(entry["itemCount"]?.intValue ?? -1),
                items.compactMap { $0["metadata"]?["name"]?.stringValue }
            )
        }
    }

    static func header(_ result: CurlResult, _ name: String) -> String? {
        for line in result.headers.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    @Test("only types a list or watch warmed appear; items are the VCP's own, without managedFields; writes reach them")
    func listWarmsOneInformer() async throws {
        try await Support.withServer { server in
            let cluster = "c-snap"
            _ = try await server.waitFor("/api/v1/namespaces/default", cluster: cluster)
            _ = try await server.waitFor(
                "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication", cluster: cluster)
            // A GET does not warm an informer: the snapshot is empty.
            let cold = try await server.curl("/snapshot", cluster: cluster)
            #expect(cold.status == 200, "\(cold.body)")
            #expect(cold.json?["cluster"] == .string(cluster))
            #expect(cold.json?["liveResources"] == 0)
            #expect(cold.json?["resources"]?.arrayValue?.isEmpty == true)
            #expect(Self.header(cold, "x-snapshot-cluster") == cluster)
            #expect(Self.header(cold, "x-snapshot-time") == cold.json?["snapshotTime"]?.stringValue)
            #expect(server.context.tasks.snapshot()[.informer, default: 0] == 0)

            let clientWatches = server.context.store.watchCount
            // A list of configmaps (any namespace) warms the configmaps informer of this VCP only.
            #expect(try await server.curl("/api/v1/namespaces/default/configmaps", cluster: cluster).status == 200)
            _ = try await server.waitFor("/api/v1/namespaces/default", cluster: "c-other")
            #expect(try await server.curl("/api/v1/configmaps", cluster: "c-other").status == 200)
            let warm = try await server.curl("/snapshot", cluster: cluster)
            #expect(warm.json?["liveResources"] == 1)
            let resources = Self.resources(warm.json)
            #expect(resources.map(\.0) == ["/configmaps"])
            #expect(resources.first?.1 == 2)
            #expect(
                resources.first?.2 == [
                    "extension-apiserver-authentication", "kube-apiserver-legacy-service-account-token-tracking",
                ])
            #expect(warm.json?["resources"]?.arrayValue?.first?["synced"] == true)
            // The informer's watch is not a client watch.
            #expect(server.context.store.watchCount == clientWatches)

            // A write after the warm reaches the informer's copy (applied by its task, so poll).
            let created = try await server.curl(
                "/api/v1/namespaces/default/configmaps", cluster: cluster, method: "POST",
                body: #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"snap1"},"data":{"k":"v"}}"#)
            #expect(created.status == 201)
            let deadline = ContinuousClock.now + .seconds(10)
            var latest = warm
            while ContinuousClock.now < deadline {
                latest = try await server.curl("/snapshot", cluster: cluster)
                if Self.resources(latest.json).first?.1 == 3 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(Self.resources(latest.json).first?.2.contains("snap1") == true, "\(latest.body)")
            let items = latest.json?["resources"]?.arrayValue?.first?["items"]?.arrayValue ?? []
            #expect(items.allSatisfy { $0["metadata"]?["managedFields"] == nil })
            #expect(items.allSatisfy { $0["metadata"]?["namespace"] != nil })
        }
    }

    @Test("warm=true starts an informer for every served type; includeEmpty and resource= filter the answer")
    func warmIncludeEmptyAndFilter() async throws {
        try await Support.withServer(extra: ["--sim-informer-memory-bytes=32Ki"]) { server in
            let cluster = "c-warm"
            try await server.establishCRD(cluster)
            let group = "mem-\(cluster).kplane.dev"
            let baseTasks = server.context.tasks.snapshot()[.informer, default: 0]
            #expect(baseTasks == 0)
            let warmed = try await server.curl("/snapshot?warm=true", cluster: cluster)
            #expect(warmed.status == 200)
            #expect(warmed.json?["liveResources"] == 4)
            // No custom resources yet: memwidgets is omitted unless includeEmpty=true.
            #expect(
                Self.resources(warmed.json).map(\.0) == [
                    "/configmaps", "/namespaces", "apiextensions.k8s.io/customresourcedefinitions",
                ])
            let all = try await server.curl("/snapshot?includeEmpty=true", cluster: cluster)
            #expect(Self.resources(all.json).map(\.0).contains("\(group)/memwidgets"))
            #expect(Self.resources(all.json).first { $0.0 == "\(group)/memwidgets" }?.1 == 0)
            // Each informer is a tracked task and retains its fixed memory plus its copies.
            #expect(server.context.tasks.snapshot()[.informer, default: 0] == 4)
            let heap = server.context.allocations.snapshot()
            let overhead: Int64 = heap[CallSite.informerOverhead]?.inuseBytes ?? -1
            let copies: Int64 = heap[CallSite.informerCache]?.inuseBytes ?? -1
            #expect(overhead == 4 * 32 * 1024)
            #expect(copies > 0)
            let metrics = try await server.curl("/metrics")
            #expect(metrics.body.contains("kpsim_informers 4"))
            #expect(metrics.body.contains("kpsim_tasks{kind=\"informer\"} 4"))
            // A second warm starts nothing new.
            _ = try await server.curl("/snapshot?warm=true", cluster: cluster)
            #expect(server.context.tasks.snapshot()[.informer, default: 0] == 4)

            // resource= takes the plural, or plural.group.
            let filtered = try await server.curl(
                "/snapshot?includeEmpty=true&resource=configmaps,memwidgets.\(group)", cluster: cluster)
            #expect(Self.resources(filtered.json).map(\.0) == ["/configmaps", "\(group)/memwidgets"])
            #expect(filtered.json?["liveResources"] == 4)
        }
    }

    @Test("no token is 401, a write is 405, a path outside control-plane is 404")
    func errors() async throws {
        try await Support.withServer { server in
            let noToken = try await server.curl("/snapshot", cluster: "c-err", token: nil)
            #expect(noToken.status == 401)
            let post = try await server.curl("/snapshot", cluster: "c-err", method: "POST", body: "{}")
            #expect(post.status == 405)
            let outside = try await server.curl("/clusters/c-err/snapshot")
            #expect(outside.status == 404)
        }
    }

    @Test("--sim-evict-on-delete stops the evicted VCP's informers")
    func evictionStopsInformers() async throws {
        try await Support.withServer(extra: ["--sim-evict-on-delete"]) { server in
            let cluster = "c-evict"
            try await server.establishCRD(cluster)
            _ = try await server.curl("/snapshot?warm=true", cluster: cluster)
            #expect(server.context.informers.live(cluster: cluster).count == 4)
            let deleted = try await server.curl(
                "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/memwidgets.mem-\(cluster).kplane.dev",
                cluster: cluster, method: "DELETE")
            #expect(deleted.status == 200)
            #expect(server.context.informers.live(cluster: cluster).isEmpty)
            let deadline = ContinuousClock.now + .seconds(10)
            while server.context.tasks.snapshot()[.informer, default: 0] > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(server.context.tasks.snapshot()[.informer, default: 0] == 0)
        }
    }
}
