import Foundation
import KPCore
import KPHTTP
import KPRecords
import KPStats
import Synchronization
import Testing

@testable import KPLoad

/// Watch streams against the kp-sim binary: ``KPHTTP/HTTPClient/stream(_:maxLineBytes:onLine:completion:)``
/// and kp-load's ``WatchFanout`` (scenario watch-fanout).
@Suite("watch streams against kp-sim", .serialized)
struct SimWatchTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        let ended = Mutex<Result<HTTPResponse, HTTPError>?>(nil)
        var all: [String] { lines.withLock { $0 } }
        var end: Result<HTTPResponse, HTTPError>? { ended.withLock { $0 } }
    }

    static func waitFor(_ what: String, seconds: Double = 20, _ check: () -> Bool) async throws {
        let deadline = MonotonicClock.now() + Int64(seconds * 1e9)
        while MonotonicClock.now() < deadline {
            if check() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw SimServerError("\(what) did not happen within \(seconds) s")
    }

    static func object(_ cluster: String, _ name: String) -> Data {
        let group = ObjectCatalog.group(for: cluster)
        return Data(
            "{\"apiVersion\":\"\(group)/v1\",\"kind\":\"TestWidget\",\"metadata\":{\"name\":\"\(name)\"},\"spec\":{\"data\":\"x\"}}"
                .utf8)
    }

    @Test(
        "the byte scan reads type and the object's own resourceVersion in Kubernetes' and kp-sim's key orders; ERROR and other layouts go to the decoder"
    )
    func eventScan() {
        func scan(_ s: String) -> (String, String?)? {
            Array(s.utf8).withUnsafeBytes {
                WatchFanout.scan($0).map { ($0.type, $0.object.metadata?.resourceVersion) }
            }
        }
        let kube =
            #"{"type":"MODIFIED","object":{"kind":"TestWidget","metadata":{"annotations":{"a":"{\"resourceVersion\":\"1\"}"},"name":"x","resourceVersion":"42","managedFields":[{"resourceVersion":"7"}]},"spec":{"type":"y"}}}"#
        #expect(scan(kube)! == ("MODIFIED", "42"))
        let sim = #"{"object":{"metadata":{"name":"x","resourceVersion":"43"},"spec":{"data":"type"}},"type":"ADDED"}"#
        #expect(scan(sim)! == ("ADDED", "43"))
        let bookmark = #"{"object":{"kind":"TestWidget","metadata":{"resourceVersion":"44"}},"type":"BOOKMARK"}"#
        #expect(scan(bookmark)! == ("BOOKMARK", "44"))
        #expect(scan(#"{"object":{"code":410,"kind":"Status"},"type":"ERROR"}"#) == nil)
        #expect(scan(#"{"object":{"metadata":{"resourceVersion":"1"}}, "type": "ADDED" }"#) == nil)
    }

    @Test(
        "a watch streams each event as one line while it is open and ends when the server ends it; streams beyond maxConcurrentStreams get another connection; cancelStream ends a stream with 'cancelled'"
    )
    func streamLines() async throws {
        let sim = try SimServer(faults: [])
        defer { sim.stop() }
        let client = try sim.client()
        try await sim.bootstrap(["c-000"], client: client)
        // Two streams per connection at most: three streams need two connections.
        let watchClient = try HTTPClient(
            configuration: HTTPClientConfiguration(
                insecureSkipTLSVerify: true, tokenFile: sim.tokenFile, timeout: .seconds(60),
                maxConnectionsPerHost: 0, maxConcurrentStreams: 2))
        let url = ObjectCatalog.collectionURL(baseURL: sim.baseURL, cluster: "c-000", namespace: "default")
        func open(_ query: String) -> (Lines, HTTPStreamID) {
            let sink = Lines()
            let id = watchClient.stream(HTTPRequest(url: url + query)) { line in
                sink.lines.withLock { $0.append(String(decoding: line, as: UTF8.self)) }
            } completion: { result in
                sink.ended.withLock { $0 = result }
            }
            return (sink, id)
        }
        // The server ends these after 3 s.
        let sinks = (0..<3).map { _ in open("?watch=true&timeoutSeconds=3").0 }
        try await Task.sleep(for: .milliseconds(300))
        for name in ["w-1", "w-2"] {
            let r = try await client.send(
                HTTPRequest(
                    method: "POST", url: url, headers: [("Content-Type", "application/json")],
                    body: Self.object("c-000", name)))
            #expect(r.status == 201)
        }
        try await Self.waitFor("both ADDED events on every stream") { sinks.allSatisfy { $0.all.count >= 2 } }
        for sink in sinks {
            let lines = sink.all
            #expect(lines.count == 2)
            #expect(lines.allSatisfy { $0.contains("\"ADDED\"") && !$0.contains("\n") })
            #expect(lines[0].contains("w-1") && lines[1].contains("w-2"))
        }
        try await Self.waitFor("the server ended every stream") { sinks.allSatisfy { $0.end != nil } }
        for sink in sinks {
            guard case .success(let r) = sink.end! else {
                Issue.record("a stream the server ended is a response, got \(String(describing: sink.end))")
                continue
            }
            #expect(r.status == 200 && r.body.isEmpty)
        }
        #expect(watchClient.statistics.connectionsOpened >= 2, "3 streams at 2 per connection")
        // A stream without a server timeout, cancelled by the caller.
        let (sink, id) = open("?watch=true")
        try await Task.sleep(for: .milliseconds(200))
        #expect(sink.end == nil, "the stream is still open")
        watchClient.cancelStream(id)
        try await Self.waitFor("the cancelled stream ended") { sink.end != nil }
        guard case .failure(let e) = sink.end!, case .transport(_, let message) = e.kind else {
            Issue.record("a cancelled stream ends with a transport error, got \(String(describing: sink.end))")
            return
        }
        #expect(message.contains("cancelled"))
    }

    @Test(
        "watchers (W=2 on 2 clusters) see the writers' Updates: events matched by resourceVersion, delivery latency recorded, bookmarks counted"
    )
    func fanoutMatchesUpdates() async throws {
        let sim = try SimServer(faults: ["--sim-watch-bookmark-interval=500ms"])
        defer { sim.stop() }
        let client = try sim.client()
        let clusters = ["c-000", "c-001"]
        try await sim.bootstrap(clusters, client: client)
        let ledger = UpdateLedger()
        var config = SimLoadTests.config(baseURL: sim.baseURL, read: 2, write: 5, durationMs: 3000, hot: clusters)
        config.updateLedger = ledger
        let watchClient = try sim.client(timeout: .seconds(60), maxConnections: 0)
        let fanout = WatchFanout(
            configuration: WatchFanoutConfiguration(
                baseURL: sim.baseURL, clusters: clusters, watchersPerCluster: 2, reportIntervalNs: 1_000_000_000),
            client: watchClient, ledger: ledger)
        let sink = RecordSink()
        let startNs = MonotonicClock.now()
        let reporter = Mutex<WatchFinalRecord?>(nil)
        let runner = LoadRunner(configuration: config, transport: client)
        let beforePhase: @Sendable () async -> Void = {
            await fanout.start()
            let t = Thread {
                let f = fanout.runReporter(startNs: startNs) { sink.emit($0) }
                reporter.withLock { $0 = f }
            }
            t.start()
        }
        let result = try await runner.run(beforePhase: beforePhase) { sink.emit($0) }
        fanout.stop()
        try await Self.waitFor("watch_final") { reporter.withLock { $0 != nil } }
        let final = try #require(reporter.withLock { $0 })
        let updates = result.final.ops.first { $0.op == "write" }!.count
        #expect(updates > 0)
        #expect(final.watchers == 4 && final.clusters == 2 && final.resources == ["memwidgets"])
        let c = final.counts
        // Every Update of a watched cluster reaches both of its watchers; each is matched.
        #expect(c.matched >= 2 * ledger.count - 4, "matched \(c.matched) of \(ledger.count) Updates × 2 watchers")
        #expect(c.matched > 0 && c.unmatched == 0)
        #expect(c.events >= c.matched)
        #expect(c.bookmarks > 0)
        #expect(c.lists == 4 && c.listErrors == 0)
        #expect(c.ends.isEmpty && c.reestablished == 0)
        // The phase's end: kp-load cancelled its 4 streams itself.
        #expect(c.stopped == 4)
        let delivery = try LatencyHistogram(wire: c.delivery)
        #expect(delivery.count == c.matched)
        #expect(try LatencyHistogram(wire: c.deliveryFromResponse).count == c.matched)
        // The intervals add up to the final.
        let intervals = sink.all.compactMap { if case .watchInterval(let i) = $0 { i } else { nil } }
        #expect(!intervals.isEmpty)
        #expect(intervals.reduce(0) { $0 + $1.counts.matched } == c.matched)
        #expect(sink.all.contains { if case .watchFinal = $0 { true } else { false } })
    }

    /// Runs the reporter of a stopped fanout to its `watch_final`.
    static func final(_ fanout: WatchFanout) async throws -> WatchFinalRecord {
        let box = Mutex<WatchFinalRecord?>(nil)
        let t = Thread {
            let f = fanout.runReporter(startNs: MonotonicClock.now()) { _ in }
            box.withLock { $0 = f }
        }
        t.start()
        try await waitFor("watch_final") { box.withLock { $0 != nil } }
        return try #require(box.withLock { $0 })
    }

    @Test(
        "watches that end once kp-load is stopping (the server goes away right after kp-load's stop, as with a Ctrl-C) count as stopped, not transport, and are not re-established; without the stop the same ends are the server's and are retried"
    )
    func endsAfterTheStopAreKpLoadsOwn() async throws {
        let sim = try SimServer(faults: [])
        defer { sim.stop() }
        let client = try sim.client()
        try await sim.bootstrap(["c-000"], client: client)
        func fanout() throws -> WatchFanout {
            WatchFanout(
                configuration: WatchFanoutConfiguration(
                    baseURL: sim.baseURL, clusters: ["c-000"], watchersPerCluster: 2, retryDelayNs: 200_000_000),
                client: try sim.client(timeout: .seconds(60), maxConnections: 0), ledger: UpdateLedger())
        }
        let stopped = try fanout()
        let running = try fanout()
        await stopped.start()
        await running.start()
        try await Self.waitFor("4 watch streams open") { stopped.openStreams == 2 && running.openStreams == 2 }
        // kp-load's stop (before its reporter cancels the streams), then the server goes away.
        stopped.stop(interrupted: true)
        sim.stop()
        try await Self.waitFor("the stopped fanout's streams ended") { stopped.openStreams == 0 }
        try await Self.waitFor("the running fanout retried") { running.reestablishedCount >= 1 }
        // Three retry delays: nothing of the stopped fanout opens again.
        try await Task.sleep(for: .milliseconds(600))
        #expect(stopped.openStreams == 0 && stopped.reestablishedCount == 0)
        running.stop()
        let s = try await Self.final(stopped)
        #expect(s.counts.ends.isEmpty, "\(s.counts.ends)")
        #expect(s.counts.stopped == 2 && s.counts.reestablished == 0)
        #expect(s.interrupted)
        let r = try await Self.final(running).counts
        #expect(r.ends.values.reduce(0, +) >= 2, "\(r.ends)")
        #expect(r.reestablished >= 1)
    }

    @Test(
        "a watch from a too-old resourceVersion gets 410 Gone; the watcher re-lists and re-establishes, and both are counted"
    )
    func goneRelists() async throws {
        // History of 1 event per resource type: after two writes, version 1 is long gone.
        let sim = try SimServer(faults: ["--sim-watch-history=1"])
        defer { sim.stop() }
        let client = try sim.client()
        try await sim.bootstrap(["c-000"], client: client)
        let url = ObjectCatalog.collectionURL(baseURL: sim.baseURL, cluster: "c-000", namespace: "default")
        for name in ["w-1", "w-2", "w-3"] {
            let r = try await client.send(
                HTTPRequest(
                    method: "POST", url: url, headers: [("Content-Type", "application/json")],
                    body: Self.object("c-000", name)))
            #expect(r.status == 201)
        }
        let watchClient = try sim.client(timeout: .seconds(60), maxConnections: 0)
        let fanout = WatchFanout(
            configuration: WatchFanoutConfiguration(
                baseURL: sim.baseURL, clusters: ["c-000"], watchersPerCluster: 1, startResourceVersion: "1"),
            client: watchClient, ledger: UpdateLedger())
        await fanout.start()
        let reporter = Mutex<WatchFinalRecord?>(nil)
        let t = Thread {
            let f = fanout.runReporter(startNs: MonotonicClock.now()) { _ in }
            reporter.withLock { $0 = f }
        }
        t.start()
        // The 410, the re-list and the new watch: one stream open again.
        try await Self.waitFor("the watch is open again") { fanout.reestablishedCount == 1 && fanout.openStreams == 1 }
        fanout.stop()
        try await Self.waitFor("watch_final") { reporter.withLock { $0 != nil } }
        let c = try #require(reporter.withLock { $0 }).counts
        #expect(c.ends["gone"] == 1)
        #expect(c.lists == 1 && c.listErrors == 0, "the re-list")
        #expect(c.reestablished == 1)
    }
}
