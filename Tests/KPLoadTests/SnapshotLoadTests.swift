import Foundation
import KPHTTP
import KPRecords
import KPStats
import KPTestSupport
import Synchronization
import Testing

@testable import KPLoad

/// kp-load's snapshot operations (`--snapshot-rps-per-cluster`) and warm pass, against a fake server.
@Suite struct SnapshotLoadTests {
    static let body = Data(
        #"{"cluster":"c-000","snapshotTime":"t","liveResources":3,"resources":[{"group":"","resource":"configmaps","synced":true,"itemCount":2,"items":[{"metadata":{"name":"a"},"data":{"k":"\"itemCount\":99"}},{}]},{"group":"","resource":"namespaces","synced":true,"itemCount": 4,"items":[{},{},{},{}]}]}"#
            .utf8)

    @Test("itemCount sums, resources and liveResources are read from the body; escaped keys in values are not")
    func scan() {
        let facts = SnapshotBodyFacts.scan(Self.body)
        #expect(facts == SnapshotBodyFacts(items: 6, resources: 2, liveResources: 3))
        #expect(
            SnapshotBodyFacts.scan(Data("{}".utf8)) == SnapshotBodyFacts(items: 0, resources: 0, liveResources: nil))
    }

    @Test("the URL carries warm=true and the resource filter only when asked")
    func url() {
        #expect(
            SnapshotLoadConfiguration.url(baseURL: "https://h:1", cluster: "c-1", warm: false, resources: [])
                == "https://h:1/clusters/c-1/control-plane/snapshot")
        #expect(
            SnapshotLoadConfiguration.url(
                baseURL: "https://h:1", cluster: "c-1", warm: true, resources: ["configmaps", "namespaces"])
                == "https://h:1/clusters/c-1/control-plane/snapshot?warm=true&resource=configmaps,namespaces")
    }

    static func server(failing: String? = nil) -> FakeTransport {
        FakeTransport(delay: .milliseconds(2)) { r, _ in
            if let failing, r.url.contains("/clusters/\(failing)/") {
                return .success(
                    HTTPResponse(
                        status: 503, headers: [:], body: Data(#"{"kind":"Status","message":"busy"}"#.utf8),
                        httpVersion: 2, timings: TransferTimings(queuedNs: 0, sentNs: 0, firstByteNs: 0, doneNs: 0)))
            }
            return .success(
                HTTPResponse(
                    status: 200, headers: [:], body: Self.body, httpVersion: 2,
                    timings: TransferTimings(queuedNs: 0, sentNs: 0, firstByteNs: 0, doneNs: 0)))
        }
    }

    @Test("the open-loop schedule sends rate × duration per cluster; every answer is counted with its items and status")
    func openLoop() async throws {
        let transport = Self.server(failing: "c-001")
        let load = SnapshotLoad(
            configuration: SnapshotLoadConfiguration(
                baseURL: "https://h:1", clusters: ["c-000", "c-001"], ratePerCluster: 20, warm: true,
                resources: [], durationNs: 500_000_000, arrival: .even, seed: 7, reportIntervalNs: 100_000_000,
                timeoutNs: 1_000_000_000, maxLagNs: 1_000_000_000),
            transport: transport)
        #expect(load.plan.count == 20)
        #expect(load.plan.filter { $0.cluster == 0 }.count == 10)
        // In time order, each cluster's operations one gap (50 ms) apart.
        let plan = load.plan
        #expect(zip(plan, plan.dropFirst()).allSatisfy { $0.offsetNs <= $1.offsetNs })
        let first = plan.filter { $0.cluster == 1 }.map(\.offsetNs)
        #expect(zip(first, first.dropFirst()).allSatisfy { abs($1 - $0 - 50_000_000) <= 1 })
        let sink = Mutex<[Record]>([])
        let final = await load.run(emit: { r in sink.withLock { $0.append(r) } })
        let w = final.window.requests
        #expect(w.count == 20)
        #expect(w.errors == 10)
        #expect(w.byStatus == ["200": 10, "503": 10])
        #expect(final.window.items == 60)
        #expect(final.window.maxItems == 6)
        #expect(final.window.maxBytes == Int64(Self.body.count))
        #expect(final.targetRps == 40)
        #expect(final.warm)
        #expect(transport.requests.allSatisfy { $0.url.hasSuffix("/control-plane/snapshot?warm=true") })
        // Response time is from the intended start, so it is never below the service time.
        let response = try LatencyHistogram(wire: w.response)
        let service = try LatencyHistogram(wire: w.service)
        #expect(response.count == 20 && service.count == 20)
        #expect((response.max ?? 0) >= (service.max ?? 0))
        // The intervals add up to the final.
        let intervals = sink.withLock { $0 }.compactMap { r -> SnapshotIntervalRecord? in
            if case .snapshotInterval(let i) = r { i } else { nil }
        }
        #expect(intervals.reduce(0) { $0 + $1.window.requests.count } == 20)
        #expect(intervals.reduce(0) { $0 + $1.window.items } == 60)
    }

    @Test("the warm pass sends one warm=true per cluster and records each, failures included")
    func warmPass() async {
        let transport = Self.server(failing: "c-002")
        let pass = SnapshotWarmPass(
            baseURL: "https://h:1", clusters: ["c-000", "c-001", "c-002"], resources: ["configmaps"],
            transport: transport)
        let sink = Mutex<[Record]>([])
        let summary = await pass.run(isStopped: { false }, emit: { r in sink.withLock { $0.append(r) } })
        #expect(summary.clusters == 3 && summary.ok == 2 && summary.failed == 1)
        #expect(summary.items == 12)
        #expect(summary.latency.count == 3)
        let warms = sink.withLock { $0 }.compactMap { r -> SnapshotWarmRecord? in
            if case .snapshotWarm(let w) = r { w } else { nil }
        }
        #expect(warms.map(\.cluster) == ["c-000", "c-001", "c-002"])
        #expect(warms.map(\.status) == ["200", "200", "503"])
        #expect(warms[0].liveResources == 3 && warms[0].resources == 2 && warms[0].items == 6)
        #expect(warms[2].error == "busy")
        #expect(
            transport.requests.map(\.url)
                == ["c-000", "c-001", "c-002"].map {
                    "https://h:1/clusters/\($0)/control-plane/snapshot?warm=true&resource=configmaps"
                })
    }
}
