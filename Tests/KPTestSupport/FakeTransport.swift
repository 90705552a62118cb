import Dispatch
import Foundation
import KPCore
import KPHTTP
import KPRecords
import Synchronization

/// An in-memory `HTTPTransport` shared by the test targets: `handler` answers each request, every
/// request is logged, and answers can arrive after a delay.
///
/// The answer is decided when the request "reaches the server" (the call), and delivered after
/// `delay`: by `send` after an async sleep, by `submit` (the callback form KPLoad's engine uses)
/// on a dispatch queue, stamped with this process's monotonic send and arrival times.
public final class FakeTransport: HTTPTransport, Sendable {
    /// Answers a request; the `Int` is how many requests came before it (see ``Counting``).
    public typealias Handler = @Sendable (HTTPRequest, Int) -> Result<HTTPResponse, HTTPError>

    /// What the handler's count counts.
    public enum Counting: Sendable {
        /// Every earlier request.
        case allRequests
        /// Earlier requests with the same method and URL (a poll's attempt number).
        case sameMethodAndURL
    }

    private let handler: Handler
    private let counting: Counting
    private let delay: Duration
    private let log = Mutex<[HTTPRequest]>([])
    private let queue = DispatchQueue(label: "fake-transport", attributes: .concurrent)

    public init(counting: Counting = .allRequests, delay: Duration = .zero, _ handler: @escaping Handler) {
        self.handler = handler
        self.counting = counting
        self.delay = delay
    }

    /// Every request so far, in arrival order.
    public var requests: [HTTPRequest] { log.withLock { $0 } }

    /// How many requests arrived so far.
    public var requestCount: Int { log.withLock { $0.count } }

    public func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let result = decide(request)
        if delay > .zero { try? await Task.sleep(for: delay) }
        return try result.get()
    }

    /// The callback form: decided now, delivered after `delay` with timings sent = now, done = delivery.
    public func submit(
        _ request: HTTPRequest, completion: @escaping @Sendable (Result<HTTPResponse, HTTPError>) -> Void
    ) {
        let sent = MonotonicClock.now()
        let result = decide(request)
        let (seconds, attoseconds) = delay.components
        let delayNs = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        queue.asyncAfter(deadline: .now() + .nanoseconds(delayNs)) {
            let done = MonotonicClock.now()
            let timings = TransferTimings(queuedNs: sent, sentNs: sent, firstByteNs: done, doneNs: done)
            switch result {
            case .success(var response):
                response.timings = timings
                completion(.success(response))
            case .failure(var error):
                error.timings = timings
                completion(.failure(error))
            }
        }
    }

    private func decide(_ request: HTTPRequest) -> Result<HTTPResponse, HTTPError> {
        let seen = log.withLock { l in
            defer { l.append(request) }
            switch counting {
            case .allRequests: return l.count
            case .sameMethodAndURL: return l.filter { $0.method == request.method && $0.url == request.url }.count
            }
        }
        return handler(request, seen)
    }
}
