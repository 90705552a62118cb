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
}

extension LoadTransport {
    public var slotWaits: Int { 0 }
}

extension HTTPClient: LoadTransport {
    public var slotWaits: Int { statistics.waitedForConnection }
}
