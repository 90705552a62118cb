internal import CCurl
import Foundation

/// The libcurl HTTP client every kp-bench tool uses: HTTPS with HTTP/2 (ALPN, falling back to
/// HTTP/1.1), a bearer token from a file, verified TLS, and thousands of requests in flight over
/// a few multiplexed connections.
///
/// One client owns one libcurl multi handle driven by one dedicated thread (see `docs/http-client.md`).
/// ``send(_:)`` is the async API; ``submit(_:completion:)`` is the callback API for load
/// generation, with no Swift concurrency on its path. Both feed the same multi handle, so they share
/// connections. libcurl gets at most as many transfers as the connections' stream slots carry
/// (``HTTPClientConfiguration/maxConnectionsPerHost`` × ``HTTPClientConfiguration/maxConcurrentStreams``;
/// no limit with `maxConnectionsPerHost` 0); the rest wait in the client's own FIFO, their timeout
/// running from submission, and go to libcurl as transfers end. ``statistics`` counts the requests
/// that waited (there, or inside libcurl for the server's own stream limit) and the connections opened.
///
/// Every response carries ``TransferTimings`` in CLOCK_MONOTONIC ns. Non-2xx statuses are
/// responses; only the absence of a response throws an ``HTTPError``.
///
/// Keep the client alive while requests are in flight: its deinit stops the driver thread and
/// completes what is still running with a `.transport` error.
public final class HTTPClient: HTTPTransport {
    /// The configuration the client was created with.
    public let configuration: HTTPClientConfiguration
    private let driver: MultiDriver

    /// Creates the client and starts its driver thread.
    ///
    /// Reads the token file once (its trimmed content becomes `Authorization: Bearer <token>`; an
    /// empty path means no token) and checks that the CA file is readable.
    /// - Throws: ``HTTPClientSetupError`` naming the unreadable file, the bad setting, or the
    ///   libcurl call that failed.
    public init(configuration: HTTPClientConfiguration) throws(HTTPClientSetupError) {
        self.configuration = configuration
        let c = configuration
        if c.timeout <= .zero {
            throw HTTPClientSetupError(.setting(name: "timeout", reason: "must be > 0 (got \(c.timeout))"))
        }
        if c.connectTimeout <= .zero {
            throw HTTPClientSetupError(
                .setting(name: "connectTimeout", reason: "must be > 0 (got \(c.connectTimeout))"))
        }
        if c.maxConnectionsPerHost < 0 {
            throw HTTPClientSetupError(
                .setting(
                    name: "maxConnectionsPerHost",
                    reason: "must be ≥ 0, 0 meaning unlimited (got \(c.maxConnectionsPerHost))"))
        }
        if c.maxConcurrentStreams < 1 {
            throw HTTPClientSetupError(
                .setting(name: "maxConcurrentStreams", reason: "must be ≥ 1 (got \(c.maxConcurrentStreams))"))
        }
        if c.tlsServerName != nil && !c.insecureSkipTLSVerify && (c.caFile ?? "").isEmpty {
            // Without a CA of its own, leaving out the name check would trust any certificate of the system store.
            throw HTTPClientSetupError(
                .setting(name: "tlsServerName", reason: "needs a caFile that trusts only the server it names"))
        }

        var authLine: String? = nil
        if let path = c.tokenFile, !path.isEmpty {
            authLine = "Authorization: Bearer \(try Self.readToken(path: path))"
        }
        var caFile: String? = nil
        if let path = c.caFile, !path.isEmpty {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw HTTPClientSetupError(.caFile(path: path, reason: "missing or not readable"))
            }
            caFile = path
        }

        let settings = EasyHandle.Settings(
            caFile: caFile, insecure: c.insecureSkipTLSVerify, checksHostName: c.tlsServerName == nil,
            httpVersion: Int(c.allowHTTP2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1),
            connectTimeoutMs: MultiDriver.milliseconds(c.connectTimeout), maxResponseBytes: max(0, c.maxResponseBytes))
        do {
            let multi = try MultiHandle(
                multiplex: c.allowHTTP2, maxHostConnections: c.maxConnectionsPerHost,
                maxConcurrentStreams: c.maxConcurrentStreams)
            driver = try MultiDriver(
                multi: multi, settings: settings, authLine: authLine,
                defaultTimeoutMs: MultiDriver.milliseconds(c.timeout), capacity: Self.streamSlots(c))
        } catch {
            throw HTTPClientSetupError(.libcurl(function: error.function, code: error.code, message: error.message))
        }
    }

    deinit {
        driver.shutdown()
    }

    /// Sends one request and waits for its response.
    ///
    /// Cancelling the calling task aborts the transfer; it then throws a `.transport` error
    /// (code 42, `CURLE_ABORTED_BY_CALLBACK`, "cancelled by the caller").
    /// - Returns: the response, whatever its status.
    /// - Throws: ``HTTPError`` when there is no response (timeout, refused, reset, TLS, DNS, …).
    public func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let driver = self.driver
        let id = driver.makeID()
        let result: Result<HTTPResponse, HTTPError> = await withTaskCancellationHandler {
            await withCheckedContinuation {
                (continuation: CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>) in
                driver.submit(request, id: id) { continuation.resume(returning: $0) }
            }
        } onCancel: {
            driver.cancel(id: id)
        }
        return try result.get()
    }

    /// Hands one request to libcurl and returns at once; `completion` runs later with the response
    /// or the error.
    ///
    /// For load generation: no task, no continuation, one mutex and at most one `curl_multi_wakeup`
    /// per call (none when called from a completion). `completion` runs on the client's driver
    /// thread and must return quickly: every other transfer of this client waits while it runs. It
    /// may call ``submit(_:completion:)`` again.
    public func submit(
        _ request: HTTPRequest, completion: @escaping @Sendable (Result<HTTPResponse, HTTPError>) -> Void
    ) {
        driver.submit(request, id: driver.makeID(), completion: completion)
    }

    /// Lets the caller run its own clock on the client's driver thread: from the driver's next loop
    /// turn on, `pacer` runs at every turn (before queued submissions go to libcurl) with the
    /// monotonic time in ns, and returns the monotonic ns at which it wants to run again
    /// (`Int64.max`: no deadline). The driver sleeps in `curl_multi_poll` until that deadline (a
    /// CLOCK_MONOTONIC timerfd polled beside libcurl's sockets: ns resolution, no timer slack), a
    /// socket or libcurl timer, or a submission from another thread.
    ///
    /// For an open-loop load generator: the pacer ``submit(_:completion:)``s the requests that are due,
    /// on the driver thread, so a request costs no cross-thread hand-over and no wake-up of its own.
    /// `pacer` must return quickly (every transfer of this client waits while it runs). `nil` removes it.
    /// The client keeps `pacer` until it is removed or the client shuts down.
    public func setPacer(_ pacer: (@Sendable (_ nowNs: Int64) -> Int64)?) {
        driver.setPacer(pacer)
    }

    /// Starts a long-lived request whose body is delivered as it arrives, one line at a time (a
    /// Kubernetes watch: one JSON event per line), and returns at once.
    ///
    /// `onLine` runs on the client's driver thread for each complete line (without its `\n`; empty
    /// lines are skipped; the buffer is valid only during the call) and must return quickly: every
    /// other transfer of this client waits while it runs. `completion` runs once when the stream
    /// ends: the response (status, headers, an empty body) when the server ended it, or an
    /// ``HTTPError`` (timeout, reset, ``cancelStream(_:)``, a line longer than `maxLineBytes`).
    ///
    /// Streams share this client's connections and driver thread, so give long-lived streams a
    /// client of their own, apart from a load generator's: with HTTP/2, libcurl puts at most
    /// ``HTTPClientConfiguration/maxConcurrentStreams`` streams on one connection and opens
    /// another connection (up to ``HTTPClientConfiguration/maxConnectionsPerHost``) for the rest;
    /// beyond those slots a stream waits in the client's queue until one ends (no limit with
    /// `maxConnectionsPerHost` 0).
    /// Set the request's `timeout` longer than the server's own stream timeout.
    @discardableResult
    public func stream(
        _ request: HTTPRequest, maxLineBytes: Int = 16 << 20,
        onLine: @escaping @Sendable (UnsafeRawBufferPointer) -> Void,
        completion: @escaping @Sendable (Result<HTTPResponse, HTTPError>) -> Void
    ) -> HTTPStreamID {
        let id = driver.makeID()
        let sink = HTTPLineSplitter(maxLineBytes: max(1, maxLineBytes), onLine: onLine)
        driver.submit(request, id: id, sink: sink, completion: completion)
        return HTTPStreamID(raw: id)
    }

    /// Ends a stream started by ``stream(_:maxLineBytes:onLine:completion:)`` if it is still open;
    /// its completion then gets a `.transport` error (code 42, "cancelled by the caller"). Any thread.
    public func cancelStream(_ id: HTTPStreamID) {
        driver.cancel(id: id.raw)
    }

    /// Requests submitted and not yet completed.
    public var inFlight: Int { driver.inFlight }

    /// Counters since the client was created: requests, failures, connections opened, and
    /// transfers that libcurl parked waiting for a connection or stream.
    public var statistics: HTTPClientStatistics { driver.statistics }

    /// libcurl's version and the TLS and HTTP/2 libraries it was built with, e.g.
    /// `libcurl/7.88.1 OpenSSL/3.0.11 nghttp2/1.52.0`.
    public static var libcurlVersion: String {
        String(cString: curl_version())
    }

    /// Most transfers the client hands libcurl at once: every connection's streams with HTTP/2, one
    /// request per connection with HTTP/1.1; `Int.max` without a connection limit.
    static func streamSlots(_ c: HTTPClientConfiguration) -> Int {
        guard c.maxConnectionsPerHost > 0 else { return Int.max }
        let perConnection = c.allowHTTP2 ? c.maxConcurrentStreams : 1
        return c.maxConnectionsPerHost.multipliedReportingOverflow(by: perConnection).overflow
            ? Int.max : c.maxConnectionsPerHost * perConnection
    }

    private static func readToken(path: String) throws(HTTPClientSetupError) -> String {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "not readable as UTF-8 text" : "no such file"
            throw HTTPClientSetupError(.tokenFile(path: path, reason: reason))
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if token.isEmpty {
            throw HTTPClientSetupError(.tokenFile(path: path, reason: "is empty"))
        }
        if token.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) {
            throw HTTPClientSetupError(
                .tokenFile(path: path, reason: "holds more than one line; put just the token in it"))
        }
        return token
    }
}

/// Names one streamed transfer of an ``HTTPClient`` (see ``HTTPClient/cancelStream(_:)``).
public struct HTTPStreamID: Sendable, Hashable {
    let raw: UInt64
}
