import Dispatch
import Foundation
import KPHTTP
import KPRecords
import Synchronization

@testable import KPLoad

/// An in-memory object server behind the `LoadTransport` interface, for engine tests.
///
/// Keeps one resourceVersion per URL: a GET returns it, a PUT with the current version bumps it
/// (200) and a PUT with a stale one gets 409, as the apiserver's optimistic concurrency does.
/// Answers arrive after `delayNs` on a dispatch queue; `failGet` can turn chosen GETs into errors.
final class FakeTransport: LoadTransport {
    let delayNs: Int64
    let failGet: @Sendable (String) -> HTTPError.Kind?
    private let versions = Mutex<[String: Int]>([:])
    let requests = Atomic<Int>(0)
    private let queue = DispatchQueue(label: "fake-transport", attributes: .concurrent)

    init(delayNs: Int64, failGet: @escaping @Sendable (String) -> HTTPError.Kind? = { _ in nil }) {
        self.delayNs = delayNs
        self.failGet = failGet
    }

    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let r = await withCheckedContinuation { c in submit(request) { c.resume(returning: $0) } }
        return try r.get()
    }

    func submit(_ request: HTTPRequest, completion: @escaping @Sendable (Result<HTTPResponse, HTTPError>) -> Void) {
        requests.wrappingAdd(1, ordering: .relaxed)
        let sent = MonotonicClock.now()
        // The answer is decided when the request "reaches the server", i.e. now; it arrives later.
        let (status, body, failure) = answer(request)
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(delayNs))) {
            let done = MonotonicClock.now()
            let timings = TransferTimings(queuedNs: sent, sentNs: sent, firstByteNs: done, doneNs: done)
            if let failure {
                completion(.failure(HTTPError(failure, url: request.url, timings: timings)))
            } else {
                completion(.success(HTTPResponse(status: status, headers: [:], body: body, httpVersion: 2, timings: timings)))
            }
        }
    }

    private func answer(_ r: HTTPRequest) -> (Int, Data, HTTPError.Kind?) {
        switch r.method {
        case "GET":
            if let f = failGet(r.url) { return (0, Data(), f) }
            let rv = versions.withLock { $0[r.url, default: 1] }
            return (200, Data(#"{"metadata":{"name":"x","resourceVersion":"\#(rv)"},"spec":{"data":"abc"}}"#.utf8), nil)
        case "PUT":
            let sent = ObjectCatalog.resourceVersion(in: r.body ?? Data()) ?? ""
            let ok = versions.withLock { v -> Bool in
                let current = v[r.url, default: 1]
                guard sent == String(current) else { return false }
                v[r.url] = current + 1
                return true
            }
            return ok ? (200, r.body ?? Data(), nil) : (409, Data(#"{"kind":"Status","reason":"Conflict"}"#.utf8), nil)
        case "POST":
            return (201, r.body ?? Data(), nil)
        default:
            return (405, Data(), nil)
        }
    }
}

/// Collects emitted records.
final class RecordSink: Sendable {
    private let records = Mutex<[Record]>([])
    func emit(_ r: Record) { records.withLock { $0.append(r) } }
    var intervals: [LoadIntervalRecord] {
        records.withLock { $0.compactMap { if case .loadInterval(let i) = $0 { i } else { nil } } }
    }
    var finals: [LoadFinalRecord] {
        records.withLock { $0.compactMap { if case .loadFinal(let f) = $0 { f } else { nil } } }
    }
}
