import Foundation
import KPCore
import KPHTTP
import KPRecords
import Synchronization

/// A closed loop through ``HTTPClient/submit(_:completion:)``: `concurrency` requests in flight,
/// each completion submitting the next, until `total` have completed.
///
/// Completions run on the client's driver thread, so after the first `concurrency` submissions
/// the loop costs one `submit` per request and no thread hand-off; the calling thread sleeps on
/// a semaphore. This is how kp-load drives the client, measured without kp-load's scheduling.
final class ClientLoad: @unchecked Sendable {
    private let client: HTTPClient
    private let request: HTTPRequest
    private let total: Int
    private let next = Atomic<Int>(0)
    private let completed = Atomic<Int>(0)
    private let errors = Atomic<Int>(0)
    private let non2xx = Atomic<Int>(0)
    private let firstError = Mutex<String?>(nil)
    /// One slot per request, each written once by the completion that claimed its index.
    private let latencies: UnsafeMutableBufferPointer<Int64>
    private let finished = DispatchSemaphore(value: 0)

    init(client: HTTPClient, request: HTTPRequest, total: Int) {
        self.client = client
        self.request = request
        self.total = total
        latencies = .allocate(capacity: max(total, 1))
        latencies.initialize(repeating: 0)
    }

    deinit { latencies.deallocate() }

    /// Runs the loop to the end and measures it.
    static func run(client: HTTPClient, request: HTTPRequest, total: Int, concurrency: Int) -> PhaseResult {
        let load = ClientLoad(client: client, request: request, total: total)
        let cpu0 = CPUClock.now()
        let t0 = MonotonicClock.now()
        if total > 0 {
            for _ in 0..<min(concurrency, total) { load.claimAndSubmit() }
            load.finished.wait()
        }
        let t1 = MonotonicClock.now()
        let cpu1 = CPUClock.now()
        return PhaseResult(
            requests: total, errors: load.errors.load(ordering: .relaxed), non2xx: load.non2xx.load(ordering: .relaxed),
            firstError: load.firstError.withLock { $0 }, wallNs: t1 - t0,
            cpuUserSeconds: cpu1.userSeconds - cpu0.userSeconds,
            cpuSystemSeconds: cpu1.systemSeconds - cpu0.systemSeconds,
            latenciesNs: Array(load.latencies))
    }

    private func claimAndSubmit() {
        guard next.wrappingAdd(1, ordering: .relaxed).oldValue < total else { return }
        client.submit(request) { [self] result in
            let latency: Int64
            switch result {
            case .success(let response):
                latency = response.timings.doneNs - response.timings.queuedNs
                if !response.isSuccess {
                    non2xx.wrappingAdd(1, ordering: .relaxed)
                    firstError.withLock { if $0 == nil { $0 = "HTTP \(response.status)" } }
                }
            case .failure(let error):
                latency = error.timings.map { $0.doneNs - $0.queuedNs } ?? 0
                errors.wrappingAdd(1, ordering: .relaxed)
                firstError.withLock { if $0 == nil { $0 = error.description } }
            }
            let index = completed.wrappingAdd(1, ordering: .relaxed).oldValue
            latencies[index] = latency
            if index + 1 == total {
                finished.signal()
            } else {
                claimAndSubmit()
            }
        }
    }
}
