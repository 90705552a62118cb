internal import CCurl

/// libcurl's process-wide setup, run once before the first handle is made.
///
/// `curl_global_init` is not thread-safe and must precede every other libcurl call; a global `let`
/// is initialised exactly once, on first use, under Swift's one-time-initialisation lock, so every
/// path that creates a handle reads ``CurlGlobal/initResult`` first.
enum CurlGlobal {
    /// The `CURLcode` of the one `curl_global_init(CURL_GLOBAL_ALL)` call of this process.
    static let initResult: CURLcode = curl_global_init(KP_CURL_GLOBAL_ALL)

    /// Throws unless libcurl's global set-up succeeded.
    static func ensureInitialised() throws(CurlCallError) {
        try check(initResult, "curl_global_init")
    }
}
