import Foundation
import KPPromText
import KPTestSupport
import Testing

@testable import KPSim

@Suite(.tags(.timing)) struct FaultInjectionTests {
    @Test func fixedLatencyDelaysAPIButNotMetrics() async throws {
        try await Support.withServer(extra: ["--fault-latency=fixed:1500ms"]) { server in
            let api = try await server.curl("/version")
            let metrics = try await server.curl("/metrics")
            #expect(api.status == 200 && metrics.status == 200)
            #expect(api.serverSeconds >= 1.5, "\(api.serverSeconds)")
            // /metrics is not delayed (margin for a loaded CI machine).
            #expect(metrics.serverSeconds < api.serverSeconds - 1.0, "\(metrics.serverSeconds)")
        }
    }

    @Test func errorRateAnswersWithTheConfiguredStatus() async throws {
        try await Support.withServer(extra: ["--fault-error-rate=1", "--fault-error-status=429"]) { server in
            let result = try await server.curl("/api/v1/namespaces")
            #expect(result.status == 429)
            #expect(result.json?["reason"] == "TooManyRequests")
            #expect(result.headers.lowercased().contains("retry-after: 1"))
            #expect(try await server.curl("/metrics").status == 200)
        }
        try await Support.withServer(extra: ["--fault-error-rate=0.5", "--fault-error-status=503", "--sim-seed=7"]) {
            server in
            var codes: [Int: Int] = [:]
            for _ in 0..<40 { codes[try await server.curl("/version").status, default: 0] += 1 }
            #expect((codes[503] ?? 0) >= 8 && (codes[200] ?? 0) >= 8, "\(codes)")
            #expect(codes.keys.allSatisfy { $0 == 200 || $0 == 503 })
        }
    }

    @Test func oneShotStallHoldsEverything() async throws {
        try await Support.withServer(extra: ["--fault-stall=1200ms@0s"]) { server in
            let held = try await server.curl("/metrics")
            #expect(held.status == 200)
            #expect(ContinuousClock.now - server.context.started >= .milliseconds(1200))
            let after = try await server.curl("/version")
            #expect(after.status == 200)
            #expect(after.serverSeconds < 1.0, "no stall after the window: \(after.serverSeconds)")
        }
    }

    @Test func resetRateResetsStreams() async throws {
        try await Support.withServer(extra: ["--fault-reset-rate=1"]) { server in
            let result = try await server.curl("/version")
            #expect(result.status == 0)
            #expect(result.exitCode != 0, "curl must see the stream reset: \(result.stderr)")
            #expect(server.context.metrics.rstStreamSent.load(ordering: .relaxed) >= 1)
            #expect(try await server.curl("/metrics").status == 200)
        }
    }

    @Test func metricsFaults() async throws {
        try await Support.withServer(extra: ["--fault-metrics-delay=1500ms", "--fault-metrics-malformed"]) { server in
            let metrics = try await server.curl("/metrics")
            let api = try await server.curl("/version")
            #expect(metrics.status == 200 && api.status == 200)
            #expect(metrics.serverSeconds >= 1.5, "\(metrics.serverSeconds)")
            #expect(api.serverSeconds < metrics.serverSeconds - 1.0, "\(api.serverSeconds)")
            #expect(throws: (any Error).self) { _ = try PromTextParser.parse(metrics.body) }
        }
    }

    @Test func pprofStatus() async throws {
        try await Support.withServer(extra: ["--fault-pprof-status=500"]) { server in
            try Task.checkCancellation()
            #expect(try await server.curl("/debug/pprof/heap").status == 500)
            #expect(try await server.curl("/debug/pprof/goroutine?debug=1").status == 500)
            #expect(try await server.curl("/version").status == 200)
        }
    }

    @Test func crashAfterDurationExitsNonZero() async throws {
        let dir = try Support.makeWorkDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let start = ContinuousClock.now
        let sim = try await SpawnedSim(
            arguments: Support.smokeArguments(dir: dir, extra: ["--fault-crash-after=1500ms"]), dir: dir)
        let code = await sim.waitForExit(timeout: .seconds(15))
        #expect(code == 3)
        #expect(ContinuousClock.now - start >= .milliseconds(1500))
        #expect(sim.stderr.contains("injected crash: --fault-crash-after"))
    }

    @Test func crashAfterVCPsExitsNonZero() async throws {
        let dir = try Support.makeWorkDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sim = try await SpawnedSim(
            arguments: Support.smokeArguments(dir: dir, extra: ["--fault-crash-after-vcps=2"]), dir: dir)
        #expect(try await sim.curl("/readyz", cluster: "c-1").status == 200)
        #expect(sim.exitCode == nil)
        _ = try? await sim.curl("/readyz", cluster: "c-2")
        let code = await sim.waitForExit(timeout: .seconds(10))
        #expect(code == 3)
        #expect(sim.stderr.contains("--fault-crash-after-vcps=2"))
    }
}
