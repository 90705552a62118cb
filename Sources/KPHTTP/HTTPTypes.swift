import Foundation
import KPCore

/// One HTTP request. Bodies are whole `Data`; kp-bench never streams request bodies.
public struct HTTPRequest: Sendable {
    public var method: String
    /// Absolute URL, e.g. `https://127.0.0.1:6443/clusters/c-001/control-plane/readyz`.
    public var url: String
    /// Extra headers. `Authorization` is added by the client from its token file; never put it here.
    public var headers: [(String, String)]
    public var body: Data?
    /// Overrides the client's per-request timeout.
    public var timeout: Duration?
    /// Whether the response's headers are copied out of libcurl (``HTTPResponse/headers``). A load
    /// generator that never reads them turns this off: walking libcurl's header store is about a
    /// fifth of the client's own CPU per request (docs/http-client.md). Off, `headers` is empty.
    public var collectsResponseHeaders: Bool

    public init(
        method: String = "GET", url: String, headers: [(String, String)] = [], body: Data? = nil,
        timeout: Duration? = nil,
        collectsResponseHeaders: Bool = true
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.collectsResponseHeaders = collectsResponseHeaders
    }
}

/// Monotonic timestamps (CLOCK_MONOTONIC ns, see `KPRecords.MonotonicClock`) of one transfer.
public struct TransferTimings: Sendable, Equatable {
    /// When the caller handed the request to the client.
    public var queuedNs: Int64
    /// When libcurl began sending it (after connection/TLS set-up, if any).
    public var sentNs: Int64
    /// When the first response byte arrived (0 when none did).
    public var firstByteNs: Int64
    /// When the transfer completed or failed.
    public var doneNs: Int64

    public init(queuedNs: Int64, sentNs: Int64, firstByteNs: Int64, doneNs: Int64) {
        self.queuedNs = queuedNs
        self.sentNs = sentNs
        self.firstByteNs = firstByteNs
        self.doneNs = doneNs
    }
}

/// A complete response, whatever its status. Non-2xx statuses are not thrown.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased; repeated headers joined with ", ".
    ///
    /// Built on first read from the bytes libcurl delivered (see `HTTPHeaderStorage`): responses
    /// whose headers nobody reads cost no dictionary.
    public var headers: [String: String] {
        get { headerStorage.dictionary }
        set { headerStorage = HTTPHeaderStorage(dictionary: newValue) }
    }
    public var body: Data
    /// 2 for HTTP/2, 1 for HTTP/1.x.
    public var httpVersion: Int
    public var timings: TransferTimings
    var headerStorage: HTTPHeaderStorage

    public init(status: Int, headers: [String: String], body: Data, httpVersion: Int, timings: TransferTimings) {
        self.status = status
        self.headerStorage = HTTPHeaderStorage(dictionary: headers)
        self.body = body
        self.httpVersion = httpVersion
        self.timings = timings
    }

    /// A response whose headers are parsed lazily from `headerStorage`.
    init(status: Int, headerStorage: HTTPHeaderStorage, body: Data, httpVersion: Int, timings: TransferTimings) {
        self.status = status
        self.headerStorage = headerStorage
        self.body = body
        self.httpVersion = httpVersion
        self.timings = timings
    }

    /// One header's value (`name` lower-case), without building ``headers`` when it was not built yet.
    public func header(_ name: String) -> String? { headerStorage.value(name) }

    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The `reason` and `message` of a Kubernetes `Status` body, when the body is one.
    public var kubernetesStatus: (reason: String?, message: String?)? {
        guard header("content-type")?.contains("json") ?? true,
            let obj = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            obj["kind"] as? String == "Status"
        else { return nil }
        return (obj["reason"] as? String, obj["message"] as? String)
    }

    /// Throws ``HTTPError`` with kind `.status` unless the status is 2xx.
    @discardableResult
    public func requireSuccess(url: String) throws(HTTPError) -> HTTPResponse {
        if isSuccess { return self }
        let ks = kubernetesStatus
        throw HTTPError(.status(status, reason: ks?.reason, message: ks?.message), url: url, timings: timings)
    }
}

/// Why a request did not produce the answer the caller wanted. Never a bare "request failed".
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The server answered with a non-2xx status (Kubernetes `Status` reason/message when present).
        case status(Int, reason: String?, message: String?)
        /// No complete answer within the timeout.
        case timeout
        /// Nothing listens at the address.
        case connectionRefused
        /// The connection was reset or closed mid-transfer (including HTTP/2 stream resets).
        case connectionReset
        /// TLS handshake or certificate verification failed.
        case tls(String)
        /// The host name did not resolve.
        case dns
        /// The URL or request was malformed.
        case badRequest(String)
        /// Any other libcurl failure: its code and error-buffer text.
        case transport(code: Int, message: String)
    }

    public var kind: Kind
    public var url: String
    public var timings: TransferTimings?

    public init(_ kind: Kind, url: String, timings: TransferTimings? = nil) {
        self.kind = kind
        self.url = url
        self.timings = timings
    }

    /// A short class for counting outcomes: `"404"`, `"timeout"`, `"refused"`, `"reset"`, `"tls"`, `"dns"`, `"transport"`.
    public var outcomeClass: String {
        switch kind {
        case .status(let code, _, _): String(code)
        case .timeout: "timeout"
        case .connectionRefused: "refused"
        case .connectionReset: "reset"
        case .tls: "tls"
        case .dns: "dns"
        case .badRequest: "bad_request"
        case .transport: "transport"
        }
    }

    public var description: String {
        switch kind {
        case .status(let code, let reason, let message):
            var s = "HTTP \(code)"
            if let reason { s += " \(reason)" }
            if let message, !message.isEmpty { s += ": \(message)" }
            return "\(s) from \(url)"
        case .timeout: return "timed out waiting for \(url)"
        case .connectionRefused: return "connection refused by \(url) (is the server running and the port right?)"
        case .connectionReset: return "connection reset while talking to \(url)"
        case .tls(let m):
            return "TLS failure with \(url): \(m) (check --ca-file, or pass --insecure-skip-tls-verify explicitly)"
        case .dns: return "cannot resolve the host of \(url)"
        case .badRequest(let m): return "bad request for \(url): \(m)"
        case .transport(let code, let m): return "transport error \(code) with \(url): \(m)"
        }
    }
}

/// How a client reaches a server.
public struct HTTPClientConfiguration: Sendable {
    /// PEM bundle that verifies the server; nil uses the system store.
    public var caFile: String?
    /// Switches TLS verification off. Only when explicitly asked for.
    public var insecureSkipTLSVerify: Bool
    /// The name the server's certificate carries when it is not the URL's host (docker mode: the
    /// apiserver's self-signed certificate names `localhost`, the URL is `127.0.0.1`). libcurl checks
    /// names only against the URL's host, so with this set the certificate chain is still verified
    /// against ``caFile`` but the name check is left out; use it only with a ``caFile`` that trusts
    /// that one server (docker mode's copy of the server's own certificate).
    public var tlsServerName: String?
    /// File whose content (trimmed) is sent as `Authorization: Bearer <token>`; read once at init.
    public var tokenFile: String?
    /// Per-request total timeout.
    public var timeout: Duration
    public var connectTimeout: Duration
    /// Allow HTTP/2 (negotiated by ALPN, falling back to HTTP/1.1); false forces HTTP/1.1.
    public var allowHTTP2: Bool
    /// Upper bound on connections per host (libcurl `CURLMOPT_MAX_HOST_CONNECTIONS`); 0 = unlimited.
    public var maxConnectionsPerHost: Int
    /// HTTP/2 streams per connection (`CURLMOPT_MAX_CONCURRENT_STREAMS`).
    public var maxConcurrentStreams: Int
    /// Longest response body the client keeps (256 MiB by default; 0 = no limit). A longer one fails
    /// the request with a `.transport` error naming the limit, and its memory is released.
    public var maxResponseBytes: Int

    public init(
        caFile: String? = nil, insecureSkipTLSVerify: Bool = false, tlsServerName: String? = nil,
        tokenFile: String? = nil, timeout: Duration = .seconds(20), connectTimeout: Duration = .seconds(5),
        allowHTTP2: Bool = true,
        maxConnectionsPerHost: Int = 4, maxConcurrentStreams: Int = 1000, maxResponseBytes: Int = 256 << 20
    ) {
        self.maxResponseBytes = maxResponseBytes
        self.caFile = caFile
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.tlsServerName = tlsServerName
        self.tokenFile = tokenFile
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.allowHTTP2 = allowHTTP2
        self.maxConnectionsPerHost = maxConnectionsPerHost
        self.maxConcurrentStreams = maxConcurrentStreams
    }
}

/// Anything that can send a request: the libcurl client, or a fake in tests.
public protocol HTTPTransport: Sendable {
    /// Sends one request. Returns the response for any status; throws only when there is none.
    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse
}
