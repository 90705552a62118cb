import Foundation
import KPHTTP
import KPRecords
import KPTestSupport
import Testing

@testable import KPBootstrap

/// The teardown scenario's delete half end to end against the emulator, with the built kp-bootstrap.
@Suite(.serialized) struct SimTeardownTests {
    static func target(_ sim: SimProcess) -> [String] {
        ["--url", sim.url, "--token-file", sim.tokenFile, "--ca-file", sim.caFile]
    }

    /// Bootstraps `n` clusters with the tool and writes its output to a file; returns the file.
    static func bootstrap(_ sim: SimProcess, _ n: Int, dir: String) throws -> String {
        let tool = try BuiltTools.path("kp-bootstrap")
        let r = try BuiltTools.run(tool, target(sim) + ["--clusters", "\(n)", "--workers", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        let file = dir + "/bootstrap.jsonl"
        try r.stdout.write(to: URL(fileURLWithPath: file))
        return file
    }

    static func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "kptear-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    typealias Figures = (heap: Double, rss: Double, goroutines: Double)

    /// `go_memstats_heap_inuse_bytes`, `process_resident_memory_bytes` and `go_goroutines` from the root /metrics.
    static func figures(_ sim: SimProcess, _ client: HTTPClient) async throws -> Figures {
        let r = try await client.send(HTTPRequest(url: sim.url + "/metrics"))
        let text = String(decoding: r.body, as: UTF8.self)
        func value(_ name: String) -> Double? {
            for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
                return Double(line.split(separator: " ").last ?? "")
            }
            return nil
        }
        return (
            try #require(value("go_memstats_heap_inuse_bytes")), try #require(value("process_resident_memory_bytes")),
            try #require(value("go_goroutines"))
        )
    }

    @Test func teardownDeletesObjectsAndCRDsAndSaysEtcdWasSkipped() async throws {
        let sim = try SimProcess(prefix: "tear")
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = try Self.bootstrap(sim, 5, dir: dir)
        let client = try HTTPClient(
            configuration: HTTPClientConfiguration(caFile: sim.caFile, tokenFile: sim.tokenFile))
        // Two test objects in c-000.
        let objects =
            "\(sim.url)/clusters/c-000/control-plane/apis/\(TestCRD.group(for: "c-000"))/v1/namespaces/default/memwidgets"
        for name in ["w1", "w2"] {
            let body = #"{"apiVersion":"mem-c-000.kplane.dev/v1","kind":"TestWidget","metadata":{"name":"\#(name)"}}"#
            let created = try await client.send(
                HTTPRequest(
                    method: "POST", url: objects, headers: [("Content-Type", "application/json")], body: Data(body.utf8)
                ))
            #expect(created.status == 201)
        }

        let tool = try BuiltTools.path("kp-bootstrap")
        let r = try BuiltTools.run(tool, Self.target(sim) + ["--teardown", "--bootstrap", file, "--workers", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let records = try SimBootstrapTests.records(r.stdout)
        let steps = records.compactMap { if case .teardownStep(let s) = $0 { s } else { nil } }
        #expect(steps.count == 10 && steps.allSatisfy { $0.outcome == "ok" })
        #expect(Set(steps.map(\.step)) == ["api_objects", "api_crd"])
        #expect(steps.first { $0.cluster == "c-000" && $0.step == "api_objects" }?.objectsDeleted == 2)
        #expect(
            steps.filter { $0.step == "api_crd" }.allSatisfy { $0.objectsDeleted == 1 && $0.statusCounts["200"] == 1 })
        guard case .teardownSummary(let summary) = records.last else {
            Issue.record("last record is not the summary")
            return
        }
        #expect(
            summary.clusters == 5 && summary.ok == 5 && summary.failed == 0 && summary.objectsDeleted == 7
                && summary.keysDeleted == 0)
        #expect(summary.etcd == "skipped" && summary.skippedReason == "etcd not controlled by this run (mode url)")
        for c in ["c-000", "c-001", "c-002", "c-003", "c-004"] {
            let crd = try await client.send(
                HTTPRequest(
                    url:
                        "\(sim.url)/clusters/\(c)/control-plane/apis/apiextensions.k8s.io/v1/customresourcedefinitions/\(TestCRD.name(for: c))"
                ))
            #expect(crd.status == 404, "\(c)")
        }

        // Again: everything is gone already, which is ok with nothing deleted.
        let again = try BuiltTools.run(tool, Self.target(sim) + ["--teardown", "--clusters", "5"])
        #expect(again.status == 0, "\(again.stderr)")
        guard case .teardownSummary(let second) = try SimBootstrapTests.records(again.stdout).last else {
            Issue.record("no summary")
            return
        }
        #expect(second.ok == 5 && second.objectsDeleted == 0)

        for bad in [
            ["--bootstrap", file], ["--teardown", "--fleet", "f"],
            ["--teardown", "--bootstrap", dir + "/missing.jsonl"],
            ["--teardown", "--bootstrap", file, "--clusters", "2"],
        ] {
            let result = try BuiltTools.run(tool, Self.target(sim) + bad)
            #expect(result.status == 2, "\(bad): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }

    /// Runs bootstrap, a steady reading, teardown and a post-teardown reading; returns the two readings.
    static func teardownFigures(evict: Bool) async throws -> (steady: Figures, post: Figures) {
        var extra = ["--sim-vcp-memory-bytes=8Mi", "--sim-vcp-tasks=4"]
        if evict { extra.append("--sim-evict-on-delete") }
        let sim = try SimProcess(prefix: "tear", extraArgs: extra)
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = try bootstrap(sim, 5, dir: dir)
        let client = try HTTPClient(
            configuration: HTTPClientConfiguration(caFile: sim.caFile, tokenFile: sim.tokenFile))
        let steady = try await figures(sim, client)
        let r = try BuiltTools.run(
            try BuiltTools.path("kp-bootstrap"), target(sim) + ["--teardown", "--bootstrap", file])
        #expect(r.status == 0, "\(r.stderr)")
        try await Task.sleep(for: .milliseconds(300))
        let post = try await figures(sim, client)
        return (steady, post)
    }

    /// 5 VCPs retain 8 MiB and run 4 tasks each (40 MiB, 20 tasks): with eviction most of it comes back,
    /// without it (kplane's behaviour) it does not. Margins are half the per-VCP cost, not timings.
    @Test func evictOnDeleteGivesTheVCPCostBackAndTheDefaultKeepsIt() async throws {
        let kept = try await Self.teardownFigures(evict: false)
        #expect(kept.steady.heap - kept.post.heap < 20 * 1024 * 1024, "heap \(kept.steady.heap) → \(kept.post.heap)")
        #expect(kept.steady.rss - kept.post.rss < 20 * 1024 * 1024, "RSS \(kept.steady.rss) → \(kept.post.rss)")
        #expect(
            kept.steady.goroutines - kept.post.goroutines < 10,
            "goroutines \(kept.steady.goroutines) → \(kept.post.goroutines)")

        let evicted = try await Self.teardownFigures(evict: true)
        #expect(
            evicted.steady.heap - evicted.post.heap >= 20 * 1024 * 1024,
            "heap \(evicted.steady.heap) → \(evicted.post.heap)")
        #expect(
            evicted.steady.rss - evicted.post.rss >= 20 * 1024 * 1024, "RSS \(evicted.steady.rss) → \(evicted.post.rss)"
        )
        #expect(
            evicted.steady.goroutines - evicted.post.goroutines >= 10,
            "goroutines \(evicted.steady.goroutines) → \(evicted.post.goroutines)")
    }
}
