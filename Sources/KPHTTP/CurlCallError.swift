internal import CCurl

/// A libcurl call that returned an error code: the function, its code and libcurl's text for it.
///
/// Every `CURLcode` and `CURLMcode` in KPHTTP goes through one of the two ``check(_:_:)``
/// functions, so no return value is silently dropped and no failure crashes the process.
struct CurlCallError: Error, CustomStringConvertible {
    /// The libcurl function that failed, e.g. `curl_multi_add_handle`.
    var function: String
    /// The numeric `CURLcode` or `CURLMcode`.
    var code: Int
    /// `curl_easy_strerror` / `curl_multi_strerror` text.
    var message: String

    var description: String { "\(function) failed with code \(code): \(message)" }
}

/// Throws ``CurlCallError`` unless `rc` is `CURLE_OK`.
@inline(__always)
func check(_ rc: CURLcode, _ function: StaticString) throws(CurlCallError) {
    if rc != CURLE_OK {
        throw CurlCallError(
            function: "\(function)", code: Int(rc.rawValue), message: String(cString: curl_easy_strerror(rc)))
    }
}

/// Throws ``CurlCallError`` unless `rc` is `CURLM_OK`.
@inline(__always)
func check(_ rc: CURLMcode, _ function: StaticString) throws(CurlCallError) {
    if rc != CURLM_OK {
        throw CurlCallError(
            function: "\(function)", code: Int(rc.rawValue), message: String(cString: curl_multi_strerror(rc)))
    }
}
