internal import CCurl
import Foundation
import KPRecords

/// One libcurl easy handle (`CURL *`), its error buffer, and the buffers for the body and headers.
///
/// The only owner of the handle: `curl_easy_cleanup` runs in `deinit`. A ``MultiDriver`` keeps a
/// pool of these and reuses each for many requests, so the options that never change (TLS, HTTP
/// version, callbacks) are set once and a request costs a handful of `curl_easy_setopt` calls.
/// Touched only on the driver's thread.
final class EasyHandle {
    /// The options that are the same for every request of one client.
    struct Settings {
        /// PEM bundle for `CURLOPT_CAINFO`; nil keeps libcurl's default store.
        var caFile: String?
        /// `CURLOPT_SSL_VERIFYPEER` / `VERIFYHOST` off.
        var insecure: Bool
        /// `CURLOPT_SSL_VERIFYHOST` (the certificate names the URL's host) when verifying; false only
        /// when the certificate carries another name (``HTTPClientConfiguration/tlsServerName``).
        var checksHostName = true
        /// `CURLOPT_HTTP_VERSION`: `CURL_HTTP_VERSION_2TLS` or `CURL_HTTP_VERSION_1_1`.
        var httpVersion: Int
        /// `CURLOPT_CONNECTTIMEOUT_MS`.
        var connectTimeoutMs: Int
        /// Longest response body kept; 0 = no limit.
        var maxResponseBytes: Int = 0
    }

    /// What a finished transfer produced, plus what the driver counts.
    struct Outcome {
        var result: Result<HTTPResponse, HTTPError>
        /// `CURLINFO_NUM_CONNECTS`: new connections this transfer opened.
        var connectionsOpened: Int
        /// True when libcurl parked the transfer waiting for a connection or stream.
        var waitedForConnection: Bool
    }

    typealias Completion = @Sendable (Result<HTTPResponse, HTTPError>) -> Void

    /// The `CURL *`.
    let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let body: UnsafeMutablePointer<kp_buffer>
    private let headerBytes: UnsafeMutablePointer<kp_buffer>
    /// CLOCK_MONOTONIC ns written by the C `CURLOPT_PREREQFUNCTION` right before libcurl sends the request.
    private let sentSlot: UnsafeMutablePointer<Int64>

    // MARK: The current transfer (valid from `prepare` to `recycle`)

    /// The submission's id (for cancellation).
    var id: UInt64 = 0
    var url = ""
    /// Whether `finish` copies the response headers out of libcurl (the request's choice).
    var collectsHeaders = true
    var queuedNs: Int64 = 0
    /// CLOCK_MONOTONIC ns at the end of the first `curl_multi_perform` after the handle was added; 0 before it.
    var firstPerformEndNs: Int64 = 0
    var completion: Completion?
    /// True when the transfer waited in the driver's queue for a stream slot before libcurl got it.
    var waitedInQueue = false
    /// Position in the driver's active list, -1 when idle.
    var activeIndex = -1
    /// A streamed transfer's body sink (``HTTPClient/stream(_:onLine:completion:)``); nil: the body
    /// is collected into `body` as usual. Its write callback is installed by `prepare` and replaced
    /// by the collecting one in `recycle`.
    private(set) var lineSink: HTTPLineSplitter?
    /// The header list built for the latest request with headers of its own (auth + its headers),
    /// kept for the next request with the same headers and body presence (a load generator sends
    /// the same few header sets again and again: no slist rebuilt per request); freed in deinit or
    /// when a request needs another list.
    private var requestHeaders: UnsafeMutablePointer<curl_slist>?
    private var requestHeadersKey: [(String, String)] = []
    private var requestHeadersWithBody = false
    private var requestHeadersValid = false
    /// True while the method options are those of a plain GET (HTTPGET=1, no CUSTOMREQUEST).
    private var methodIsPlainGET = false
    /// The `CURLOPT_URL` and `CURLOPT_TIMEOUT_MS` the handle holds (options persist across transfers).
    private var lastURL = ""
    private var lastTimeoutMs = -1

    /// Keep at most this much buffer memory per pooled handle between requests.
    private static let retainedBufferBytes = 64 * 1024

    init(settings: Settings) throws(CurlCallError) {
        try CurlGlobal.ensureInitialised()
        guard let h = curl_easy_init() else {
            throw CurlCallError(function: "curl_easy_init", code: -1, message: "returned NULL (out of memory?)")
        }
        handle = h
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        body = .allocate(capacity: 1)
        body.initialize(to: kp_buffer(data: nil, len: 0, cap: 0, max: settings.maxResponseBytes, overflowed: 0))
        headerBytes = .allocate(capacity: 1)
        headerBytes.initialize(to: kp_buffer(data: nil, len: 0, cap: 0, max: 0, overflowed: 0))
        sentSlot = .allocate(capacity: 1)
        sentSlot.initialize(to: 0)
        // Fully initialised: from here a throw runs deinit, which frees all of the above.
        try check(kp_easy_setopt_long(h, CURLOPT_NOSIGNAL, 1), "curl_easy_setopt(NOSIGNAL)")
        try check(
            kp_easy_setopt_ptr(h, CURLOPT_PRIVATE, Unmanaged.passUnretained(self).toOpaque()),
            "curl_easy_setopt(PRIVATE)")
        try check(kp_easy_setopt_ptr(h, CURLOPT_ERRORBUFFER, errorBuffer), "curl_easy_setopt(ERRORBUFFER)")
        try check(kp_easy_capture_body(h, body), "curl_easy_setopt(WRITEFUNCTION)")
        try check(kp_easy_record_send_time(h, sentSlot), "curl_easy_setopt(PREREQFUNCTION)")
        try check(kp_easy_setopt_str(h, CURLOPT_PROTOCOLS_STR, "http,https"), "curl_easy_setopt(PROTOCOLS_STR)")
        try check(kp_easy_setopt_long(h, CURLOPT_HTTP_VERSION, settings.httpVersion), "curl_easy_setopt(HTTP_VERSION)")
        try check(kp_easy_setopt_long(h, CURLOPT_PIPEWAIT, 1), "curl_easy_setopt(PIPEWAIT)")
        try check(
            kp_easy_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, settings.connectTimeoutMs),
            "curl_easy_setopt(CONNECTTIMEOUT_MS)")
        if settings.insecure {
            try check(kp_easy_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 0), "curl_easy_setopt(SSL_VERIFYPEER)")
            try check(kp_easy_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 0), "curl_easy_setopt(SSL_VERIFYHOST)")
        } else {
            try check(kp_easy_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 1), "curl_easy_setopt(SSL_VERIFYPEER)")
            try check(
                kp_easy_setopt_long(h, CURLOPT_SSL_VERIFYHOST, settings.checksHostName ? 2 : 0),
                "curl_easy_setopt(SSL_VERIFYHOST)")
            if let ca = settings.caFile {
                try check(kp_easy_setopt_str(h, CURLOPT_CAINFO, ca), "curl_easy_setopt(CAINFO)")
            }
        }
    }

    deinit {
        curl_easy_cleanup(handle)
        if let requestHeaders { curl_slist_free_all(requestHeaders) }
        free(body.pointee.data)
        free(headerBytes.pointee.data)
        headerBytes.deallocate()
        body.deallocate()
        sentSlot.deallocate()
        errorBuffer.deallocate()
    }

    /// Sets the per-request options. `sharedHeaders` is the client's list (just the `Authorization`
    /// line, or nil) used when the request has no headers of its own; `authLine` starts a request's own list.
    func prepare(
        _ request: HTTPRequest, id: UInt64, queuedNs: Int64, completion: @escaping Completion, timeoutMs: Int,
        sharedHeaders: UnsafeMutablePointer<curl_slist>?, authLine: String?, sink: HTTPLineSplitter? = nil
    ) throws(HTTPError) {
        self.id = id
        self.url = request.url
        self.collectsHeaders = request.collectsResponseHeaders
        self.queuedNs = queuedNs
        self.completion = completion
        self.firstPerformEndNs = 0
        errorBuffer[0] = 0
        sentSlot.pointee = 0
        do {
            try setOptions(request, timeoutMs: timeoutMs, sharedHeaders: sharedHeaders, authLine: authLine)
            if let sink {
                lineSink = sink
                try check(
                    kp_easy_setopt_write_cb(handle, CURLOPT_WRITEFUNCTION, streamWriteCallback),
                    "curl_easy_setopt(WRITEFUNCTION)")
                try check(
                    kp_easy_setopt_ptr(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(self).toOpaque()),
                    "curl_easy_setopt(WRITEDATA)")
            }
        } catch let e as HTTPError {
            throw e
        } catch let e as CurlCallError {
            throw HTTPError(.transport(code: e.code, message: e.description), url: request.url)
        } catch {
            throw HTTPError(.transport(code: -1, message: "\(error)"), url: request.url)
        }
    }

    private func setOptions(
        _ request: HTTPRequest, timeoutMs: Int, sharedHeaders: UnsafeMutablePointer<curl_slist>?, authLine: String?
    ) throws {
        let h = handle
        // A load generator sends the same URL again and again: skip libcurl's strdup when it is unchanged.
        if request.url != lastURL {
            try request.url.withCString { (u) in
                try check(kp_easy_setopt_str(h, CURLOPT_URL, u), "curl_easy_setopt(URL)")
            }
            lastURL = request.url
        }
        if timeoutMs != lastTimeoutMs {
            try check(kp_easy_setopt_long(h, CURLOPT_TIMEOUT_MS, timeoutMs), "curl_easy_setopt(TIMEOUT_MS)")
            lastTimeoutMs = timeoutMs
        }

        let method = request.method == "GET" ? "GET" : request.method.uppercased()
        let plainGET = method == "GET" && request.body == nil
        if plainGET {
            if !methodIsPlainGET {
                try check(kp_easy_setopt_long(h, CURLOPT_HTTPGET, 1), "curl_easy_setopt(HTTPGET)")
                try check(kp_easy_setopt_ptr(h, CURLOPT_CUSTOMREQUEST, nil), "curl_easy_setopt(CUSTOMREQUEST)")
            }
        } else if method == "HEAD" {
            try check(kp_easy_setopt_long(h, CURLOPT_HTTPGET, 1), "curl_easy_setopt(HTTPGET)")
            try check(kp_easy_setopt_long(h, CURLOPT_NOBODY, 1), "curl_easy_setopt(NOBODY)")
            try check(kp_easy_setopt_ptr(h, CURLOPT_CUSTOMREQUEST, nil), "curl_easy_setopt(CUSTOMREQUEST)")
        } else {
            if let body = request.body, !body.isEmpty {
                // POSTFIELDSIZE must precede COPYPOSTFIELDS; libcurl copies the bytes, so `body` need not outlive this call.
                try check(
                    kp_easy_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)),
                    "curl_easy_setopt(POSTFIELDSIZE_LARGE)")
                try body.withUnsafeBytes { (raw) in
                    try check(
                        kp_easy_setopt_ptr(h, CURLOPT_COPYPOSTFIELDS, raw.baseAddress),
                        "curl_easy_setopt(COPYPOSTFIELDS)")
                }
            } else if request.body != nil || method == "POST" || method == "PUT" || method == "PATCH" {
                try check(
                    kp_easy_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, 0), "curl_easy_setopt(POSTFIELDSIZE_LARGE)")
                try check(kp_easy_setopt_str(h, CURLOPT_COPYPOSTFIELDS, ""), "curl_easy_setopt(COPYPOSTFIELDS)")
            } else {
                try check(kp_easy_setopt_long(h, CURLOPT_HTTPGET, 1), "curl_easy_setopt(HTTPGET)")
            }
            try method.withCString { (m) in
                try check(kp_easy_setopt_str(h, CURLOPT_CUSTOMREQUEST, m), "curl_easy_setopt(CUSTOMREQUEST)")
            }
        }
        methodIsPlainGET = plainGET

        if request.headers.isEmpty && request.body == nil {
            try check(kp_easy_setopt_slist(h, CURLOPT_HTTPHEADER, sharedHeaders), "curl_easy_setopt(HTTPHEADER)")
        } else if requestHeadersValid, let cached = requestHeaders, requestHeadersWithBody == (request.body != nil),
            Self.sameHeaders(requestHeadersKey, request.headers)
        {
            try check(kp_easy_setopt_slist(h, CURLOPT_HTTPHEADER, cached), "curl_easy_setopt(HTTPHEADER)")
        } else {
            if let old = requestHeaders {
                // Not in use: libcurl reads CURLOPT_HTTPHEADER only while a transfer runs.
                curl_slist_free_all(old)
                requestHeaders = nil
            }
            var list: UnsafeMutablePointer<curl_slist>? = nil
            func append(_ line: String) throws(HTTPError) {
                guard let grown = curl_slist_append(list, line) else {
                    throw HTTPError(
                        .transport(code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "curl_slist_append failed"),
                        url: request.url)
                }
                list = grown
            }
            var complete = false
            defer {
                requestHeaders = list
                // Only a list built without error may serve a later request.
                requestHeadersKey = complete ? request.headers : []
                requestHeadersWithBody = complete ? request.body != nil : false
                requestHeadersValid = complete
            }
            if let authLine { try append(authLine) }
            // An empty "Expect:" stops libcurl from waiting for "100 Continue" before sending a body over HTTP/1.1.
            if request.body != nil { try append("Expect:") }
            for (name, value) in request.headers {
                guard Self.isValidHeader(name: name, value: value) else {
                    throw HTTPError(
                        .badRequest("header '\(name)' has an empty name, a ':' in its name, or a line break"),
                        url: request.url)
                }
                // libcurl sends "Name;" as a header with an empty value ("Name:" would remove the header).
                try append(value.isEmpty ? "\(name);" : "\(name): \(value)")
            }
            try check(kp_easy_setopt_slist(h, CURLOPT_HTTPHEADER, list), "curl_easy_setopt(HTTPHEADER)")
            complete = true
        }
    }

    private static func sameHeaders(_ a: [(String, String)], _ b: [(String, String)]) -> Bool {
        guard a.count == b.count else { return false }
        for i in a.indices where a[i].0 != b[i].0 || a[i].1 != b[i].1 { return false }
        return true
    }

    private static func isValidHeader(name: String, value: String) -> Bool {
        if name.isEmpty { return false }
        for c in name.utf8 where c == UInt8(ascii: ":") || c == 13 || c == 10 || c == 0 || c == 32 { return false }
        for c in value.utf8 where c == 13 || c == 10 || c == 0 { return false }
        return true
    }

    /// Reads the outcome of the transfer that just ended with `code`. `doneNs` is the completion time.
    func finish(code: CURLcode, doneNs: Int64) -> Outcome {
        let h = handle
        var connects: Int = 0
        var pretransferUs: curl_off_t = 0
        var startTransferUs: curl_off_t = 0
        do {
            var n: Int = 0
            try check(kp_easy_getinfo_long(h, CURLINFO_NUM_CONNECTS, &n), "curl_easy_getinfo(NUM_CONNECTS)")
            connects = n
            try check(
                kp_easy_getinfo_off(h, CURLINFO_PRETRANSFER_TIME_T, &pretransferUs),
                "curl_easy_getinfo(PRETRANSFER_TIME_T)")
            try check(
                kp_easy_getinfo_off(h, CURLINFO_STARTTRANSFER_TIME_T, &startTransferUs),
                "curl_easy_getinfo(STARTTRANSFER_TIME_T)")
        } catch {
            let timings = TransferTimings(queuedNs: queuedNs, sentNs: 0, firstByteNs: 0, doneNs: doneNs)
            return Outcome(
                result: .failure(
                    HTTPError(.transport(code: error.code, message: error.description), url: url, timings: timings)),
                connectionsOpened: connects, waitedForConnection: false)
        }

        // libcurl's per-transfer clock starts when the transfer gets its connection slot (restarting when
        // it leaves the pending queue); the PREREQ callback fires at start + PRETRANSFER.
        let sentNs = sentSlot.pointee
        var firstByteNs: Int64 = 0
        var waited = false
        if sentNs != 0 {
            let startNs = sentNs - Int64(pretransferUs) * 1000
            if startTransferUs > 0 { firstByteNs = max(sentNs, startNs + Int64(startTransferUs) * 1000) }
            // 5 µs covers the µs rounding of the curl timers; any real wait spans at least one driver loop.
            waited = firstPerformEndNs != 0 && startNs > firstPerformEndNs + 5_000
        }
        let timings = TransferTimings(queuedNs: queuedNs, sentNs: sentNs, firstByteNs: firstByteNs, doneNs: doneNs)

        guard code == CURLE_OK else {
            var osErrno: Int = 0
            // Best effort: the errno only refines COULDNT_CONNECT; a failed query leaves it 0 (→ .transport).
            let errnoQuery = kp_easy_getinfo_long(h, CURLINFO_OS_ERRNO, &osErrno)
            if errnoQuery != CURLE_OK { osErrno = 0 }
            if code == CURLE_WRITE_ERROR, let sink = lineSink, sink.overflowed {
                return Outcome(
                    result: .failure(
                        HTTPError(
                            .transport(
                                code: Int(code.rawValue),
                                message:
                                    "a streamed line was longer than \(sink.maxLineBytes) bytes; the stream was stopped"
                            ),
                            url: url, timings: timings)), connectionsOpened: connects, waitedForConnection: waited)
            }
            if code == CURLE_WRITE_ERROR && body.pointee.overflowed != 0 {
                // Hostile or runaway bodies must not take the harness's memory (e.g. a 1 GB /metrics).
                let limit = body.pointee.max
                return Outcome(
                    result: .failure(
                        HTTPError(
                            .transport(
                                code: Int(code.rawValue),
                                message:
                                    "response body larger than \(limit) bytes (HTTPClientConfiguration.maxResponseBytes); the transfer was stopped"
                            ),
                            url: url, timings: timings)), connectionsOpened: connects, waitedForConnection: waited)
            }
            let text = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
            let kind = HTTPError.Kind(curlCode: code, osErrno: osErrno, message: text)
            return Outcome(
                result: .failure(HTTPError(kind, url: url, timings: timings)), connectionsOpened: connects,
                waitedForConnection: waited)
        }

        lineSink?.finish()
        var status: Int = 0
        var version: Int = 0
        do {
            try check(kp_easy_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status), "curl_easy_getinfo(RESPONSE_CODE)")
            try check(kp_easy_getinfo_long(h, CURLINFO_HTTP_VERSION, &version), "curl_easy_getinfo(HTTP_VERSION)")
        } catch {
            return Outcome(
                result: .failure(
                    HTTPError(.transport(code: error.code, message: error.description), url: url, timings: timings)),
                connectionsOpened: connects, waitedForConnection: waited)
        }
        guard !collectsHeaders || kp_collect_headers(h, headerBytes) != 0 else {
            return Outcome(
                result: .failure(
                    HTTPError(
                        .transport(
                            code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "out of memory copying response headers"),
                        url: url, timings: timings)),
                connectionsOpened: connects, waitedForConnection: waited)
        }
        let hb = headerBytes.pointee
        let headers =
            !collectsHeaders || hb.len == 0
            ? HTTPHeaderStorage.empty
            : HTTPHeaderStorage(raw: [UInt8](UnsafeRawBufferPointer(start: hb.data, count: hb.len)))
        let b = body.pointee
        let data = b.len == 0 ? Data() : Data(bytes: b.data!, count: b.len)
        let httpVersion: Int
        switch version {
        case Int(CURL_HTTP_VERSION_2_0): httpVersion = 2
        case Int(CURL_HTTP_VERSION_3): httpVersion = 3
        default: httpVersion = 1
        }
        let response = HTTPResponse(
            status: status, headerStorage: headers, body: data, httpVersion: httpVersion, timings: timings)
        return Outcome(result: .success(response), connectionsOpened: connects, waitedForConnection: waited)
    }

    /// Timings of a transfer ended before it produced a response (cancelled, shut down).
    func timingsSoFar(doneNs: Int64) -> TransferTimings {
        TransferTimings(queuedNs: queuedNs, sentNs: sentSlot.pointee, firstByteNs: 0, doneNs: doneNs)
    }

    /// Forgets the finished request so the handle can serve the next one; returns its completion.
    func recycle() -> Completion? {
        let c = completion
        completion = nil
        url = ""
        // `requestHeaders` stays for the next request with the same headers (`prepare` sets
        // CURLOPT_HTTPHEADER again before every transfer).
        kp_buffer_clear(body, Self.retainedBufferBytes)
        kp_buffer_clear(headerBytes, Self.retainedBufferBytes)
        if lineSink != nil {
            lineSink = nil
            // Back to collecting the body; fails only for a bad handle, which `init` already ruled out.
            let rc = kp_easy_capture_body(handle, body)
            assert(rc == CURLE_OK, "curl_easy_setopt(WRITEFUNCTION): \(rc)")
        }
        return c
    }
}

/// libcurl's write callback for streamed transfers: hands each chunk to the handle's ``HTTPLineSplitter``.
/// Returning less than the chunk (a line too long) makes libcurl fail the transfer with CURLE_WRITE_ERROR.
private let streamWriteCallback: kp_write_cb = { ptr, size, nmemb, userdata in
    let n = size * nmemb
    guard let ptr, let userdata else { return n }
    let easy = Unmanaged<EasyHandle>.fromOpaque(userdata).takeUnretainedValue()
    guard let sink = easy.lineSink else { return n }
    return sink.consume(UnsafeRawBufferPointer(start: ptr, count: n)) ? n : 0
}
