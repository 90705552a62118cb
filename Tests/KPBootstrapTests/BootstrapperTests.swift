import Foundation
import KPCore
import KPHTTP
import KPRecords
import KPTestSupport
import Synchronization
import Testing

@testable import KPBootstrap

/// Collects what a Bootstrapper hands out.
final class Collected: Sendable {
    let steps = Mutex<[BootstrapStepRecord]>([])
    let clusters = Mutex<[Bootstrapper.ClusterResult]>([])
    var stepRecords: [BootstrapStepRecord] { steps.withLock { $0 } }
}

/// Fast timings so that the polling tests take milliseconds, with deterministic backoff.
func fastConfig(
    _ clusters: [String], workers: Int = 2, deadline: Duration = .seconds(60), allowExisting: Bool = false,
    backoff: RetryBackoff = RetryBackoff(base: .milliseconds(10), cap: .milliseconds(40), jitter: 0)
) -> BootstrapConfiguration {
    let t = StepTiming(interval: .milliseconds(5), deadline: deadline, requestTimeout: .seconds(1))
    return BootstrapConfiguration(
        baseURL: "https://h:6443/", clusters: clusters, workers: workers, readyz: t, namespace: t, crdCreate: t,
        crdEstablished: t, discovery: t, allowExisting: allowExisting, backoff: backoff)
}

func runBootstrap(_ config: BootstrapConfiguration, _ transport: FakeTransport) async -> (
    BootstrapSummaryRecord, Collected
) {
    let c = Collected()
    let b = Bootstrapper(
        configuration: config, transport: transport, onStep: { r in c.steps.withLock { $0.append(r) } },
        onCluster: { r in c.clusters.withLock { $0.append(r) } })
    return (await b.run(), c)
}

@Suite struct BootstrapperTests {
    @Test func allStepsInOrderPerClusterWithOneRecordEach() async throws {
        let kplane = FakeKplane(namespacePolls: 2, establishedPolls: 1, discoveryPolls: 3)
        let fake = bootstrapTransport { kplane.answer($0, $1) }
        let (summary, c) = await runBootstrap(fastConfig(["c-000", "c-001", "c-002"]), fake)
        #expect(summary.clusters == 3 && summary.ok == 3 && summary.failed == 0 && !summary.interrupted)
        #expect(summary.workers == 2)
        #expect(summary.firstError == nil)
        let records = c.stepRecords
        #expect(records.count == 15)
        for cluster in ["c-000", "c-001", "c-002"] {
            let mine = records.filter { $0.cluster == cluster }
            #expect(mine.map(\.step) == ["readyz", "namespace", "crd_create", "crd_established", "discovery"])
            #expect(mine.allSatisfy { $0.outcome == "ok" && $0.error == nil && $0.retries == 0 })
            for (a, b) in zip(mine, mine.dropFirst()) { #expect(a.endNs <= b.startNs) }
            #expect(mine.allSatisfy { $0.startNs <= $0.endNs })
            let byStep = Dictionary(uniqueKeysWithValues: mine.map { ($0.step, $0) })
            #expect(byStep["readyz"]?.attempts == 1)
            #expect(byStep["namespace"]?.attempts == 3)
            #expect(byStep["namespace"]?.statusCounts == ["404": 2, "200": 1])
            #expect(byStep["crd_create"]?.statusCounts == ["201": 1])
            #expect(byStep["crd_established"]?.attempts == 2)
            #expect(byStep["discovery"]?.statusCounts == ["404": 3, "200": 1])
        }
        #expect(summary.requests == records.reduce(0) { $0 + $1.attempts })
        #expect(summary.requests == fake.requests.count)
        #expect(summary.retriesByStatus.isEmpty)
        #expect(c.clusters.withLock { $0.count } == 3)
    }

    @Test func requestsGoToTheClusterPathsOfContract42() async throws {
        let fake = bootstrapTransport { FakeKplane().answer($0, $1) }
        _ = await runBootstrap(fastConfig(["c-007"]), fake)
        let b = "https://h:6443/clusters/c-007/control-plane"
        #expect(
            fake.requests.map { "\($0.method) \($0.url)" } == [
                "GET \(b)/readyz",
                "GET \(b)/api/v1/namespaces/default",
                "POST \(b)/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                "GET \(b)/apis/apiextensions.k8s.io/v1/customresourcedefinitions/memwidgets.mem-c-007.kplane.dev",
                "GET \(b)/apis/mem-c-007.kplane.dev/v1",
            ])
        let post = fake.requests[2]
        #expect(post.body == TestCRD.body(for: "c-007"))
        #expect(post.headers.contains { $0.0 == "Content-Type" && $0.1 == "application/json" })
        #expect(!post.headers.contains { $0.0.lowercased() == "authorization" })
        #expect(fake.requests[0].timeout == .seconds(1))
    }

    @Test func status5xxAnd429AreRetriedWithBackoffAndCounted() async throws {
        let fake = bootstrapTransport { r, seen in
            if r.url.hasSuffix("/readyz") {
                switch seen {
                case 0: return response(503)
                case 1: return response(429)
                case 2: return response(500)
                default: break
                }
            }
            return FakeKplane().answer(r, seen)
        }
        let start = MonotonicClock.now()
        let (summary, c) = await runBootstrap(fastConfig(["c-000"]), fake)
        let readyz = try #require(c.stepRecords.first { $0.step == "readyz" })
        #expect(readyz.outcome == "ok")
        #expect(readyz.attempts == 4)
        #expect(readyz.retries == 3)
        #expect(readyz.statusCounts == ["503": 1, "429": 1, "500": 1, "200": 1])
        #expect(summary.retriesByStatus == ["503": 1, "429": 1, "500": 1])
        // Backoff 10ms, 20ms, 40ms (no jitter): the readyz step lasted at least 70ms.
        #expect(readyz.endNs - readyz.startNs >= 70_000_000)
        #expect(readyz.startNs >= start)
    }

    @Test func aDeadlineEndsTheStepAsTimeoutAndTheClusterAsFailed() async throws {
        let fake = bootstrapTransport { r, seen in
            if r.url.hasSuffix("/namespaces/default") {
                return k8sStatus(404, reason: "NotFound", message: "namespaces \"default\" not found")
            }
            return FakeKplane().answer(r, seen)
        }
        let (summary, c) = await runBootstrap(fastConfig(["c-000", "c-001"], deadline: .milliseconds(80)), fake)
        #expect(summary.ok == 0 && summary.failed == 2)
        let records = c.stepRecords
        #expect(records.map(\.step).filter { $0 == "crd_create" }.isEmpty)  // later steps are not run
        let ns = records.filter { $0.step == "namespace" }
        #expect(ns.count == 2)
        for r in ns {
            #expect(r.outcome == "timeout")
            #expect(r.attempts >= 1)  // usually ~15; a loaded machine may manage only one within 80ms
            #expect(r.statusCounts["404"] == r.attempts)
            #expect(r.retries == 0)
            #expect(r.endNs - r.startNs >= 60_000_000 && r.endNs - r.startNs < 2_000_000_000)
            #expect(r.error?.contains("namespace default not reached within 80ms") == true)
            #expect(r.error?.contains("NotFound") == true)
        }
        #expect(summary.firstError?.hasPrefix("c-00") == true)
        #expect(summary.firstError?.contains("namespace timeout") == true)
    }

    @Test func unauthorizedFailsAtOnce() async throws {
        let fake = bootstrapTransport { _, _ in k8sStatus(401, reason: "Unauthorized", message: "Unauthorized") }
        let (summary, c) = await runBootstrap(fastConfig(["c-000"]), fake)
        #expect(summary.failed == 1)
        let r = try #require(c.stepRecords.first)
        #expect(c.stepRecords.count == 1)
        #expect(r.step == "readyz" && r.outcome == "failed" && r.attempts == 1)
        #expect(r.error?.contains("token") == true)
    }

    @Test func alreadyExistsFailsUnlessAllowed() async throws {
        let answer: FakeTransport.Handler = { r, seen in
            if r.method == "POST" {
                return k8sStatus(
                    409, reason: "AlreadyExists",
                    message: "customresourcedefinitions.apiextensions.k8s.io \"x\" already exists")
            }
            return FakeKplane().answer(r, seen)
        }
        let (refused, c1) = await runBootstrap(fastConfig(["c-000"]), bootstrapTransport(answer))
        #expect(refused.failed == 1)
        let create = try #require(c1.stepRecords.first { $0.step == "crd_create" })
        #expect(create.outcome == "failed" && create.attempts == 1)
        #expect(create.error?.contains("--allow-existing") == true)
        #expect(create.statusCounts == ["409": 1])

        let (allowed, c2) = await runBootstrap(fastConfig(["c-000"], allowExisting: true), bootstrapTransport(answer))
        #expect(allowed.ok == 1)
        #expect(c2.stepRecords.count == 5)
        // The record says the cluster was there already, so the report can say which figures that spoils.
        let reused = try #require(c2.stepRecords.first { $0.step == "crd_create" })
        #expect(reused.outcome == "ok" && reused.existed == true)
        #expect(c2.stepRecords.filter { $0.step != "crd_create" }.allSatisfy { $0.existed == nil })
    }

    @Test func conflictAfterAnAmbiguousCreateIsOurOwnObject() async throws {
        func timeoutThenConflict() -> FakeTransport {
            bootstrapTransport { r, seen in
                if r.method == "POST" {
                    return seen == 0
                        ? .failure(HTTPError(.timeout, url: r.url))
                        : k8sStatus(409, reason: "AlreadyExists", message: "exists")
                }
                return FakeKplane().answer(r, seen)
            }
        }
        let (summary, c) = await runBootstrap(fastConfig(["c-000"]), timeoutThenConflict())
        #expect(summary.ok == 1)
        let create = try #require(c.stepRecords.first { $0.step == "crd_create" })
        #expect(create.statusCounts == ["timeout": 1, "409": 1])
        #expect(create.retries == 0)  // transport errors are not 429/5xx retries
        #expect(create.existed == nil)  // our own create landed: the CRD is new

        // The same with --allow-existing: still our own object, not one an earlier run left.
        let (again, c2) = await runBootstrap(fastConfig(["c-000"], allowExisting: true), timeoutThenConflict())
        #expect(again.ok == 1)
        #expect(c2.stepRecords.first { $0.step == "crd_create" }?.existed == nil)
    }

    @Test func invalidCreateFailsWithTheServersMessage() async throws {
        let fake = bootstrapTransport { r, seen in
            if r.method == "POST" { return k8sStatus(422, reason: "Invalid", message: "spec.versions: Invalid value") }
            return FakeKplane().answer(r, seen)
        }
        let (summary, c) = await runBootstrap(fastConfig(["c-000"]), fake)
        #expect(summary.failed == 1)
        let create = try #require(c.stepRecords.last)
        #expect(create.step == "crd_create" && create.outcome == "failed")
        #expect(create.error?.contains("HTTP 422 Invalid: spec.versions: Invalid value") == true)
    }

    @Test func discoveryPolls404ButRetriesOtherErrorsWithBackoff() async throws {
        let fake = bootstrapTransport { r, seen in
            if r.url.hasSuffix("kplane.dev/v1") {
                switch seen {
                case 0, 1: return k8sStatus(404, reason: "NotFound", message: "not found")
                case 2: return response(503, json: ["kind": "Status", "message": "cluster CRD runtime unavailable"])
                case 3: return k8sStatus(403, reason: "Forbidden", message: "forbidden")
                default: break
                }
            }
            return FakeKplane().answer(r, seen)
        }
        let (summary, c) = await runBootstrap(fastConfig(["c-000"]), fake)
        #expect(summary.ok == 1)
        let d = try #require(c.stepRecords.first { $0.step == "discovery" })
        #expect(d.statusCounts == ["404": 2, "503": 1, "403": 1, "200": 1])
        #expect(d.retries == 1)
        #expect(summary.retriesByStatus == ["503": 1])
    }

    @Test func discoveryWithoutThePluralKeepsPolling() async throws {
        let fake = bootstrapTransport { r, seen in
            if r.url.hasSuffix("kplane.dev/v1") && seen < 2 {
                return response(200, json: ["kind": "APIResourceList", "resources": [["name": "otherthings"]]])
            }
            return FakeKplane().answer(r, seen)
        }
        let (_, c) = await runBootstrap(fastConfig(["c-000"]), fake)
        let d = try #require(c.stepRecords.first { $0.step == "discovery" })
        #expect(d.outcome == "ok" && d.attempts == 3 && d.statusCounts == ["200": 3])
    }

    @Test func transportErrorsAreRetriedWithinTheDeadline() async throws {
        let fake = bootstrapTransport { r, seen in
            if r.url.hasSuffix("/readyz") && seen < 2 { return .failure(HTTPError(.connectionRefused, url: r.url)) }
            if r.url.hasSuffix("/namespaces/default") && seen == 0 {
                return .failure(HTTPError(.connectionReset, url: r.url))
            }
            return FakeKplane().answer(r, seen)
        }
        let (summary, c) = await runBootstrap(fastConfig(["c-000"]), fake)
        #expect(summary.ok == 1)
        try #require(c.stepRecords.count >= 2)
        #expect(c.stepRecords[0].statusCounts == ["refused": 2, "200": 1])
        #expect(c.stepRecords[1].statusCounts == ["reset": 1, "200": 1])
        #expect(c.stepRecords[0].retries == 0)
    }

    @Test func tlsErrorsFailAtOnce() async throws {
        let fake = bootstrapTransport { r, _ in .failure(HTTPError(.tls("certificate verify failed"), url: r.url)) }
        let (summary, c) = await runBootstrap(fastConfig(["c-000"]), fake)
        #expect(summary.failed == 1)
        #expect(c.stepRecords.count == 1 && c.stepRecords[0].attempts == 1 && c.stepRecords[0].outcome == "failed")
        #expect(c.stepRecords[0].statusCounts == ["tls": 1])
    }

    @Test func establishedIsReadFromStatusConditions() async throws {
        let fake = bootstrapTransport { FakeKplane(establishedPolls: 3).answer($0, $1) }
        let (_, c) = await runBootstrap(fastConfig(["c-000"]), fake)
        let e = try #require(c.stepRecords.first { $0.step == "crd_established" })
        #expect(e.outcome == "ok" && e.attempts == 4)
    }

    @Test func established404IsPolled() async throws {
        let fake = bootstrapTransport { r, seen in
            if r.url.contains("customresourcedefinitions/") && seen == 0 {
                return k8sStatus(404, reason: "NotFound", message: "nope")
            }
            return FakeKplane().answer(r, seen)
        }
        let (summary, c) = await runBootstrap(fastConfig(["c-000"]), fake)
        #expect(summary.ok == 1)
        let e = try #require(c.stepRecords.first { $0.step == "crd_established" })
        #expect(e.outcome == "ok" && e.statusCounts == ["404": 1, "200": 1] && e.retries == 0)
    }

    @Test func establishedTimeoutNamesTheConditionsSeen() async throws {
        let fake = bootstrapTransport { r, seen in
            if r.url.contains("customresourcedefinitions/") {
                return response(
                    200,
                    json: [
                        "status": [
                            "conditions": [
                                ["type": "NamesAccepted", "status": "True"],
                                ["type": "Established", "status": "False"],
                            ]
                        ]
                    ])
            }
            return FakeKplane().answer(r, seen)
        }
        let (summary, c) = await runBootstrap(fastConfig(["c-000"], deadline: .milliseconds(60)), fake)
        #expect(summary.failed == 1)
        let e = try #require(c.stepRecords.last)
        #expect(e.step == "crd_established" && e.outcome == "timeout")
        #expect(e.error?.contains("CRD Established=True not reached within 60ms") == true)
        #expect(e.error?.contains("conditions: NamesAccepted=True,Established=False") == true)
    }

    @Test func cancellationInterruptsInFlightStepsAndStopsNewClusters() async throws {
        let fake = bootstrapTransport { r, seen in
            if r.url.hasSuffix("/namespaces/default") { return k8sStatus(404, reason: "NotFound", message: "not yet") }
            return FakeKplane().answer(r, seen)
        }
        let names = (0..<50).map { String(format: "c-%03d", $0) }
        let c = Collected()
        let b = Bootstrapper(
            configuration: fastConfig(names, workers: 3, deadline: .seconds(30)), transport: fake,
            onStep: { r in c.steps.withLock { $0.append(r) } })
        let task = Task { await b.run() }
        // Cancel once all three workers are polling the namespace (not after a fixed sleep: the machine may be busy).
        let waitUntil = MonotonicClock.now() + 20_000_000_000
        while Set(fake.requests.filter { $0.url.hasSuffix("/namespaces/default") }.map(\.url)).count < 3
            && MonotonicClock.now() < waitUntil
        {
            try await Task.sleep(for: .milliseconds(5))
        }
        task.cancel()
        let summary = await task.value
        #expect(summary.interrupted)
        #expect(summary.ok == 0 && summary.failed == 0)
        #expect(summary.endNs - summary.startNs < 25_000_000_000)
        let interrupted = c.stepRecords.filter { $0.outcome == "interrupted" }
        #expect(interrupted.count == 3)
        #expect(interrupted.allSatisfy { $0.step == "namespace" && $0.attempts >= 1 })
        #expect(Set(c.stepRecords.map(\.cluster)).count == 3)  // no cluster beyond the three in flight started
    }

    @Test func workersRunConcurrentlyUpToTheLimit() async throws {
        let transport = ConcurrencyProbe()
        let c = Collected()
        let b = Bootstrapper(
            configuration: fastConfig((0..<12).map { "c-\($0)" }, workers: 4), transport: transport,
            onStep: { r in c.steps.withLock { $0.append(r) } })
        let summary = await b.run()
        #expect(summary.ok == 12 && summary.workers == 4)
        #expect(transport.peak == 4)
    }

    @Test func fewerClustersThanWorkersUsesOneWorkerPerCluster() async throws {
        let (summary, _) = await runBootstrap(
            fastConfig(["a", "b"], workers: 12), bootstrapTransport { FakeKplane().answer($0, $1) })
        #expect(summary.workers == 2 && summary.ok == 2)
    }
}

/// Answers like FakeKplane after a pause, recording the most requests in flight at once.
final class ConcurrencyProbe: HTTPTransport {
    private let state = Mutex((now: 0, peak: 0))
    var peak: Int { state.withLock { $0.peak } }

    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        state.withLock { s in
            s.now += 1
            s.peak = max(s.peak, s.now)
        }
        try? await Task.sleep(for: .milliseconds(5))
        state.withLock { $0.now -= 1 }
        return try FakeKplane().answer(request, 0).get()
    }
}
