internal import CCurl

/// One libcurl multi handle (`CURLM *`, which libcurl 7.88 declares as `void`) and its connection pool.
///
/// The only owner of the handle: `curl_multi_cleanup` runs in `deinit`, after the ``MultiDriver``
/// removed every easy handle. Used only on the driver's thread, except `curl_multi_wakeup`,
/// which libcurl documents as callable from any thread.
final class MultiHandle {
    let handle: UnsafeMutableRawPointer

    /// - Parameters:
    ///   - multiplex: `CURLMOPT_PIPELINING = CURLPIPE_MULTIPLEX` (HTTP/2 streams share connections).
    ///   - maxHostConnections: `CURLMOPT_MAX_HOST_CONNECTIONS` (0 = unlimited).
    ///   - maxConcurrentStreams: `CURLMOPT_MAX_CONCURRENT_STREAMS`.
    init(multiplex: Bool, maxHostConnections: Int, maxConcurrentStreams: Int) throws(CurlCallError) {
        try CurlGlobal.ensureInitialised()
        guard let m = curl_multi_init() else {
            throw CurlCallError(function: "curl_multi_init", code: -1, message: "returned NULL (out of memory?)")
        }
        handle = m
        try check(
            kp_multi_setopt_long(m, CURLMOPT_PIPELINING, multiplex ? CURLPIPE_MULTIPLEX : CURLPIPE_NOTHING),
            "curl_multi_setopt(PIPELINING)")
        try check(
            kp_multi_setopt_long(m, CURLMOPT_MAX_HOST_CONNECTIONS, maxHostConnections),
            "curl_multi_setopt(MAX_HOST_CONNECTIONS)")
        try check(
            kp_multi_setopt_long(m, CURLMOPT_MAX_CONCURRENT_STREAMS, maxConcurrentStreams),
            "curl_multi_setopt(MAX_CONCURRENT_STREAMS)")
    }

    deinit {
        let rc = curl_multi_cleanup(handle)
        // Fails only for a bad handle or when called from a libcurl callback; neither can happen to the
        // sole owner in deinit, and deinit cannot report an error.
        assert(rc == CURLM_OK, "curl_multi_cleanup: \(String(cString: curl_multi_strerror(rc)))")
    }
}
