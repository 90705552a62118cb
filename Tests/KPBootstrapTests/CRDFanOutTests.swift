import Foundation
import KPCore
import KPHTTP
import KPRecords
import KPTestSupport
import Testing

@testable import KPBootstrap

/// `--crds-per-cluster K`: K distinct test CRDs per cluster, each created, Established and discovered.
@Suite struct CRDFanOutTests {
    @Test func testCRDsAreDistinctGroupsAndCRDZeroIsTheMemoryTests() {
        #expect(TestCRD.group(for: "c_007", index: 0) == TestCRD.group(for: "c_007"))
        #expect(TestCRD.group(for: "c_007", index: 0) == "mem-c-007.kplane.dev")
        #expect(TestCRD.group(for: "c_007", index: 3) == "mem3-c-007.kplane.dev")
        #expect(TestCRD.name(for: "c-1", index: 2) == "memwidgets.mem2-c-1.kplane.dev")
        #expect(TestCRD.body(for: "c-1", index: 0) == TestCRD.body(for: "c-1"))
        let object = try? JSONSerialization.jsonObject(with: TestCRD.body(for: "c-1", index: 2)) as? [String: Any]
        #expect((object?["spec"] as? [String: Any])?["group"] as? String == "mem2-c-1.kplane.dev")
    }

    @Test func eachCRDStepRunsOncePerCRDAndNamesItsCRD() async throws {
        let kplane = FakeKplane(establishedPolls: 1, discoveryPolls: 1)
        let created = FakeCounter()
        let fake = bootstrapTransport { request, seen in
            let path = request.url.components(separatedBy: "/control-plane").last ?? ""
            if request.method == "POST" { created.add(String(decoding: request.body ?? Data(), as: UTF8.self)) }
            // Discovery of any test group (FakeKplane answers mem-… only).
            if path.hasPrefix("/apis/mem") && !path.hasPrefix("/apis/mem-") {
                return kplane.answer(
                    HTTPRequest(url: request.url.replacingOccurrences(of: "/apis/mem", with: "/apis/mem-x")), seen)
            }
            return kplane.answer(request, seen)
        }
        var config = fastConfig(["c-000", "c-001"])
        config.crdsPerCluster = 3
        let (summary, c) = await runBootstrap(config, fake)
        #expect(summary.ok == 2 && summary.failed == 0)
        let mine = c.stepRecords.filter { $0.cluster == "c-001" }
        #expect(
            mine.map(\.step) == [
                "readyz", "namespace", "crd_create", "crd_create", "crd_create", "crd_established", "crd_established",
                "crd_established", "discovery", "discovery", "discovery",
            ])
        #expect(mine.prefix(2).allSatisfy { $0.crd == nil })
        let names = (0..<3).map { TestCRD.name(for: "c-001", index: $0) }
        #expect(mine.dropFirst(2).map { $0.crd! } == names + names + names)
        #expect(created.values.count == 6)
        #expect(created.values.contains { $0.contains("\"mem2-c-001.kplane.dev\"") })
        // The bootstrapped-cluster rule still needs every step of every CRD ok.
        #expect(BootstrapStepRecord.bootstrappedClusters(c.stepRecords) == ["c-000", "c-001"])
    }

    @Test func oneCRDWritesTheRecordsAsBefore() async throws {
        let fake = bootstrapTransport { FakeKplane().answer($0, $1) }
        let (_, c) = await runBootstrap(fastConfig(["c-000"]), fake)
        #expect(c.stepRecords.count == 5 && c.stepRecords.allSatisfy { $0.crd == nil })
        let line = String(decoding: try RecordCodec.encode(c.stepRecords[2].record), as: UTF8.self)
        #expect(!line.contains("\"crd\""))
    }

    /// The one end-to-end: two CRDs in each of three kp-sim VCPs; the shared runtime is made once and
    /// its status queue set each CRD's conditions; teardown deletes both CRDs.
    @Test func twoCRDsPerVCPOnKpSim() async throws {
        let sim = try SimProcess(prefix: "crd-fanout")
        let client = try HTTPClient(
            configuration: HTTPClientConfiguration(caFile: sim.caFile, tokenFile: sim.tokenFile))
        let names = ["c-000", "c-001", "c-002"]
        let collected = Collected()
        let summary = await Bootstrapper(
            configuration: BootstrapConfiguration(baseURL: sim.url, clusters: names, workers: 2, crdsPerCluster: 2),
            transport: client, onStep: { r in collected.steps.withLock { $0.append(r) } }
        ).run()
        #expect(summary.ok == 3 && summary.failed == 0, "\(summary.firstError ?? "")")
        #expect(collected.stepRecords.count == 3 * (2 + 3 * 2))
        let discovered = try await client.send(
            HTTPRequest(url: "\(sim.url)/clusters/c-001/control-plane/apis/\(TestCRD.group(for: "c-001", index: 1))/v1")
        )
        #expect(discovered.status == 200)
        let metrics = String(
            decoding: try await client.send(HTTPRequest(url: "\(sim.url)/metrics")).body, as: UTF8.self)
        #expect(metrics.contains("mc_crd_runtime_create_total{status=\"success\"} 1\n"))
        #expect(metrics.contains("workqueue_adds_total{name=\"mc_shared_crd_status\"} 6\n"))

        var teardown = TeardownConfiguration(baseURL: sim.url, clusters: ["c-002"], workers: 1)
        teardown.crdsPerCluster = 2
        _ = await Teardowner(
            configuration: teardown, transport: client, etcdTransport: nil, onStep: { _ in }
        ).run()
        for index in 0..<2 {
            let crd = try await client.send(
                HTTPRequest(
                    url:
                        "\(sim.url)/clusters/c-002/control-plane/apis/apiextensions.k8s.io/v1/customresourcedefinitions/\(TestCRD.name(for: "c-002", index: index))"
                ))
            #expect(crd.status == 404)
        }
    }
}

/// Collects strings from the transport's handler (any thread).
final class FakeCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func add(_ s: String) { lock.withLock { stored.append(s) } }
    var values: [String] { lock.withLock { stored } }
}
