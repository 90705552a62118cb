import Foundation
import KPCore
import KPRecords
import Synchronization
import Testing

@testable import KPHTTP

/// The driver's own queue for transfers beyond the stream slots, as a value: no libcurl, no clock.
@Suite struct PendingTransfersTests {
    @Test func admitsDirectlyOnlyWithAFreeSlotAndNobodyWaiting() {
        var q = PendingTransfers<String>(capacity: 2)
        #expect(q.admitsDirectly(running: 0))
        #expect(q.admitsDirectly(running: 1))
        #expect(!q.admitsDirectly(running: 2))
        q.append("a", id: 1, deadlineNs: 1_000)
        // Someone waits: a newcomer queues behind it even with a free slot (FIFO).
        #expect(!q.admitsDirectly(running: 0))
    }

    @Test func startsInSubmissionOrderAndNeverBeyondCapacity() {
        var q = PendingTransfers<Int>(capacity: 3)
        for i in 0..<100 { q.append(i, id: UInt64(i), deadlineNs: 1_000_000) }
        var running = 3
        var started: [Int] = []
        // All slots taken: nothing leaves.
        #expect(q.next(nowNs: 0, running: running) == nil)
        while !q.isEmpty {
            // One transfer ends, one slot frees, exactly one waiting transfer starts.
            running -= 1
            guard case .start(let i)? = q.next(nowNs: 0, running: running) else {
                Issue.record("a free slot must start the head")
                return
            }
            running += 1
            started.append(i)
            #expect(q.next(nowNs: 0, running: running) == nil, "no slot left after the one that freed")
            #expect(running <= q.capacity)
        }
        #expect(started == Array(0..<100))
        #expect(q.count == 0)
    }

    @Test func overdueHeadExpiresWhateverTheSlots() {
        var q = PendingTransfers<String>(capacity: 1)
        q.append("old", id: 1, deadlineNs: 100)
        q.append("young", id: 2, deadlineNs: 500)
        #expect(q.nextDeadlineNs() == 100)
        #expect(q.next(nowNs: 99, running: 1) == nil)
        #expect(q.next(nowNs: 100, running: 1) == .expired("old"))
        #expect(q.nextDeadlineNs() == 500)
        #expect(q.next(nowNs: 200, running: 0) == .start("young"))
        #expect(q.nextDeadlineNs() == Int64.max)
    }

    @Test func cancelTakesOneOutOnceAndTheHeadSkipsTheHole() {
        var q = PendingTransfers<String>(capacity: 1)
        q.append("a", id: 1, deadlineNs: 100)
        q.append("b", id: 2, deadlineNs: 200)
        q.append("c", id: 3, deadlineNs: 300)
        #expect(q.cancel(id: 1) == "a")
        #expect(q.cancel(id: 1) == nil, "a cancelled transfer completes once")
        #expect(q.cancel(id: 9) == nil)
        #expect(q.count == 2)
        #expect(q.nextDeadlineNs() == 200)
        #expect(q.cancel(id: 2) == "b")
        #expect(q.next(nowNs: 150, running: 0) == .start("c"))
        #expect(q.isEmpty && q.next(nowNs: 1_000, running: 0) == nil)
    }

    @Test func removeAllEmptiesOldestFirstWithoutTheCancelled() {
        var q = PendingTransfers<Int>(capacity: 1)
        for i in 0..<40 { q.append(i, id: UInt64(i), deadlineNs: 0) }
        _ = q.cancel(id: 7)
        #expect(q.removeAll() == Array(0..<40).filter { $0 != 7 })
        #expect(q.isEmpty)
    }

    @Test func ringBufferKeepsOrderAcrossWrapAndGrowth() {
        var r = RingBuffer<Int>()
        var expected: [Int] = []
        var next = 0
        // Interleave pushes and pops so the head wraps around several times while the storage grows.
        for round in 0..<50 {
            for _ in 0..<(round % 7 + 3) {
                r.append(next)
                expected.append(next)
                next += 1
            }
            for _ in 0..<(round % 5 + 1) where !expected.isEmpty {
                #expect(r.popFirst() == expected.removeFirst())
            }
            #expect(r.count == expected.count)
            #expect(r.first == expected.first)
        }
        while let x = r.popFirst() { #expect(x == expected.removeFirst()) }
        #expect(expected.isEmpty && r.isEmpty)
    }

    @Test func streamSlotsAreConnectionsTimesStreams() {
        #expect(HTTPClient.streamSlots(.init(maxConnectionsPerHost: 4, maxConcurrentStreams: 100)) == 400)
        #expect(HTTPClient.streamSlots(.init(allowHTTP2: false, maxConnectionsPerHost: 4)) == 4)
        #expect(HTTPClient.streamSlots(.init(maxConnectionsPerHost: 0)) == Int.max)
    }
}

extension PendingTransfers.Ready: Equatable where Element: Equatable {
    public static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.start(let x), .start(let y)), (.expired(let x), .expired(let y)): x == y
        default: false
        }
    }
}

/// The queue inside a live client: a listener that never answers holds every slot, so the rest wait.
@Suite(.tags(.timing)) struct StreamSlotQueueTests {
    /// One connection with two streams: two transfers reach libcurl, the rest wait in the client.
    static func client(timeout: Duration = .seconds(30)) throws -> HTTPClient {
        try HTTPClient(
            configuration: .init(
                insecureSkipTLSVerify: true, timeout: timeout, maxConnectionsPerHost: 1, maxConcurrentStreams: 2))
    }

    static func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = MonotonicClock.now() + 5_000_000_000
        while !condition() && MonotonicClock.now() < deadline { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test func beyondTheSlotsRequestsWaitInTheClient() async throws {
        let listener = try TestServers.Listener()
        defer { listener.close() }
        let client = try Self.client()
        let url = "https://127.0.0.1:\(listener.port)/"
        for _ in 0..<5 { client.submit(HTTPRequest(url: url)) { _ in } }
        try await Self.waitUntil { client.statistics.queued == 3 }
        let stats = client.statistics
        #expect(stats.streamSlots == 2)
        #expect(stats.queued == 3, "two in libcurl, three waiting: \(stats)")
        #expect(stats.inFlight == 5)
    }

    @Test func aWaitingRequestTimesOutFromItsSubmission() async throws {
        let listener = try TestServers.Listener()
        defer { listener.close() }
        let client = try Self.client(timeout: .milliseconds(400))
        let url = "https://127.0.0.1:\(listener.port)/"
        let results = Mutex<[Result<HTTPResponse, HTTPError>]>([])
        let start = MonotonicClock.now()
        for _ in 0..<4 { client.submit(HTTPRequest(url: url)) { r in results.withLock { $0.append(r) } } }
        try await Self.waitUntil { results.withLock { $0.count } == 4 }
        let elapsed = MonotonicClock.now() - start
        let all = results.withLock { $0 }
        #expect(all.count == 4)
        for r in all {
            guard case .failure(let e) = r else {
                Issue.record("expected a timeout, got \(r)")
                continue
            }
            #expect(e.kind == .timeout)
        }
        // Every one timed out about 400 ms after its submission, the waiting ones included.
        #expect(elapsed < 3_000_000_000, "\(elapsed) ns")
        let stats = client.statistics
        #expect(stats.queued == 0 && stats.inFlight == 0)
        #expect(stats.waitedForConnection >= 2, "the two that never reached libcurl waited: \(stats)")
    }

    @Test func cancellingAWaitingRequestCompletesItOnce() async throws {
        let listener = try TestServers.Listener()
        defer { listener.close() }
        let client = try Self.client()
        let url = "https://127.0.0.1:\(listener.port)/"
        for _ in 0..<2 { client.submit(HTTPRequest(url: url)) { _ in } }
        try await Self.waitUntil { client.statistics.submitted == 2 }
        let calls = Mutex(0)
        let task = Task { () async throws(HTTPError) -> HTTPResponse in
            defer { calls.withLock { $0 += 1 } }
            return try await client.send(HTTPRequest(url: url))
        }
        try await Self.waitUntil { client.statistics.queued == 1 }
        #expect(client.statistics.queued == 1)
        task.cancel()
        let result: Result<HTTPResponse, HTTPError> = await task.result.mapError { $0 as! HTTPError }
        guard case .failure(let error) = result, case .transport(42, let message) = error.kind else {
            Issue.record("expected a cancelled transport error, got \(result)")
            return
        }
        #expect(message.contains("cancelled"))
        #expect(error.timings?.sentNs == 0, "it never left the client")
        try await Task.sleep(for: .milliseconds(50))
        #expect(calls.withLock { $0 } == 1)
        let stats = client.statistics
        #expect(stats.queued == 0 && stats.inFlight == 2, "\(stats)")
    }
}
