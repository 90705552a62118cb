import Foundation
import KPCore
import KPRecords
import KPTestSupport
import Testing

@testable import KPLoad

@Suite("ObjectCatalog")
struct ObjectCatalogTests {
    let catalog = ObjectCatalog(
        baseURL: "https://127.0.0.1:6443", clusters: ["c-000", "c_7"], namespace: "default", objectBytes: 1024,
        objectsPerCluster: 5)

    @Test("URLs follow the contract: group mem-<cid>.kplane.dev, plural memwidgets, namespace default")
    func urls() {
        #expect(
            catalog.objectURL(cluster: 1, object: 3)
                == "https://127.0.0.1:6443/clusters/c_7/control-plane/apis/mem-c-7.kplane.dev/v1/namespaces/default/memwidgets/kp-load-3"
        )
        #expect(
            catalog.collectionURL(cluster: 0)
                == "https://127.0.0.1:6443/clusters/c-000/control-plane/apis/mem-c-000.kplane.dev/v1/namespaces/default/memwidgets"
        )
    }

    @Test("bodies are valid TestWidget JSON with the payload in spec.data and the version read")
    func bodies() throws {
        let create =
            try JSONSerialization.jsonObject(
                with: catalog.body(cluster: 0, object: 2, resourceVersion: nil, version: 0xabc)) as! [String: Any]
        #expect(create["apiVersion"] as? String == "mem-c-000.kplane.dev/v1")
        #expect(create["kind"] as? String == "TestWidget")
        let meta = create["metadata"] as! [String: Any]
        #expect(meta["name"] as? String == "kp-load-2" && meta["namespace"] as? String == "default")
        #expect(meta["resourceVersion"] == nil)
        let data = (create["spec"] as! [String: Any])["data"] as! String
        #expect(data.utf8.count == 1024)
        #expect(data.hasPrefix("0000000000000abc"))

        let update =
            try JSONSerialization.jsonObject(
                with: catalog.body(cluster: 1, object: 0, resourceVersion: "12345", version: 1)) as! [String: Any]
        #expect((update["metadata"] as! [String: Any])["resourceVersion"] as? String == "12345")
        // Different versions give different payloads, so every Update changes the object.
        #expect(
            catalog.body(cluster: 1, object: 0, resourceVersion: "1", version: 1)
                != catalog.body(cluster: 1, object: 0, resourceVersion: "1", version: 2))
        let tiny = ObjectCatalog(
            baseURL: "x", clusters: ["a"], namespace: "default", objectBytes: 4, objectsPerCluster: 1)
        let t =
            try JSONSerialization.jsonObject(with: tiny.body(cluster: 0, object: 0, resourceVersion: nil, version: 7))
            as! [String: Any]
        #expect(((t["spec"] as! [String: Any])["data"] as! String).count == 4)
    }

    @Test("resourceVersion is found in compact and in spaced JSON, and missing is nil")
    func resourceVersion() {
        let compact = Data(
            #"{"apiVersion":"a/v1","kind":"TestWidget","metadata":{"name":"x","uid":"u","resourceVersion":"987","generation":2},"spec":{"data":"abc"}}"#
                .utf8)
        #expect(ObjectCatalog.resourceVersion(in: compact) == "987")
        let spaced = Data(#"{"metadata": {"name": "x", "resourceVersion": "55"}}"#.utf8)
        #expect(ObjectCatalog.resourceVersion(in: spaced) == "55")
        #expect(ObjectCatalog.resourceVersion(in: Data(#"{"metadata":{"name":"x"}}"#.utf8)) == nil)
        #expect(ObjectCatalog.resourceVersion(in: Data("not json".utf8)) == nil)
    }
}

@Suite("PreciseSleep", .tags(.timing))
struct PreciseSleepTests {
    @Test("sleeps until an absolute monotonic deadline, never before it; timer slack can be lowered")
    func sleepUntil() {
        #if os(Linux)
            #expect(PreciseSleep.tightenTimerSlack())
        #endif
        for _ in 0..<20 {
            let deadline = MonotonicClock.now() + 2_000_000
            PreciseSleep.until(deadline)
            #expect(MonotonicClock.now() >= deadline)
        }
        // A deadline 1 s in the past returns at once; a sleep of |deadline - now| would take 1 s. The
        // bound is half that, not a tight figure a loaded machine could cross by being descheduled.
        let past = MonotonicClock.now() - 1_000_000_000
        let t0 = MonotonicClock.now()
        PreciseSleep.until(past)
        #expect(MonotonicClock.now() - t0 < 500_000_000)
        #expect(PreciseSleep.processCPUSeconds() > 0)
    }
}
