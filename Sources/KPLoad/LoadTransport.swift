import KPHTTP

/// What kp-load needs from an HTTP client: a callback-based `submit` for the hot path and an
/// async `send` for pre-warming.
///
/// `submit` must return without waiting for the answer and call `completion` exactly once, on any
/// thread. KPHTTP's `HTTPClient` (one curl-multi thread) conforms; tests use fakes.
public protocol LoadTransport: HTTPTransport {
    func submit(_ request: HTTPRequest, completion: @escaping @Sendable (Result<HTTPResponse, HTTPError>) -> Void)
    /// Requests that had to wait for a connection or an HTTP/2 stream slot before they could be
    /// sent (the server's limits, not the client's threads); 0 when the transport cannot tell.
    var slotWaits: Int { get }
    /// Runs `pacer` on the transport's own driver thread from now on, as ``KPHTTP/HTTPClient/setPacer(_:)``
    /// describes (it may `submit`; it returns the monotonic ns at which it wants to run next). False
    /// when the transport has no such thread: kp-load then schedules from a thread of its own.
    func startPacing(_ pacer: @escaping @Sendable (_ nowNs: Int64) -> Int64) -> Bool
    /// Removes the pacer ``startPacing(_:)`` installed.
    func stopPacing()
}

extension LoadTransport {
    public var slotWaits: Int { 0 }
    public func startPacing(_ pacer: @escaping @Sendable (_ nowNs: Int64) -> Int64) -> Bool { false }
    public func stopPacing() {}
}

extension HTTPClient: LoadTransport {
    public var slotWaits: Int { statistics.waitedForConnection }
    public func startPacing(_ pacer: @escaping @Sendable (_ nowNs: Int64) -> Int64) -> Bool {
        setPacer(pacer)
        return true
    }
    public func stopPacing() { setPacer(nil) }
}
