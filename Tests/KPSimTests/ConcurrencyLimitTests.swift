import Foundation
import KPPromText
import KPTestSupport
import Synchronization
import Testing

@testable import KPSim

/// `--sim-max-concurrency`: the limiter alone (no clock: who holds a slot, who waits, in what order).
@Suite struct ConcurrencyLimitTests {
    /// Waits (a bounded number of yields) until `condition` holds.
    static func settle(_ condition: () -> Bool) async {
        for _ in 0..<2_000 where !condition() { try? await Task.sleep(for: .milliseconds(1)) }
    }

    @Test func beyondTheLimitRequestsWaitAndAreAdmittedInArrivalOrder() async throws {
        let limit = ConcurrencyLimit(limit: 2)
        let first = try #require(await limit.acquire())
        let second = try #require(await limit.acquire())
        #expect(limit.snapshot().inUse == 2)
        let seen = Admissions()
        var waiters: [Task<Void, Never>] = []
        for i in 0..<3 {
            waiters.append(
                Task {
                    guard let slot = await limit.acquire() else { return }
                    seen.order.withLock { $0.append(i) }
                    seen.slots.withLock { $0.append(slot) }
                })
            // Each one queued before the next arrives, so arrival order is 0, 1, 2.
            await Self.settle { limit.snapshot().waiting == i + 1 }
        }
        #expect(limit.snapshot().waiting == 3)
        #expect(seen.order.withLock { $0 }.isEmpty, "nobody beyond the limit is served while both slots are held")
        first.release()
        await Self.settle { seen.order.withLock { $0.count } == 1 }
        #expect(seen.order.withLock { $0 } == [0])
        #expect(limit.snapshot().inUse == 2 && limit.snapshot().waiting == 2)
        second.release()
        second.release()  // a second release of one slot frees nothing more
        await Self.settle { seen.order.withLock { $0.count } == 2 }
        #expect(seen.order.withLock { $0 } == [0, 1])
        #expect(limit.snapshot().waiting == 1)
        seen.slots.withLock { $0.removeAll() }  // dropped slots go back (deinit)
        await Self.settle { seen.order.withLock { $0.count } == 3 }
        #expect(seen.order.withLock { $0 } == [0, 1, 2])
        seen.slots.withLock { $0.removeAll() }
        for t in waiters { await t.value }
        let end = limit.snapshot()
        #expect(end.inUse == 0 && end.waiting == 0)
        #expect(end.state.admitted == 5 && end.state.waited == 3 && end.state.waitSeconds.count == 3)
    }

    @Test func aWaiterWhoseClientLeftGivesUpWithoutASlot() async throws {
        let limit = ConcurrencyLimit(limit: 1)
        let held = try #require(await limit.acquire())
        let waiter = Task { await limit.acquire() }
        await Self.settle { limit.snapshot().waiting == 1 }
        waiter.cancel()
        let slot = await waiter.value
        #expect(slot == nil)
        #expect(limit.snapshot().waiting == 0 && limit.snapshot().state.abandoned == 1)
        held.release()
        #expect(limit.snapshot().inUse == 0, "the slot went back, not to the request that left")
    }

    @Test func unlimitedAdmitsEveryoneAndCountsNothing() async throws {
        let limit = ConcurrencyLimit(limit: nil)
        var slots: [ConcurrencyLimit.Slot] = []
        for _ in 0..<100 { slots.append(try #require(await limit.acquire())) }
        #expect(limit.snapshot().inUse == 0 && limit.snapshot().state.admitted == 0)
        slots.removeAll()
    }
}

/// Who was admitted, in order, and the slots they hold.
final class Admissions: Sendable {
    let order = Mutex<[Int]>([])
    let slots = Mutex<[ConcurrencyLimit.Slot]>([])
}

/// The flag end to end on an in-process server: API requests beyond N wait; probes and /metrics do not.
@Suite(.tags(.timing)) struct ConcurrencyLimitServerTests {
    @Test func requestsBeyondTheLimitWaitButProbesDoNot() async throws {
        try await Support.withServer(extra: ["--sim-max-concurrency=1", "--fault-latency=fixed:600ms"]) { server in
            // Three API requests at once against one slot of 600 ms: they are served one after another.
            async let a = server.curl("/api/v1/namespaces")
            async let b = server.curl("/api/v1/namespaces")
            async let c = server.curl("/api/v1/namespaces")
            // Meanwhile the probes and /metrics do not wait for a slot.
            try await Task.sleep(for: .milliseconds(200))
            let ready = try await server.curl("/readyz")
            let metrics = try await server.curl("/metrics")
            // /readyz is held by --fault-latency (600 ms) like any request, but it does not queue behind
            // the two waiting API requests (that would be ≥ 1.6 s).
            #expect(ready.status == 200 && ready.serverSeconds < 1.2, "\(ready.serverSeconds)")
            #expect(metrics.status == 200 && metrics.serverSeconds < 0.5, "\(metrics.serverSeconds)")
            let families = try PromTextParser.parse(metrics.body)
            let waiting = families.first { $0.name == "kpsim_concurrency_waiting" }?.samples.first?.value ?? -1
            #expect(waiting >= 1, "requests beyond the limit are visible as waiting: \(waiting)")
            let answers = try await [a, b, c]
            #expect(answers.allSatisfy { $0.status == 200 })
            let times = answers.map(\.serverSeconds).sorted()
            // Served one at a time: the last waited for the two before it (3 × 600 ms; wide margin).
            #expect(times[2] >= 1.5, "\(times)")
            #expect(times[0] >= 0.55 && times[0] < 1.1, "\(times)")
            let state = server.context.concurrency.snapshot()
            #expect(state.inUse == 0 && state.waiting == 0)
            #expect(state.state.waited >= 2, "\(state.state.waited)")
        }
    }
}
