import Foundation
import KPPromText
import Testing

@testable import KPSim

/// kplane's own metrics as kp-sim exports them (contract §5.2): counted where the thing happens.
@Suite struct KplaneMetricsTests {
    func families(_ server: TestServer) async throws -> [MetricFamily] {
        let response = try await server.curl("/metrics")
        #expect(response.status == 200)
        return try PromTextParser.parse(response.body)
    }

    func samples(_ families: [MetricFamily], _ name: String) -> [MetricSample] {
        families.first { $0.name == name }?.samples.filter { $0.name == name } ?? []
    }

    /// The sample named `name` (a histogram's `_count` and `_sum` included) with exactly `labels`.
    func value(_ families: [MetricFamily], _ name: String, _ labels: [String: String]) -> Double? {
        families.lazy.flatMap(\.samples).first { $0.name == name && $0.labels == labels }?.value
    }

    @Test func storesPerResourceTypeAndOneSharedCRDRuntime() async throws {
        try await Support.withServer(extra: ["--sim-crd-establish-delay=200ms"]) { server in
            let before = try await self.families(server)
            // No VCP yet: no runtime and no status queue; the Fleet controller's queue exists from the start.
            #expect(before.first { $0.name == "mc_crd_runtime_create_total" } == nil)
            #expect(self.value(before, "workqueue_depth", ["name": "mc_fleet_controller"]) == 0)
            #expect(self.value(before, "workqueue_depth", ["name": "mc_shared_crd_status"]) == nil)

            try await server.establishCRD("c-k0")
            let one = try await self.families(server)
            let storesAfterOne = Set(self.samples(one, "mc_storage_ensure_store_total").map { $0.labels })
            for cluster in ["c-k1", "c-k2"] { try await server.establishCRD(cluster) }
            // A second lookup of a served group/version whose CRDs did not change is a cache hit.
            #expect(try await server.curl("/apis/mem-c-k2.kplane.dev/v1", cluster: "c-k2").status == 200)
            #expect(try await server.curl("/apis/nothing.kplane.dev/v1", cluster: "c-k2").status == 404)
            let three = try await self.families(server)

            // One shared store per resource type: three VCPs add none (their CRDs are CRD objects of one type).
            let stores = self.samples(three, "mc_storage_ensure_store_total")
            #expect(Set(stores.map { $0.labels }) == storesAfterOne)
            #expect(stores.allSatisfy { $0.value == 1 })
            let prefixes = Set(stores.compactMap { $0.labels["resourcePrefix"] })
            #expect(
                prefixes.isSuperset(of: [
                    "/namespaces", "/configmaps", "/apiextensions.k8s.io/customresourcedefinitions",
                ]))
            #expect(stores.count == server.context.store.stores.count)

            #expect(self.value(three, "mc_crd_runtime_create_total", ["status": "success"]) == 1)
            #expect((self.value(three, "mc_crd_serves_lookup_total", ["result": "served"]) ?? 0) >= 4)
            #expect((self.value(three, "mc_crd_serves_lookup_total", ["result": "not_served"]) ?? 0) >= 1)
            #expect((self.value(three, "mc_crd_serves_cache_hit_total", ["result": "served"]) ?? 0) >= 1)
            #expect((self.value(three, "mc_crd_serves_cache_miss_total", ["result": "miss"]) ?? 0) >= 3)
            let latencyCount = self.value(three, "mc_crd_serves_lookup_latency_seconds_count", ["result": "served"])
            #expect(latencyCount == self.value(three, "mc_crd_serves_lookup_total", ["result": "served"]))

            // The status queue: one item per CRD, each waited the establish delay before its status write.
            let status = ["name": "mc_shared_crd_status"]
            #expect(self.value(three, "workqueue_adds_total", status) == 3)
            #expect(self.value(three, "workqueue_depth", status) == 0)
            #expect(self.value(three, "workqueue_queue_duration_seconds_count", status) == 3)
            #expect((self.value(three, "workqueue_queue_duration_seconds_sum", status) ?? 0) >= 0.6)

            // The watch cache: one counter per resource type, the namespaces of every VCP among its events.
            let namespaces = ["group": "", "resource": "namespaces"]
            #expect((self.value(three, "apiserver_watch_cache_events_received_total", namespaces) ?? 0) >= 12)

            // What kp-sim has no analogue of stays absent, never 0.
            for absent in [
                "mc_cel_env_build_total", "mc_cel_env_cache_size", "mc_storage_base_decorator_total",
                "go_gc_duration_seconds", "etcd_request_duration_seconds",
                "apiserver_flowcontrol_current_inqueue_requests",
            ] {
                #expect(three.first { $0.name == absent } == nil, "\(absent)")
            }
        }
    }

    @Test func flowControlFamiliesFollowTheConcurrencyLimit() async throws {
        try await Support.withServer(extra: ["--sim-max-concurrency=3"]) { server in
            _ = try await server.waitFor("/api/v1/namespaces/default", cluster: "c-apf")
            let families = try await self.families(server)
            let level = ["flow_schema": "kp-sim", "priority_level": "kp-sim"]
            #expect(self.value(families, "apiserver_flowcontrol_current_inqueue_requests", level) == 0)
            #expect(
                self.value(families, "apiserver_flowcontrol_nominal_limit_seats", ["priority_level": "kp-sim"]) == 3)
            #expect((self.value(families, "apiserver_flowcontrol_dispatched_requests_total", level) ?? 0) >= 1)
            // Nothing was rejected: the counter has no series yet, as in Go.
            #expect(families.first { $0.name == "apiserver_flowcontrol_rejected_requests_total" } == nil)
        }
    }

    @Test func servesCacheHitsUntilTheVCPsCRDsChange() {
        let runtime = SharedCRDRuntime()
        runtime.ensureCluster("c-1")
        runtime.ensureCluster("c-2")
        let crd: JSONValue = [
            "metadata": ["name": "memwidgets.mem-c-1.kplane.dev"],
            "spec": [
                "group": "mem-c-1.kplane.dev", "scope": "Namespaced",
                "names": ["plural": "memwidgets", "kind": "TestWidget"],
                "versions": [["name": "v1", "served": true, "storage": true]],
            ],
            "status": ["conditions": [["type": "Established", "status": "True"]]],
        ]
        var crds = [
            ObjectKey(namespace: "", name: "memwidgets.mem-c-1.kplane.dev"): StoredObject(
                value: crd, resourceVersion: 5, size: 1)
        ]
        func lookup() -> [CRDInfo] {
            runtime.served(cluster: "c-1", group: "mem-c-1.kplane.dev", version: "v1") { crds }
        }
        #expect(lookup().map(\.plural) == ["memwidgets"])
        #expect(lookup().map(\.plural) == ["memwidgets"])
        crds[ObjectKey(namespace: "", name: "memwidgets.mem-c-1.kplane.dev")]?.resourceVersion = 9
        _ = lookup()
        let state = runtime.snapshot()
        #expect(state.creates == ["success": 1])
        #expect(state.misses == 2)
        #expect(state.hits == ["served": 1])
        #expect(state.lookups == ["served": 3])
        #expect(state.latency["served"]?.total == 3)
        runtime.forget(cluster: "c-1")
        #expect(runtime.snapshot().cache.isEmpty)
    }
}
