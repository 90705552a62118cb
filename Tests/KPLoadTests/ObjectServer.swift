import Foundation
import KPHTTP
import KPRecords
import KPTestSupport
import Synchronization

@testable import KPLoad

extension FakeTransport: LoadTransport {}

extension FakeTransport {
    /// An in-memory object server behind the shared ``KPTestSupport/FakeTransport``, for engine tests.
    ///
    /// Keeps one resourceVersion per URL: a GET returns it, a PUT with the current version bumps it
    /// (200) and a PUT with a stale one gets 409, as the apiserver's optimistic concurrency does.
    /// Answers arrive after `delayNs`; `failGet` can turn chosen GETs into errors.
    static func objectServer(delayNs: Int64, failGet: @escaping @Sendable (String) -> HTTPError.Kind? = { _ in nil })
        -> FakeTransport
    {
        let versions = Mutex<[String: Int]>([:])
        return FakeTransport(delay: .nanoseconds(delayNs)) { r, _ in
            func reply(_ status: Int, _ body: Data) -> Result<HTTPResponse, HTTPError> {
                .success(
                    HTTPResponse(
                        status: status, headers: [:], body: body, httpVersion: 2,
                        timings: TransferTimings(queuedNs: 0, sentNs: 0, firstByteNs: 0, doneNs: 0)))
            }
            switch r.method {
            case "GET":
                if let f = failGet(r.url) { return .failure(HTTPError(f, url: r.url)) }
                let rv = versions.withLock { $0[r.url, default: 1] }
                return reply(
                    200, Data(#"{"metadata":{"name":"x","resourceVersion":"\#(rv)"},"spec":{"data":"abc"}}"#.utf8))
            case "PUT":
                let sent = ObjectCatalog.resourceVersion(in: r.body ?? Data()) ?? ""
                let ok = versions.withLock { v -> Bool in
                    let current = v[r.url, default: 1]
                    guard sent == String(current) else { return false }
                    v[r.url] = current + 1
                    return true
                }
                return ok
                    ? reply(200, r.body ?? Data()) : reply(409, Data(#"{"kind":"Status","reason":"Conflict"}"#.utf8))
            case "POST":
                return reply(201, r.body ?? Data())
            default:
                return reply(405, Data())
            }
        }
    }
}

/// Collects emitted records.
final class RecordSink: Sendable {
    private let records = Mutex<[Record]>([])
    func emit(_ r: Record) { records.withLock { $0.append(r) } }
    var all: [Record] { records.withLock { $0 } }
    var intervals: [LoadIntervalRecord] {
        records.withLock { $0.compactMap { if case .loadInterval(let i) = $0 { i } else { nil } } }
    }
    var finals: [LoadFinalRecord] {
        records.withLock { $0.compactMap { if case .loadFinal(let f) = $0 { f } else { nil } } }
    }
}
